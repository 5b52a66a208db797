/**
 * The standard residual blocks, written in the same block language users write in `*.resnet.json`
 * (`blocks` section), so the built-ins get no special treatment. Names follow torchvision's modules
 * (`conv1`, `bn1`, `downsample.0`) and, for CIFAR, the common `LambdaLayer` option-A code.
 */
import type { BlockDef } from './designTypes';

export const BUILTIN_BLOCKS: Record<string, BlockDef> = {
  /** torchvision `BasicBlock` (ResNet-18/34). */
  basic: {
    label: 'BasicBlock',
    expansion: 1,
    main: [
      { type: 'Conv2d', name: 'conv1', out_channels: 'planes', kernel_size: 3, stride: 'stride', padding: 1, bias: false },
      { type: 'BatchNorm2d', name: 'bn1' },
      { type: 'ReLU', name: 'relu' },
      { type: 'Conv2d', name: 'conv2', out_channels: 'planes', kernel_size: 3, padding: 1, bias: false },
      { type: 'BatchNorm2d', name: 'bn2' },
    ],
    shortcut: 'projection',
    post: [{ type: 'ReLU', name: 'relu' }],
  },
  /** torchvision `Bottleneck` (ResNet-50/101/152, ResNeXt and Wide ResNet through `groups`/`base_width`). */
  bottleneck: {
    label: 'Bottleneck',
    expansion: 4,
    params: { groups: 1, base_width: 64 },
    let: { width: 'floor(planes * base_width / 64) * groups' },
    main: [
      { type: 'Conv2d', name: 'conv1', out_channels: 'width', kernel_size: 1, bias: false },
      { type: 'BatchNorm2d', name: 'bn1' },
      { type: 'ReLU', name: 'relu' },
      { type: 'Conv2d', name: 'conv2', out_channels: 'width', kernel_size: 3, stride: 'stride', padding: 1, groups: 'groups', bias: false },
      { type: 'BatchNorm2d', name: 'bn2' },
      { type: 'ReLU', name: 'relu' },
      { type: 'Conv2d', name: 'conv3', out_channels: 'planes * expansion', kernel_size: 1, bias: false },
      { type: 'BatchNorm2d', name: 'bn3' },
    ],
    shortcut: 'projection',
    post: [{ type: 'ReLU', name: 'relu' }],
  },
  /** He et al. CIFAR block with the parameter-free option-A shortcut (subsample by stride, zero-pad channels). */
  cifar: {
    label: 'BasicBlock',
    expansion: 1,
    main: [
      { type: 'Conv2d', name: 'conv1', out_channels: 'planes', kernel_size: 3, stride: 'stride', padding: 1, bias: false },
      { type: 'BatchNorm2d', name: 'bn1' },
      { type: 'ReLU', name: 'relu1' },
      { type: 'Conv2d', name: 'conv2', out_channels: 'planes', kernel_size: 3, padding: 1, bias: false },
      { type: 'BatchNorm2d', name: 'bn2' },
    ],
    shortcut: 'A',
    post: [{ type: 'ReLU', name: 'relu2' }],
  },
};
