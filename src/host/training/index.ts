/**
 * The training feature of the extension host: `registerTraining(ctx)` registers the training commands, the
 * metrics panel's serializer and the graph pages' layer-telemetry feed, and follows detached runs still
 * training from an earlier session. The training code itself (the controller, the Train flow, the job manager,
 * SLURM, the data readers, the training protocol) is its own bundle, loaded at the first command, restored
 * panel or telemetry question: activation only looks whether the runs folder exists. Every job is a child
 * process; this side only starts, stops and watches them.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { METRICS_VIEW_TYPE, type MetricsWebviewState } from '../../protocol/metricsProtocol';
import type { StudioContext } from '../context';
import type { AnalysisService } from '../analysisService';
import type { TrainingController } from './controller';
import type { TelemetryAppend, TelemetryFeed } from './graphTelemetryFeed';
import { runsRootOf } from './runsRoot';
import type * as TrainingFeature from './trainingFeature';

/** What the rest of the extension holds of training: the feed the graph pages draw layer telemetry from. */
export interface Training {
  readonly graphFeed: TelemetryFeed;
}

/**
 * The training code. In the extension bundle `./trainingFeature` stays a `require` of
 * `dist/trainingFeature.js`, its own bundle (scripts/build.mjs); from the sources it is the module itself.
 */
function loadFeature(): typeof TrainingFeature {
  return require('./trainingFeature') as typeof TrainingFeature;
}

/** `analysis` analyses the file to train off the extension host's thread (the shared analysis service). */
export function registerTraining(ctx: StudioContext, analysis: Pick<AnalysisService, 'analyzeText' | 'indexDocument' | 'peek'>): Training {
  let controller: TrainingController | undefined;
  let disposed = false;
  const appended = new vscode.EventEmitter<TelemetryAppend>();
  const get = (): TrainingController => {
    if (controller) return controller;
    const c = new (loadFeature().TrainingController)(ctx, analysis);
    controller = c;
    c.graphFeed.onDidAppend((e) => appended.fire(e));
    try {
      c.attachRunning();
    } catch (err) {
      ctx.logger.warn(`training: could not follow running runs: ${err instanceof Error ? err.message : String(err)}`);
    }
    return c;
  };
  // No runs folder, no run to follow nor telemetry to draw: the question needs no training code.
  const runsExist = (): boolean => {
    try {
      return fs.existsSync(runsRootOf(ctx));
    } catch {
      return false;
    }
  };
  const graphFeed: TelemetryFeed = {
    latest: (modelFile, modelName) => (controller || runsExist() ? get().graphFeed.latest(modelFile, modelName) : undefined),
    onDidAppend: appended.event,
  };
  const guarded = ctx.guarded.bind(ctx);
  ctx.subscriptions.push(
    {
      dispose: () => {
        disposed = true;
        controller?.dispose();
      },
    },
    appended,
    vscode.commands.registerCommand('resnetStudio.train', guarded('Training failed to start', (uri?: unknown, model?: unknown) => loadFeature().trainCommand(get(), uri, model))),
    vscode.commands.registerCommand('resnetStudio.stopTraining', guarded('Stop Training failed', (runId?: unknown) => get().stop(typeof runId === 'string' ? runId : undefined))),
    vscode.commands.registerCommand('resnetStudio.showRuns', guarded('Show Training Runs failed', (runId?: unknown) => get().showPanel(typeof runId === 'string' ? runId : undefined))),
    vscode.commands.registerCommand('resnetStudio.resumeRun', guarded('Resume Training failed', (runId?: unknown) => get().resume(typeof runId === 'string' ? runId : undefined))),
    vscode.commands.registerCommand('resnetStudio.installNativeBackend', guarded('Installing the native TF.js backend failed', () => get().installNativeBackend())),
    vscode.window.registerWebviewPanelSerializer(METRICS_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
        get().revivePanel(panel, (state ?? undefined) as MetricsWebviewState | undefined);
      },
    }),
  );
  // Runs an earlier session started detached may still be training: they are followed (status bar, health
  // diagnostics, telemetry) just after activation, not during it.
  if (runsExist()) {
    setImmediate(() => {
      if (disposed) return;
      try {
        get();
      } catch (err) {
        ctx.reportError('the training runs could not be followed', err);
      }
    });
  }
  return { graphFeed };
}
