/**
 * The "Models" tree in the ResNet Studio side bar: every model of the workspace, grouped by file, with its
 * costs and errors; clicking one opens its graph. The index is built in the analysis worker, one file per
 * request, in the background under a progress bar, the first time the view is shown; afterwards it follows
 * file changes on disk (a file system watcher) and unsaved edits of open documents, one file at a time.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isSkippedPath } from '../core/workspaceFiles';
import type { FrontEndOptions } from '../frontends/options';
import type { FileIndex } from '../frontends/workspaceIndex';
import type { AnalysisService } from './analysisService';
import type { StudioContext } from './context';
import { importOptions } from './importOptions';
import { type ModelsNode, buildModelsTree } from './modelsTree';

export const MODELS_VIEW_ID = 'resnetStudio.models';
/** Keeps each index request well inside the worker's per-request timeout; the rest of a file is analysed on open. */
const FILE_TIME_LIMIT_MS = 4_000;
/** Unsaved edits are re-indexed after typing pauses this long (the editor's own analysis runs sooner). */
const EDIT_DEBOUNCE_MS = 800;
/** The tree is redrawn at most this often while a full index streams in. */
const REDRAW_MS = 300;

/** `files.exclude` globs that are on, for one folder (a glob may be `true` or a `when` clause we cannot evaluate). */
function excludeGlobs(folder: vscode.WorkspaceFolder): string[] {
  const cfg = vscode.workspace.getConfiguration('files', folder.uri).get<Record<string, unknown>>('exclude') ?? {};
  return Object.entries(cfg).filter(([, on]) => on === true).map(([glob]) => glob);
}

/** The index of the workspace's model files, kept up to date. */
class WorkspaceModels implements vscode.Disposable {
  private readonly files = new Map<string, FileIndex>();
  private readonly queue = new Set<string>();
  private draining = false;
  /** Bumped by each full re-index; a stale run stops at its next file. */
  private generation = 0;
  private started = false;
  private redrawTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly editTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly emitter = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [];
  readonly onDidChange = this.emitter.event;
  /** What the view says while there is nothing to list (indexing, no folder, no model). */
  status = '';

  constructor(
    private readonly ctx: StudioContext,
    private readonly service: AnalysisService,
  ) {}

