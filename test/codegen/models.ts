/**
 * The models every code generation test runs over: each bundled example and each template of the
 * `New ResNet from Template…` wizard, analysed once.
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { Analysis, IrGraph } from '../../src/core/ir';
import { analyzeText } from '../../src/frontends';
import { TEMPLATES } from '../../src/frontends/templates';

/** The interpreter's time budget is for the editor; on a loaded test machine a fixture needs more. */
export const SLOW_MACHINE = { budget: { timeLimitMs: 60_000 } };

export interface CodegenModel {
  label: string;
  file: string;
  text: string;
  graph: IrGraph;
}

function analysed(label: string, file: string, text: string): CodegenModel {
  const a: Analysis = analyzeText(file, text);
  if (!a.graph || a.diagnostics.some((d) => d.severity === 'error')) throw new Error(`${label} does not analyse cleanly`);
  return { label, file, text, graph: a.graph };
}

export function exampleModels(): CodegenModel[] {
  return readdirSync('examples')
    .filter((f) => f.endsWith('.resnet.json'))
    .sort()
    .map((f) => analysed(`examples/${f}`, `examples/${f}`, readFileSync(`examples/${f}`, 'utf8')));
}

export function templateModels(): CodegenModel[] {
  return TEMPLATES.map((t) => analysed(`template ${t.id}`, `${t.id}.resnet.json`, JSON.stringify(t.make(), null, 2)));
}

/** The names of the layers that hold parameters: what `state_dict()` keys are made of. */
export function weightNames(g: IrGraph): string[] {
  return [...new Set(g.nodes.filter((n) => !n.shared && (n.params ?? 0) > 0).map((n) => n.name))].sort();
}

/** Models read from PyTorch and Keras files (not designs): the writers take the IR of any front end. */
export function fixtureModels(): CodegenModel[] {
  const rows: [string, string?][] = [
    ['test/fixtures/pytorch/torchvision_style.py', 'resnet50'],
    ['test/fixtures/pytorch/torchvision_style.py', 'resnext50_32x4d'],
    ['test/fixtures/pytorch/cifar_style.py'],
    ['test/fixtures/pytorch/preact_style.py'],
    ['test/fixtures/pytorch/res2net_style.py'],
    ['test/fixtures/pytorch/se_style.py'],
    ['test/fixtures/pytorch/se_expand.py'],
    ['test/fixtures/pytorch/sequential_ordereddict.py'],
    ['test/fixtures/pytorch/tutorial_style.py'],
    ['test/fixtures/pytorch/upsample_attention.py'],
    ['test/fixtures/pytorch/modern_syntax.py'],
    ['test/fixtures/keras/functional-residual.model.json'],
    ['test/fixtures/keras/squeeze-excite.keras2.model.json'],
    ['test/fixtures/keras/separable.keras2.model.json'],
    ['test/fixtures/keras/depthwise.keras2.model.json'],
    ['test/fixtures/keras/decoder.keras2.model.json'],
  ];
  return rows.map(([file, model]) => {
    const a = analyzeText(file, readFileSync(file, 'utf8'), { ...SLOW_MACHINE, ...(model ? { model } : {}) });
    const error = a.diagnostics.find((d) => d.severity === 'error');
    if (!a.graph || error) throw new Error(`${file} ${model ?? ''} does not analyse cleanly: ${error?.message ?? 'no graph'}`);
    return { label: `${file.replace(/^.*\//, '')}${model ? ` ${model}` : ''}`, file, text: '', graph: a.graph };
  });
}
