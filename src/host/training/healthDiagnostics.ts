/**
 * Training health on the model's source: each alert that a run's layer telemetry raises (see
 * `src/training/health.ts`) becomes a warning diagnostic on the line that built the layer (the IR node's
 * `definedAt`, else the line that calls it). A model's alerts stay after its run ends, until a newer run of
 * the same model starts or the run is closed (the metrics panel closed after it ended, or the window).
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { Analysis, IrGraph } from '../../core/ir';
import type { FrontEndOptions } from '../../frontends/options';
import type { RunConfig, TrainingRow } from '../../protocol/trainingProtocol';
import { type HealthAlert, healthAlerts, layerRows } from '../../protocol/trainingHealth';
import { alertSites } from '../../training/health';
import type { TrainingJob } from '../../training/jobs';

type Analyze = (file: string, text: string, options: FrontEndOptions) => Promise<Analysis | null>;

interface Followed {
  runId: string;
  ended: boolean;
  /** Its diagnostics, per file (a layer may be built in an imported module). */
  perFile: Map<string, vscode.Diagnostic[]>;
  dispose(): void;
}

export const HEALTH_DIAGNOSTIC_SOURCE = 'ResNet Studio training';

export class HealthDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('resnetStudio.trainingHealth');
  /** Per model (file and name), the run whose alerts are shown. */
  private readonly byModel = new Map<string, Followed>();

  constructor(private readonly analyze: Analyze) {}

  /** Shows the alerts of this job's run on its model's source, replacing an earlier run's of the same model. */
  follow(job: TrainingJob, config: Pick<RunConfig, 'modelFile' | 'modelName' | 'modelArgs' | 'inputShape'>): void {
    const key = `${config.modelFile}\0${config.modelName}`;
    this.clear(key);
    const rows: TrainingRow[] = [];
    let graph: IrGraph | null | undefined;
    let dirty = false;
    const followed: Followed = { runId: job.runId, ended: false, perFile: new Map(), dispose: () => sub.dispose() };
    this.byModel.set(key, followed);
    const refresh = () => {
      dirty = false;
      if (!graph || this.byModel.get(key) !== followed) return;
      this.show(followed, graph, healthAlerts(layerRows(rows)));
    };
    // Alerts are checked when a sampled step's rows are all in: at the first row that is not one of them.
    const take = (row: TrainingRow) => {
      if (row.type === 'layer') {
        rows.push(row);
        dirty = true;
      } else if (dirty) refresh();
    };
    const sub = job.onDidEmitRow(take);
    for (const row of job.rows) take(row);
    void job.done.then(() => {
      followed.ended = true;
      refresh();
    });
    void this.graphOf(config).then((g) => {
      graph = g;
      refresh();
    });
  }

  /** The run was closed: its alerts go. */
  closeRun(runId: string): void {
    for (const [key, f] of this.byModel) if (f.runId === runId) this.clear(key);
  }

  /** The runs that have ended are closed (the panel that showed them was closed). */
  closeEnded(): void {
    for (const [key, f] of this.byModel) if (f.ended) this.clear(key);
  }

  /** The diagnostics shown for a file (for tests and the panel). */
  diagnosticsFor(uri: vscode.Uri): readonly vscode.Diagnostic[] {
    return this.collection.get(uri) ?? [];
  }

  private async graphOf(config: Pick<RunConfig, 'modelFile' | 'modelName' | 'modelArgs' | 'inputShape'>): Promise<IrGraph | null> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === config.modelFile);
    let text: string;
    try {
      text = open?.getText() ?? fs.readFileSync(config.modelFile, 'utf8');
    } catch {
      return null;
    }
    try {
      const a = await this.analyze(config.modelFile, text, { model: config.modelName, input: [...config.inputShape], ...(config.modelArgs ? { args: config.modelArgs } : {}) });
      return a?.graph ?? null;
    } catch {
      return null;
    }
  }

  private show(f: Followed, graph: IrGraph, alerts: readonly HealthAlert[]): void {
    const perFile = new Map<string, vscode.Diagnostic[]>();
    for (const { alert: a, range: at } of alertSites(graph, alerts)) {
      const range = new vscode.Range(at.line - 1, Math.max(0, at.column - 1), at.endLine - 1, Math.max(0, at.endColumn - 1));
      const d = new vscode.Diagnostic(range, `${a.message} (training run ${f.runId})`, vscode.DiagnosticSeverity.Warning);
      d.source = HEALTH_DIAGNOSTIC_SOURCE;
      d.code = `training/${a.kind}`;
      const list = perFile.get(at.file);
      if (list) list.push(d);
      else perFile.set(at.file, [d]);
    }
    const touched = new Set([...f.perFile.keys(), ...perFile.keys()]);
    f.perFile = perFile;
    this.render(touched);
  }

  /** A file's diagnostics are those of every followed model (several models may share a file). */
  private render(files: Iterable<string>): void {
    for (const file of files) {
      const all = [...this.byModel.values()].flatMap((f) => f.perFile.get(file) ?? []);
      if (all.length) this.collection.set(vscode.Uri.file(file), all);
      else this.collection.delete(vscode.Uri.file(file));
    }
  }

  private clear(key: string): void {
    const f = this.byModel.get(key);
    if (!f) return;
    this.byModel.delete(key);
    f.dispose();
    this.render(f.perFile.keys());
  }

  dispose(): void {
    for (const key of [...this.byModel.keys()]) this.clear(key);
    this.collection.dispose();
  }
}
