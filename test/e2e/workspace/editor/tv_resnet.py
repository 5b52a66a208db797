"""Residual networks in the layout of a model-zoo ``resnet.py``.

This file is a test fixture for ResNet Studio's static PyTorch reader. It is
written the way large model libraries write their ResNets: small conv helpers,
two block classes with an ``expansion`` class attribute, a configurable trunk
whose normalisation layer is injected, a weight-init pass over
``self.modules()``, a registry decorator, an opaque weights enum and thin
factory functions that forward ``**kwargs``.
"""
# resnet-studio: input=(1, 3, 224, 224)
from enum import Enum
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Type, TypeVar, Union

import torch
import torch.nn as nn
from torch import Tensor


__all__ = [
    "ResNet",
    "ResNet18_Weights",
    "ResNet50_Weights",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnext50_32x4d",
    "wide_resnet50_2",
]


# ---------------------------------------------------------------------------
# Registry and weights plumbing. None of this changes the architecture; it is
# here because real model zoos wrap every factory in it, and a reader of the
# source has to see through it.
# ---------------------------------------------------------------------------

_MODELS: Dict[str, Callable[..., Any]] = {}

M = TypeVar("M", bound=Callable[..., Any])


def register_model(name: Optional[str] = None) -> Callable[[M], M]:
    def wrapper(fn: M) -> M:
        key = name if name is not None else fn.__name__
        if key in _MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        _MODELS[key] = fn
        return fn

    return wrapper


def list_models() -> List[str]:
    return sorted(_MODELS.keys())


class WeightsEntry:
    """Describes a checkpoint; never downloaded by this fixture."""

    def __init__(self, url: str, num_classes: int, meta: Optional[Dict[str, Any]] = None) -> None:
        self.url = url
        self.num_classes = num_classes
        self.meta = meta or {}

    def get_state_dict(self, progress: bool = True) -> Dict[str, Tensor]:
        raise RuntimeError(f"offline fixture: cannot fetch {self.url}")


class WeightsEnum(Enum):
    @classmethod
    def verify(cls, obj: Any) -> Any:
        if obj is None:
            return None
        if isinstance(obj, str):
            obj = cls[obj.replace(cls.__name__ + ".", "")]
        if not isinstance(obj, cls):
            raise TypeError(f"Invalid weights {obj!r} for {cls.__name__}")
        return obj

    @property
    def num_classes(self) -> int:
        return self.value.num_classes


class ResNet18_Weights(WeightsEnum):
    IMAGENET1K_V1 = WeightsEntry("https://example.invalid/resnet18-v1.pth", 1000, {"acc@1": 69.758})
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):
    IMAGENET1K_V1 = WeightsEntry("https://example.invalid/resnet50-v1.pth", 1000, {"acc@1": 76.13})
    IMAGENET1K_V2 = WeightsEntry("https://example.invalid/resnet50-v2.pth", 1000, {"acc@1": 80.858})
    DEFAULT = IMAGENET1K_V2


def _ovewrite_named_param(kwargs: Dict[str, Any], param: str, new_value: Any) -> None:
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"{param}={kwargs[param]!r} conflicts with the required {new_value!r}")
    else:
        kwargs[param] = new_value


# ---------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1, dilation: int = 1) -> nn.Conv2d:
    """3x3 convolution whose padding keeps the spatial size when stride is 1."""
    return nn.Conv2d(
        in_planes,
        out_planes,
        kernel_size=3,
        stride=stride,
        padding=dilation,
        groups=groups,
        bias=False,
        dilation=dilation,
    )


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution, used for channel projection."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion: int = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: Optional[nn.Module] = None,
        groups: int = 1,
        base_width: int = 64,
        dilation: int = 1,
        norm_layer: Optional[Callable[..., nn.Module]] = None,
    ) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock has no grouped or widened variant")
        if dilation > 1:
            raise NotImplementedError("BasicBlock cannot be dilated")
        # When stride > 1 it is applied twice: by conv1 here and by the shortcut projection.
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x

        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)

        out = self.conv2(out)
        out = self.bn2(out)

        if self.downsample is not None:
            identity = self.downsample(x)

        out += identity
        out = self.relu(out)

        return out


class Bottleneck(nn.Module):
    # The stride sits on the 3x3 convolution (the "v1.5" placement), which is
    # what most model zoos ship; the original paper put it on the first 1x1.
    expansion: int = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: Optional[nn.Module] = None,
        groups: int = 1,
        base_width: int = 64,
        dilation: int = 1,
        norm_layer: Optional[Callable[..., nn.Module]] = None,
    ) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        # conv2 and the shortcut projection carry the same stride so the two paths meet.
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x

        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)

        out = self.conv2(out)
        out = self.bn2(out)
        out = self.relu(out)

        out = self.conv3(out)
        out = self.bn3(out)

        if self.downsample is not None:
            identity = self.downsample(x)

        out += identity
        out = self.relu(out)

        return out


