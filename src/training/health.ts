/**
 * Training health from layer telemetry, on the model's side: where the runner must look ({@link telemetryProbes}:
 * the residual adds and the functional ReLUs, from the IR), and which source line built the layer an alert
 * names ({@link alertSites}). The alert rules over the rows are the contract's (`src/protocol/trainingHealth.ts`).
 */
import type { IrGraph, IrNode, SourceRange } from '../core/ir';
import type { HealthAlert } from '../protocol/trainingHealth';

// ---------------------------------------------------------------------------------------------------------
// Probes: what the runner hooks

export interface TelemetryProbes {
  /** `add|branch|skip` module paths; a skip written `<path` is that module's input (an identity shortcut). */
  telemetryBlocks: string[];
  /** `relu|module` (the module's output is the ReLU's input) or `relu|>module` (its output is the ReLU's). */
  telemetryRelus: string[];
}

/** A module node: the front end knows where it was constructed; functional ops have no such place. */
const isModule = (n: IrNode | undefined): n is IrNode => n !== undefined && n.definedAt !== undefined;
const isRelu = (n: IrNode): boolean => n.op === 'ReLU';

/**
 * The run config's `telemetryBlocks` and `telemetryRelus` for a model's IR. Adds whose operands no module
 * produces, and functional ReLUs that no module borders, are left out: the runner can only hook modules.
 */
export function telemetryProbes(graph: IrGraph): TelemetryProbes {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const groupName = new Map(graph.groups.map((g) => [g.id, g.name]));
  const blocks: string[] = [];
  for (const s of graph.skips) {
    const add = byId.get(s.to);
    if (!add) continue;
    const skipProducer = s.via.length ? s.via[s.via.length - 1]! : s.from;
    const branch = byId.get(add.inputs.find((i) => i !== skipProducer) ?? '');
    if (!isModule(branch)) continue;
    const last = byId.get(skipProducer);
    let skip: string | undefined;
    if (isModule(last)) skip = last.name;
    else {
      // The shortcut's value is the block's input (exactly for an identity, nearly for a parameter-free one).
      const from = byId.get(s.from);
      const block = s.group !== undefined ? groupName.get(s.group) : undefined;
      if (isModule(from) && s.via.length === 0) skip = from.name;
      else if (block) skip = `<${block}`;
    }
    if (skip) blocks.push(`${add.name}|${branch.name}|${skip}`);
  }
  const parentOf = new Map(graph.groups.map((g) => [g.id, g.parent]));
  const within = (group: string | undefined, outer: string): boolean => {
    for (let g = group; g !== undefined; g = parentOf.get(g)) if (g === outer) return true;
    return false;
  };
  const relus: string[] = [];
  for (const n of graph.nodes) {
    if (!isRelu(n) || n.definedAt !== undefined) continue;
    const input = byId.get(n.inputs[0] ?? '');
    if (isModule(input)) {
      relus.push(`${n.name}|${input.name}`);
      continue;
    }
    // The last op of a module's forward: that module's output is the ReLU's.
    const g = n.group;
    const name = g !== undefined ? groupName.get(g) : undefined;
    if (g === undefined || !name) continue;
    const usedInside = graph.nodes.some((m) => m.inputs.includes(n.id) && within(m.group, g));
    if (!usedInside) relus.push(`${n.name}|>${name}`);
  }
  return { telemetryBlocks: blocks, telemetryRelus: relus };
}

/**
 * Where each alert belongs in the source: the line that built the layer (the IR node's `definedAt`), else the
 * line that calls it (a functional ReLU, an add). Alerts whose key the IR does not know are left out.
 */
export function alertSites(graph: IrGraph, alerts: readonly HealthAlert[]): { alert: HealthAlert; range: SourceRange }[] {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  return alerts.flatMap((alert) => {
    const node = byName.get(alert.module);
    const range = node?.definedAt ?? node?.source;
    return range ? [{ alert, range }] : [];
  });
}
