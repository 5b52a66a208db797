/**
 * Runs the pure core on open documents, in a worker thread (see `analysisRunner.ts`) started on first use, not
 * at activation. Results are cached by URI, version and options, edits are debounced per document, and a
 * result is announced only if the document has not changed since: nothing downstream sees a stale analysis.
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { Analysis } from '../core/ir';
import type { FrontEndOptions } from '../frontends/options';
import type { FileIndex } from '../frontends/workspaceIndex';
import { AnalysisCache, Debouncer, VersionGate } from './analysisCache';
import { type ModelChoice, isModelFileName, looksLikeKerasText, optionsKey, resolveOptions } from './analysisOptions';
import { type AnalysisRunner, AnalysisTimeoutError, WorkerRunner } from './analysisRunner';
import type { StudioContext } from './context';
import { importOptions } from './importOptions';

/** A document's analysis, tied to the version it was computed from. */
export interface AnalyzedDocument {
  uri: vscode.Uri;
  version: number;
  /** The path the front end saw; IR ranges name this file. */
  file: string;
  options: FrontEndOptions;
  analysis: Analysis;
}

/** Debounce for edits; opening a file analyses at once. */
export const EDIT_DEBOUNCE_MS = 250;
/** Settings that change where a PyTorch file's imports are found. */
const IMPORT_SETTINGS = ['python.analysis.extraPaths', 'resnetStudio.analysis.extraPaths', 'resnetStudio.training.pythonPath'];
/** Analyses slower than this are logged: the budget for a torchvision-size file on each edit. */
const SLOW_MS = 20;
const WORKER_SCRIPT = 'dist/analysisWorker.js';
const SCHEMES = new Set(['file', 'untitled', 'vscode-remote', 'vscode-vfs', 'vscode-test-web']);

