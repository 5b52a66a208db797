/**
 * Messages between the extension host and the metrics panel. The panel posts `ready` first; the host answers
 * with `init`, the full current state (every shown run's rows read from its `metrics.jsonl`), and only then
 * streams `rows`. Each row batch carries the index in `metrics.jsonl` of its first row, so the panel appends
 * exactly the rows it lacks: a batch that overlaps what it has is trimmed (no duplicates), and one that starts
 * past its count makes it ask for the missing rows (no gaps). That index is what pairs `requestRows` and
 * `select` with the rows they bring, so they need no request id: any batch, whenever it comes, lands where its
 * index says. The host checks every message from the panel with {@link checkFromMetricsWebview}. Imported by
 * both sides, and the panel's only way to the training rows' types; never imports `vscode` at runtime.
 */
import type { TrainingRow } from './trainingProtocol';
import { arrayOf, isBoolean, isIndex, isString, messageChecker, nullable, objectOf, optional, recordOf } from './guards';

/** The rows of `metrics.jsonl`, as `init` and `rows` carry them. */
export type { MetricRow, StatusRow, TrainingRow } from './trainingProtocol';

export type RunStatusName = 'created' | 'running' | 'completed' | 'failed' | 'stopped' | 'interrupted';

/** One run as the run list shows it. */
export interface RunInfo {
  id: string;
  /** The model's name. */
  model: string;
  /** The model's source file: runs of the same model share it and the name, and only they are overlaid. */
  modelFile: string;
  backend: 'tfjs' | 'pytorch';
  status: RunStatusName;
  /** ISO 8601. */
  createdAt: string;
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: string;
  /** `synthetic` or the data directory. */
  data: string;
  inputShape: number[];
  /** Where the input shape came from, in words (the data set, the resize chosen, the analysis's guess). */
  inputFrom?: string;
  /** The program that trains: the Python interpreter, or the Node that runs the TF.js worker, with its versions. */
  interpreter?: string;
  /** Why that interpreter: the setting, RESNET_STUDIO_PYTHON, the Python extension, PATH, or VS Code's own Node. */
  interpreterReason?: string;
  /** Why the device the runner reports (PyTorch; a TF.js run says it in its status rows). */
  deviceReason?: string;
  /** The reason of the last failure, when the run failed. */
  error?: string | null;
  /** A checkpoint exists, so the run can be resumed. */
  resumable: boolean;
  /** A job of this window follows it, so Stop can reach it. */
  stoppable: boolean;
}

export interface BackendInfo {
  /** Native TF.js packages found (`@tensorflow/tfjs-node`, ...); empty means pure JavaScript. */
  nativePackages: string[];
  /** An install of the native backend is running. */
  installing: boolean;
}

/** Host -> panel: everything, replacing what the panel had. */
export interface InitMessage {
  type: 'init';
  runs: RunInfo[];
  /** Runs drawn together (overlay), in drawing order. */
  shown: string[];
  /** The run whose header (progress, ETA, backend, Stop) the panel shows. */
  focus: string | null;
  /** Rows of every shown run, from index 0. */
  rows: Record<string, TrainingRow[]>;
  backend: BackendInfo;
  /** Earlier runs of the focused run's model are drawn with it (the user's choice; off at first). */
  overlay: boolean;
}

/** Host -> panel: rows `from`, `from + 1`, ... of a run's `metrics.jsonl`. */
export interface RowsMessage {
  type: 'rows';
  runId: string;
  from: number;
  rows: TrainingRow[];
}

/** Host -> panel: the run list changed (a run started, ended, or was added). */
export interface RunsMessage {
  type: 'runs';
  runs: RunInfo[];
}

export interface BackendMessage {
  type: 'backend';
  backend: BackendInfo;
}

/** Host -> panel: focus and show these runs (a command opened the panel on a run). */
export interface ShowMessage {
  type: 'show';
  focus: string;
  shown: string[];
  rows: Record<string, TrainingRow[]>;
}

export type ToMetricsWebview = InitMessage | RowsMessage | RunsMessage | BackendMessage | ShowMessage;

export interface ReadyMessage {
  type: 'ready';
}

