/**
 * The metrics webview panel. It is fed from the runs' `metrics.jsonl` files (see {@link RunFeed}), so it shows
 * the same thing whether the run belongs to this window, another one, a detached job or the CLI; closing it
 * stops nothing. A serializer brings it back after a reload with the runs it showed; the page then rebuilds
 * from the files and the stream continues. It opens on the current run only; runs of the same model join it
 * when the user chooses the overlay, runs of other models never.
 */
import * as vscode from 'vscode';
import { MessageHandler } from '../../protocol/messages';
import {
  type BackendInfo,
  type FromMetricsWebview,
  type RunInfo,
  METRICS_VIEW_TYPE,
  type MetricsWebviewState,
  type ToMetricsWebview,
  type TrainingRow,
  checkFromMetricsWebview,
  isMetricsWebviewState,
  shownForFocus,
} from '../../protocol/metricsProtocol';
import type { RunStore } from '../../training/runStore';
import { newNonce } from '../webviewCsp';
import { metricsHtml } from './metricsHtml';
import { RunFeed } from './runFeed';

/** What the panel needs from the training controller. */
export interface PanelHost {
  readonly extensionUri: vscode.Uri;
  store(): RunStore;
  runInfos(): RunInfo[];
  backendInfo(): BackendInfo;
  readonly onDidChangeRuns: vscode.Event<void>;
  readonly onDidChangeBackend: vscode.Event<void>;
  stop(runId: string): Promise<void>;
  resume(runId: string): Promise<void>;
  installNativeBackend(): Promise<void>;
  log(message: string): void;
}

const POLL_MS = 400;

export class MetricsPanel implements vscode.Disposable {
  private feed: RunFeed;
  private shown: string[];
  private focus: string | null;
  /** The user's choice to overlay runs of the focused model; a panel opens without it. */
  private overlay: boolean;
  private ready = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly channel: MessageHandler<ToMetricsWebview, FromMetricsWebview>;
  private readonly disposedEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposedEmitter.event;

  static create(host: PanelHost, focus?: string): MetricsPanel {
    const panel = vscode.window.createWebviewPanel(METRICS_VIEW_TYPE, 'Training Metrics', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, MetricsPanel.options(host));
    const initial = focus ? [focus] : host.runInfos().slice(0, 1).map((r) => r.id);
    return new MetricsPanel(host, panel, { shown: initial, focus: initial[0] ?? null });
  }

  /** `state` is whatever VS Code kept for the panel, possibly from an older version of the page: it is checked. */
  static revive(host: PanelHost, panel: vscode.WebviewPanel, state: unknown): MetricsPanel {
    panel.webview.options = MetricsPanel.options(host);
    return new MetricsPanel(host, panel, isMetricsWebviewState(state) ? state : { shown: [], focus: null });
  }

