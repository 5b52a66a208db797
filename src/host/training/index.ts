/**
 * The training feature of the extension host: `registerTraining(ctx)` registers the training commands, the
 * metrics panel's serializer, the status bar item, and follows detached runs still training from an earlier
 * session. Every job is a child process; this side only starts, stops and watches them.
 */
import * as vscode from 'vscode';
import { METRICS_VIEW_TYPE, type MetricsWebviewState } from '../../protocol/metricsProtocol';
import type { StudioContext } from '../context';
import { TrainingController } from './controller';
import { trainCommand } from './trainFlow';
import type { AnalysisService } from '../analysisService';

/** `analysis` analyses the file to train off the extension host's thread (the shared analysis service). */
export function registerTraining(ctx: StudioContext, analysis: Pick<AnalysisService, 'analyzeText'>): TrainingController {
  const controller = new TrainingController(ctx, analysis);
  const guarded = ctx.guarded.bind(ctx);
  ctx.subscriptions.push(
    controller,
    vscode.commands.registerCommand('resnetStudio.train', guarded('Training failed to start', (uri?: unknown, model?: unknown) => trainCommand(controller, uri, model))),
    vscode.commands.registerCommand('resnetStudio.stopTraining', guarded('Stop Training failed', (runId?: unknown) => controller.stop(typeof runId === 'string' ? runId : undefined))),
    vscode.commands.registerCommand('resnetStudio.showRuns', guarded('Show Training Runs failed', (runId?: unknown) => controller.showPanel(typeof runId === 'string' ? runId : undefined))),
    vscode.commands.registerCommand('resnetStudio.resumeRun', guarded('Resume Training failed', (runId?: unknown) => controller.resume(typeof runId === 'string' ? runId : undefined))),
    vscode.commands.registerCommand('resnetStudio.installNativeBackend', guarded('Installing the native TF.js backend failed', () => controller.installNativeBackend())),
    vscode.window.registerWebviewPanelSerializer(METRICS_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
        controller.revivePanel(panel, (state ?? undefined) as MetricsWebviewState | undefined);
      },
    }),
  );
  try {
    controller.attachRunning();
  } catch (err) {
    ctx.logger.warn(`training: could not follow running runs: ${err instanceof Error ? err.message : String(err)}`);
  }
  return controller;
}
