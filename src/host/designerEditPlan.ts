/**
 * The rules the host applies to an `editDesign` message from the graph page, apart from VS Code: only a
 * design is edited, only against the version the page drew, and the edit function's answer becomes either
 * text edits or the refusal the page shows. Kept free of `vscode` at runtime so the rules are unit-tested in
 * Node (test/host/designerEditPlan.test.ts); `designerEdits.ts` turns a plan into one `WorkspaceEdit`.
 */
import type { DesignEditResult } from '../protocol/designEditProtocol';

/** The edits of a plan: offsets into the document's text at the version the page drew. */
export type TextEdits = Extract<DesignEditResult, { ok: true }>['edits'];

export type EditPlan = { ok: true; edits: TextEdits; summary: string } | { ok: false; message: string };

export function isDesignFileName(fileName: string): boolean {
  return /\.resnet\.json$/i.test(fileName);
}

/**
 * Why an edit the page made against `pageVersion` is not made, or undefined when it may go ahead. An edit made
 * on a graph the document has moved past is refused rather than rebased: its targets (stage and layer names,
 * counts) were read from the old text, and the new graph is already on its way to the page.
 */
export function editRefusal(doc: { fileName: string; version: number }, pageVersion: number): string | undefined {
  if (!isDesignFileName(doc.fileName)) return 'only a *.resnet.json design can be edited in the graph';
  if (pageVersion !== doc.version) {
    return `the design changed after the graph was drawn (version ${pageVersion}, now ${doc.version}); the graph is catching up, try again`;
  }
  return undefined;
}

/** The edit function's answer as a plan. */
export function planOf(r: DesignEditResult): EditPlan {
  return r.ok ? { ok: true, edits: r.edits, summary: r.summary } : { ok: false, message: r.error };
}
