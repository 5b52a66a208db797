/**
 * Hover and CodeLens text, built from the IR only. Pure (no `vscode`), so the exact wording is unit-tested.
 */
import { formatShape } from '../core/dims';
import type { Diagnostic, IrGraph, IrNode } from '../core/ir';
import { fmtCompact, fmtInt, frozenParams } from '../core/report';
import { type NodesAt, lineResults } from './ranges';

/** Most rows a hover table shows before summarising the rest. */
export const HOVER_MAX_ROWS = 12;

function code(s: string): string {
  // A backtick inside a code span would end it; IR names never hold one, but keep the hover well-formed.
  return '`' + s.replace(/`/g, "'") + '`';
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function row(n: IrNode): string {
  const params = n.shared ? 'shared' : fmtInt(n.params);
  const err = n.error ? ' ⚠' : '';
  return `| ${cell(code(n.name))}${err} | ${cell(n.op)} | ${cell(formatShape(n.inputShapes[0] ?? null))} | ${cell(formatShape(n.outputShape))} | ${params} | ${fmtCompact(n.macs)} |`;
}

function sums(nodes: readonly IrNode[]): { params: number | null; macs: number | null } {
  let params: number | null = 0;
  let macs: number | null = 0;
  for (const n of nodes) {
    if (!n.shared) params = params === null || n.params === null ? null : params + n.params;
    macs = macs === null || n.macs === null ? null : macs + n.macs;
  }
  return { params, macs };
}

function table(nodes: readonly IrNode[]): string[] {
  const out = ['| Module | Op | Input | Output | Params | MACs |', '|---|---|---|---|---:|---:|'];
  for (const n of nodes.slice(0, HOVER_MAX_ROWS)) out.push(row(n));
  if (nodes.length > HOVER_MAX_ROWS) out.push(`| … ${nodes.length - HOVER_MAX_ROWS} more | | | | | |`);
  return out;
}

/** `9,437,184 (9.44 M)`; just `432` when the short form says nothing more. */
function amount(n: number | null): string {
  const full = fmtInt(n);
  const short = fmtCompact(n);
  return full === short ? full : `${full} (${short})`;
}

function single(n: IrNode): string[] {
  // "add add" says nothing twice: a node named after its op shows the op alone.
  const head = n.name.toLowerCase() === n.op.toLowerCase() ? `**${cell(n.op)}**` : `**${cell(n.op)}** ${code(n.name)}`;
  const lines = [head, ''];
  const inputs = n.inputShapes.length ? n.inputShapes.map((s) => formatShape(s)).join(' + ') : '—';
  lines.push(`Input ${inputs} → output ${formatShape(n.outputShape)}`, '');
  lines.push(`Params ${n.shared ? 'shared (counted at its first use)' : amount(n.params)}${n.frozen && !n.shared && n.params ? ' (frozen)' : ''} · MACs ${amount(n.macs)}`);
  if (n.error) lines.push('', `⚠ ${n.error}`);
  return lines;
}

/**
 * Markdown for a hover at a position: the nodes executed there (a forward line) or defined there (a layer's
 * construction), with input and output shapes, params, MACs and module paths. Null when nothing is there.
 */
export function hoverMarkdown(at: NodesAt): string | null {
  const nodes = at.executed.length ? at.executed : at.defined;
  if (!nodes.length) return null;
  if (nodes.length === 1) return single(nodes[0]!).join('\n');
  const lines: string[] = [];
  if (at.executed.length) {
    const results = lineResults(at.executed);
    const shapes = [...new Set(results.map((n) => formatShape(n.outputShape)))];
    const calls = results.length > 1 ? ` over ${results.length} calls` : '';
    lines.push(`**${nodes.length} operations**${calls} → ${shapes.slice(0, 4).join(', ')}${shapes.length > 4 ? ', …' : ''}`);
  } else {
    const ops = [...new Set(nodes.map((n) => n.op))].join(', ');
    lines.push(`**${cell(ops)}**, ${nodes.length} instances`);
  }
  const s = sums(nodes);
  const frozen = frozenParams({ nodes });
  const split = frozen === 0 ? '' : ` (trainable ${amount(frozen === null || s.params === null ? null : s.params - frozen)}, frozen ${amount(frozen)})`;
  lines.push('', `Params ${amount(s.params)}${split} · MACs ${amount(s.macs)}`, '');
  lines.push(...table(nodes));
  const errors = [...new Set(nodes.filter((n) => n.error).map((n) => n.error!))];
  for (const e of errors.slice(0, 3)) lines.push('', `⚠ ${e}`);
  return lines.join('\n');
}

/** `25.6 M params`, `512 params`. */
export function paramsText(n: number | null): string {
  return `${fmtCompact(n)} params`;
}

/** `4.09 GMACs`, `512 MACs`: the prefix joins the unit the way people write it. */
export function macsText(n: number | null): string {
  const s = fmtCompact(n);
  return /[kMGT]$/.test(s) ? `${s}MACs` : `${s} MACs`;
}

/**
 * The title of a model's CodeLens: `ResNet-50 · 25.6 M params · 4.09 GMACs`, with the error count when
 * the analysis found any, or why no model could be built.
 */
export function lensTitle(name: string, graph: IrGraph | null, diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const errText = errors ? ` · ${errors} error${errors === 1 ? '' : 's'}` : '';
  if (!graph) return `${name} · not analysable${errText}`;
  return `${graph.name || name} · ${paramsText(graph.params)} · ${macsText(graph.macs)}${errText}`;
}

/**
 * The input a model is analysed with, as the CodeLens, status bar and graph header show it: `3×32²` (channels,
 * then height and width, squared when equal), without the batch size, which changes no per-sample number.
 */
export function inputText(shape: readonly (number | string | null)[] | null | undefined): string | null {
  if (!shape || shape.length < 2) return null;
  const [, ...dims] = shape.map((d) => d ?? '?');
  const [c, ...rest] = dims;
  if (rest.length === 2 && rest[0] === rest[1]) return `${c}×${rest[0]}²`;
  return dims.join('×');
}
