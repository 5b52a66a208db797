/**
 * Runs the pure core on open documents. The core is imported on first use (not at activation), results are
 * cached by URI, version and options, edits are debounced per document, and a result is announced only if
 * the document has not changed since: nothing downstream ever sees a stale analysis.
 */
import * as vscode from 'vscode';
import type { Analysis } from '../core/ir';
import type { FrontEndOptions } from '../frontends/resnetJson';
import { AnalysisCache, Debouncer, VersionGate } from './analysisCache';
import { type ModelChoice, isModelFileName, looksLikeKerasText, optionsKey, resolveOptions } from './analysisOptions';
import type { StudioContext } from './context';

type Core = typeof import('../frontends/index');

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
/** Analyses slower than this are logged: the budget for a torchvision-size file on each edit. */
const SLOW_MS = 20;
const SCHEMES = new Set(['file', 'untitled', 'vscode-remote', 'vscode-vfs', 'vscode-test-web']);

export class AnalysisService implements vscode.Disposable {
  private core: Core | undefined;
  private coreLoading: Promise<Core> | undefined;
  private readonly cache = new AnalysisCache();
  private readonly gate = new VersionGate();
  private readonly debouncer = new Debouncer();
  private readonly emitter = new vscode.EventEmitter<AnalyzedDocument>();
  private readonly clearEmitter = new vscode.EventEmitter<vscode.Uri>();
  /** Fires with each fresh analysis of a document's current version (default model choice). */
  readonly onDidAnalyze = this.emitter.event;
  /** Fires when a document stops being analysed (closed, or no longer a model file). */
  readonly onDidClear = this.clearEmitter.event;

  constructor(private readonly ctx: StudioContext) {}

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
    if (kind === 'python') return !this.core || this.core.formatFor(file, '') !== undefined;
    return kind !== null;
  }

  private loadCore(): Promise<Core> {
    this.coreLoading ??= import('../frontends/index').then((m) => (this.core = m));
    return this.coreLoading;
  }

  /** Front-end options for a document: the user's choice, the file, then settings; `model` overrides the choice's model. */
  optionsFor(doc: vscode.TextDocument, model?: string): FrontEndOptions {
    let choice: ModelChoice | undefined = this.ctx.choiceFor(doc.uri);
    if (model !== undefined && choice?.model !== model) choice = { model };
    return resolveOptions(AnalysisService.fileOf(doc), doc.getText(), choice, this.ctx.settings().analysis.defaultInputShape);
  }

  /** The cached analysis of the document's current version, if there is one; never computes. */
  peek(doc: vscode.TextDocument, model?: string): AnalyzedDocument | undefined {
    const options = this.optionsFor(doc, model);
    const analysis = this.cache.get(doc.uri.toString(), doc.version, optionsKey(options));
    return analysis && { uri: doc.uri, version: doc.version, file: AnalysisService.fileOf(doc), options, analysis };
  }

  /**
   * Analyses the document's current version (cached). Undefined when it is not a model file the front ends
   * read. `model` analyses another model of the same file (CodeLens of each class).
   */
  async analyze(doc: vscode.TextDocument, model?: string): Promise<AnalyzedDocument | undefined> {
    if (!this.isCandidate(doc)) return undefined;
    const core = this.core ?? (await this.loadCore());
    return this.analyzeNow(core, doc, model);
  }

  private analyzeNow(core: Core, doc: vscode.TextDocument, model?: string): AnalyzedDocument | undefined {
    const file = AnalysisService.fileOf(doc);
    const text = doc.getText();
    if (!core.formatFor(file, text)) return undefined;
    const version = doc.version;
    const options = this.optionsFor(doc, model);
    const key = optionsKey(options);
    const uri = doc.uri.toString();
    let analysis = this.cache.get(uri, version, key);
    if (!analysis) {
      const t0 = performance.now();
      try {
        analysis = core.analyzeText(file, text, options);
      } catch (err) {
        // Front ends report problems as diagnostics; an exception is a bug in one, shown as one diagnostic.
        this.ctx.logger.error(`analysis of ${file} threw: ${err instanceof Error ? err.stack : String(err)}`);
        analysis = {
          file,
          models: [],
          graph: null,
          diagnostics: [
            { severity: 'error', file, line: 1, column: 1, endLine: 1, endColumn: 1, code: 'internal', message: `ResNet Studio could not analyse this file: ${err instanceof Error ? err.message : String(err)}` },
          ],
        };
      }
      const ms = performance.now() - t0;
      if (ms > SLOW_MS) this.ctx.logger.warn(`analysing ${file} (v${version}) took ${ms.toFixed(1)} ms`);
      this.cache.set(uri, version, key, analysis);
    }
    return { uri: doc.uri, version, file, options, analysis };
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
    this.debouncer.dispose();
    this.emitter.dispose();
    this.clearEmitter.dispose();
  }
}
