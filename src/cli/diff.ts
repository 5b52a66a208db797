/**
 * `resnet-studio diff A B`: what changed between two versions of a model, as a per-stage table of params and
 * MACs (old → new and the delta), the layers added, removed and changed (attributes as old → new), or the
 * whole comparison as JSON. It exits 1 when the output shape changed, so a CI job can guard a model's
 * interface: 0 otherwise, 2 for usage errors and for a file from which no model could be built.
 */
import { readFileSync } from 'node:fs';
import { type Shape, formatShape } from '../core/dims';
import { type CountDelta, type DiffStatus, type ModelDiff, changeText, diffGraphs } from '../core/diff';
import type { Analysis } from '../core/ir';
import { fmtCompact, fmtInt } from '../core/report';
import { UsageError } from '../core/usageError';
import { analyzeText } from '../frontends';
import type { DiffInput } from './commands';
import type { CliIo } from './flags';

/** The JSON the command prints with `--json`: the comparison itself, after the two files it read. */
export interface DiffReport extends ModelDiff {
  files: { before: string; after: string };
}

function read(file: string, input: DiffInput, io: CliIo): Analysis {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const { flags } = input;
  const analysis = analyzeText(file, text, {
    ...(flags.input ? { input: flags.input } : {}),
    ...(flags.model ? { model: flags.model } : {}),
    ...(flags.args !== undefined ? { args: flags.args } : {}),
    ...(io.parseCache ? { parseCache: io.parseCache } : {}),
  });
  if (!analysis.graph) {
    const first = analysis.diagnostics.find((d) => d.severity === 'error') ?? analysis.diagnostics[0];
    throw new UsageError(`no model could be built from ${file}${first ? `: ${first.file}:${first.line}:${first.column}: ${first.message}` : ''}`);
  }
  return analysis;
}

