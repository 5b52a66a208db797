/**
 * The extension host's half of editing a design in the graph: the design context a page needs to offer
 * edits, and an `editDesign` message applied to the document as one `WorkspaceEdit`, so the text stays the
 * single source of truth, the editor's undo takes the whole gesture back in one step, and a text editor
 * showing the same design follows by construction. The graph and the diagnostics then follow from the
 * ordinary document change and re-analysis, asked for at once instead of after the typing debounce.
 * The edit operations themselves run in the analysis worker (`designerRequests.ts`), beside the front ends.
 */
import * as vscode from 'vscode';
import type { DesignContext } from '../protocol/designEditProtocol';
import type { EditDesignMessage, EditResultMessage } from '../protocol/graphProtocol';
import type { AnalysisService } from './analysisService';
import { editRefusal, isDesignFileName, planOf } from './designerEditPlan';

function openDocument(uri: vscode.Uri): vscode.TextDocument | undefined {
  const key = uri.toString();
  return vscode.workspace.textDocuments.find((d) => d.uri.toString() === key && !d.isClosed);
}

/** A document as the graph shows it: which file, at which version. */
export interface ShownDesign {
  uri: vscode.Uri;
  version: number;
}

export class DesignEditing {
  /**
   * The context of each design's latest version asked for (one entry per design, replaced by its next version):
   * a page is sent the same version more than once (ready, settings, several pages).
   */
  private readonly contexts = new Map<string, { version: number; context: Promise<DesignContext | null> }>();

  constructor(private readonly service: AnalysisService) {}

  /**
   * The context for a page showing `r`, or undefined when the page gets none: `r` is not a design, or not the
   * document's current version (a page drawing an older version is about to get the newer one, and could
   * not edit this one anyway).
   */
  contextFor(r: ShownDesign | undefined): Promise<DesignContext | null> | undefined {
    if (!r || !isDesignFileName(r.uri.path)) return undefined;
    const doc = openDocument(r.uri);
    if (!doc || doc.version !== r.version) return undefined;
    const key = r.uri.toString();
    const cached = this.contexts.get(key);
    if (cached?.version === r.version) return cached.context;
    const context = this.service.designer().designContext(doc.getText());
    this.contexts.set(key, { version: r.version, context });
    // A failed request is not kept: the next page to ask tries again.
    context.catch(() => {
      if (this.contexts.get(key)?.context === context) this.contexts.delete(key);
    });
    return context;
  }

  /** Applies one edit from a page showing `r`, and says what became of it. */
  async apply(r: ShownDesign | undefined, msg: EditDesignMessage): Promise<EditResultMessage> {
    const refuse = (message: string): EditResultMessage => ({ type: 'editResult', ok: false, message });
    if (!r) return refuse('the graph shows no design');
    const doc = openDocument(r.uri) ?? (await vscode.workspace.openTextDocument(r.uri));
    const refusal = editRefusal({ fileName: doc.uri.path, version: doc.version }, msg.version);
    if (refusal) return refuse(refusal);
    const text = doc.getText();
    const version = doc.version;
    const plan = planOf(await this.service.designer().designEdit(text, msg.edit));
    if (!plan.ok) return refuse(plan.message);
    // The worker answered for `text`; the user may have typed meanwhile, and the edit's offsets are into `text`.
    if (doc.version !== version) return refuse('the design changed while the edit was being made; try again');
    if (plan.edits.length === 0) return { type: 'editResult', ok: true, message: `${plan.summary} (the text already says so)` };
    const we = new vscode.WorkspaceEdit();
    for (const e of plan.edits) we.replace(doc.uri, new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)), e.content);
    if (!(await vscode.workspace.applyEdit(we))) return refuse('VS Code did not apply the edit (the document may have changed meanwhile); try again');
    // The change event has scheduled a debounced analysis; a gesture in the graph is not typing, so analyse now,
    // and ask for the new version's context at the same time so that the repaint does not wait for it after.
    this.service.schedule(doc, 0);
    void this.contextFor({ uri: doc.uri, version: doc.version })?.catch(() => undefined);
    return { type: 'editResult', ok: true, message: plan.summary };
  }
}
