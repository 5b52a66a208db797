/**
 * The residual graph webview, hosted twice: as a side-panel view that follows the active editor, and as
 * editor panels opened by "Show Graph" (restored after a reload by a panel serializer). Both speak the typed
 * protocol of `graphProtocol.ts`: the page says `ready`, the host answers with the full `setGraph`, then
 * streams `highlight` as the editor cursor moves. Every message from the page is checked before it is acted
 * on, and an export asked for by the host is paired with the image that answers it by id. Workspace text
 * reaches the page only by `postMessage`. A third kind of panel shows a comparison of two versions of a model
 * ("Compare with HEAD", `compare.ts`) in the page's diff mode, and follows the edits of the current version.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { diffGraphs } from '../core/diff';
import { unionGraph } from '../core/diffGraph';
import type { IrGraph, SourceRange } from '../core/ir';
import {
  type FromGraphWebview,
  GRAPH_REPLIES,
  type GraphWebviewState,
  type HeatMode,
  type ImageFormat,
  type SetDiffMessage,
  type ToGraphWebview,
  checkFromGraphWebview,
  isGraphWebviewState,
} from '../protocol/graphProtocol';
import { MessageHandler } from '../protocol/messages';
import type { ActiveModel } from './activeModel';
import type { AnalysisService, AnalyzedDocument } from './analysisService';
import { commandDocument, revealSource } from './documents';
import { type Comparison, registerCompareCommands } from './compare';
import type { StudioContext } from './context';
import { highlightAt, sameFile } from './ranges';
import type { GraphHtmlOptions } from './graphHtml';
import { escapeAttr, newNonce } from './webviewCsp';
import { graphTitle } from './modelPick';
import { pickModelOf } from './modelQuickPick';
import { imageBytes } from './webviewMessages';
import type { TelemetryAppend, TelemetryFeed } from './training/graphTelemetryFeed';
import { DesignEditing } from './designerEdits';
import type { DesignContext } from '../protocol/designEditProtocol';

function severalModels(r: AnalyzedDocument): boolean {
  return (r.analysis.candidates?.length ?? 0) > 1;
}

/** A graph panel's title names the model shown when its file holds several. */
function titleOf(r: AnalyzedDocument): string {
  return graphTitle(path.basename(r.file), r.analysis.graph?.name ?? r.options.model, severalModels(r));
}

/** The page template (`graphHtml.ts`), a pure function of its parts; passed in so tests can serve the same page. */
export type GraphHtml = (parts: GraphHtmlOptions) => string;

export const GRAPH_PANEL_TYPE = 'resnetStudio.graph';
/** Comparison panels; not restored after a reload (the other version was read once, when compared). */
export const DIFF_PANEL_TYPE = 'resnetStudio.graphDiff';
export const GRAPH_VIEW_ID = 'resnetStudio.graphView';
/** Bundle folder of the webviews; the only folder the pages may load from. */
const WEBVIEW_DIR = 'dist/webview';
const CODICONS_CSS = `${WEBVIEW_DIR}/codicons/codicon.css`;
/** A PNG of a torchvision-size graph takes a few seconds in the page; past this, it is not coming. */
const EXPORT_TIMEOUT_MS = 60_000;

/** Files a graph's nodes point into; a reveal request for any other file is refused. */
function graphFiles(g: IrGraph | null, file: string): string[] {
  const files = new Set<string>([file]);
  for (const n of g?.nodes ?? []) {
    if (n.source) files.add(n.source.file);
    if (n.definedAt) files.add(n.definedAt.file);
  }
  return [...files];
}

/** One webview page showing one model's graph. */
export class GraphSession implements vscode.Disposable {
  private ready = false;
  private shown: AnalyzedDocument | undefined;
  /** Set when the page shows a comparison instead of one model; `shown` is then its current side. */
  private comparison: Omit<SetDiffMessage, 'type' | 'version' | 'file' | 'diagnostics' | 'settings'> | undefined;
  private lastHighlight = '';
  /** Set while the model is still being analysed for a page that boots meanwhile: `ready` then waits for `show`. */
  private awaiting = false;
  /** Counts `sendGraph` calls: a graph waiting for its design context is not sent once a newer one was asked for. */
  private sends = 0;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly channel: MessageHandler<ToGraphWebview, FromGraphWebview, typeof GRAPH_REPLIES>;

