/** The cytoscape stylesheet, built from the resolved theme (see `theme.ts`). */
import type cytoscape from 'cytoscape';
import { diffStylesheet } from './diff';
import { WEIGHTS } from './skipRouting';
import type { Theme } from './theme';

/** Text metrics shared by the stylesheet and the node-size measurement, so the boxes fit their labels. */
export const LINE_HEIGHT = 1.25;
export const NODE_PAD_X = 10;
export const NODE_PAD_Y = 7;
/** Space cytoscape leaves around a compound's children; the layout reserves the title row on top of it. */
export const COMPOUND_PAD = 10;

export function labelFont(theme: Theme, bold = false): string {
  return `${bold ? 'bold ' : ''}${nodeFontSize(theme)}px ${theme.fontFamily}`;
}

export function nodeFontSize(theme: Theme): number {
  return Math.max(10, Math.min(14, theme.fontSize - 1));
}

export function buildStylesheet(theme: Theme): cytoscape.StylesheetJson {
  const fs = nodeFontSize(theme);
  const hc = theme.kind === 'high-contrast' || theme.kind === 'high-contrast-light';
  const diff = diffStylesheet(theme);
  return [
    {
      selector: 'node',
      style: {
        shape: 'round-rectangle',
        'corner-radius': 4,
        'border-color': theme.nodeBorder,
        'border-width': hc ? 1.5 : 1,
        label: 'data(label)',
        'text-wrap': 'wrap',
        'line-height': LINE_HEIGHT,
        'text-valign': 'center',
        'text-halign': 'center',
        color: theme.foreground,
        'font-family': theme.fontFamily,
        'font-size': fs,
        'min-zoomed-font-size': 5,
      },
    },
    { selector: 'node[w]', style: { width: 'data(w)', height: 'data(h)' } },
    { selector: 'node[fill]', style: { 'background-color': 'data(fill)', color: 'data(textColor)' } },
    { selector: 'node[kind = "layer"][op = "input"]', style: { shape: 'round-tag', 'border-style': 'dotted' } },
    { selector: 'node.op-add', style: { shape: 'round-octagon' } },
    {
      selector: 'node.expanded',
      style: {
        'background-color': theme.stageFill,
        'background-opacity': 1,
        'border-color': theme.groupBorder,
        'border-style': 'solid',
        'border-width': 1,
        padding: `${COMPOUND_PAD}px`,
        'text-valign': 'top',
        'text-halign': 'center',
        'text-margin-y': -2,
        color: theme.muted,
        'font-weight': 'bold',
      },
    },
    { selector: 'node.expanded[titleDx]', style: { 'text-margin-x': 'data(titleDx)' } },
    { selector: 'node.expanded[minW]', style: { 'min-width': 'data(minW)' } },
    { selector: 'node.expanded.block', style: { 'background-color': theme.blockFill, 'border-style': 'dashed' } },
    {
      selector: 'node.collapsed',
      style: {
        'border-width': hc ? 3 : 2,
        'border-style': 'double',
        'border-color': hc ? theme.nodeBorder : theme.muted,
        'font-weight': 'bold',
      },
    },
    { selector: 'node.via-identity', style: { 'border-color': theme.identity, 'border-width': 2, 'border-style': 'dashed' } },
    { selector: 'node.via-projection', style: { 'border-color': theme.projection, 'border-width': 2 } },
    { selector: 'node.via-pad', style: { 'border-color': theme.pad, 'border-width': 2, 'border-style': 'dotted' } },
    ...diff.nodes,
    {
      selector: 'node.error',
      style: { 'border-color': theme.error, 'border-width': 3, 'border-style': 'solid', 'background-color': theme.errorFill, color: theme.foreground },
    },
    {
      selector: 'node.match',
      style: { 'underlay-color': theme.match, 'underlay-padding': 6, 'underlay-opacity': 0.9 },
    },
    {
      selector: 'node:selected',
      style: { 'border-color': theme.focus, 'border-width': 3, 'overlay-opacity': 0 },
    },
    {
      selector: 'edge',
      style: {
        width: 1.5,
        'curve-style': 'straight',
        'line-color': theme.edge,
        'target-arrow-color': theme.edge,
        'target-arrow-shape': 'triangle',
        'arrow-scale': 0.8,
        label: 'data(label)',
        'font-family': theme.fontFamily,
        'font-size': Math.max(9, fs - 2),
        color: theme.muted,
        'text-background-color': theme.background,
        'text-background-opacity': 0.9,
        'text-background-padding': '1px',
        'text-rotation': 'none',
        'min-zoomed-font-size': 7,
      },
    },
    {
      selector: 'edge.skip',
      style: {
        width: 2.5,
        'curve-style': 'unbundled-bezier',
        'control-point-distances': (e: cytoscape.EdgeSingular) => e.data('bow') ?? [24, 24],
        'control-point-weights': WEIGHTS,
        'z-compound-depth': 'top',
        'z-index': 10,
        'text-margin-x': 4,
      } as cytoscape.Css.Edge,
    },
    {
      selector: 'edge.skip-identity',
      style: { 'line-color': theme.identity, 'target-arrow-color': theme.identity, 'line-style': 'dashed', 'line-dash-pattern': [7, 4], color: theme.identity },
    },
    { selector: 'edge.skip-projection', style: { 'line-color': theme.projection, 'target-arrow-color': theme.projection, color: theme.projection } },
    {
      selector: 'edge.skip-pad',
      style: { 'line-color': theme.pad, 'target-arrow-color': theme.pad, 'line-style': 'dashed', 'line-dash-pattern': [2, 4], color: theme.pad },
    },
    ...diff.edges,
    { selector: 'edge.highlight', style: { 'line-color': theme.focus, 'target-arrow-color': theme.focus, width: 3 } },
  ] as cytoscape.StylesheetJson;
}