# ---------------------------------------------------------------------------
# The trunk
# ---------------------------------------------------------------------------


class ResNet(nn.Module):
    def __init__(
        self,
        block: Type[Union[BasicBlock, Bottleneck]],
        layers: List[int],
        num_classes: int = 1000,
        zero_init_residual: bool = False,
        groups: int = 1,
        width_per_group: int = 64,
        replace_stride_with_dilation: Optional[List[bool]] = None,
        norm_layer: Optional[Callable[..., nn.Module]] = None,
    ) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer

        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            # one flag per stage 2..4: trade that stage's stride for dilation
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError(
                f"replace_stride_with_dilation needs 3 flags, got {replace_stride_with_dilation}"
            )
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

        # Starting the last norm of each branch at zero makes every block an identity
        # map at step 0, which is known to help large-batch training a little.
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)  # type: ignore[arg-type]
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)  # type: ignore[arg-type]

    def _make_layer(
        self,
        block: Type[Union[BasicBlock, Bottleneck]],
        planes: int,
        blocks: int,
        stride: int = 1,
        dilate: bool = False,
    ) -> nn.Sequential:
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )

        layers = []
        layers.append(
            block(
                self.inplanes, planes, stride, downsample, self.groups, self.base_width, previous_dilation, norm_layer
            )
        )
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(
                block(
                    self.inplanes,
                    planes,
                    groups=self.groups,
                    base_width=self.base_width,
                    dilation=self.dilation,
                    norm_layer=norm_layer,
                )
            )

        return nn.Sequential(*layers)

    def _forward_impl(self, x: Tensor) -> Tensor:
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)

        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)

        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.fc(x)

        return x

    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


def _resnet(
    block: Type[Union[BasicBlock, Bottleneck]],
    layers: List[int],
    weights: Optional[WeightsEnum],
    progress: bool,
    **kwargs: Any,
) -> ResNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", weights.num_classes)

    model = ResNet(block, layers, **kwargs)

    if weights is not None:
        model.load_state_dict(weights.value.get_state_dict(progress=progress))

    return model


# ---------------------------------------------------------------------------
# Factories
# ---------------------------------------------------------------------------


@register_model()
def resnet18(*, weights: Optional[ResNet18_Weights] = None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNet-18 from "Deep Residual Learning for Image Recognition"."""
    weights = ResNet18_Weights.verify(weights)

    return _resnet(BasicBlock, [2, 2, 2, 2], weights, progress, **kwargs)


@register_model()
def resnet34(*, weights: Optional[WeightsEnum] = None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNet-34 from "Deep Residual Learning for Image Recognition"."""
    return _resnet(BasicBlock, [3, 4, 6, 3], weights, progress, **kwargs)


@register_model()
def resnet50(*, weights: Optional[ResNet50_Weights] = None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNet-50 from "Deep Residual Learning for Image Recognition"."""
    weights = ResNet50_Weights.verify(weights)

    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)


@register_model()
def resnet101(*, weights: Optional[WeightsEnum] = None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNet-101 from "Deep Residual Learning for Image Recognition"."""
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, progress, **kwargs)


@register_model()
def resnet152(*, weights: Optional[WeightsEnum] = None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNet-152 from "Deep Residual Learning for Image Recognition"."""
    return _resnet(Bottleneck, [3, 8, 36, 3], weights, progress, **kwargs)


@register_model()
def resnext50_32x4d(*, weights: Optional[WeightsEnum] = None, progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNeXt-50 32x4d from "Aggregated Residual Transformation for Deep Neural Networks"."""
    _ovewrite_named_param(kwargs, "groups", 32)
    _ovewrite_named_param(kwargs, "width_per_group", 4)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)


@register_model()
def wide_resnet50_2(*, weights: Optional[WeightsEnum] = None, progress: bool = True, **kwargs: Any) -> ResNet:
    """Wide ResNet-50-2 from "Wide Residual Networks".

    The bottleneck is twice as wide in every block; the outer 1x1 widths are
    unchanged, e.g. the last block has 2048-512-2048 channels in ResNet-50 and
    2048-1024-2048 here.
    """
    _ovewrite_named_param(kwargs, "width_per_group", 64 * 2)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)


def resnet50_gn(**kwargs: Any) -> ResNet:
    """ResNet-50 with GroupNorm(32) in place of BatchNorm, via a partial norm layer."""
    return resnet50(norm_layer=partial(nn.GroupNorm, 32), **kwargs)


if __name__ == "__main__":
    net = resnet50()
    print(sum(p.numel() for p in net.parameters()))
    print(net(torch.zeros(1, 3, 224, 224)).shape)
