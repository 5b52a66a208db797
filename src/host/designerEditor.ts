/**
 * "ResNet Studio Designer": the graph page as a custom editor for `*.resnet.json`, offered beside the text
 * editor the way vscode-hexeditor offers its editor: an "Open With…" choice (priority `option`, so the text
 * editor stays the default), a title-bar button and an explorer entry that reopen a design in it.
 *
 * It is a `CustomTextEditorProvider`, so the design's `TextDocument` stays the model: edits made in the page go
 * through the same `WorkspaceEdit` path as the graph panels (`designerEdits.ts`), VS Code's own undo, redo,
 * save, dirty state and hot exit act on that document, and a text editor open on the same file follows.
 */
import * as vscode from 'vscode';
import type { AnalysisService } from './analysisService';
import type { StudioContext } from './context';
import { DesignEditing } from './designerEdits';
import { type GraphHtml, GraphSession, type GraphViews } from './graphView';
import { isDesignFileName } from './designerEditPlan';
import { revealSource } from './documents';
import type { TelemetryFeed } from './training/graphTelemetryFeed';

export const DESIGNER_VIEW_TYPE = 'resnetStudio.designer';

class DesignerEditorProvider implements vscode.CustomTextEditorProvider {
  private readonly editing: DesignEditing;

  constructor(
    private readonly ctx: StudioContext,
    private readonly service: AnalysisService,
    private readonly html: GraphHtml,
    private readonly views: GraphViews,
    private readonly telemetry?: TelemetryFeed,
  ) {
    this.editing = new DesignEditing(service);
  }

  resolveCustomTextEditor(document: vscode.TextDocument, panel: vscode.WebviewPanel): void {
    // A tap shows the source beside the designer without taking the focus, so the designer's undo and redo stay its own.
    const session = new GraphSession(this.ctx, panel.webview, this.html, this.telemetry, this.editing, (range) => revealSource(range, 'beside'));
    // The title bar's heat and image-export commands act on the active designer as on a graph panel.
    this.views.track(panel, session);
    const key = document.uri.toString();
    const subscriptions: vscode.Disposable[] = [
      // The same stream as the graph panels: every edit, whoever made it (this page, a text editor, undo), re-analyses the document.
      this.service.onDidAnalyze((r) => {
        if (r.uri.toString() === key) session.show(r);
      }),
    ];
    if (this.telemetry) subscriptions.push(this.telemetry.onDidAppend((e) => session.onTelemetry(e)));
    panel.onDidDispose(() => {
      for (const d of subscriptions.splice(0)) d.dispose();
      session.dispose();
    });
    this.service.analyze(document).then(
      (r) => {
        // A later edit's analysis may have been shown while this one ran; never step back to an older version.
        if (r && r.version === document.version) session.show(r);
      },
      (err: unknown) => this.ctx.reportError(`could not analyse ${vscode.workspace.asRelativePath(document.uri)}`, err),
    );
  }
}

/** The design a command acts on: the one it was given (explorer, title bar), else the active tab's. */
function designUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom) return input.uri;
  return vscode.window.activeTextEditor?.document.uri;
}

export function registerDesignerEditor(ctx: StudioContext, service: AnalysisService, html: GraphHtml, views: GraphViews, telemetry?: TelemetryFeed): void {
  ctx.subscriptions.push(
    vscode.window.registerCustomEditorProvider(DESIGNER_VIEW_TYPE, new DesignerEditorProvider(ctx, service, html, views, telemetry), {
      // Two designers on one design are two pages over one TextDocument; both follow it.
      supportsMultipleEditorsPerDocument: true,
    }),
    vscode.commands.registerCommand(
      'resnetStudio.openDesigner',
      ctx.guarded('Open in Designer failed', async (arg?: unknown) => {
        const uri = designUri(arg);
        if (!uri || !isDesignFileName(uri.path)) {
          void vscode.window.showInformationMessage('ResNet Studio: the Designer edits *.resnet.json designs; open one first.');
          return;
        }
        await vscode.commands.executeCommand('vscode.openWith', uri, DESIGNER_VIEW_TYPE);
      }),
    ),
  );
}
