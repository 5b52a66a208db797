/**
 * The code writers' answers to the analysis worker's `export`, `templates` and `newDesign` requests, shared
 * by the worker thread and the in-process runner so both answer alike. The writers (`src/codegen/*`) are
 * loaded on the first such request: they stay out of the extension's bundle, and out of the worker's start
 * before its first analysis. Pure Node: no `vscode` import.
 */
import type { ExportRefusal, ExportRequest, NewDesignRequest, TemplatesRequest, TemplatesResult, TextResult } from '../protocol/analysisWorkerProtocol';

export type WriterRequest = ExportRequest | TemplatesRequest | NewDesignRequest;
export type WriterAnswer = Omit<TextResult, 'inReplyTo'> | Omit<ExportRefusal, 'inReplyTo'> | Omit<TemplatesResult, 'inReplyTo'>;

export function isWriterRequest(req: { kind?: string }): req is WriterRequest {
  return req.kind === 'export' || req.kind === 'templates' || req.kind === 'newDesign';
}

/** What the writer says; a `CodegenError` becomes a refusal (an answer), any other exception propagates. */
export async function answerWriter(req: WriterRequest): Promise<WriterAnswer> {
  if (req.kind === 'templates') {
    const { TEMPLATES } = await import('../frontends/templates');
    return { templates: TEMPLATES.map((t) => ({ id: t.id, label: t.label })) };
  }
  if (req.kind === 'newDesign') {
    const { newDesignText } = await import('../codegen/newDesign');
    return { text: newDesignText(req.template) };
  }
  const [{ exportText }, { CodegenError }] = await Promise.all([import('../codegen/exportText'), import('../codegen/moduleTree')]);
  try {
    return { text: exportText(req.graph, req.format, req.sourceFile) };
  } catch (e) {
    if (!(e instanceof CodegenError)) throw e;
    return { refused: { message: e.message, ...(e.source ? { source: e.source } : {}) } };
  }
}
