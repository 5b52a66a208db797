/**
 * Layer telemetry for the graph page: the newest run of the model a page shows, with its layer rows (read from
 * `metrics.jsonl`, so a finished run replays), and the rows of runs training now as each sampled step's rows
 * are complete (live). The graph view asks {@link GraphTelemetryFeed.latest} when it draws a model and listens
 * to {@link GraphTelemetryFeed.onDidAppend}.
 */
import * as vscode from 'vscode';
import { currentRows } from '../../protocol/trainingAttempts';
import type { LayerRow, RunConfig, TrainingRow } from '../../protocol/trainingProtocol';
import { layerRows } from '../../protocol/trainingHealth';
import type { TrainingJob } from '../../training/jobs';
import type { RunStore } from '../../training/runStore';

export interface TelemetryAppend {
  runId: string;
  modelFile: string;
  modelName: string;
  rows: LayerRow[];
  /** The run (re)started: the rows replace what a page holds for this model. */
  fresh: boolean;
}

export interface TelemetryFeed {
  latest(modelFile: string, modelName: string): { runId: string; rows: LayerRow[] } | undefined;
  readonly onDidAppend: vscode.Event<TelemetryAppend>;
}

const sameFile = (a: string, b: string): boolean => (process.platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b);

export class GraphTelemetryFeed implements TelemetryFeed, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TelemetryAppend>();
  readonly onDidAppend = this.emitter.event;

  constructor(private readonly store: () => RunStore) {}

  latest(modelFile: string, modelName: string): { runId: string; rows: LayerRow[] } | undefined {
    const store = this.store();
    // listRuns is newest first.
    const run = store.listRuns().find((r) => r.config && r.config.modelName === modelName && sameFile(r.config.modelFile, modelFile));
    if (!run) return undefined;
    return { runId: run.id, rows: layerRows(currentRows(store.readRows(run.id))) };
  }

  /** Streams a job's layer rows, a sampled step at a time (when the next row that is not one of them comes). */
  follow(job: TrainingJob, config: Pick<RunConfig, 'modelFile' | 'modelName'>): vscode.Disposable {
    const base = { runId: job.runId, modelFile: config.modelFile, modelName: config.modelName };
    let stored: TrainingRow[] = [];
    try {
      stored = this.store().readRows(job.runId);
    } catch {
      // A run directory that cannot be read yet has no telemetry yet.
    }
    this.emitter.fire({ ...base, rows: layerRows(currentRows(stored)), fresh: true });
    let batch: LayerRow[] = [];
    const sub = job.onDidEmitRow((row) => {
      if (row.type === 'layer') batch.push(row);
      else if (batch.length) {
        this.emitter.fire({ ...base, rows: batch, fresh: false });
        batch = [];
      }
    });
    void job.done.then(() => sub.dispose());
    return sub;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
