/**
 * Diff mode of the graph view: which drawn layer or group has which status in a comparison, the classes and
 * colours that show it, and the tooltip lines that say what changed (attributes as `old → new`). Pure apart
 * from the stylesheet's types, so the Node tests read it directly.
 */
import type cytoscape from 'cytoscape';
import { type DiffStatus, type GroupDiff, type ModelDiff, type NodeDiff, type Shape, changeText, fmtCompact, unionId } from '../../src/protocol/graphProtocol';
import { type Theme, mix } from './theme';

/** The comparison by union-graph id, as the view looks it up for each drawn element. */
export interface DiffMarks {
  diff: ModelDiff;
  nodes: Map<string, NodeDiff>;
  groups: Map<string, GroupDiff>;
  labels: { before: string; after: string };
}

export function diffMarks(diff: ModelDiff, labels: { before: string; after: string }): DiffMarks {
  return {
    diff,
    labels,
    nodes: new Map(diff.nodes.map((n) => [unionId(n), n])),
    groups: new Map(diff.groups.map((g) => [unionId(g), g])),
  };
}

/** The status of a drawn element: a layer by its IR id, a group by its group id. */
export function statusOf(marks: DiffMarks, kind: 'layer' | 'group', irId: string): DiffStatus | undefined {
  return (kind === 'layer' ? marks.nodes.get(irId) : marks.groups.get(irId))?.status;
}

/** The cytoscape class for a status (`same` has none: unchanged elements keep the ordinary look). */
export function diffClass(status: DiffStatus | undefined): string | undefined {
  return status && status !== 'same' ? `diff-${status}` : undefined;
}

const shapeText = (s: Shape | undefined): string => (s === undefined ? '?' : JSON.stringify(s));

function signed(n: number | null): string {
  if (n === null) return '?';
  if (n === 0) return '±0';
  return `${n > 0 ? '+' : '−'}${fmtCompact(Math.abs(n))}`;
}

/** Lines that say what the comparison found for one drawn element; empty for an unchanged one. */
export function diffTooltip(marks: DiffMarks, kind: 'layer' | 'group', irId: string): string[] {
  const d = kind === 'layer' ? marks.nodes.get(irId) : marks.groups.get(irId);
  if (!d || d.status === 'same') return [];
  const { before, after } = marks.labels;
  const lines: string[] = [];
  switch (d.status) {
    case 'added':
      lines.push(`added: not in ${before}`);
      break;
    case 'removed':
      lines.push(`removed: only in ${before}`);
      break;
    case 'changed':
      lines.push(`changed from ${before} to ${after}:`);
      break;
    case 'reshaped':
      lines.push(`same definition, different tensor (${before} → ${after})`);
      break;
  }
  for (const c of d.changes) lines.push(`  ${changeText(c)}`);
  if ('output' in d && d.status !== 'added' && d.status !== 'removed' && shapeText(d.output.before) !== shapeText(d.output.after)) {
    lines.push(`  output ${shapeText(d.output.before)} → ${shapeText(d.output.after)}`);
  }
  if ('counts' in d && d.status === 'changed') {
    const c = d.counts;
    const parts = [c.added && `${c.added} added`, c.removed && `${c.removed} removed`, c.changed && `${c.changed} changed`].filter(Boolean);
    if (parts.length) lines.push(`  layers inside: ${parts.join(', ')}`);
  }
  if (d.params.delta !== 0) lines.push(`  params ${fmtCompact(d.params.before)} → ${fmtCompact(d.params.after)} (${signed(d.params.delta)})`);
  if (d.macs.delta !== 0) lines.push(`  MACs ${fmtCompact(d.macs.before)} → ${fmtCompact(d.macs.after)} (${signed(d.macs.delta)})`);
  return lines;
}

export { signed as signedCompact };

/**
 * The diff colours. The node rules go after the ordinary node rules and before error, match and selection
 * (which stay on top); the edge rules after the ordinary edge rules.
 */
export function diffStylesheet(t: Theme): { nodes: cytoscape.StylesheetJsonBlock[]; edges: cytoscape.StylesheetJsonBlock[] } {
  const hc = t.kind === 'high-contrast' || t.kind === 'high-contrast-light';
  const width = hc ? 3 : 2.5;
  const leaf = (colour: string, tint: number, style: 'solid' | 'dashed' | 'dotted') => ({
    'border-color': colour,
    'border-width': width,
    'border-style': style,
    'background-color': mix(t.nodeFill, colour, hc ? 0 : tint),
    color: t.foreground,
  });
  const group = (colour: string, base: string, tint: number) => ({ 'border-color': colour, 'border-width': width, 'background-color': mix(base, colour, hc ? 0 : tint) });
  const nodes = [
    { selector: 'node.diff-added', style: leaf(t.added, 0.24, 'solid') },
    { selector: 'node.diff-removed', style: { ...leaf(t.removed, 0.2, 'dashed'), 'font-style': 'italic' } },
    { selector: 'node.diff-changed', style: leaf(t.changed, 0.22, 'solid') },
    { selector: 'node.diff-reshaped', style: { 'border-color': t.changed, 'border-width': hc ? 2 : 1.5, 'border-style': 'dotted' } },
    { selector: 'node.expanded.diff-added', style: group(t.added, t.stageFill, 0.08) },
    { selector: 'node.expanded.diff-removed', style: { ...group(t.removed, t.stageFill, 0.08), 'border-style': 'dashed' } },
    { selector: 'node.expanded.diff-changed', style: group(t.changed, t.stageFill, 0.06) },
    { selector: 'node.expanded.block.diff-changed', style: group(t.changed, t.blockFill, 0.06) },
  ];
  const edges = [
    { selector: 'edge.main.diff-added', style: { 'line-color': t.added, 'target-arrow-color': t.added } },
    { selector: 'edge.main.diff-removed', style: { 'line-color': t.removed, 'target-arrow-color': t.removed, 'line-style': 'dashed' } },
  ];
  return { nodes, edges } as { nodes: cytoscape.StylesheetJsonBlock[]; edges: cytoscape.StylesheetJsonBlock[] };
}
