/**
 * The analysis worker's answers to the design-editing requests (`designEdit`, `designContext`), shared by the
 * worker thread and the in-process runner so both answer alike. The edit operations read the design front end
 * and the operator catalogue, so they run where the front ends already are, never in the extension's bundle.
 * Pure Node: no `vscode` import.
 */
import type { DesignContextReply, DesignContextRequest, DesignEditReply, DesignEditRequest } from '../protocol/analysisWorkerProtocol';

export type DesignerRequest = DesignEditRequest | DesignContextRequest;
export type DesignerAnswer = Omit<DesignEditReply, 'inReplyTo'> | Omit<DesignContextReply, 'inReplyTo'>;

export function isDesignerRequest(req: { kind?: string }): req is DesignerRequest {
  return req.kind === 'designEdit' || req.kind === 'designContext';
}

export async function answerDesigner(req: DesignerRequest): Promise<DesignerAnswer> {
  const { applyDesignEdit, designContextOf } = await import('../frontends/designEdits');
  return req.kind === 'designEdit' ? { edited: applyDesignEdit(req.text, req.edit) } : { context: designContextOf(req.text) };
}
