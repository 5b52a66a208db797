// Foundation target: analysing ResNet-152 in the JSON design form (parse + validation + inference) in-process.
import { readFileSync } from 'node:fs';
import { analyzeText } from '../src/frontends';
import { medianMs, report } from './util';

const file = 'examples/resnet152.resnet.json';
const text = readFileSync(file, 'utf8');
const ms = medianMs(() => analyzeText(file, text), 300, 30);
report('ResNet-152 JSON analysis (median of 300)', ms, 2);
