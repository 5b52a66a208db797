/**
 * The export commands: Export to PyTorch, Export to TF.js model.json, Convert to Design and Export Summary.
 * Each takes the model's current analysis from the analysis service, asks where to save (next to the model
 * by default), writes the file and opens it. A model with errors, or an op the format cannot express, is
 * refused with the writer's message, which names the op and its line, and a button that goes there. The
 * writers run in the analysis worker (`writerRequests.ts`), so none of them is loaded into the extension host.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExportFormat } from '../codegen/exportText';
import type { AnalysisService } from './analysisService';
import { commandDocument, revealSource } from './documents';
import type { StudioContext } from './context';

interface Target {
  title: string;
  format: ExportFormat;
  /** The default file name next to the model. */
  fileName: (base: string, source: string) => string;
  filters: Record<string, string[]>;
}

const stem = (file: string) => path.basename(file).replace(/\.resnet\.json$|\.model\.json$|\.json$|\.py$/, '');

const TARGETS: Record<'pytorch' | 'tfjs' | 'design' | 'markdown' | 'csv', Target> = {
  pytorch: { title: 'Export to PyTorch', format: 'pytorch', fileName: (b, s) => (s.endsWith('.py') ? `${b}_generated.py` : `${b.replace(/[^A-Za-z0-9_]/g, '_')}.py`), filters: { Python: ['py'] } },
  tfjs: { title: 'Export to TF.js model.json', format: 'tfjs', fileName: (b) => `${b}.model.json`, filters: { 'TF.js layers model': ['json'] } },
  design: { title: 'Convert to Design', format: 'design', fileName: (b, s) => (s.endsWith('.resnet.json') ? `${b}.converted.resnet.json` : `${b}.resnet.json`), filters: { 'ResNet Studio design': ['resnet.json', 'json'] } },
  markdown: { title: 'Export Summary', format: 'markdown', fileName: (b) => `${b}.summary.md`, filters: { Markdown: ['md'] } },
  csv: { title: 'Export Summary', format: 'csv', fileName: (b) => `${b}.summary.csv`, filters: { CSV: ['csv'] } },
};

async function exportAs(ctx: StudioContext, service: AnalysisService, uri: unknown, which: keyof typeof TARGETS): Promise<void> {
  const doc = await commandDocument(service, uri);
  if (!doc) return;
  const r = await service.analyze(doc);
  const t = TARGETS[which];
  const g = r?.analysis.graph;
  if (!r || !g) {
    void vscode.window.showWarningMessage(`${t.title}: ResNet Studio could not build a model from ${path.basename(doc.fileName)}.`);
    return;
  }
  const firstError = r.analysis.diagnostics.find((d) => d.severity === 'error');
  if (firstError) {
    void vscode.window.showErrorMessage(`${t.title}: the model has errors; fix them first (line ${firstError.line}: ${firstError.message}).`);
    return;
  }
  const written = await service.writer().exportText(g, t.format, doc.fileName);
  if ('refused' in written) {
    const { message, source } = written.refused;
    const lines = message.split('\n');
    const more = lines.length > 1 ? ` (and ${lines.length - 1} more)` : '';
    const go = source ? 'Go to Line' : undefined;
    const picked = await vscode.window.showErrorMessage(`${t.title}: ${lines[0]}${more}`, ...(go ? [go] : []));
    if (picked && source) await revealSource(source);
    return;
  }
  const { text } = written;
  const dir = vscode.Uri.file(path.dirname(doc.fileName));
  const target = await vscode.window.showSaveDialog({
    title: t.title,
    saveLabel: t.title.replace(/^Export to |^Export /, 'Save '),
    defaultUri: vscode.Uri.joinPath(dir, t.fileName(stem(doc.fileName) || 'model', doc.fileName)),
    filters: t.filters,
  });
  if (!target) return;
  await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
  ctx.logger.debug(`${t.title}: wrote ${target.fsPath}`);
  await vscode.window.showTextDocument(target);
}

export function registerExportCommands(ctx: StudioContext, service: AnalysisService): vscode.Disposable[] {
  const guarded = ctx.guarded.bind(ctx);
  return [
    vscode.commands.registerCommand('resnetStudio.exportPyTorch', guarded('Export to PyTorch failed', (uri?: unknown) => exportAs(ctx, service, uri, 'pytorch'))),
    vscode.commands.registerCommand('resnetStudio.exportTfjs', guarded('Export to TF.js failed', (uri?: unknown) => exportAs(ctx, service, uri, 'tfjs'))),
    vscode.commands.registerCommand('resnetStudio.exportDesign', guarded('Convert to Design failed', (uri?: unknown) => exportAs(ctx, service, uri, 'design'))),
    vscode.commands.registerCommand(
      'resnetStudio.exportSummary',
      guarded('Export Summary failed', async (uri?: unknown) => {
        const picked = await vscode.window.showQuickPick(
          [
            { label: 'Markdown', description: 'a table for a README or paper', which: 'markdown' as const },
            { label: 'CSV', description: 'one row per layer, for a spreadsheet', which: 'csv' as const },
          ],
          { title: 'Export Summary: format' },
        );
        if (picked) await exportAs(ctx, service, uri, picked.which);
      }),
    ),
  ];
}
