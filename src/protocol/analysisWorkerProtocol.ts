/**
 * Messages between the extension host's `WorkerRunner` and the analysis worker thread
 * (`dist/analysisWorker.js`). Every request expects one answer, paired with it by id: the worker answers
 * requests in order, but the host also drops and resends requests when it replaces a runaway worker, so
 * only the id says which request an answer belongs to. Both ends are our own code in one process, so the
 * messages are not checked field by field. Never imports `vscode`.
 */
import type { Analysis } from '../core/ir';
import type { FrontEndOptions } from '../frontends/options';
import type { ReplyFields, RequestFields } from './messages';

/** Host -> worker: analyse this text with the front end that reads `file`. */
export interface AnalysisRequest extends RequestFields {
  file: string;
  text: string;
  options: FrontEndOptions;
}

/** Worker -> host: the analysis (null when no front end reads the file) and how long it took. */
export interface AnalysisResult extends ReplyFields {
  analysis: Analysis | null;
  ms: number;
}

/** Worker -> host: the front end threw (a bug in it); the text of the error, with its stack. */
export interface AnalysisFailure extends ReplyFields {
  error: string;
}

export type AnalysisReply = AnalysisResult | AnalysisFailure;
