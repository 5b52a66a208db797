/**
 * The torchinfo-style summary (the same rows and totals as the CLI's table, from `report.ts`) as Markdown or
 * CSV, for papers and READMEs: one row per group and layer in execution order, indented by depth in Markdown,
 * with the module path in full in CSV so a spreadsheet can sort and filter it.
 */
import { formatShape } from '../core/dims';
import type { IrGraph } from '../core/ir';
import { fmtInt, shortcutCounts, summaryRows } from '../core/report';

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** A Markdown table with a totals line under it. */
export function summaryMarkdown(g: IrGraph): string {
  const lines = [`### ${cell(g.name)}`, '', '| Layer (type) | Output shape | Params | MACs |', '|---|---|--:|--:|'];
  for (const r of summaryRows(g)) {
    const indent = '&nbsp;&nbsp;'.repeat(r.depth);
    lines.push(`| ${indent}${cell(r.name)} (${cell(r.type)}) | ${cell(r.output)} | ${r.shared ? '(shared)' : fmtInt(r.params)} | ${fmtInt(r.macs)} |`);
  }
  lines.push('', `Input ${formatShape(g.input)}, output ${formatShape(g.output)}. Total params: ${fmtInt(g.params)}. Total MACs: ${fmtInt(g.macs)}.`);
  if (g.skips.length) lines.push('', `Residual shortcuts: ${g.skips.length} (${shortcutCounts(g.skips)}).`);
  return `${lines.join('\n')}\n`;
}

/** `[1, 64, 112, 112]` as `1x64x112x112`: one field without quoting. */
const csvShape = (s: string) => s.replace(/^\[|\]$/g, '').split(', ').join('x');

const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** CSV with a header row; numbers unformatted, a shared layer's parameters as 0 (counted where first used). */
export function summaryCsv(g: IrGraph): string {
  const lines = ['name,type,depth,kind,output_shape,params,macs'];
  for (const r of summaryRows(g)) {
    const kind = g.groups.some((x) => x.name === r.name && x.label === r.type) ? 'group' : 'layer';
    const params = r.shared ? '0' : r.params === null ? '' : String(r.params);
    lines.push([r.name, r.type, String(r.depth), kind, csvShape(r.output), params, r.macs === null ? '' : String(r.macs)].map(csvField).join(','));
  }
  lines.push(['total', g.name, '0', 'model', csvShape(formatShape(g.output)), g.params === null ? '' : String(g.params), g.macs === null ? '' : String(g.macs)].map(csvField).join(','));
  return `${lines.join('\n')}\n`;
}
