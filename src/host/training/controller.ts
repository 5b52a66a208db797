/**
 * The VS Code side of training: owns the job manager (each job a child process; Stop, and deactivation,
 * stop it unless it was started detached), the status bar item, one cancellable progress notification per
 * job, the metrics panel, and the commands' implementations. Everything heavy runs in the job's process;
 * this class only reacts to rows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BackendInfo, MetricsWebviewState, RunInfo } from '../../protocol/metricsProtocol';
import { type TelemetryProbes, telemetryProbes } from '../../training/health';
import { JobManager, type TrainingJob } from '../../training/jobs';
import { analysisOptions } from '../../training/resolveModel';
import { PythonEnvError, type TorchPython } from '../../training/pythonEnv';
import { RunStore, type RuntimeRecord } from '../../training/runStore';
import { NODE_REASON, nodeText, pythonReason, pythonText, slowRunWarning, torchDeviceReason } from '../../training/runnerReason';
import { findNativePackages, installNativeBackend as npmInstallNative } from '../../training/tfjsNative';
import type { StudioContext } from '../context';
import type { AnalysisService } from '../analysisService';
import { GraphTelemetryFeed } from './graphTelemetryFeed';
import { HealthDiagnostics } from './healthDiagnostics';
import { MetricsPanel, type PanelHost } from './metricsPanel';
import { JobProgress, statusBarText } from './progress';
import { resolveTrainingPython } from './pythonInterpreter';
import { toRunInfo } from './runFeed';
import { runsRootOf } from './runsRoot';
import { pytorchTwinConfig } from './runnerSwitch';

export const TRUST_MESSAGE =
  'PyTorch training runs code from this workspace (your model file), so it is disabled in Restricted Mode. Trust the workspace to train with PyTorch, or use the TF.js runner.';

interface Live {
  job: TrainingJob;
  progress: JobProgress;
}

/** What the slow-run warning offers; the host decides what each answer does. */
export const USE_PYTORCH = 'Use PyTorch runner';
export const CONTINUE_TFJS = 'Continue with TF.js';
export const INSTALL_NATIVE = 'Install native TF.js backend';

export class TrainingController implements vscode.Disposable, PanelHost {
  readonly manager = new JobManager();
  private readonly live = new Map<string, Live>();
  private readonly statusItem: vscode.StatusBarItem;
  private panel: MetricsPanel | undefined;
  private readonly runsEmitter = new vscode.EventEmitter<void>();
  private readonly backendEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeRuns = this.runsEmitter.event;
  readonly onDidChangeBackend = this.backendEmitter.event;
  private installing = false;
  private output: vscode.OutputChannel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private statusTimer: NodeJS.Timeout | undefined;
  /** Health alerts of the runs' layer telemetry, as diagnostics on the models' source. */
  readonly health: HealthDiagnostics;
  /** Layer telemetry of the runs, for the graph pages' heat overlay. */
  readonly graphFeed = new GraphTelemetryFeed(() => this.store());

  /** Analyses a file to train, off the extension host's thread. */
  analyzeText(...args: Parameters<AnalysisService['analyzeText']>): ReturnType<AnalysisService['analyzeText']> {
    return this.analysis.analyzeText(...args);
  }

  constructor(
    readonly ctx: StudioContext,
    /** The shared analysis service: the train command also asks it for a file's models (the model pick). */
    readonly analysis: Pick<AnalysisService, 'analyzeText' | 'indexDocument' | 'peek'>,
  ) {
    this.statusItem = vscode.window.createStatusBarItem('resnetStudio.training', vscode.StatusBarAlignment.Left, 50);
    this.statusItem.name = 'ResNet Studio Training';
    this.health = new HealthDiagnostics((file, text, options) => this.analysis.analyzeText(file, text, options));
    this.statusItem.command = 'resnetStudio.showRuns';
    this.disposables.push(
      this.statusItem,
      this.health,
      this.graphFeed,
      this.runsEmitter,
      this.backendEmitter,
      ctx.onDidChangeSettings(() => this.runsEmitter.fire()),
    );
  }

  get extensionUri(): vscode.Uri {
    return this.ctx.extension.extensionUri;
  }

  /** The runs directory: the setting, relative to the first workspace folder; the extension's storage without one. */
  runsRoot(): string {
    return runsRootOf(this.ctx);
  }

  store(): RunStore {
    return new RunStore(this.runsRoot());
  }

  /** Where the install command puts native TF.js packages, and where the worker looks first. */
  nativeStorageDir(): string {
    return path.join(this.ctx.extension.globalStorageUri.fsPath, 'tfjs-native');
  }

