/**
 * The models every code generation test runs over: each bundled example and each template of the
 * `New ResNet from Template…` wizard, analysed once.
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { Analysis, IrGraph } from '../../src/core/ir';
import { analyzeText } from '../../src/frontends';
import { TEMPLATES } from '../../src/frontends/templates';

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
