/**
 * Which document a command acts on, and opening a source range: shared by the command modules and the graph
 * panels, so none of them has to import another's registration code.
 */
import * as vscode from 'vscode';
import type { SourceRange } from '../core/ir';
import type { AnalysisService } from './analysisService';
import { isDesignFileName } from './designerEditPlan';
import { toRange } from './languageFeatures';
import { toZeroBased } from './ranges';

/**
 * The document a command acts on: the one it was given, else the active editor's model file (a text editor, or
 * the Designer's design), else a visible text editor's.
 */
export async function commandDocument(service: AnalysisService, uri: unknown): Promise<vscode.TextDocument | undefined> {
  if (uri instanceof vscode.Uri) return vscode.workspace.openTextDocument(uri);
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (!vscode.window.activeTextEditor && tab instanceof vscode.TabInputCustom && isDesignFileName(tab.uri.path)) {
    return vscode.workspace.openTextDocument(tab.uri);
  }
  const editors = [vscode.window.activeTextEditor, ...vscode.window.visibleTextEditors].filter((e): e is vscode.TextEditor => !!e);
  const doc = editors.map((e) => e.document).find((d) => service.isCandidate(d));
  if (!doc) {
    void vscode.window.showInformationMessage(
      'ResNet Studio: open a model file first (a PyTorch .py file, a *.resnet.json design or a Keras model.json).',
    );
  }
  return doc;
}

/**
 * Opens a source range in an editor, reusing the column that already shows the file. `beside` keeps the focus
 * where it is and opens a new column beside it: the designer's taps show the source without covering it.
 */
export async function revealSource(range: SourceRange, where: 'first' | 'beside' = 'first'): Promise<void> {
  const uri = vscode.Uri.file(range.file);
  const open = vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === uri.fsPath);
  const sel = toRange(toZeroBased(range));
  const editor = await vscode.window.showTextDocument(uri, {
    viewColumn: open?.viewColumn ?? (where === 'beside' ? vscode.ViewColumn.Beside : vscode.ViewColumn.One),
    selection: new vscode.Selection(sel.start, sel.start),
    preserveFocus: where === 'beside',
  });
  editor.revealRange(sel, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
