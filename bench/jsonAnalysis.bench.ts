// Foundation target: analysing ResNet-152 in the JSON design form (parse + validation + inference) in-process,
// with the front end bundled as the product runs it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as FrontEnds from '../src/frontends';
import { bundleOf, medianMs, report } from './util';

const { analyzeText } = createRequire(import.meta.url)(bundleOf('src/frontends/index.ts')) as typeof FrontEnds;

const file = 'examples/resnet152.resnet.json';
const text = readFileSync(file, 'utf8');
const ms = medianMs(() => analyzeText(file, text), 300, 30);
report('ResNet-152 JSON analysis (median of 300)', ms, 2);
