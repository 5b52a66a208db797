/**
 * The model outline: the module hierarchy (stages, blocks, containers) with layers as leaves, each with its
 * output shape and costs. Pure: the tree view provider only wraps these items.
 */
import { formatShape } from '../core/dims';
import { groupPath } from '../core/groups';
import type { Diagnostic, IrGraph, SourceRange } from '../core/ir';
import { fmtCompact, groupTotals } from '../core/report';
import { macsText } from './hoverText';

export interface OutlineItem {
  id: string;
  label: string;
  description: string;
  tooltip: string;
  kind: 'stage' | 'block' | 'module' | 'layer';
  /** Where clicking takes the user: a layer's construction if known, else where it runs. */
  source?: SourceRange;
  /** IR node ids this entry stands for, for highlighting in the graph. */
  nodeIds: string[];
  children: OutlineItem[];
  error?: string;
}

function lastSegment(path: string): string {
  const i = path.lastIndexOf('.');
  return i >= 0 ? path.slice(i + 1) : path;
}

function costs(params: number | null, macs: number | null): string {
  return `${fmtCompact(params)} params · ${macsText(macs)}`;
}

export function buildOutline(graph: IrGraph): OutlineItem[] {
  const roots: OutlineItem[] = [];
  const items = new Map<string, OutlineItem>();
  const totals = groupTotals(graph);
  for (const n of graph.nodes) {
    if (n.op === 'input') continue;
    let siblings = roots;
    for (const g of groupPath(graph.groups, n.group)) {
      let item = items.get(g.id);
      if (!item) {
        const t = totals.get(g.id)!;
        item = {
          id: g.id,
          label: lastSegment(g.name),
          description: `${g.label} · ${formatShape(t.output)} · ${costs(t.params, t.macs)}`,
          tooltip: `${g.name} (${g.label}, ${g.kind})`,
          kind: g.kind,
          nodeIds: [],
          children: [],
        };
        if (g.source) item.source = g.source;
        items.set(g.id, item);
        siblings.push(item);
      }
      item.nodeIds.push(n.id);
      siblings = item.children;
    }
    const leaf: OutlineItem = {
      id: n.id,
      label: lastSegment(n.name),
      description: `${n.op} · ${formatShape(n.outputShape)} · ${n.shared ? 'shared' : costs(n.params, n.macs)}`,
      tooltip: `${n.name} (${n.op})`,
      kind: 'layer',
      nodeIds: [n.id],
      children: [],
    };
    const src = n.definedAt ?? n.source;
    if (src) leaf.source = src;
    if (n.error) leaf.error = n.error;
    siblings.push(leaf);
  }
  markErrors(roots);
  return roots;
}

/** A container shows an error when any entry under it has one, so problems are visible collapsed. */
function markErrors(items: OutlineItem[]): string | undefined {
  let first: string | undefined;
  for (const it of items) {
    const below = markErrors(it.children);
    if (!it.error && below) it.error = below;
    first ??= it.error;
  }
  return first;
}

/** What the outline shows for an analysis: a tree, or a message instead of one (never both). */
export interface OutlineState {
  roots: OutlineItem[];
  /** The view's message; set only when `roots` is empty. */
  message: string | undefined;
  description: string;
}

/**
 * The outline for the followed file. A file that does not parse (a syntax error while typing, or after a
 * reload) keeps the last tree built from it, labelled as such, rather than a tree of what still parses
 * beside an error; with no earlier tree it shows the error alone.
 */
export function outlineState(r: { uri: string; analysis: { graph: IrGraph | null; diagnostics: readonly Diagnostic[] } } | undefined, lastGood: { uri: string; graph: IrGraph } | undefined): OutlineState {
  if (!r) return { roots: [], message: 'Open a PyTorch file, a *.resnet.json design or a Keras model.json to see its modules.', description: '' };
  const syntax = r.analysis.diagnostics.find((d) => d.code === 'syntax/error');
  if (syntax) {
    const where = `syntax error on line ${syntax.line}`;
    if (lastGood && lastGood.uri === r.uri) return { roots: buildOutline(lastGood.graph), message: undefined, description: `${lastGood.graph.name} · last good version (${where})` };
    return { roots: [], message: `No outline: ${where}: ${syntax.message}`, description: '' };
  }
  const g = r.analysis.graph;
  if (!g) return { roots: [], message: 'No model could be built from this file: see the Problems panel.', description: '' };
  return { roots: buildOutline(g), message: undefined, description: g.name };
}

/** A fingerprint of a tree's ids and texts: an unchanged outline is not sent to the workbench again. */
export function fingerprint(s: OutlineState, key: string): string {
  const walk = (items: readonly OutlineItem[]): string => items.map((i) => `${i.id}|${i.label}|${i.description}|${i.error ?? ''}(${walk(i.children)})`).join(',');
  return `${key}\n${s.message ?? ''}\n${s.description}\n${walk(s.roots)}`;
}