/** Panel -> host: the user changed which runs are drawn or which one is in focus. */
export interface SelectMessage {
  type: 'select';
  shown: string[];
  focus: string | null;
  /** How many rows the panel already holds per shown run; the host sends the rest as `rows`. */
  have: Record<string, number>;
  /** Whether the user chose to overlay runs of the same model; a run started later then joins them. */
  overlay: boolean;
}

/** Panel -> host: rows from `from` on are missing (a batch arrived past the panel's count). */
export interface RequestRowsMessage {
  type: 'requestRows';
  runId: string;
  from: number;
}

export interface StopMessage {
  type: 'stop';
  runId: string;
}

export interface ResumeMessage {
  type: 'resume';
  runId: string;
}

/** Panel -> host: save this CSV (the panel builds it from the rows it draws). */
export interface SaveCsvMessage {
  type: 'saveCsv';
  fileName: string;
  csv: string;
}

export interface InstallBackendMessage {
  type: 'installBackend';
}

export interface WebviewErrorMessage {
  type: 'error';
  message: string;
}

export type FromMetricsWebview = ReadyMessage | SelectMessage | RequestRowsMessage | StopMessage | ResumeMessage | SaveCsvMessage | InstallBackendMessage | WebviewErrorMessage;

/** What the panel persists with `setState`: choices only; rows are always re-read from `metrics.jsonl`. */
export interface MetricsWebviewState {
  shown: string[];
  focus: string | null;
  /** Absent in the state of older panels: no overlay. */
  overlay?: boolean;
}

export const METRICS_VIEW_TYPE = 'resnetStudio.metrics';

export { type MessageHandlers, dispatch } from './messages';

/** Checks a message from the panel field by field before the host acts on it. */
export const checkFromMetricsWebview = messageChecker<FromMetricsWebview>({
  ready: {},
  select: { shown: arrayOf(isString), focus: nullable(isString), have: recordOf(isIndex), overlay: isBoolean },
  requestRows: { runId: isString, from: isIndex },
  stop: { runId: isString },
  resume: { runId: isString },
  saveCsv: { fileName: isString, csv: isString },
  installBackend: {},
  error: { message: isString },
});

/** Checks a persisted state handed back by VS Code, which may come from an older version of the panel. */
export const isMetricsWebviewState = objectOf<MetricsWebviewState>({ shown: arrayOf(isString), focus: nullable(isString), overlay: optional(isBoolean) });

/** Runs of one model: the same class or factory in the same file. Only these are ever drawn together. */
export function isSameModel(a: Pick<RunInfo, 'model' | 'modelFile'>, b: Pick<RunInfo, 'model' | 'modelFile'>): boolean {
  return a.model === b.model && a.modelFile === b.modelFile;
}

/** The other runs of the focused run's model, newest first as `runs` lists them: what the overlay offers. */
export function overlayCandidates(runs: readonly RunInfo[], focus: string | null): RunInfo[] {
  const f = runs.find((r) => r.id === focus);
  return f ? runs.filter((r) => r.id !== f.id && isSameModel(r, f)) : [];
}

/**
 * The runs to draw once `focus` is focused. Without the overlay, the focused run alone: a panel opens on the
 * current run only. With it, the focused run and those of `previous` (what was drawn before) that are of the
 * same model, or every run of that model when none of `previous` is; never a run of another model.
 */
export function shownForFocus(runs: readonly RunInfo[], focus: string | null, overlay: boolean, previous: readonly string[]): string[] {
  if (!focus || !runs.some((r) => r.id === focus)) return [];
  if (!overlay) return [focus];
  const same = new Set(overlayCandidates(runs, focus).map((r) => r.id));
  const kept = previous.filter((id) => same.has(id));
  return [focus, ...(kept.length ? kept : [...same])];
}

/**
 * Merges a batch into rows already held: returns the rows to append (none of which the holder has), or
 * `gap` when the batch starts past the end. The single rule both the panel and the tests rely on.
 */
export function mergeBatch(have: number, from: number, rows: readonly TrainingRow[]): { append: TrainingRow[] } | { gap: true } {
  if (from > have) return { gap: true };
  return { append: rows.slice(have - from) };
}