  constructor(
    private readonly ctx: StudioContext,
    readonly webview: vscode.Webview,
    private readonly html: GraphHtml,
    /** Layer telemetry of the model's runs, for the heat overlay; none for comparisons. */
    private readonly telemetry?: TelemetryFeed,
    /** Applies the page's design edits; without it (comparisons) the page is never offered editing. */
    private readonly editing?: DesignEditing,
    /** Opens a node's source; the designer custom editor opens it beside itself instead of over it. */
    private readonly reveal: (range: SourceRange) => Promise<void> = revealSource,
  ) {
    webview.options = { enableScripts: true, localResourceRoots: [ctx.asAbsolutePath(WEBVIEW_DIR)] };
    this.channel = new MessageHandler({
      post: (m) => void webview.postMessage(m),
      check: checkFromGraphWebview,
      replies: GRAPH_REPLIES,
      timeoutMs: EXPORT_TIMEOUT_MS,
      handlers: {
        ready: () => {
          // A page that says `ready` is a fresh one: requests sent to the one it replaced will never be answered.
          this.channel.cancelPending('the graph page was reloaded before it answered');
          this.ready = true;
          if (!this.awaiting) this.sendGraph();
        },
        reveal: (m) => {
          const files = graphFiles(this.shown?.analysis.graph ?? null, this.shown?.file ?? '');
          if (!files.some((f) => sameFile(f, m.source.file))) return;
          this.reveal(m.source).catch((err: unknown) => this.ctx.reportError('could not reveal the source', err));
        },
        saveImage: (m) => {
          saveImage(this.shown?.file, m.format, m.data).catch((err: unknown) => this.ctx.reportError('could not save the image', err));
        },
        error: (m) => this.ctx.logger.error(`graph webview: ${m.message}`),
        editDesign: (m) => {
          const answer = this.editing && !this.comparison
            ? this.editing.apply(this.shown, m)
            : Promise.resolve({ type: 'editResult' as const, ok: false, message: 'this graph is read-only' });
          answer.then(
            (result) => this.post(result),
            (err: unknown) => {
              this.ctx.logger.error(`applying a design edit failed: ${err instanceof Error ? err.stack : String(err)}`);
              this.post({ type: 'editResult', ok: false, message: `the edit failed: ${err instanceof Error ? err.message : String(err)}` });
            },
          );
        },
      },
      onProblem: (text) => this.ctx.logger.warn(`graph webview: ${text}`),
    });
    this.disposables.push(webview.onDidReceiveMessage((m: unknown) => this.channel.receive(m)));
    this.render();
  }

  get document(): AnalyzedDocument | undefined {
    return this.shown;
  }

  /** Sets the page (fresh nonce every time); it will say `ready` again and get the whole graph. */
  render(): void {
    this.ready = false;
    this.channel.cancelPending('the graph page was reloaded before it answered');
    const w = this.webview;
    const asset = (name: string): string => w.asWebviewUri(this.ctx.asAbsolutePath(`${WEBVIEW_DIR}/${name}`)).toString();
    const parts: GraphHtmlOptions = { cspSource: w.cspSource, nonce: newNonce(), scriptUri: asset('graph.js'), styleUri: asset('graph.css') };
    // The codicon font is optional: the build copies it next to the bundle when it can, else buttons show text.
    if (existsSync(this.ctx.asAbsolutePath(CODICONS_CSS).fsPath)) parts.codiconsUri = asset(CODICONS_CSS.slice(WEBVIEW_DIR.length + 1));
    try {
      w.html = this.html(parts);
    } catch (err) {
      this.ctx.reportError('the graph page could not be built', err);
      const msg = escapeAttr(err instanceof Error ? err.message : String(err));
      w.html = `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head><body><p>The graph page could not be built: ${msg}</p></body></html>`;
    }
  }