  private static options(host: PanelHost): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: [vscode.Uri.joinPath(host.extensionUri, 'dist', 'webview')] };
  }

  private constructor(
    private readonly host: PanelHost,
    readonly panel: vscode.WebviewPanel,
    state: MetricsWebviewState,
  ) {
    this.feed = new RunFeed(host.store());
    const runs = host.runInfos();
    const known = new Set(runs.map((r) => r.id));
    this.overlay = state.overlay === true;
    const kept = state.shown.filter((id) => known.has(id));
    this.focus = state.focus && known.has(state.focus) ? state.focus : (kept[0] ?? null);
    // A state from an older panel may overlay runs of several models: only the focused model's stay.
    this.shown = this.focus ? this.allowed(runs, this.focus, kept) : [];
    this.channel = new MessageHandler<ToMetricsWebview, FromMetricsWebview>({
      post: (m) => void panel.webview.postMessage(m),
      check: checkFromMetricsWebview,
      replies: {},
      handlers: {
        ready: () => this.sendInit(),
        select: (s) => {
          this.overlay = s.overlay;
          this.focus = s.focus;
          this.shown = s.focus ? this.allowed(this.host.runInfos(), s.focus, s.shown) : [];
          this.feed.keepOnly(this.shown);
          for (const id of this.shown) this.post(this.feed.from(id, s.have[id] ?? 0));
        },
        requestRows: (r) => this.post(this.feed.from(r.runId, r.from)),
        stop: (s) => void this.host.stop(s.runId),
        resume: (r) => void this.host.resume(r.runId),
        installBackend: () => void this.host.installNativeBackend(),
        saveCsv: (c) => void this.saveCsv(c.fileName, c.csv),
        error: (e) => this.host.log(`metrics panel: ${e.message}`),
      },
      onProblem: (text) => this.host.log(`metrics panel: ${text}`),
    });
    panel.webview.html = this.html();
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => this.channel.receive(m)),
      panel.onDidDispose(() => this.dispose()),
      // A hidden page is discarded (retainContextWhenHidden is off); it says `ready` again when shown.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
      host.onDidChangeRuns(() => this.postRuns()),
      host.onDidChangeBackend(() => this.post({ type: 'backend', backend: host.backendInfo() })),
    );
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  private html(): string {
    const w = this.panel.webview;
    const base = vscode.Uri.joinPath(this.host.extensionUri, 'dist', 'webview');
    return metricsHtml({
      cspSource: w.cspSource,
      nonce: newNonce(),
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(base, 'metrics.js')).toString(),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(base, 'metrics.css')).toString(),
    });
  }

  /**
   * `shown` less what may not be drawn with `focus`: runs of other models always, and the others of its model
   * unless the user chose the overlay. The focused run comes first.
   */
  private allowed(runs: readonly RunInfo[], focus: string, shown: readonly string[]): string[] {
    const may = new Set(shownForFocus(runs, focus, true, []));
    if (!may.size) return [];
    return [focus, ...(this.overlay ? shown.filter((id) => id !== focus && may.has(id)) : [])];
  }

  /**
   * Brings the panel forward with `runId` in focus: that run alone, or with the runs of its model already
   * drawn when the user chose the overlay.
   */
  show(runId?: string): void {
    this.panel.reveal(undefined, true);
    if (!runId) return;
    this.focus = runId;
    this.shown = this.allowed(this.host.runInfos(), runId, this.shown);
    if (!this.shown.length) this.shown = [runId];
    if (!this.ready) return;
    this.postRuns();
    this.feed.keepOnly(this.shown);
    const rows: Record<string, TrainingRow[]> = {};
    for (const id of this.shown) rows[id] = this.feed.snapshot(id);
    this.post({ type: 'show', focus: runId, shown: this.shown, rows });
  }

  private storeChanged(): boolean {
    const root = this.host.store().root;
    if (root === this.feed.store.root) return false;
    this.feed = new RunFeed(this.host.store());
    return true;
  }

  private sendInit(): void {
    this.storeChanged();
    const runs = this.host.runInfos();
    const known = new Set(runs.map((r) => r.id));
    this.shown = this.shown.filter((id) => known.has(id));
    if (this.focus && !known.has(this.focus)) this.focus = this.shown[0] ?? null;
    this.feed.keepOnly(this.shown);
    const rows: Record<string, TrainingRow[]> = {};
    for (const id of this.shown) rows[id] = this.feed.snapshot(id);
    this.ready = true;
    this.post({ type: 'init', runs, shown: this.shown, focus: this.focus, rows, backend: this.host.backendInfo(), overlay: this.overlay });
  }

  private postRuns(): void {
    if (this.storeChanged() && this.ready) {
      this.sendInit();
      return;
    }
    this.post({ type: 'runs', runs: this.host.runInfos() });
  }

  private poll(): void {
    if (!this.ready) return;
    for (const m of this.feed.poll()) this.post(m);
  }

  private post(m: ToMetricsWebview): void {
    if (!this.ready) return;
    this.channel.send(m);
  }

  private async saveCsv(fileName: string, csv: string): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, fileName.replace(/[^\w.-]+/g, '_')) } : {}),
      filters: { CSV: ['csv'] },
      title: 'Export training metrics',
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, Buffer.from(csv, 'utf8'));
    void vscode.window.showInformationMessage(`Saved ${csv.split('\n').length - 2} rows to ${vscode.workspace.asRelativePath(target)}.`);
  }

  private disposed = false;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.channel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
    this.disposedEmitter.fire();
    this.disposedEmitter.dispose();
  }
}
