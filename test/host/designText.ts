export const DESIGN = `{
  "name": "t",
  "input": [1, 3, 32, 32],
  "layers": [
    { "type": "Conv2d", "name": "conv1", "out_channels": 16, "kernel_size": 3, "padding": 1, "bias": false },
    { "type": "BatchNorm2d", "name": "bn1" },
    { "type": "ReLU", "name": "relu" },
    { "stage": "layer1", "block": "basic", "count": 2, "planes": 16 },
    { "stage": "layer2", "block": "basic", "count": 1, "planes": 32, "stride": 2 },
    { "type": "AdaptiveAvgPool2d", "name": "avgpool", "output_size": 1 },
    { "type": "Flatten", "name": "flatten" },
    { "type": "Linear", "name": "fc", "out_features": 10 }
  ]
}
`;
