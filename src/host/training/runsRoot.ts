/**
 * Where this window's training runs live: the `runsDirectory` setting, relative to the first workspace folder;
 * the extension's storage without one. Its own module so the activation-time check ("is there any run to
 * follow?") asks it without loading the training code.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_RUNS_DIR } from '../../training/runsDir';
import type { StudioContext } from '../context';

export function runsRootOf(ctx: StudioContext): string {
  const setting = ctx.settings().training.runsDirectory || DEFAULT_RUNS_DIR;
  if (path.isAbsolute(setting)) return setting;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return folder ? path.join(folder, setting) : path.join(ctx.extension.globalStorageUri.fsPath, 'runs');
}
