/**
 * The analysis report: the CLI's `--json` object and its torchinfo-style table. Both read only the IR.
 */
import { formatShape, type Shape } from './dims';
import { groupPath } from './groups';
import type { Analysis, Diagnostic, IrGraph, IrGroup, IrSkip, SkipKind } from './ir';

export interface LayerRow {
  name: string;
  type: string;
  inputShape: Shape;
  outputShape: Shape;
  params: number | null;
  macs: number | null;
  line: number | null;
}

export interface Report {
  file: string;
  model: string | null;
  models: string[];
  input: Shape;
  output: Shape;
  /** Every output's shape when the model returns several tensors (`output` is the first), else null. */
  outputs: Shape[] | null;
  params: number | null;
  macs: number | null;
  layers: LayerRow[];
  /** The IR graph; `skipEdges` are the residual shortcuts (`IrSkip`), the edges on them are marked `skip`. */
  graph: Pick<IrGraph, 'nodes' | 'edges' | 'groups'> & { skipEdges: IrGraph['skips'] };
  diagnostics: Omit<Diagnostic, 'file'>[];
}

export function layerRows(g: IrGraph): LayerRow[] {
  return g.nodes
    .filter((n) => n.op !== 'input')
    .map((n) => ({
      name: n.name,
      type: n.op,
      inputShape: n.inputShapes[0] ?? null,
      outputShape: n.outputShape,
      params: n.shared ? 0 : n.params,
      macs: n.macs,
      line: n.source?.line ?? null,
    }));
}

export function toReport(a: Analysis): Report {
  const g = a.graph;
  return {
    file: a.file,
    model: g?.name ?? null,
    models: a.models,
    input: g?.input ?? null,
    output: g?.output ?? null,
    outputs: g?.outputs ?? null,
    params: g?.params ?? null,
    macs: g?.macs ?? null,
    layers: g ? layerRows(g) : [],
    graph: {
      nodes: g?.nodes ?? [],
      edges: g?.edges ?? [],
      groups: g?.groups ?? [],
      skipEdges: g?.skips ?? [],
    },
    diagnostics: a.diagnostics.map(({ file: _f, ...d }) => d),
  };
}

export const fmtInt = (n: number | null): string => (n === null ? '?' : n.toLocaleString('en-US'));

/** 25557032 -> "25.6 M", 4089184256 -> "4.09 G". */
export function fmtCompact(n: number | null): string {
  if (n === null) return '?';
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [v, u] of units) if (n >= v) return `${(n / v).toPrecision(3)} ${u}`;
  return String(n);
}

function pad(s: string, w: number, right = false): string {
  if (s.length >= w) return s;
  return right ? ' '.repeat(w - s.length) + s : s + ' '.repeat(w - s.length);
}

/** One line of the summary table: a group (block, stage) with its subtotals, or a layer. */
export interface SummaryRow {
  depth: number;
  name: string;
  /** A group's label (`Bottleneck`) or a layer's op. */
  type: string;
  output: string;
  params: number | null;
  macs: number | null;
  /** A layer that reuses a module counted where it was first called. */
  shared: boolean;
  error: boolean;
}

/** The summary's rows in execution order: each group as it opens (with its totals), then its layers, indented by depth. */
export function summaryRows(g: IrGraph): SummaryRow[] {
  const totals = groupTotals(g);
  const out: SummaryRow[] = [];
  let open: IrGroup[] = [];
  for (const n of g.nodes) {
    if (n.op === 'input') continue;
    const path = groupPath(g.groups, n.group);
    let common = 0;
    while (common < open.length && common < path.length && open[common] === path[common]) common++;
    for (let d = common; d < path.length; d++) {
      const grp = path[d]!;
      const t = totals.get(grp.id)!;
      out.push({ depth: d, name: grp.name, type: grp.label, output: formatShape(t.output), params: t.params, macs: t.macs, shared: false, error: false });
    }
    open = path;
    out.push({ depth: path.length, name: n.name, type: n.op, output: formatShape(n.outputShape), params: n.params, macs: n.macs, shared: !!n.shared, error: !!n.error });
  }
  return out;
}

