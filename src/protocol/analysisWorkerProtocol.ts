/**
 * Messages between the extension host's `WorkerRunner` and the analysis worker thread
 * (`dist/analysisWorker.js`): analyses, the workspace index, the code writers (exports and new designs) and
 * the design edits made in the graph, which live only in the worker so that the extension's own bundle stays small. Every request expects one answer, paired with it by id: the worker answers
 * requests in order, but the host also drops and resends requests when it replaces a runaway worker, so
 * only the id says which request an answer belongs to. Both ends are our own code in one process, so the
 * messages are not checked field by field. Never imports `vscode`.
 */
import type { ExportFormat } from '../codegen/exportText';
import type { Analysis, IrGraph, SourceRange } from '../core/ir';
import type { DesignContext, DesignEdit, DesignEditResult } from './designEditProtocol';
import type { FrontEndOptions } from '../frontends/options';
import type { FileIndex } from '../frontends/workspaceIndex';
import type { ReplyFields, RequestFields } from './messages';

/** Host -> worker: analyse this text with the front end that reads `file`. */
export interface AnalysisRequest extends RequestFields {
  kind?: 'analyze';
  file: string;
  text: string;
  options: FrontEndOptions;
  /** Unsaved texts of other open documents, as [file, text]: imported modules are read from them before the disk. */
  openTexts?: [string, string][];
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

/**
 * Host -> worker: list the files under the workspace folders that may hold models (the workspace index's
 * first step), skipping what `core/workspaceFiles.ts` skips and the `exclude` globs (`files.exclude`).
 */
export interface DiscoverRequest extends RequestFields {
  kind: 'discover';
  roots: string[];
  exclude: string[];
}

export interface DiscoverResult extends ReplyFields {
  files: string[];
  truncated: boolean;
}

/**
 * Host -> worker: index one file's models for the Models view. `text` is the editor's text of an open
 * document; null reads the file from disk. One request per file keeps each answer short, so the editor's
 * own analyses queue behind at most one file of the background index.
 */
export interface IndexRequest extends RequestFields {
  kind: 'index';
  file: string;
  text: string | null;
  options: FrontEndOptions;
  /** After this long, further models of the file are listed unanalysed. */
  fileTimeLimitMs: number;
}

/** Worker -> host: the file's index, null when it holds no model (or cannot be read). */
export interface IndexResult extends ReplyFields {
  index: FileIndex | null;
}

/** Host -> worker: write an analysed graph in an export format (the editor's Export and Convert commands). */
export interface ExportRequest extends RequestFields {
  kind: 'export';
  graph: IrGraph;
  format: ExportFormat;
  /** The model's file: the PyTorch writer names it in the generated module's header. */
  sourceFile?: string;
}

/** Worker -> host: the written text (an exported model, or a new design from a template). */
export interface TextResult extends ReplyFields {
  text: string;
}

/**
 * Worker -> host: the writer refused the graph (a `CodegenError`: an op the format cannot hold). Not a
 * failure of the worker: the host shows the message and offers to go to `source`, the refused node.
 */
export interface ExportRefusal extends ReplyFields {
  refused: { message: string; source?: SourceRange };
}

/** Host -> worker: the design templates a new design can start from, for the template wizard's list. */
export interface TemplatesRequest extends RequestFields {
  kind: 'templates';
}

export interface TemplatesResult extends ReplyFields {
  templates: { id: string; label: string }[];
}

/** Host -> worker: the text of a new design from the template `template` (the same as `resnet-studio new`). */
export interface NewDesignRequest extends RequestFields {
  kind: 'newDesign';
  template: string;
}

/** Host -> worker: one edit made in the graph, applied to a design's text (`frontends/designEdits.ts`). */
export interface DesignEditRequest extends RequestFields {
  kind: 'designEdit';
  text: string;
  edit: DesignEdit;
}

/** Worker -> host: the text edits for the editor (or why the edit was refused). */
export interface DesignEditReply extends ReplyFields {
  edited: DesignEditResult;
}

/** Host -> worker: what the graph page needs to offer edits of this design's text. */
export interface DesignContextRequest extends RequestFields {
  kind: 'designContext';
  text: string;
}

/** Worker -> host: the context, null when the text is not a design that parses. */
export interface DesignContextReply extends ReplyFields {
  context: DesignContext | null;
}

export type WorkerRequest = AnalysisRequest | DiscoverRequest | IndexRequest | ExportRequest | TemplatesRequest | NewDesignRequest | DesignEditRequest | DesignContextRequest;
export type WorkerReply =
  | AnalysisResult
  | DiscoverResult
  | IndexResult
  | TextResult
  | ExportRefusal
  | TemplatesResult
  | DesignEditReply
  | DesignContextReply
  | AnalysisFailure;
