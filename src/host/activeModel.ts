/**
 * The model file the side panel follows: the last active editor holding a model file, with its latest
 * analysis. The graph view and the outline both read it, so they always show the same model.
 */
import * as vscode from 'vscode';
import { isModelAnalysis } from './analysisOptions';
import type { AnalysisService, AnalyzedDocument } from './analysisService';
import type { StudioContext } from './context';

export class ActiveModel {
  private doc: vscode.TextDocument | undefined;
  /** The document being analysed to be followed; a newer `follow` call supersedes it. */
  private pendingDoc: vscode.TextDocument | undefined;
  private result: AnalyzedDocument | undefined;
  private readonly emitter = new vscode.EventEmitter<AnalyzedDocument | undefined>();
  /** Fires when the followed file changes or its analysis is refreshed. */
  readonly onDidChange = this.emitter.event;

  constructor(
    ctx: StudioContext,
    private readonly service: AnalysisService,
  ) {
    ctx.subscriptions.push(
      this.emitter,
      vscode.window.onDidChangeActiveTextEditor((e) => {
        if (e && service.isCandidate(e.document)) void this.follow(e.document);
      }),
      service.onDidAnalyze((r) => {
        if (this.doc && r.uri.toString() === this.doc.uri.toString() && isModelAnalysis(r.file, r.analysis)) {
          this.result = r;
          this.emitter.fire(r);
        }
      }),
      service.onDidClear((uri) => {
        if (this.doc && uri.toString() === this.doc.uri.toString()) {
          this.result = undefined;
          this.emitter.fire(undefined);
        }
      }),
    );
  }

  get document(): vscode.TextDocument | undefined {
    return this.doc;
  }

  get current(): AnalyzedDocument | undefined {
    return this.result;
  }

  /** Starts following the active editor's model file, if any (called when a view first opens). */
  async start(): Promise<void> {
    const e = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors.find((v) => this.service.isCandidate(v.document));
    if (!this.doc && e && this.service.isCandidate(e.document)) await this.follow(e.document);
  }

  /** Follows a document if it holds a model; a Python file without one leaves the panel on the last model. */
  async follow(doc: vscode.TextDocument): Promise<void> {
    if (this.doc?.uri.toString() === doc.uri.toString() && this.result?.version === doc.version) return;
    this.pendingDoc = doc;
    const r = this.service.peek(doc) ?? (await this.service.analyze(doc));
    if (this.pendingDoc !== doc) return;
    this.pendingDoc = undefined;
    if (r && !isModelAnalysis(r.file, r.analysis)) return;
    this.doc = doc;
    this.result = r;
    this.emitter.fire(r);
  }
}
