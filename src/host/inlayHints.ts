/**
 * Shape inlay hints: one per executed line (a `forward` line, a JSON layer), at the end of the line, with
 * the shape that line produces. Pure: positions are 0-based lines; the provider adds the column.
 */
import { formatShape } from '../core/dims';
import type { IrGraph, IrNode } from '../core/ir';
import { lineResults, sameFile } from './ranges';

export interface ShapeHint {
  /** 0-based line the hint ends. */
  line: number;
  label: string;
  /** Markdown listing each call's module path and shape when the line runs more than once. */
  tooltip: string;
}

/** Calls listed in a tooltip before the rest are summarised. */
const TOOLTIP_MAX = 16;

export function shapeHints(graph: IrGraph, file: string): ShapeHint[] {
  const byLine = new Map<number, IrNode[]>();
  for (const n of graph.nodes) {
    if (n.op === 'input' || !n.source || !sameFile(n.source.file, file)) continue;
    const line = n.source.line - 1;
    let list = byLine.get(line);
    if (!list) byLine.set(line, (list = []));
    list.push(n);
  }
  const hints: ShapeHint[] = [];
  for (const [line, nodes] of [...byLine].sort((a, b) => a[0] - b[0])) {
    const results = lineResults(nodes);
    if (!results.length) continue;
    const shapes = results.map((n) => formatShape(n.outputShape));
    const first = shapes[0]!;
    const last = shapes[shapes.length - 1]!;
    const distinct = new Set(shapes).size;
    let label = first;
    if (results.length > 1) label = distinct === 1 ? `${first} ×${results.length}` : `${first} … ${last} ×${results.length}`;
    const listed = results.slice(0, TOOLTIP_MAX).map((n, i) => `- \`${n.name}\`: ${shapes[i]}${n.error ? ' ⚠' : ''}`);
    if (results.length > TOOLTIP_MAX) listed.push(`- … ${results.length - TOOLTIP_MAX} more`);
    hints.push({ line, label, tooltip: listed.join('\n') });
  }
  return hints;
}