  runInfos(): RunInfo[] {
    const store = this.store();
    return store.listRuns().map((r) => toRunInfo(store, r, this.live.has(r.id)));
  }

  backendInfo(): BackendInfo {
    return { nativePackages: findNativePackages(this.nativeStorageDir()).map((f) => f.package), installing: this.installing };
  }

  log(message: string): void {
    this.ctx.logger.info(message);
  }

  /** Follows runs that an earlier session started detached and that are still training. */
  attachRunning(): void {
    const store = this.store();
    for (const run of store.listRuns()) {
      if (run.status !== 'running' || this.live.has(run.id)) continue;
      const job = this.manager.attach(store, run.id);
      if (job) this.track(job, run.config?.modelName ?? run.id, false);
    }
  }

  /** Shows the job in the status bar and a cancellable notification, and refreshes the panel's run list. */
  track(job: TrainingJob, model: string, notify = true): void {
    const progress = new JobProgress(model);
    for (const row of job.rows) progress.update(row);
    this.live.set(job.runId, { job, progress });
    const config = this.store().readConfig(job.runId);
    if (config) {
      this.health.follow(job, config);
      this.graphFeed.follow(job, config);
    }
    let backendLogged = false;
    let warned = !notify;
    const sub = job.onDidEmitRow((row) => {
      progress.update(row);
      this.updateStatus();
      if (row.type !== 'status') return;
      if (row.message) this.runsEmitter.fire();
      if (!backendLogged && row.backend) {
        backendLogged = true;
        this.log(`training: run ${job.runId} trains with ${row.backend} on ${row.device ?? 'an unreported device'}${row.deviceReason ? ` (${row.deviceReason})` : ''}`);
      }
      const warning = warned ? null : slowRunWarning({ runtime: progress.runtime, eta: progress.etaNow(), step: progress.step, model });
      if (warning) {
        warned = true;
        this.log(`training: run ${job.runId}: ${warning}`);
        void this.offerFasterRunner(job, warning);
      }
    });
    void job.done.then((result) => {
      sub.dispose();
      this.live.delete(job.runId);
      this.updateStatus();
      this.runsEmitter.fire();
      const where = `${model} (${job.runId})`;
      if (result.status === 'completed') {
        const acc = progress.valAccuracy !== null ? `, validation accuracy ${(progress.valAccuracy * 100).toFixed(1)}%` : '';
        void vscode.window.showInformationMessage(`Training ${where} completed${acc}.`, 'Show Metrics').then((a) => a && this.showPanel(job.runId));
      } else if (result.status === 'failed') {
        void vscode.window.showErrorMessage(`Training ${where} failed: ${result.error ?? 'unknown error'}`, 'Show Metrics').then((a) => a && this.showPanel(job.runId));
      }
    });
    this.updateStatus();
    this.runsEmitter.fire();
    if (notify) this.notify(job, progress);
  }

  /**
   * A pure-JavaScript run that would take long: says so, and offers the PyTorch runner (for a PyTorch file)
   * or the native TF.js backend. The run goes on while the question is open; "Use PyTorch runner" stops it
   * and starts the same run (model, input, data, hyperparameters) on PyTorch.
   */
  private async offerFasterRunner(job: TrainingJob, warning: string): Promise<void> {
    const config = this.store().readConfig(job.runId);
    const python = config?.modelFile.endsWith('.py') === true;
    const act = await vscode.window.showWarningMessage(warning, ...(python ? [USE_PYTORCH] : [INSTALL_NATIVE]), CONTINUE_TFJS);
    if (act === INSTALL_NATIVE) {
      await this.installNativeBackend();
      return;
    }
    if (act !== USE_PYTORCH || !config) return;
    // The TF.js run goes on unless PyTorch can take over: an interpreter with torch must be there (the probe is
    // cached, so the start below does not pay for it twice).
    if (!vscode.workspace.isTrusted || !(await this.torchPython(vscode.Uri.file(config.modelFile)))) {
      if (!vscode.workspace.isTrusted) void vscode.window.showErrorMessage(TRUST_MESSAGE);
      return;
    }
    if (job.running) await job.stop();
    // Where the PyTorch runner measures residual adds and functional ReLUs comes from the IR, as the train command does.
    let probes: TelemetryProbes | undefined;
    try {
      const text = fs.readFileSync(config.modelFile, 'utf8');
      const options = analysisOptions({ input: [...config.inputShape], model: config.modelName, ...(config.modelArgs ? { args: config.modelArgs } : {}) });
      const graph = (await this.analysis.analyzeText(config.modelFile, text, options))?.graph;
      if (graph) probes = telemetryProbes(graph);
    } catch (err) {
      this.log(`training: no layer telemetry probes for the PyTorch run: ${err instanceof Error ? err.message : String(err)}`);
    }
    const store = this.store();
    const run = store.createRun(pytorchTwinConfig(config, probes));
    this.log(`training: run ${job.runId} stopped; its PyTorch twin is run ${run.id}`);
    await this.startRun(run.id);
  }