  /**
   * The page is created before its model is analysed, so that the two start together: until `show`, a page
   * that says `ready` is answered with nothing (rather than with an empty graph that the model then replaces).
   */
  awaitAnalysis(): void {
    this.awaiting = true;
  }

  show(r: AnalyzedDocument | undefined): void {
    this.awaiting = false;
    this.shown = r;
    this.comparison = undefined;
    this.lastHighlight = '';
    if (this.ready) this.sendGraph();
  }

  /** Shows a comparison: the union of both versions, coloured by the diff; `c.after` is what the editor has. */
  showDiff(c: Pick<Comparison, 'labels' | 'before' | 'after'>): void {
    const after = c.after.analysis.graph;
    if (!after) return;
    const diff = diffGraphs(c.before, after);
    this.shown = c.after;
    this.comparison = { labels: c.labels, graph: unionGraph(c.before, after, diff), diff };
    this.lastHighlight = '';
    if (this.ready) this.sendGraph();
  }

  /** Sends the current state again (the settings changed). */
  refresh(): void {
    if (this.ready) this.sendGraph();
  }

  highlight(nodeIds: string[]): void {
    const key = nodeIds.join(',');
    if (!this.ready || key === this.lastHighlight) return;
    this.lastHighlight = key;
    this.post({ type: 'highlight', nodeIds });
  }

  setHeat(mode: HeatMode): void {
    this.post({ type: 'setHeat', mode });
  }

  /** Asks the page for an image of the graph and offers to save the one that answers this request. */
  async exportImage(format: ImageFormat): Promise<void> {
    if (!this.ready) throw new Error('the graph page is still loading; try again in a moment');
    const image = await this.channel.request({ type: 'requestExport', format });
    await saveImage(this.shown?.file, image.format, image.data);
  }

  private sendGraph(): void {
    const seq = ++this.sends;
    const r = this.shown;
    const settings = this.ctx.settings().graph;
    if (this.comparison && r) {
      this.post({
        type: 'setDiff',
        version: r.version,
        file: r.file,
        ...this.comparison,
        diagnostics: r.analysis.diagnostics,
        settings: { layoutDirection: settings.layoutDirection, autoCollapseThreshold: settings.autoCollapseThreshold },
      });
      return;
    }
    // A design's graph goes with what the page needs to edit it, which the worker reads from the same text.
    const design = this.comparison ? undefined : this.editing?.contextFor(r);
    if (!design) {
      this.postGraph(r, null);
      return;
    }
    design.then(
      (context) => {
        if (seq === this.sends && this.ready) this.postGraph(r, context);
      },
      (err: unknown) => {
        this.ctx.logger.warn(`the design context of ${r?.file ?? 'the graph'} could not be read: ${err instanceof Error ? err.message : String(err)}`);
        if (seq === this.sends && this.ready) this.postGraph(r, null);
      },
    );
  }

  private postGraph(r: AnalyzedDocument | undefined, design: DesignContext | null): void {
    const settings = this.ctx.settings().graph;
    this.post({
      type: 'setGraph',
      version: r?.version ?? 0,
      file: r?.file ?? '',
      graph: r?.analysis.graph ?? null,
      diagnostics: r?.analysis.diagnostics ?? [],
      settings: { layoutDirection: settings.layoutDirection, autoCollapseThreshold: settings.autoCollapseThreshold },
      design,
    });
    const name = r?.analysis.graph?.name;
    const latest = r && name && this.telemetry ? this.telemetry.latest(r.file, name) : undefined;
    this.post({ type: 'setTelemetry', runId: latest?.runId ?? null, rows: latest?.rows ?? [], append: false });
  }