/** A torchinfo-style table: hierarchy, output shape, params, MACs; then totals and diagnostics. */
export function formatTable(a: Analysis): string {
  const lines: string[] = [];
  const g = a.graph;
  const widths = [46, 22, 14, 16];
  const rule = '='.repeat(widths.reduce((s, w) => s + w, 0));
  const row = (cells: string[]) =>
    cells.map((c, i) => pad(c, widths[i]!, i >= 2)).join('').trimEnd();
  if (g) {
    lines.push(`Model: ${g.name}    (${a.file})`);
    if (a.models.length > 1) lines.push(`Models in file: ${a.models.join(', ')}`);
    lines.push(rule, row(['Layer (type)', 'Output Shape', 'Param #', 'MACs']), rule);
    for (const r of summaryRows(g)) {
      const label = `${'  '.repeat(r.depth)}${r.name} (${r.type})${r.error ? ' !' : ''}`;
      lines.push(row([label, r.output, r.shared ? '(shared)' : fmtInt(r.params), fmtInt(r.macs)]));
    }
    lines.push(rule);
    lines.push(`Input: ${formatShape(g.input)}    Output: ${g.outputs ? g.outputs.map(formatShape).join(', ') : formatShape(g.output)}`);
    lines.push(`Total params: ${fmtInt(g.params)} (${fmtCompact(g.params)})`);
    const frozen = frozenParams(g);
    if (frozen !== 0) {
      const trainable = frozen === null || g.params === null ? null : g.params - frozen;
      lines.push(`Trainable params: ${fmtInt(trainable)} (${fmtCompact(trainable)})    Frozen params: ${fmtInt(frozen)} (${fmtCompact(frozen)})`);
    }
    lines.push(`Total MACs: ${fmtInt(g.macs)} (${fmtCompact(g.macs)}MACs)`);
    lines.push(`Residual shortcuts: ${g.skips.length} (${shortcutCounts(g.skips)})`);
    lines.push(rule);
  } else {
    lines.push(`${a.file}: no model could be built`);
  }
  if (a.diagnostics.length) {
    lines.push(`Diagnostics (${a.diagnostics.length}):`);
    for (const d of a.diagnostics) lines.push(`  ${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message} [${d.code}]`);
  } else {
    lines.push('Diagnostics: none');
  }
  return lines.join('\n');
}

/** `5 identity, 3 projection` (and `2 pad` when the model has option-A shortcuts): how a model's shortcuts split. */
export function shortcutCounts(skips: readonly Pick<IrSkip, 'kind'>[]): string {
  const n = (k: SkipKind) => skips.filter((s) => s.kind === k).length;
  const parts = [`${n('identity')} identity`, `${n('projection')} projection`];
  if (n('pad')) parts.push(`${n('pad')} pad`);
  return parts.join(', ');
}

/** Parameters of frozen layers (each module counted once), null if one of them is unknown; 0 when none is frozen. */
export function frozenParams(g: Pick<IrGraph, 'nodes'>): number | null {
  let sum: number | null = 0;
  for (const n of g.nodes) if (n.frozen && !n.shared) sum = sum === null || n.params === null ? null : sum + n.params;
  return sum;
}

/** Params, MACs and output shape of every group, counting nested groups. */
export function groupTotals(g: IrGraph): Map<string, { params: number | null; macs: number | null; output: Shape }> {
  const totals = new Map<string, { params: number | null; macs: number | null; output: Shape }>();
  for (const grp of g.groups) totals.set(grp.id, { params: 0, macs: 0, output: null });
  const parent = new Map(g.groups.map((x) => [x.id, x.parent]));
  for (const n of g.nodes) {
    for (let id = n.group; id; id = parent.get(id)) {
      const t = totals.get(id)!;
      if (!n.shared) t.params = t.params === null || n.params === null ? null : t.params + n.params;
      t.macs = t.macs === null || n.macs === null ? null : t.macs + n.macs;
      t.output = n.outputShape;
    }
  }
  return totals;
}
