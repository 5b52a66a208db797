/**
 * Design templates: the standard ImageNet ResNets (18-152, ResNeXt, Wide ResNet), CIFAR 6n+2 ResNets and a
 * tiny ResNet for quick training. They produce ordinary `*.resnet.json` designs, so every template is also
 * something a user can read and edit.
 */
import type { DesignFile, LayerDef, StageDef } from './designTypes';

export interface ImageNetOptions {
  depth: 18 | 34 | 50 | 101 | 152;
  numClasses?: number;
  groups?: number;
  widthPerGroup?: number;
  name?: string;
  inputSize?: number;
}

const IMAGENET_LAYERS: Record<ImageNetOptions['depth'], [string, number[]]> = {
  18: ['basic', [2, 2, 2, 2]],
  34: ['basic', [3, 4, 6, 3]],
  50: ['bottleneck', [3, 4, 6, 3]],
  101: ['bottleneck', [3, 4, 23, 3]],
  152: ['bottleneck', [3, 8, 36, 3]],
};

// Designs carry no `$schema`: a relative path breaks once the file is copied into a workspace, and the
// extension already contributes the schema to every *.resnet.json through `jsonValidation`.

export function imagenetResNet(o: ImageNetOptions): DesignFile {
  const [block, counts] = IMAGENET_LAYERS[o.depth];
  const extra: Record<string, number> = {};
  if (o.groups !== undefined) extra['groups'] = o.groups;
  if (o.widthPerGroup !== undefined) extra['base_width'] = o.widthPerGroup;
  const stages: StageDef[] = counts.map((count, i) => ({
    stage: `layer${i + 1}`,
    block,
    count,
    planes: 64 * 2 ** i,
    stride: i === 0 ? 1 : 2,
    ...extra,
  }));
  const size = o.inputSize ?? 224;
  return {
    name: o.name ?? `ResNet-${o.depth}`,
    input: [1, 3, size, size],
    vars: { num_classes: o.numClasses ?? 1000 },
    layers: [
      { type: 'Conv2d', name: 'conv1', out_channels: 64, kernel_size: 7, stride: 2, padding: 3, bias: false },
      { type: 'BatchNorm2d', name: 'bn1' },
      { type: 'ReLU', name: 'relu' },
      { type: 'MaxPool2d', name: 'maxpool', kernel_size: 3, stride: 2, padding: 1 },
      ...stages,
      { type: 'AdaptiveAvgPool2d', name: 'avgpool', output_size: [1, 1] },
      { type: 'Flatten', name: 'flatten' },
      { type: 'Linear', name: 'fc', out_features: 'num_classes' },
    ],
  };
}

/** He et al. CIFAR ResNet of depth 6n+2 with option-A shortcuts. */
export function cifarResNet(depth: number, numClasses = 10): DesignFile {
  if ((depth - 2) % 6 !== 0 || depth < 8) throw new Error(`CIFAR ResNet depth must be 6n+2 (8, 14, 20, ...), got ${depth}`);
  const n = (depth - 2) / 6;
  return {
    name: `CIFAR ResNet-${depth}`,
    input: [1, 3, 32, 32],
    vars: { n, num_classes: numClasses },
    layers: [
      { type: 'Conv2d', name: 'conv1', out_channels: 16, kernel_size: 3, padding: 1, bias: false },
      { type: 'BatchNorm2d', name: 'bn1' },
      { type: 'ReLU', name: 'relu' },
      { stage: 'layer1', block: 'cifar', count: 'n', planes: 16, stride: 1 },
      { stage: 'layer2', block: 'cifar', count: 'n', planes: 32, stride: 2 },
      { stage: 'layer3', block: 'cifar', count: 'n', planes: 64, stride: 2 },
      { type: 'AdaptiveAvgPool2d', name: 'avgpool', output_size: 1 },
      { type: 'Flatten', name: 'flatten' },
      { type: 'Linear', name: 'linear', out_features: 'num_classes' },
    ],
  };
}

/** A few-thousand-parameter ResNet for 16x16 inputs: quick to train anywhere, used by the training tests. */
export function tinyResNet(numClasses = 4): DesignFile {
  const stem: LayerDef[] = [
    { type: 'Conv2d', name: 'conv1', out_channels: 8, kernel_size: 3, padding: 1, bias: false },
    { type: 'BatchNorm2d', name: 'bn1' },
    { type: 'ReLU', name: 'relu' },
  ];
  return {
    name: 'Tiny ResNet',
    description: 'A two-stage ResNet with basic blocks for 16x16 inputs; small enough to train in seconds.',
    input: [1, 3, 16, 16],
    vars: { num_classes: numClasses },
    layers: [
      ...stem,
      { stage: 'layer1', block: 'basic', count: 1, planes: 8, stride: 1 },
      { stage: 'layer2', block: 'basic', count: 1, planes: 16, stride: 2 },
      { type: 'AdaptiveAvgPool2d', name: 'avgpool', output_size: 1 },
      { type: 'Flatten', name: 'flatten' },
      { type: 'Linear', name: 'fc', out_features: 'num_classes' },
    ],
  };
}

export interface TemplateInfo {
  id: string;
  label: string;
  make: () => DesignFile;
}

export const TEMPLATES: TemplateInfo[] = [
  ...([18, 34, 50, 101, 152] as const).map((d) => ({ id: `resnet${d}`, label: `ResNet-${d} (ImageNet)`, make: () => imagenetResNet({ depth: d }) })),
  { id: 'resnext50_32x4d', label: 'ResNeXt-50 32x4d', make: () => imagenetResNet({ depth: 50, groups: 32, widthPerGroup: 4, name: 'ResNeXt-50 32x4d' }) },
  { id: 'wide_resnet50_2', label: 'Wide ResNet-50-2', make: () => imagenetResNet({ depth: 50, widthPerGroup: 128, name: 'Wide ResNet-50-2' }) },
  ...[20, 32, 44, 56, 110].map((d) => ({ id: `cifar-resnet${d}`, label: `CIFAR ResNet-${d} (6n+2)`, make: () => cifarResNet(d) })),
  { id: 'tiny-resnet', label: 'Tiny ResNet (16x16, for quick training)', make: () => tinyResNet() },
];