  /** Rows of a run of the model shown (a new run replaces the overlay's rows; a running one adds to them). */
  onTelemetry(e: TelemetryAppend): void {
    const r = this.shown;
    if (!this.ready || this.comparison || !r || !sameFile(r.file, e.modelFile) || r.analysis.graph?.name !== e.modelName) return;
    this.post({ type: 'setTelemetry', runId: e.runId, rows: e.rows, append: !e.fresh });
  }

  private post(msg: ToGraphWebview): void {
    this.channel.send(msg);
  }

  dispose(): void {
    this.channel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

async function saveImage(file: string | undefined, format: ImageFormat, data: string): Promise<void> {
  const base = file ? path.basename(file).replace(/(\.resnet)?\.(json|py)$/, '') : 'graph';
  const folder = file && path.isAbsolute(file) ? vscode.Uri.file(path.dirname(file)) : vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    title: `Save graph as ${format.toUpperCase()}`,
    filters: format === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] },
    ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `${base}.graph.${format}`) } : {}),
  });
  if (!target) return;
  await vscode.workspace.fs.writeFile(target, imageBytes(format, data));
  void vscode.window.showInformationMessage(`ResNet Studio: graph saved to ${vscode.workspace.asRelativePath(target)}`);
}

/** The side-panel view plus the editor panels, and the cursor-to-node highlighting that feeds them. */
export class GraphViews implements vscode.Disposable {
  private view: GraphSession | undefined;
  /** The sidebar view itself, whose description names the model shown. */
  private viewRef: vscode.WebviewView | undefined;
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; session: GraphSession }>();
  /** Comparison panels by `Comparison.key`, with the older version they hold. */
  private readonly diffs = new Map<string, { panel: vscode.WebviewPanel; session: GraphSession; comparison: Comparison }>();
  private lastActive: GraphSession | undefined;
  private highlightTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly editing: DesignEditing;

  constructor(
    private readonly ctx: StudioContext,
    private readonly service: AnalysisService,
    private readonly active: ActiveModel,
    private readonly html: GraphHtml,
    private readonly telemetry?: TelemetryFeed,
  ) {
    this.editing = new DesignEditing(service);
    if (telemetry) ctx.subscriptions.push(telemetry.onDidAppend((e) => this.sessions().forEach((s) => s.onTelemetry(e))));
    ctx.subscriptions.push(
      this,
      vscode.window.registerWebviewViewProvider(GRAPH_VIEW_ID, { resolveWebviewView: (v) => this.resolveView(v) }),
      vscode.window.registerWebviewPanelSerializer(GRAPH_PANEL_TYPE, {
        deserializeWebviewPanel: (panel, state: unknown) => this.restorePanel(panel, isGraphWebviewState(state) ? state : undefined),
      }),
      active.onDidChange((r) => {
        this.view?.show(r);
        if (this.viewRef) this.viewRef.description = r && severalModels(r) ? (r.analysis.graph?.name ?? r.options.model) : undefined;
      }),
      service.onDidAnalyze((r) => {
        const open = this.panels.get(r.uri.toString());
        if (open) {
          open.panel.title = titleOf(r);
          open.session.show(r);
        }
        for (const d of this.diffs.values()) {
          if (d.comparison.after.uri.toString() !== r.uri.toString() || !r.analysis.graph) continue;
          d.comparison = { ...d.comparison, after: r };
          d.session.showDiff(d.comparison);
        }
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => this.scheduleHighlight(e.textEditor)),
      ctx.onDidChangeSettings(() => this.sessions().forEach((s) => s.refresh())),
      vscode.commands.registerCommand('resnetStudio.showGraph', (uri?: unknown, model?: unknown) =>
        this.showGraph(uri, model).catch((err: unknown) => ctx.reportError('Show Graph failed', err)),
      ),
      vscode.commands.registerCommand('resnetStudio.exportGraphImage', () => this.exportImage()),
      vscode.commands.registerCommand('resnetStudio.graphHeat', () => this.pickHeat()),
    );
    registerCompareCommands(ctx, service, (c) => this.showDiff(c));
  }

  /**
   * A graph page shown in a panel owned elsewhere (the Designer's custom editor): while it is the active one,
   * the title bar's heat and image-export commands act on it.
   */
  track(panel: vscode.WebviewPanel, session: GraphSession): void {
    if (panel.active) this.lastActive = session;
    const viewState = panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) this.lastActive = session;
    });
    panel.onDidDispose(() => {
      viewState.dispose();
      if (this.lastActive === session) this.lastActive = this.view;
    });
  }

  private sessions(): GraphSession[] {
    return [...(this.view ? [this.view] : []), ...[...this.panels.values(), ...this.diffs.values()].map((p) => p.session)];
  }

  private resolveView(view: vscode.WebviewView): void {
    const session = new GraphSession(this.ctx, view.webview, this.html, this.telemetry, this.editing);
    this.view = session;
    this.viewRef = view;
    this.lastActive ??= session;
    view.onDidDispose(() => {
      session.dispose();
      if (this.view === session) this.view = undefined;
      if (this.viewRef === view) this.viewRef = undefined;
      if (this.lastActive === session) this.lastActive = undefined;
    });
    view.onDidChangeVisibility(() => {
      if (view.visible) this.lastActive = session;
    });
    session.show(this.active.current);
    void this.active.start();
  }

  private adoptPanel(panel: vscode.WebviewPanel, key: string): GraphSession {
    const session = new GraphSession(this.ctx, panel.webview, this.html, this.telemetry, this.editing);
    this.panels.set(key, { panel, session });
    this.lastActive = session;
    panel.iconPath = this.ctx.asAbsolutePath('media/icons/resnet.svg');
    panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) this.lastActive = session;
    });
    panel.onDidDispose(() => {
      session.dispose();
      if (this.panels.get(key)?.session === session) this.panels.delete(key);
      if (this.lastActive === session) this.lastActive = this.view;
    });
    return session;
  }

  async showGraph(uri: unknown, model: unknown): Promise<void> {
    const doc = await commandDocument(this.service, uri);
    if (!doc) return;
    let chosen = typeof model === 'string' && model ? model : undefined;
    if (!chosen && !this.ctx.choiceFor(doc.uri)?.model && doc.fileName.endsWith('.py')) {
      // A file of several models asks which one, once; the answer is remembered for the file.
      const picked = await this.pickModel(doc);
      if (picked === null) return;
      chosen = picked;
    }
    if (chosen && this.ctx.choiceFor(doc.uri)?.model !== chosen) {
      // "Show graph" on another model's CodeLens makes it the file's model everywhere (graph, problems, hints).
      await this.ctx.setChoice(doc.uri, { model: chosen });
    }
    const key = doc.uri.toString();
    const existing = this.panels.get(key);
    const cached = this.service.peek(doc);
    if (existing || cached) {
      const r = cached ?? (await this.service.analyze(doc));
      if (!r) {
        void vscode.window.showWarningMessage(`ResNet Studio cannot read ${path.basename(doc.fileName)} as a model.`);
        return;
      }
      if (existing) {
        existing.panel.reveal(undefined, true);
        existing.panel.title = titleOf(r);
        existing.session.show(r);
      } else this.openPanel(key, r);
      return;
    }
    // Not analysed yet: the page boots (a few hundred milliseconds) while the model is analysed, not after.
    const panel = this.createPanel(graphTitle(path.basename(doc.fileName), this.ctx.choiceFor(doc.uri)?.model, false));
    const session = this.adoptPanel(panel, key);
    session.awaitAnalysis();
    const r = await this.service.analyze(doc);
    if (!r) {
      panel.dispose();
      void vscode.window.showWarningMessage(`ResNet Studio cannot read ${path.basename(doc.fileName)} as a model.`);
      return;
    }
    panel.title = titleOf(r);
    session.show(r);
  }

  private createPanel(title: string): vscode.WebviewPanel {
    return vscode.window.createWebviewPanel(GRAPH_PANEL_TYPE, title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
  }

  private openPanel(key: string, r: AnalyzedDocument): void {
    this.adoptPanel(this.createPanel(titleOf(r)), key).show(r);
  }

  /** Asks which model of the file to show (the quick pick Train asks too); null when the user cancelled. */
  private pickModel(doc: vscode.TextDocument): Promise<string | undefined | null> {
    return pickModelOf(this.service, doc, 'Show Graph');
  }

  /** Opens the comparison's panel, or shows it in the one already open for the same document and kind. */
  async showDiff(c: Comparison): Promise<void> {
    const existing = this.diffs.get(c.key);
    if (existing) {
      existing.comparison = c;
      existing.panel.title = c.title;
      existing.panel.reveal(undefined, true);
      existing.session.showDiff(c);
      return;
    }
    const panel = vscode.window.createWebviewPanel(DIFF_PANEL_TYPE, c.title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
    const session = new GraphSession(this.ctx, panel.webview, this.html);
    const entry = { panel, session, comparison: c };
    this.diffs.set(c.key, entry);
    this.lastActive = session;
    panel.iconPath = this.ctx.asAbsolutePath('media/icons/resnet.svg');
    panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) this.lastActive = session;
    });
    panel.onDidDispose(() => {
      session.dispose();
      if (this.diffs.get(c.key) === entry) this.diffs.delete(c.key);
      if (this.lastActive === session) this.lastActive = this.view;
    });
    session.showDiff(c);
  }

  private async restorePanel(panel: vscode.WebviewPanel, state: GraphWebviewState | undefined): Promise<void> {
    const file = state?.file;
    const uri = file && path.isAbsolute(file) ? vscode.Uri.file(file) : undefined;
    const session = this.adoptPanel(panel, uri?.toString() ?? `restored:${Date.now()}`);
    if (!uri) return;
    session.awaitAnalysis();
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      session.show(await this.service.analyze(doc));
    } catch (err) {
      this.ctx.logger.warn(`could not restore the graph of ${file}: ${String(err)}`);
      session.show(undefined);
    }
  }

  private scheduleHighlight(editor: vscode.TextEditor): void {
    if (this.highlightTimer !== undefined) clearTimeout(this.highlightTimer);
    this.highlightTimer = setTimeout(() => {
      this.highlightTimer = undefined;
      const doc = editor.document;
      const pos = editor.selection.active;
      for (const s of this.sessions()) {
        const r = s.document;
        if (!r?.analysis.graph || r.uri.toString() !== doc.uri.toString() || r.version !== doc.version) continue;
        s.highlight(highlightAt(r.analysis.graph, { line: pos.line, character: pos.character }, r.file));
      }
    }, 60);
  }

  private target(): GraphSession | undefined {
    const t = this.lastActive ?? this.view;
    if (!t) void vscode.window.showInformationMessage('ResNet Studio: open a graph first (ResNet Studio: Show Graph).');
    return t;
  }

  private async exportImage(): Promise<void> {
    const t = this.target();
    if (!t) return;
    const pick = await vscode.window.showQuickPick(['SVG', 'PNG'], { title: 'Export the graph as' });
    if (!pick) return;
    await t.exportImage(pick === 'SVG' ? 'svg' : 'png').catch((err: unknown) => this.ctx.reportError('could not export the graph', err));
  }

  private async pickHeat(): Promise<void> {
    const t = this.target();
    if (!t) return;
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'Off', mode: 'none' as const },
        { label: 'Parameters', mode: 'params' as const },
        { label: 'MACs', mode: 'macs' as const },
      ],
      { title: 'Graph heat overlay' },
    );
    if (pick) t.setHeat(pick.mode);
  }

  dispose(): void {
    if (this.highlightTimer !== undefined) clearTimeout(this.highlightTimer);
    for (const s of this.sessions()) s.dispose();
    for (const { panel } of [...this.panels.values(), ...this.diffs.values()]) panel.dispose();
    this.panels.clear();
    this.diffs.clear();
  }
}
