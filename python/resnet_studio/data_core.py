"""What the data readers share: images held as uint8 NCHW tensors, the seeded train/validation split, the
adaptation of stored images to the model's input, batching and augmentation.

Mirrors ``src/training/dataCore.ts``; ``test/training/dataParity.test.ts`` checks that both give the same
tensors."""

import os

from .errors import RunError
from .signals import ignore_stop_signals

PRELOAD_LIMIT_BYTES = 2 * 1024 ** 3


class TensorSet:
    """Images as one uint8 [N, C, H, W] tensor plus int64 labels."""

    def __init__(self, images, labels):
        self.images = images
        self.labels = labels

    def __len__(self):
        return int(self.labels.shape[0])

    def nbytes(self):
        return self.images.numel() * self.images.element_size()

    def to(self, device):
        self.images = self.images.to(device)
        self.labels = self.labels.to(device)

    def take(self, torch, idx):
        i = torch.as_tensor(idx, dtype=torch.long, device=self.images.device)
        return self.images.index_select(0, i), self.labels.index_select(0, i)


    @property
    def shape(self):
        return tuple(self.images.shape[1:])


def batch_stream(torch, ds, batches, cfg, cuda):
    """Index-addressable sets (``take``) are batched in place; file sets go through loader processes."""
    if hasattr(ds, "take"):
        return (ds.take(torch, b) for b in batches)
    from torch.utils.data import DataLoader

    workers = cfg.get("workers")
    if not isinstance(workers, int) or workers < 0:
        workers = min(4, max(0, (os.cpu_count() or 1) - 1))
    return iter(DataLoader(ds, batch_sampler=batches, num_workers=workers, pin_memory=cuda,
                           worker_init_fn=ignore_stop_signals if workers else None))


def split_indices(torch, n, val_split, seed):
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=g)
    n_val = int(round(n * val_split))
    if val_split > 0 and n_val == 0 and n > 1:
        n_val = 1
    return perm[n_val:], perm[:n_val]


def split_tensor(torch, images, labels, val_split, seed):
    tr, va = split_indices(torch, len(labels), val_split, seed)
    val = TensorSet(images[va], labels[va]) if len(va) else None
    return TensorSet(images[tr], labels[tr]), val


def resize_uint8(torch, images, c, h, w):
    """Adapts stored images to the model's input: channel count (grey <-> RGB) and size."""
    if images.shape[1] != c:
        f = images.float()
        if c == 1:
            f = (f * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)[:, :f.shape[1]]).sum(1, keepdim=True) \
                if f.shape[1] == 3 else f.mean(1, keepdim=True)
        elif images.shape[1] == 1:
            f = f.expand(-1, c, -1, -1)
        else:
            raise RunError("the images have %d channels; the model wants %d" % (images.shape[1], c))
        images = f.round().clamp(0, 255).to(torch.uint8)
    if images.shape[2:] != (h, w):
        out = torch.empty(images.shape[0], c, h, w, dtype=torch.uint8)
        for s in range(0, images.shape[0], 1024):
            part = torch.nn.functional.interpolate(images[s:s + 1024].float(), size=(h, w), mode="bilinear",
                                                   align_corners=False)
            out[s:s + 1024] = part.round().clamp(0, 255).to(torch.uint8)
        images = out
    return images


def augment(torch, x):
    """Random crop with zero padding (an eighth of the side) and a horizontal flip, per image, on x's device."""
    n, c, h, w = x.shape
    ph, pw = max(1, h // 8), max(1, w // 8)
    padded = torch.nn.functional.pad(x, (pw, pw, ph, ph))
    oy = torch.randint(0, 2 * ph + 1, (n, 1), device=x.device)
    ox = torch.randint(0, 2 * pw + 1, (n, 1), device=x.device)
    rows = (oy + torch.arange(h, device=x.device)).view(n, 1, h, 1)
    cols = (ox + torch.arange(w, device=x.device)).view(n, 1, 1, w)
    flip = torch.rand(n, device=x.device) < 0.5
    cols = torch.where(flip.view(n, 1, 1, 1), cols.flip(3), cols)
    bi = torch.arange(n, device=x.device).view(n, 1, 1, 1)
    ci = torch.arange(c, device=x.device).view(1, c, 1, 1)
    return padded[bi, ci, rows, cols]


def channel_stats(torch, ds):
    """Per-channel mean/std (0..1 scale) from a sample of the training images (at most ~64M values)."""
    if hasattr(ds, "take"):
        n = len(ds)
        c, h, w = ds.shape
        k = max(16, min(4096, (1 << 26) // max(1, c * h * w)))
        idx = torch.randperm(n, generator=torch.Generator().manual_seed(0))[:k].tolist()
        sample = ds.take(torch, idx)[0].float() / 255.0
    else:
        k = min(len(ds), 256)
        sample = torch.stack([ds[i][0] for i in range(0, len(ds), max(1, len(ds) // k))][:k]).float() / 255.0
    mean = sample.mean(dim=(0, 2, 3))
    std = sample.std(dim=(0, 2, 3)).clamp_min(1e-3)
    return mean.cpu(), std.cpu()