  /** The indexed files, sorted by path. */
  get indexed(): FileIndex[] {
    return [...this.files.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  }

  /** Indexes again from scratch (the view's refresh button); the first call also starts following changes. */
  refresh(): void {
    if (this.started) void this.reindex();
    else this.start();
  }

  /** Starts indexing and following changes; later calls do nothing. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.{py,json}');
    // Deleting a folder reports only the folder: a second watcher catches that and drops what was under it.
    const deletions = vscode.workspace.createFileSystemWatcher('**/*', true, true, false);
    this.disposables.push(
      watcher,
      deletions,
      watcher.onDidCreate((u) => this.changed(u)),
      watcher.onDidChange((u) => this.changed(u)),
      deletions.onDidDelete((u) => this.deleted(u)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length) this.edited(e.document);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        // Unsaved edits were indexed; once the editor closes, the file on disk is what the workspace holds.
        if (d.uri.scheme === 'file' && this.files.has(d.uri.fsPath)) this.enqueue(d.uri.fsPath);
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.reindex()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        const keys = ['files.exclude', 'python.analysis.extraPaths', 'resnetStudio.analysis', 'resnetStudio.training.pythonPath'];
        if (keys.some((k) => e.affectsConfiguration(k))) void this.reindex();
      }),
    );
    void this.reindex();
  }

  /** The editor's import search roots and interpreter (`importOptions.ts`), so the view counts as the editor does. */
  private options(): FrontEndOptions {
    const s = this.ctx.settings();
    return { defaultInput: [...s.analysis.defaultInputShape], ...importOptions(s) };
  }

  /** Whether a file belongs in the index: inside a workspace folder and not skipped there. */
  private belongs(file: string): boolean {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
    return !!folder && !isSkippedPath(folder.uri.fsPath, file, excludeGlobs(folder));
  }

  /** Indexes every folder from scratch, in the background, with the view's progress bar. */
  async reindex(): Promise<void> {
    const generation = ++this.generation;
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    if (!folders.length) {
      this.files.clear();
      this.status = 'Open a folder to list the models in it.';
      this.redraw(true);
      return;
    }
    const t0 = Date.now();
    await vscode.window.withProgress({ location: { viewId: MODELS_VIEW_ID }, title: 'Indexing models' }, async () => {
      try {
        const runner = this.service.indexer();
        const found: string[] = [];
        for (const f of folders) found.push(...(await runner.discover([f.uri.fsPath], excludeGlobs(f))).files);
        if (generation !== this.generation) return;
        const options = this.options();
        const seen = new Set<string>();
        for (let i = 0; i < found.length; i++) {
          if (generation !== this.generation) return;
          const file = found[i]!;
          seen.add(file);
          this.status = `Indexing models… ${i + 1}/${found.length} files`;
          await this.indexOne(file, options, generation);
        }
        for (const f of [...this.files.keys()]) if (!seen.has(f)) this.files.delete(f);
        this.status = this.files.size ? '' : 'No models in this workspace: no nn.Module classes or factories, *.resnet.json designs or Keras model.json files.';
        this.ctx.logger.info(`indexed ${found.length} files (${this.files.size} with models) in ${Date.now() - t0} ms`);
      } catch (err) {
        this.status = `Indexing failed: ${err instanceof Error ? err.message : String(err)}`;
        this.ctx.logger.error(`indexing the workspace failed: ${err instanceof Error ? err.stack : String(err)}`);
      } finally {
        this.redraw(true);
      }
    });
  }

  /** One file, with an open document's text when it has unsaved edits. */
  private async indexOne(file: string, options: FrontEndOptions, generation?: number): Promise<void> {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
    let idx: FileIndex | null;
    try {
      idx = await this.service.indexer().index(file, doc?.isDirty ? doc.getText() : null, options, FILE_TIME_LIMIT_MS);
    } catch (err) {
      // One file the worker could not index (a runaway analysis) must not stop the rest.
      this.ctx.logger.warn(`could not index ${file}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (generation !== undefined && generation !== this.generation) return;
    if (idx && idx.models.length) this.files.set(file, idx);
    else this.files.delete(file);
    this.redraw();
  }

  private changed(uri: vscode.Uri): void {
    if (uri.scheme !== 'file') return;
    // A module that models import changes their numbers, wherever it lives.
    this.enqueueDependents(uri.fsPath);
    if (!this.belongs(uri.fsPath)) return;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (doc?.isDirty) return;
    this.enqueue(uri.fsPath);
  }

  private enqueueDependents(file: string): void {
    const prefix = file + path.sep;
    for (const idx of this.files.values()) {
      if (idx.file !== file && idx.dependencies.some((d) => d === file || d.startsWith(prefix))) this.enqueue(idx.file);
    }
  }

  private deleted(uri: vscode.Uri): void {
    const prefix = uri.fsPath + path.sep;
    let any = false;
    for (const f of [...this.files.keys()]) {
      if (f === uri.fsPath || f.startsWith(prefix)) {
        this.files.delete(f);
        any = true;
      }
    }
    if (any) this.redraw(true);
    this.enqueueDependents(uri.fsPath);
  }

  private edited(doc: vscode.TextDocument): void {
    if (doc.uri.scheme !== 'file' || !/\.(py|json)$/.test(doc.uri.fsPath)) return;
    const file = doc.uri.fsPath;
    clearTimeout(this.editTimers.get(file));
    this.editTimers.set(
      file,
      setTimeout(() => {
        this.editTimers.delete(file);
        // Files importing this one read it from disk: they follow when it is saved (the watcher).
        if (!doc.isClosed && this.belongs(file)) this.enqueue(file);
      }, EDIT_DEBOUNCE_MS),
    );
  }

  /** Queues one file; the queue is worked one request at a time so the editor's analyses are never far behind. */
  private enqueue(file: string): void {
    this.queue.add(file);
    if (this.draining) return;
    this.draining = true;
    void (async () => {
      try {
        while (this.queue.size) {
          const [next] = this.queue;
          this.queue.delete(next!);
          await this.indexOne(next!, this.options());
        }
      } finally {
        this.draining = false;
      }
    })();
  }

  /** Redraws soon (coalescing a stream of results), or now. */
  private redraw(now = false): void {
    if (now) {
      clearTimeout(this.redrawTimer);
      this.redrawTimer = undefined;
      this.emitter.fire();
      return;
    }
    this.redrawTimer ??= setTimeout(() => {
      this.redrawTimer = undefined;
      this.emitter.fire();
    }, REDRAW_MS);
  }

  dispose(): void {
    this.generation++;
    clearTimeout(this.redrawTimer);
    for (const t of this.editTimers.values()) clearTimeout(t);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.emitter.dispose();
  }
}

class ModelsProvider implements vscode.TreeDataProvider<ModelsNode> {
  private roots: ModelsNode[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  update(roots: ModelsNode[]): void {
    this.roots = roots;
    this.changed.fire();
  }

  get count(): number {
    return this.roots.length;
  }

  getChildren(element?: ModelsNode): ModelsNode[] {
    return element ? element.children : this.roots;
  }

  getTreeItem(n: ModelsNode): vscode.TreeItem {
    const state = n.children.length
      ? n.kind === 'file' && this.roots.length <= 20
        ? vscode.TreeItemCollapsibleState.Expanded
        : vscode.TreeItemCollapsibleState.Collapsed
      : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(n.label, state);
    item.id = n.id;
    item.description = n.description;
    item.tooltip = n.tooltip;
    item.contextValue = n.kind;
    const uri = vscode.Uri.file(n.file);
    if (n.kind === 'file') {
      item.resourceUri = uri;
      item.iconPath = vscode.ThemeIcon.File;
    } else {
      item.iconPath = n.errors
        ? new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'))
        : new vscode.ThemeIcon(n.modelKind === 'factory' ? 'symbol-function' : n.modelKind === 'design' ? 'type-hierarchy' : n.modelKind ? 'symbol-class' : 'symbol-module');
      if (n.modelKind) item.command = { command: 'resnetStudio.showGraph', title: 'Show Graph', arguments: [uri, n.model] };
    }
    return item;
  }
}

export function registerModelsView(ctx: StudioContext, service: AnalysisService): void {
  const models = new WorkspaceModels(ctx, service);
  const provider = new ModelsProvider();
  const view = vscode.window.createTreeView(MODELS_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  const refresh = (): void => {
    const files = models.indexed;
    provider.update(buildModelsTree(files, (f) => vscode.workspace.asRelativePath(f, (vscode.workspace.workspaceFolders?.length ?? 0) > 1).split(path.sep).join('/')));
    const count = files.reduce((n, f) => n + f.models.length, 0);
    const errors = files.reduce((n, f) => n + f.diagnostics.filter((d) => d.severity === 'error').length, 0);
    view.description = files.length ? `${count} model${count === 1 ? '' : 's'}${errors ? `, ${errors} error${errors === 1 ? '' : 's'}` : ''}` : '';
    view.message = models.status || undefined;
  };
  ctx.subscriptions.push(
    models,
    view,
    models.onDidChange(refresh),
    view.onDidChangeVisibility((e) => {
      // Indexing is the view's work: nothing is read until it is first shown.
      if (e.visible) models.start();
    }),
    vscode.commands.registerCommand('resnetStudio.refreshModels', () => models.refresh()),
  );
  if (view.visible) models.start();
}
