/**
 * The input shape a model is analysed with, visible and changeable in one click: a status bar item for the
 * active model file (marked when the size is the front end's guess) and the command behind it and behind the
 * CodeLens `@ 3×32²`, which asks for a new shape and remembers it as the file's choice.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isModelAnalysis } from './analysisOptions';
import type { AnalysisService } from './analysisService';
import type { StudioContext } from './context';
import { inputText } from './hoverText';
import { parseShapeText } from './settings';

export const CHANGE_INPUT_COMMAND = 'resnetStudio.changeInputShape';

async function documentFor(uri: unknown): Promise<vscode.TextDocument | undefined> {
  if (uri instanceof vscode.Uri) return vscode.workspace.openTextDocument(uri);
  return vscode.window.activeTextEditor?.document;
}

async function changeInputShape(ctx: StudioContext, service: AnalysisService, uri: unknown, model: unknown): Promise<void> {
  const doc = await documentFor(uri);
  if (!doc || !service.isCandidate(doc)) return;
  const name = typeof model === 'string' && model ? model : undefined;
  const r = await service.analyze(doc, name);
  const g = r?.analysis.graph;
  const current = g?.input?.every((d): d is number => typeof d === 'number') ? g.input! as number[] : ctx.settings().analysis.defaultInputShape;
  const guess = g?.inputGuess ? ` It is a guess: ${g.inputGuess}.` : '';
  const value = await vscode.window.showInputBox({
    title: `Input shape of ${g?.name ?? name ?? path.basename(doc.fileName)}`,
    prompt: `Batch first (N, C, H, W).${guess} Leave empty to go back to the file's own shape or the default setting.`,
    value: current.join(', '),
    validateInput: (v) => {
      if (v.trim() === '') return undefined;
      const s = parseShapeText(v);
      return typeof s === 'string' ? s : undefined;
    },
  });
  if (value === undefined) return;
  const shape = value.trim() === '' ? undefined : parseShapeText(value);
  const choice = { ...ctx.choiceFor(doc.uri) };
  // A CodeLens of another model of the file makes that model the file's choice, with this input.
  if (name && name !== choice.model) {
    delete choice.args;
    choice.model = name;
  }
  if (Array.isArray(shape)) choice.input = shape;
  else delete choice.input;
  await ctx.setChoice(doc.uri, choice);
}

export function registerInputShape(ctx: StudioContext, service: AnalysisService): void {
  const item = vscode.window.createStatusBarItem('resnetStudio.inputShape', vscode.StatusBarAlignment.Right, 100);
  item.name = 'ResNet Studio: input shape';
  item.command = { title: 'Change the input shape', command: CHANGE_INPUT_COMMAND, arguments: [] };
  const refresh = (): void => {
    const doc = vscode.window.activeTextEditor?.document;
    const r = doc ? service.peek(doc) : undefined;
    const g = r?.analysis.graph;
    const text = g && isModelAnalysis(r.file, r.analysis) ? inputText(g.input) : null;
    if (!text || !r) {
      item.hide();
      return;
    }
    item.text = `$(symbol-ruler) ${text}${g!.inputGuess ? ' (guess)' : ''}`;
    item.tooltip = new vscode.MarkdownString(
      `**${g!.name}** is analysed with input \`(${(g!.input ?? []).join(', ')})\`${g!.inputGuess ? `, a guess: ${g!.inputGuess}` : ''}.\n\nClick to change it.`,
    );
    item.command = { title: 'Change the input shape', command: CHANGE_INPUT_COMMAND, arguments: [r.uri] };
    item.show();
  };
  ctx.subscriptions.push(
    item,
    vscode.commands.registerCommand('resnetStudio.changeInputShape', (uri?: unknown, model?: unknown) => changeInputShape(ctx, service, uri, model)),
    vscode.window.onDidChangeActiveTextEditor(refresh),
    service.onDidAnalyze((r) => {
      if (r.uri.toString() === vscode.window.activeTextEditor?.document.uri.toString()) refresh();
    }),
    service.onDidClear(refresh),
  );
  refresh();
}