export function diff(input: DiffInput, io: CliIo): number {
  const [fileA, fileB] = input.args as [string, string];
  const a = read(fileA, input, io);
  const b = read(fileB, input, io);
  const d = diffGraphs(a.graph!, b.graph!);
  if (input.flags.json) {
    const report: DiffReport = { files: { before: fileA, after: fileB }, ...d };
    io.out(JSON.stringify(report));
  } else {
    io.out(formatDiff(d, { before: a, after: b }));
  }
  return d.outputChanged ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------
// The text report

const signed = (n: number | null): string => (n === null ? '?' : n > 0 ? `+${fmtInt(n)}` : n === 0 ? '0' : `−${fmtInt(-n)}`);

/** `2,099,712 → 3,280,384`, or the one number when it did not change. */
function span(c: CountDelta, fmt: (n: number | null) => string = fmtInt): string {
  return c.before === c.after ? fmt(c.after) : `${fmt(c.before)} → ${fmt(c.after)}`;
}

function shapeSpan(before: Shape | undefined, after: Shape | undefined): string {
  if (before === undefined) return formatShape(after ?? null);
  if (after === undefined) return formatShape(before);
  const x = formatShape(before);
  const y = formatShape(after);
  return x === y ? y : `${x} → ${y}`;
}

/** `layer1.0.relu`, or `layer1.0.relu (call 2)` for a module's second call. */
function layerName(n: { key: string; name: string }): string {
  const call = n.key.slice(n.name.length).match(/^#(\d+)$/);
  return call ? `${n.name} (call ${call[1]})` : n.name;
}

const MARK: Record<DiffStatus, string> = { added: '+', removed: '-', changed: '~', reshaped: '·', same: ' ' };

function table(rows: string[][], rightAligned: ReadonlySet<number>): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** The per-stage table, the totals and output shape, then what changed layer by layer. */
export function formatDiff(d: ModelDiff, sides: { before: Analysis; after: Analysis }): string {
  const lines: string[] = [];
  const title = d.before.name === d.after.name ? d.after.name : `${d.before.name} → ${d.after.name}`;
  lines.push(`Model: ${title}    (${sides.before.file} → ${sides.after.file})`);
  const rows: string[][] = [['Stage', 'Change', 'Params', 'Δ Params', 'MACs', 'Δ MACs', 'Output']];
  for (const s of d.stages) {
    const what = s.what.before === s.what.after || s.what.before === undefined || s.what.after === undefined ? (s.what.after ?? s.what.before ?? '') : `${s.what.before} → ${s.what.after}`;
    rows.push([`${s.name} (${what})`, s.status, span(s.params), signed(s.params.delta), span(s.macs, fmtCompact), signed(s.macs.delta), shapeSpan(s.output.before, s.output.after)]);
  }
  const outputs = (x: ModelDiff['before']): Shape[] => x.outputs ?? [x.output];
  const total = ['Total', '', span(d.total.params), signed(d.total.params.delta), span(d.total.macs, fmtCompact), signed(d.total.macs.delta), ''];
  const body = table([...rows, total], new Set([2, 3, 4, 5]));
  const rule = '='.repeat(Math.max(...body.map((l) => l.length)));
  lines.push(rule, body[0]!, rule, ...body.slice(1, -1), rule, body[body.length - 1]!, rule);
  const pct = (c: CountDelta) => (c.delta && c.before ? ` (${c.delta > 0 ? '+' : '−'}${((Math.abs(c.delta) / c.before) * 100).toFixed(1)}%)` : '');
  lines.push(`Params: ${fmtCompact(d.total.params.before)} → ${fmtCompact(d.total.params.after)}${pct(d.total.params)}    MACs: ${fmtCompact(d.total.macs.before)} → ${fmtCompact(d.total.macs.after)}${pct(d.total.macs)}`);
  if (d.inputChanged) lines.push(`Input: ${formatShape(d.before.input)} → ${formatShape(d.after.input)}`);
  const out = (x: ModelDiff['before']) => outputs(x).map(formatShape).join(', ');
  lines.push(d.outputChanged ? `Output: ${out(d.before)} → ${out(d.after)}    (the output shape changed)` : `Output: ${out(d.after)} (unchanged)`);
  const c = d.counts;
  lines.push(`Layers: ${c.added} added, ${c.removed} removed, ${c.changed} changed, ${c.reshaped} reshaped, ${c.same} the same`);

  // Whole added or removed groups are listed once, not layer by layer.
  const byKey = new Map(d.groups.map((g) => [g.key, g]));
  /** Whether an enclosing group (from `key` outwards) was added or removed as a whole, with this status. */
  const wholly = (key: string | undefined, status: DiffStatus): boolean => {
    for (let g = key ? byKey.get(key) : undefined; g; g = g.parent ? byKey.get(g.parent) : undefined) if (g.status === status) return true;
    return false;
  };
  const listed: string[] = [];
  for (const g of d.groups) {
    if ((g.status === 'added' || g.status === 'removed') && !wholly(g.parent, g.status)) {
      listed.push(`  ${MARK[g.status]} ${g.name} (${g.label}): ${g.status}, ${signed(g.params.delta)} params`);
    }
  }
  for (const n of d.nodes) {
    if (n.op === 'input' && n.status !== 'changed') continue;
    if (n.status === 'added' || n.status === 'removed') {
      if (!wholly(n.group, n.status)) listed.push(`  ${MARK[n.status]} ${layerName(n)} (${n.op}): ${n.status}${n.params.delta ? `, ${signed(n.params.delta)} params` : ''}`);
    } else if (n.status === 'changed') {
      listed.push(`  ${MARK.changed} ${layerName(n)} (${n.op}): ${n.changes.map(changeText).join(', ')}`);
    }
  }
  if (listed.length) lines.push('Changes:', ...listed);
  else if (!c.reshaped && !d.inputChanged) lines.push('No differences.');

  for (const [label, a] of [['before', sides.before], ['after', sides.after]] as const) {
    const errors = a.diagnostics.filter((x) => x.severity === 'error');
    if (errors.length) lines.push(`Note: the ${label} version has ${errors.length} error${errors.length > 1 ? 's' : ''}; first: ${errors[0]!.file}:${errors[0]!.line}:${errors[0]!.column}: ${errors[0]!.message}`);
  }
  return lines.join('\n');
}
