/**
 * The command palette: model choice, summary table, templates, exports, source reveal. Training commands
 * are registered by `training/index.ts`, the graph commands by `graphView.ts`.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SourceRange } from '../core/ir';
import { formatTable } from '../core/report';
import type { ModelChoice } from './analysisOptions';
import type { AnalysisService, AnalyzedDocument } from './analysisService';
import type { StudioContext } from './context';
import { commandDocument, revealSource } from './documents';
import { registerExportCommands } from './exportCommands';
import { lensTitle } from './hoverText';
import { modelCandidates } from './languageFeatures';
import { parseShapeText } from './settings';


function shapeOf(r: AnalyzedDocument | undefined): number[] | undefined {
  const s = r?.analysis.graph?.input;
  return s && s.every((d): d is number => typeof d === 'number') ? s : undefined;
}

async function analyzeModel(ctx: StudioContext, service: AnalysisService, uri: unknown): Promise<void> {
  const doc = await commandDocument(service, uri);
  if (!doc) return;
  const current = await service.analyze(doc);
  if (!current) {
    void vscode.window.showWarningMessage(`ResNet Studio cannot read ${path.basename(doc.fileName)} as a model.`);
    return;
  }
  const choice: ModelChoice = { ...ctx.choiceFor(doc.uri) };
  const candidates = modelCandidates(current).filter((c) => c.kind !== 'design');
  if (candidates.length > 1) {
    const active = current.options.model ?? current.analysis.graph?.name;
    const picked = await vscode.window.showQuickPick(
      candidates.map((c) => ({
        label: c.name,
        description: `${c.kind}${c.name === active ? ' · current' : ''}`,
        detail: `line ${c.source.line}`,
      })),
      { title: 'Analyze Model (1/3): which model?', placeHolder: 'A module class or factory function defined in this file' },
    );
    if (!picked) return;
    if (picked.label !== choice.model) {
      delete choice.args;
      delete choice.input;
    }
    choice.model = picked.label;
  }
  const shown = choice.input ?? shapeOf(current) ?? ctx.settings().analysis.defaultInputShape;
  const input = await vscode.window.showInputBox({
    title: 'Analyze Model (2/3): input shape',
    prompt: 'Input tensor shape, batch first (N, C, H, W). Leave empty to use the file’s own shape or the default setting.',
    value: shown.join(', '),
    validateInput: (v) => (v.trim() === '' ? undefined : (() => {
      const s = parseShapeText(v);
      return typeof s === 'string' ? s : undefined;
    })()),
  });
  if (input === undefined) return;
  const shape = input.trim() === '' ? undefined : parseShapeText(input);
  if (Array.isArray(shape)) choice.input = shape;
  else delete choice.input;
  if (doc.fileName.endsWith('.py')) {
    const args = await vscode.window.showInputBox({
      title: 'Analyze Model (3/3): constructor arguments',
      prompt: 'Python arguments for the class or factory, e.g. `num_classes=10` or `64, 64, stride=2`. Leave empty for none.',
      value: choice.args ?? '',
    });
    if (args === undefined) return;
    if (args.trim()) choice.args = args.trim();
    else delete choice.args;
  }
  await ctx.setChoice(doc.uri, choice);
  const r = await service.analyze(doc);
  if (r) {
    const name = r.analysis.graph?.name ?? choice.model ?? path.basename(doc.fileName);
    void vscode.window.showInformationMessage(`ResNet Studio: ${lensTitle(name, r.analysis.graph, r.analysis.diagnostics)}`);
  }
}

async function showSummary(ctx: StudioContext, service: AnalysisService, channel: () => vscode.OutputChannel, uri: unknown, model: unknown): Promise<void> {
  const doc = await commandDocument(service, uri);
  if (!doc) return;
  const r = await service.analyze(doc, typeof model === 'string' && model ? model : undefined);
  if (!r) {
    void vscode.window.showWarningMessage(`ResNet Studio cannot read ${path.basename(doc.fileName)} as a model.`);
    return;
  }
  const out = channel();
  out.clear();
  out.appendLine(formatTable(r.analysis));
  out.show(true);
  ctx.logger.debug(`summary shown for ${r.file}`);
}

async function newFromTemplate(service: AnalysisService): Promise<void> {
  // The templates and the design writer run in the analysis worker, out of the extension's bundle.
  const templates = await service.writer().templates();
  const picked = await vscode.window.showQuickPick(
    templates.map((t) => ({ label: t.label, description: t.id, template: t })),
    { title: 'New ResNet from Template', placeHolder: 'Pick a network to start from' },
  );
  if (!picked) return;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const defaultUri = folder ? vscode.Uri.joinPath(folder, `${picked.template.id}.resnet.json`) : undefined;
  const target = await vscode.window.showSaveDialog({
    title: 'Save the new design',
    saveLabel: 'Create Design',
    filters: { 'ResNet Studio design': ['resnet.json', 'json'] },
    ...(defaultUri ? { defaultUri } : {}),
  });
  if (!target) return;
  const uri = target.path.endsWith('.resnet.json') ? target : target.with({ path: target.path.replace(/(\.json)?$/, '.resnet.json') });
  // The same text as `resnet-studio new`: no `$schema` (it would point into this repository); the
  // `jsonValidation` contribution supplies the schema wherever the file is saved.
  await vscode.workspace.fs.writeFile(uri, Buffer.from(await service.writer().newDesignText(picked.template.id), 'utf8'));
  await vscode.window.showTextDocument(uri);
}


export function registerCommands(ctx: StudioContext, service: AnalysisService): void {
  let summary: vscode.OutputChannel | undefined;
  const channel = (): vscode.OutputChannel => {
    if (!summary) {
      summary = vscode.window.createOutputChannel('ResNet Studio: Summary');
      ctx.subscriptions.push(summary);
    }
    return summary;
  };
  const guarded = ctx.guarded.bind(ctx);
  ctx.subscriptions.push(
    vscode.commands.registerCommand('resnetStudio.analyzeModel', guarded('Analyze Model failed', (uri?: unknown) => analyzeModel(ctx, service, uri))),
    vscode.commands.registerCommand(
      'resnetStudio.showSummary',
      guarded('Show Summary failed', (uri?: unknown, model?: unknown) => showSummary(ctx, service, channel, uri, model)),
    ),
    vscode.commands.registerCommand('resnetStudio.newFromTemplate', guarded('New ResNet from Template failed', () => newFromTemplate(service))),
    ...registerExportCommands(ctx, service),
    vscode.commands.registerCommand('resnetStudio.revealSource', guarded('Reveal source failed', (range: SourceRange) => revealSource(range))),
    vscode.commands.registerCommand('resnetStudio.resetModelChoice', guarded('Reset failed', async (uri?: unknown) => {
      // From a graph panel's title bar the argument is the panel's own URI: the model file is the editor beside it.
      const doc = await commandDocument(service, uri instanceof vscode.Uri && uri.scheme === 'webview-panel' ? undefined : uri);
      if (!doc) return;
      const before = ctx.choiceFor(doc.uri);
      await ctx.setChoice(doc.uri, undefined);
      // Say what changed: a reset that looks like nothing happened gets clicked again.
      const r = await service.analyze(doc);
      const now = r?.analysis.graph?.name ?? 'its default model';
      const forgot = before?.model ? `the choice of ${before.model}${before.input ? ` at ${before.input.join('×')}` : ''}` : before ? 'the chosen input and arguments' : 'no choice (none was made)';
      void vscode.window.showInformationMessage(`ResNet Studio: forgot ${forgot} for ${path.basename(doc.fileName)}; it shows ${now} again.`);
    })),
  );
}

