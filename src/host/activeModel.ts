/**
 * The model file the side panel follows: the last active editor holding a model file, with its latest
 * analysis. The graph view and the outline both read it, so they always show the same model.
 */
import * as vscode from 'vscode';
import type { AnalysisService, AnalyzedDocument } from './analysisService';
import type { StudioContext } from './context';

export class ActiveModel {
  private doc: vscode.TextDocument | undefined;
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
        if (this.doc && r.uri.toString() === this.doc.uri.toString()) {
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

  async follow(doc: vscode.TextDocument): Promise<void> {
    const same = this.doc?.uri.toString() === doc.uri.toString();
    this.doc = doc;
    if (same && this.result?.version === doc.version) return;
    const r = this.service.peek(doc) ?? (await this.service.analyze(doc));
    if (this.doc !== doc) return;
    this.result = r;
    this.emitter.fire(r);
  }
}
