/**
 * Extension entry point: builds the one context object, registers every feature into its disposables, and
 * reports its own failure. Activation does no analysis and loads no front end; both happen on first use.
 */
import * as vscode from 'vscode';
import { ActiveModel } from './host/activeModel';
import { AnalysisService } from './host/analysisService';
import { registerCommands } from './host/commands';
import { registerInputShape } from './host/inputShape';
import { StudioContext } from './host/context';
import { graphHtml } from './host/graphHtml';
import { GraphViews } from './host/graphView';
import { registerDesignerEditor } from './host/designerEditor';
import { registerDiagnostics, registerLanguageFeatures } from './host/languageFeatures';
import { registerModelsView } from './host/modelsView';
import { registerOutlineView } from './host/outlineView';
import { registerTraining } from './host/training';

let studio: StudioContext | undefined;

export function activate(extension: vscode.ExtensionContext): void {
  try {
    const ctx = new StudioContext(extension);
    studio = ctx;
    extension.subscriptions.push(ctx);
    const service = new AnalysisService(ctx);
    ctx.subscriptions.push(service);
    const active = new ActiveModel(ctx, service);
    registerDiagnostics(ctx, service);
    registerLanguageFeatures(ctx, service);
    registerInputShape(ctx, service);
    registerCommands(ctx, service);
    const training = registerTraining(ctx, service);
    const graphs = new GraphViews(ctx, service, active, graphHtml, training.graphFeed);
    registerDesignerEditor(ctx, service, graphHtml, graphs, training.graphFeed);
    registerOutlineView(ctx, active);
    registerModelsView(ctx, service);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    void vscode.window.showErrorMessage(`ResNet Studio failed to start: ${msg}`);
    studio?.dispose();
    studio = undefined;
    throw err;
  }
}

export function deactivate(): void {
  studio?.dispose();
  studio = undefined;
}
