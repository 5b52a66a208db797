# Three models in one file, each with its own shape error: the Problems panel must list all three,
# whichever of them the graph shows.
import torch.nn as nn


class WideHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, kernel_size=3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(self.flat(self.pool(self.conv(x))))


class BadBlock(nn.Module):
    def __init__(self, in_ch=32, out_ch=64):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(out_ch)

    def forward(self, x):
        return self.bn1(self.conv1(x)) + x


def tiny():
    return nn.Sequential(
        nn.Conv2d(3, 8, kernel_size=3),
        nn.BatchNorm2d(16),
        nn.ReLU(),
    )