export class AnalysisService implements vscode.Disposable {
  private runner: AnalysisRunner | undefined;
  private readonly inFlight = new Map<string, Promise<Analysis | null>>();
  private readonly cache = new AnalysisCache();
  private readonly gate = new VersionGate();
  private readonly debouncer = new Debouncer();
  private readonly emitter = new vscode.EventEmitter<AnalyzedDocument>();
  private readonly clearEmitter = new vscode.EventEmitter<vscode.Uri>();
  /** Fires with each fresh analysis of a document's current version (default model choice). */
  readonly onDidAnalyze = this.emitter.event;
  /** Fires when a document stops being analysed (closed, or no longer a model file). */
  readonly onDidClear = this.clearEmitter.event;
  /** Open documents (by URI) that read each imported file (by path), from their latest analyses, and back. */
  private readonly dependents = new Map<string, Set<string>>();
  private readonly dependencies = new Map<string, string[]>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly ctx: StudioContext) {
    // An imported module edited in the editor or changed on disk changes the analysis of every file importing it.
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.py');
    this.subscriptions.push(
      watcher,
      watcher.onDidChange((u) => this.dependencyChanged(u)),
      watcher.onDidDelete((u) => this.dependencyChanged(u)),
      // A new module may be the one an open file imports without finding it yet.
      watcher.onDidCreate(() => this.reschedulePython()),
      vscode.workspace.onDidChangeTextDocument((e) => this.dependencyChanged(e.document.uri)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (IMPORT_SETTINGS.some((k) => e.affectsConfiguration(k))) this.reschedulePython();
      }),
    );
  }

  private noteDependencies(uri: string, analysis: Analysis): void {
    for (const dep of this.dependencies.get(uri) ?? []) this.dependents.get(dep)?.delete(uri);
    const deps = analysis.dependencies ?? [];
    if (deps.length) this.dependencies.set(uri, deps);
    else this.dependencies.delete(uri);
    for (const dep of deps) {
      let users = this.dependents.get(dep);
      if (!users) this.dependents.set(dep, (users = new Set()));
      users.add(uri);
    }
  }

  private dependencyChanged(changed: vscode.Uri): void {
    if (changed.scheme !== 'file') return;
    const users = this.dependents.get(changed.fsPath);
    if (!users?.size) return;
    for (const uri of users) {
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
      if (!doc || doc.isClosed) continue;
      this.cache.delete(uri);
      this.schedule(doc);
    }
  }

  /** Re-analyses every open Python document: where its imports are found may have changed. */
  private reschedulePython(): void {
    for (const doc of vscode.workspace.textDocuments) {
      if (!doc.fileName.endsWith('.py') || !this.isCandidate(doc)) continue;
      this.cache.delete(doc.uri.toString());
      this.schedule(doc);
    }
  }

  /** Unsaved texts of open Python documents other than `uri`: an import reads them before the disk. */
  private static openTexts(uri: string): [string, string][] {
    return vscode.workspace.textDocuments
      .filter((d) => d.isDirty && d.uri.scheme === 'file' && d.fileName.endsWith('.py') && d.uri.toString() !== uri)
      .map((d) => [d.uri.fsPath, d.getText()]);
  }

  /** The file name the front ends see for a document. */
  static fileOf(doc: vscode.TextDocument): string {
    return doc.uri.scheme === 'file' ? doc.uri.fsPath : doc.fileName;
  }

  /** A cheap check before loading the core: could this document be a model file? */
  isCandidate(doc: vscode.TextDocument): boolean {
    if (!SCHEMES.has(doc.uri.scheme)) return false;
    const file = AnalysisService.fileOf(doc);
    const kind = isModelFileName(file);
    if (kind === 'maybe-keras') return looksLikeKerasText(doc.getText());
    return kind !== null;
  }

  private getRunner(): AnalysisRunner {
    if (!this.runner) {
      // The front ends live only in the worker bundle, so the extension's own bundle stays small and quick to load.
      const script = this.ctx.asAbsolutePath(WORKER_SCRIPT).fsPath;
      if (!existsSync(script)) throw new Error(`${WORKER_SCRIPT} is missing from the extension; rebuild it with npm run build`);
      this.runner = new WorkerRunner(script);
    }
    return this.runner;
  }

  /** The worker's workspace-index requests (the Models view); they share its queue with the editor's analyses. */
  indexer(): Pick<AnalysisRunner, 'discover' | 'index'> {
    return this.getRunner();
  }

  /**
   * The code writers, which run in the worker (exports, the template wizard): they are the largest part of
   * the core after the front ends, and the extension host needs only their text.
   */
  writer(): Pick<AnalysisRunner, 'exportText' | 'templates' | 'newDesignText'> {
    return this.getRunner();
  }

  /** The design edits made in the graph, which run in the worker beside the design front end they read. */
  designer(): Pick<AnalysisRunner, 'designEdit' | 'designContext'> {
    return this.getRunner();
  }

  /** Front-end options for a document: the user's choice, the file, then settings; `model` overrides the choice's model. */
  optionsFor(doc: vscode.TextDocument, model?: string): FrontEndOptions {
    let choice: ModelChoice | undefined = this.ctx.choiceFor(doc.uri);
    if (model !== undefined && choice?.model !== model) choice = { model };
    const settings = this.ctx.settings();
    return { ...resolveOptions(choice, settings.analysis.defaultInputShape), ...importOptions(settings) };
  }

  /** The cached analysis of the document's current version, if there is one; never computes. */
  peek(doc: vscode.TextDocument, model?: string): AnalyzedDocument | undefined {
    const options = this.optionsFor(doc, model);
    const analysis = this.cache.get(doc.uri.toString(), doc.version, optionsKey(options));
    return analysis && { uri: doc.uri, version: doc.version, file: AnalysisService.fileOf(doc), options, analysis };
  }

  /**
   * Analyses the document's current version (cached; concurrent requests share one run). Undefined when it
   * is not a model file the front ends read. `model` analyses another model of the same file (the CodeLens
   * of each class). The result names the version it was computed from, which may be older than the
   * document by the time it resolves.
   */
  async analyze(doc: vscode.TextDocument, model?: string): Promise<AnalyzedDocument | undefined> {
    if (!this.isCandidate(doc)) return undefined;
    const file = AnalysisService.fileOf(doc);
    const version = doc.version;
    const options = this.optionsFor(doc, model);
    const key = optionsKey(options);
    const uri = doc.uri.toString();
    let analysis: Analysis | null | undefined = this.cache.get(uri, version, key);
    if (!analysis) {
      const flightKey = `${uri}@${version}#${key}`;
      let flight = this.inFlight.get(flightKey);
      if (!flight) {
        flight = this.compute(file, doc.getText(), options, version, AnalysisService.openTexts(uri));
        this.inFlight.set(flightKey, flight);
        void flight.finally(() => this.inFlight.delete(flightKey));
      }
      analysis = await flight;
      if (analysis) {
        this.cache.set(uri, version, key, analysis);
        this.noteDependencies(uri, analysis);
      }
    }
    return analysis ? { uri: doc.uri, version, file, options, analysis } : undefined;
  }

  /**
   * Every model of the document's current version (the workspace index of one file), for the diagnostics of
   * the models the file is not analysed as. Undefined when it is not a model file or the worker fails.
   */
  async indexDocument(doc: vscode.TextDocument, fileTimeLimitMs: number): Promise<{ version: number; index: FileIndex | null } | undefined> {
    if (!this.isCandidate(doc)) return undefined;
    const version = doc.version;
    try {
      const index = await this.getRunner().index(AnalysisService.fileOf(doc), doc.getText(), this.optionsFor(doc), fileTimeLimitMs);
      return { version, index };
    } catch (err) {
      this.ctx.logger.error(`indexing the models of ${AnalysisService.fileOf(doc)} failed: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  /**
   * Analyses any text off the extension host's thread, uncached: for features that analyse a file on their
   * own terms (training resolves a model with the options of its run) without loading the front ends into
   * the extension bundle. Null when no front end reads the file.
   */
  async analyzeText(file: string, text: string, options: FrontEndOptions): Promise<Analysis | null> {
    return (await this.getRunner().run(file, text, options)).analysis;
  }

  private async compute(file: string, text: string, options: FrontEndOptions, version: number, openTexts: [string, string][] = []): Promise<Analysis | null> {
    try {
      const { analysis, ms } = await this.getRunner().run(file, text, options, openTexts);
      if (ms > SLOW_MS) this.ctx.logger.info(`analysing ${file} (v${version}) took ${ms.toFixed(1)} ms`);
      return analysis;
    } catch (err) {
      // Front ends report problems as diagnostics; an exception or a runaway analysis is a bug in one,
      // shown as one diagnostic rather than a silent failure.
      const msg = err instanceof Error ? err.message : String(err);
      this.ctx.logger.error(`analysis of ${file} failed: ${err instanceof Error ? err.stack : msg}`);
      const code = err instanceof AnalysisTimeoutError ? 'internal/timeout' : 'internal';
      return {
        file,
        models: [],
        graph: null,
        diagnostics: [{ severity: 'error', file, line: 1, column: 1, endLine: 1, endColumn: 1, code, message: `ResNet Studio could not analyse this file: ${msg}` }],
      };
    }
  }

  /**
   * Analyses the document after `delayMs` (replacing any pending request for it) and announces the result
   * through `onDidAnalyze`, unless the document changed or closed in the meantime.
   */
  schedule(doc: vscode.TextDocument, delayMs = EDIT_DEBOUNCE_MS): void {
    if (!this.isCandidate(doc)) return;
    const uri = doc.uri.toString();
    this.debouncer.schedule(uri, delayMs, () => {
      if (doc.isClosed) return;
      const version = doc.version;
      this.gate.request(uri, version);
      this.analyze(doc).then(
        (r) => {
          if (doc.isClosed || doc.version !== version || !this.gate.isCurrent(uri, version)) return;
          if (r) this.emitter.fire(r);
          else this.clearEmitter.fire(doc.uri);
        },
        (err: unknown) => this.ctx.reportError('analysis failed', err),
      );
    });
  }

  /** Re-analyses every open model document (after a settings or choice change). */
  rescheduleAll(delayMs = 0): void {
    this.cache.clear();
    for (const doc of vscode.workspace.textDocuments) this.schedule(doc, delayMs);
  }

  forget(doc: vscode.TextDocument): void {
    const uri = doc.uri.toString();
    this.debouncer.cancel(uri);
    this.gate.forget(uri);
    this.cache.delete(uri);
    this.clearEmitter.fire(doc.uri);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.runner?.dispose();
    this.debouncer.dispose();
    this.emitter.dispose();
    this.clearEmitter.dispose();
  }
}
