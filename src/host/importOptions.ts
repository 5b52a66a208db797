/**
 * Where the editor's PyTorch analyses resolve imports from, read from the settings in one place: the workspace
 * folders (each with its `src/`), Pylance's `python.analysis.extraPaths`, our own `resnetStudio.analysis.extraPaths`,
 * then the installed packages of the training interpreter when one is set.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { searchRootsFor } from '../core/workspaceFiles';
import type { FrontEndOptions } from '../frontends/options';
import type { StudioSettings } from './settings';

export function importOptions(settings: StudioSettings): Pick<FrontEndOptions, 'searchRoots' | 'python'> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  const extra: string[] = [];
  const base = folders[0]?.uri.fsPath ?? process.cwd();
  for (const f of folders) {
    for (const p of vscode.workspace.getConfiguration('python.analysis', f.uri).get<string[]>('extraPaths') ?? []) {
      if (typeof p === 'string' && p) extra.push(path.resolve(f.uri.fsPath, p));
    }
  }
  for (const p of settings.analysis.extraPaths) extra.push(path.resolve(base, p));
  return {
    searchRoots: searchRootsFor(
      folders.map((f) => f.uri.fsPath),
      extra,
    ),
    ...(settings.training.pythonPath ? { python: settings.training.pythonPath } : {}),
  };
}
