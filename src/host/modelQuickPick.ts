/**
 * The quick pick that asks which model of a file to use, when the file holds several: Show Graph and Train
 * both ask it, with the same rows (`modelPick.ts`), so a file's model is picked the same way wherever it is
 * asked for, and remembered for the file by the caller.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AnalysisService } from './analysisService';
import { modelPickRows } from './modelPick';

/** How long the model quick pick may spend analysing a file's models before it lists the rest unanalysed. */
const PICK_TIME_LIMIT_MS = 5_000;

/**
 * Asks which model of the file to use, each with its params, MACs and output shape; `purpose` (the command)
 * heads the title. Undefined when the file holds at most one model (nothing to ask), null when the user cancelled.
 */
export async function pickModelOf(
  service: Pick<AnalysisService, 'indexDocument' | 'peek'>,
  doc: vscode.TextDocument,
  purpose: string,
): Promise<string | undefined | null> {
  const base = path.basename(doc.fileName);
  const ix = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Analysing the models of ${base}` }, () =>
    service.indexDocument(doc, PICK_TIME_LIMIT_MS),
  );
  const index = ix?.index;
  if (!index || index.models.length < 2) return undefined;
  const current = service.peek(doc)?.analysis.graph?.name;
  const picked = await vscode.window.showQuickPick(modelPickRows(index, current), {
    title: `${purpose}: which model of ${base}?`,
    placeHolder: 'Remembered for this file; "Reset Model Choice" in the graph’s title bar forgets it',
    matchOnDescription: true,
  });
  return picked ? picked.model : null;
}