  private notify(job: TrainingJob, progress: JobProgress): void {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Training ${progress.model}`, cancellable: true },
      (report, token) =>
        new Promise<void>((resolve) => {
          let shown = 0;
          token.onCancellationRequested(() => {
            report.report({ message: 'stopping after the current step…' });
            void job.stop();
          });
          const sub = job.onDidEmitRow(() => {
            const pct = progress.percent();
            const increment = pct === null ? undefined : Math.max(0, pct - shown);
            if (pct !== null) shown = pct;
            report.report({ message: progress.summary(), ...(increment ? { increment } : {}) });
          });
          void job.done.then(() => {
            sub.dispose();
            resolve();
          });
        }),
    );
  }

  private updateStatus(): void {
    const jobs = [...this.live.values()].map((l) => l.progress);
    if (!jobs.length) {
      this.statusItem.hide();
      if (this.statusTimer) clearInterval(this.statusTimer);
      this.statusTimer = undefined;
      return;
    }
    this.statusItem.text = statusBarText(jobs);
    const first = jobs[0]!;
    this.statusItem.tooltip = `${first.model}\n${first.summary()}\n${first.backend ?? ''} ${first.device ? `· ${first.device}` : ''}\nClick to show the training metrics.`;
    this.statusItem.show();
    // The ETA counts down between rows.
    this.statusTimer ??= setInterval(() => this.updateStatus(), 1000);
  }

  showPanel(runId?: string): void {
    if (this.panel) {
      this.panel.show(runId);
      return;
    }
    this.adopt(MetricsPanel.create(this, runId));
  }

  revivePanel(panel: vscode.WebviewPanel, state: MetricsWebviewState | undefined): void {
    this.panel?.dispose();
    this.adopt(MetricsPanel.revive(this, panel, state));
  }

  private adopt(panel: MetricsPanel): void {
    this.panel = panel;
    panel.onDidDispose(() => {
      if (this.panel === panel) this.panel = undefined;
      // Closing the panel closes the runs that have ended: their health diagnostics go.
      this.health.closeEnded();
    });
  }

  /** Starts (or resumes) a run that exists in the store. */
  async startRun(runId: string, options: { resume?: boolean; detached?: boolean; nproc?: number; nodeRank?: number } = {}): Promise<TrainingJob | undefined> {
    const store = this.store();
    const config = store.readConfig(runId);
    if (!config) throw new Error(`run ${runId} has no readable config.json`);
    let python: string | undefined;
    let runtime: RuntimeRecord;
    if (config.backend === 'pytorch') {
      if (!vscode.workspace.isTrusted) {
        const act = await vscode.window.showErrorMessage(TRUST_MESSAGE, 'Manage Workspace Trust');
        if (act) void vscode.commands.executeCommand('workbench.trust.manage');
        return undefined;
      }
      const found = await this.torchPython(vscode.Uri.file(config.modelFile));
      if (!found) return undefined;
      python = found.python;
      runtime = { interpreter: pythonText(found), interpreterReason: pythonReason(found.source, found.skipped), deviceReason: torchDeviceReason(config.device, found) };
    } else {
      runtime = { interpreter: nodeText(process.execPath, process.versions.node), interpreterReason: NODE_REASON };
    }
    const job = await this.manager.start({
      store,
      runId,
      ...(options.resume ? { resume: true } : {}),
      ...(options.detached ? { detached: true } : {}),
      ...(python ? { python } : {}),
      ...(options.nproc && options.nproc > 1 ? { nproc: options.nproc } : {}),
      ...(options.nodeRank !== undefined ? { nodeRank: options.nodeRank } : {}),
      workerPath: vscode.Uri.joinPath(this.extensionUri, 'dist', 'trainingWorker.js').fsPath,
      tfjsStorageDir: this.nativeStorageDir(),
    });
    store.writeState(runId, { runtime });
    this.log(`training: run ${runId} runs ${runtime.interpreter}, ${runtime.interpreterReason}${runtime.deviceReason ? `; device ${runtime.deviceReason}` : ''}`);
    this.track(job, config.modelName);
    try {
      this.showPanel(runId);
    } catch (err) {
      // The job runs either way; the status bar and notification still follow it.
      this.ctx.reportError('the metrics panel could not be opened', err);
    }
    return job;
  }

  /**
   * The interpreter: the setting, then RESNET_STUDIO_PYTHON, then the Python extension's active one, then
   * python3/python on PATH; the first that imports torch (see `pythonInterpreter.ts`).
   */
  private async torchPython(resource: vscode.Uri): Promise<TorchPython | undefined> {
    try {
      const found = await resolveTrainingPython(this.ctx.settings().training.pythonPath, resource);
      if (found.skipped.length) this.log(`training: skipped interpreters: ${found.skipped.map((s) => `${s.python} (${s.reason})`).join('; ')}`);
      return found;
    } catch (err) {
      const msg = err instanceof PythonEnvError ? err.message : String(err);
      const act = await vscode.window.showErrorMessage(`ResNet Studio: ${msg}`, 'Open Settings');
      if (act) void vscode.commands.executeCommand('workbench.action.openSettings', 'resnetStudio.training.pythonPath');
      return undefined;
    }
  }

  async stop(runId?: string): Promise<void> {
    const ids = runId ? [runId] : [...this.live.keys()];
    let target = ids[0];
    if (!runId && ids.length > 1) {
      const pick = await vscode.window.showQuickPick(
        ids.map((id) => ({ label: this.live.get(id)!.progress.model, description: id, detail: this.live.get(id)!.progress.summary(), id })),
        { title: 'Stop which training run?' },
      );
      target = pick?.id;
    }
    if (!target) {
      if (!runId) void vscode.window.showInformationMessage('ResNet Studio: no training run is running in this window.');
      return;
    }
    const live = this.live.get(target);
    const result = live ? await live.job.stop() : await this.manager.stop(this.store(), target);
    if (!result) void vscode.window.showInformationMessage(`ResNet Studio: run ${target} is not running.`);
    this.runsEmitter.fire();
  }

  async resume(runId?: string): Promise<void> {
    let target = runId;
    if (!target) {
      const candidates = this.runInfos().filter((r) => r.resumable && (r.status === 'interrupted' || r.status === 'stopped' || r.status === 'failed'));
      if (!candidates.length) {
        void vscode.window.showInformationMessage('ResNet Studio: no stopped or interrupted run with a checkpoint to resume.');
        return;
      }
      const pick = await vscode.window.showQuickPick(
        candidates.map((r) => ({ label: `${r.model}`, description: `${r.status} · ${r.backend}`, detail: r.id, id: r.id })),
        { title: 'Resume which run? (the step count continues from its last checkpoint)' },
      );
      target = pick?.id;
    }
    if (!target) return;
    await this.startRun(target, { resume: true });
  }

  async installNativeBackend(): Promise<void> {
    if (this.installing) return;
    const dir = this.nativeStorageDir();
    const choice = await vscode.window.showInformationMessage(
      'Install @tensorflow/tfjs-node into the extension\'s storage? It downloads TensorFlow for this platform (about 100 MB) and makes TF.js training much faster.',
      { modal: true },
      'Install (CPU)',
      'Install (CUDA GPU)',
    );
    if (!choice) return;
    const pkg = choice === 'Install (CUDA GPU)' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
    this.output ??= vscode.window.createOutputChannel('ResNet Studio: Training');
    const out = this.output;
    out.show(true);
    this.installing = true;
    this.backendEmitter.fire();
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Installing ${pkg}`, cancellable: true }, async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        const r = await npmInstallNative(dir, {
          package: pkg,
          signal: abort.signal,
          onOutput: (line) => {
            out.appendLine(line);
            progress.report({ message: line.slice(0, 80) });
          },
        });
        out.appendLine(`${r.command} exited with ${r.code}`);
        if (r.code === 0 && findNativePackages(dir).some((f) => f.package === pkg)) {
          void vscode.window.showInformationMessage(`${pkg} is installed; new TF.js runs use it.`);
        } else if (!token.isCancellationRequested) {
          void vscode.window.showErrorMessage(`Installing ${pkg} failed (exit ${r.code}); see the "ResNet Studio: Training" output. TF.js training keeps using pure JavaScript.`);
        }
      });
    } catch (err) {
      this.ctx.reportError(`installing ${pkg} failed`, err);
    } finally {
      this.installing = false;
      this.backendEmitter.fire();
    }
  }

  dispose(): void {
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.panel?.dispose();
    // Stops every job not started detached (STYLE.md rule 6); detached ones keep training.
    this.manager.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.output?.dispose();
  }
}
