// Code generation target: writing ResNet-152 as PyTorch source (from its analysed IR) takes at most 100 ms,
// the limit under which an export command feels immediate; the Keras/TF.js topology and Convert to Design
// (which analyses each stage it folds to check it) are measured against the same limit.
import { readFileSync } from 'node:fs';
import { analyzeText } from '../src/frontends';
import { writePyTorch } from '../src/codegen/pytorchWriter';
import { writeKeras } from '../src/codegen/kerasWriter';
import { toDesign } from '../src/codegen/toDesign';
import { medianMs, report } from './util';

const file = 'examples/resnet152.resnet.json';
const graph = analyzeText(file, readFileSync(file, 'utf8')).graph!;
report('ResNet-152 to PyTorch code (median of 50)', medianMs(() => writePyTorch(graph), 50, 5), 100);
report('ResNet-152 to a TF.js model.json (median of 50)', medianMs(() => writeKeras(graph, 'tfjs'), 50, 5), 100);
report('ResNet-152 to a design (median of 20)', medianMs(() => toDesign(graph), 20, 3), 100);
