/**
 * Messages between the extension host and the graph webview (side panel view and full panel). The webview
 * posts `ready` first; the host answers with the full current state (`setGraph`, or `setDiff` for a panel
 * comparing two versions of a model) and only then streams updates. `requestExport` expects an answer, paired with it by id (`exportedImage` or `requestFailed`).
 * The host checks every message from the page with {@link checkFromGraphWebview} before acting on it.
 * Imported by both sides, and the page's only way into the IR; it must never import `vscode` at runtime.
 */
import type { ModelDiff } from '../core/diff';
import type { Diagnostic, IrGraph, SourceRange } from '../core/ir';
import type { LayerRow } from './trainingProtocol';
import { type DesignContext, type DesignEdit, isDesignEdit } from './designEditProtocol';
import { type FieldGuards, arrayOf, isIndex, isNumber, isString, messageChecker, nullable, objectOf, oneOf } from './guards';
import { type ReplyFields, type RequestFailedMessage, type ReplyTable, type RequestFields, requestFailedShape } from './messages';

/** The IR the page draws, as `setGraph` carries it. */
export type { Diagnostic, IrGraph, IrGroup, IrNode, IrSkip, SkipKind, SourceRange } from '../core/ir';
export type { Dim, Shape } from '../core/dims';
/** How the IR's totals are summed and printed: the page shows the same numbers as the CLI's table and the hovers. */
export { fmtCompact, groupTotals } from '../core/report';
export { type MessageHandlers, dispatch } from './messages';
/** A comparison of two versions (`setDiff`), and how its elements are found in the drawn union graph. */
export type { CountDelta, DiffStatus, FieldChange, GroupDiff, ModelDiff, NodeDiff, StageDiff } from '../core/diff';
export { DIFF_STATUSES, changeText } from '../core/diff';
export { unionId } from '../core/diffGraph';

export type HeatMode = 'none' | 'params' | 'macs';
export type LayoutDirection = 'DOWN' | 'RIGHT';
export type ImageFormat = 'svg' | 'png';

export interface GraphViewSettings {
  layoutDirection: LayoutDirection;
  /** Stages start collapsed when the graph has more layer nodes than this. */
  autoCollapseThreshold: number;
}

/** Host -> webview: the whole model to draw (replaces any previous graph). */
export interface SetGraphMessage {
  type: 'setGraph';
  /** Document version the analysis came from; older versions are ignored by the webview. */
  version: number;
  file: string;
  graph: IrGraph | null;
  diagnostics: Diagnostic[];
  settings: GraphViewSettings;
  /**
   * Present when the file is a `*.resnet.json` design the page may edit (context menu, properties, palette);
   * absent or null for everything read-only (PyTorch, Keras, a design whose text does not parse).
   */
  design?: DesignContext | null;
}

/** Host -> webview: the editor cursor is inside these nodes' source ranges. */
export interface HighlightMessage {
  type: 'highlight';
  nodeIds: string[];
}

/** Host -> webview: apply a heat overlay. */
export interface SetHeatMessage {
  type: 'setHeat';
  mode: HeatMode;
}

/** Host -> webview: produce an image of the graph; answered with `exportedImage` (or `requestFailed`) by id. */
export interface RequestExportMessage extends RequestFields {
  type: 'requestExport';
  format: ImageFormat;
}

/**
 * Host -> webview: two versions of a model in one drawing (replaces any previous graph; a later `setGraph`
 * leaves diff mode). Layers and groups are coloured by their status in `diff`, found in `graph` by `unionId`.
 */
export interface SetDiffMessage {
  type: 'setDiff';
  /** Document version of the second (current) side; older versions are ignored by the webview. */
  version: number;
  /** The second side's file. */
  file: string;
  /** What each side is, as the page names them: `HEAD` and `working tree`, or two file names. */
  labels: { before: string; after: string };
  /** The union graph (`unionGraph` in `src/core/diffGraph.ts`): the second version plus what only the first had. */
  graph: IrGraph;
  diff: ModelDiff;
  /** The second side's diagnostics. */
  diagnostics: Diagnostic[];
  settings: GraphViewSettings;
}

/**
 * Host -> webview: layer telemetry of the newest run of the model shown (`layer` rows), for the heat overlay and
 * its step slider; `append` adds rows of the same run as it trains.
 */
export interface SetTelemetryMessage {
  type: 'setTelemetry';
  runId: string | null;
  rows: LayerRow[];
  append: boolean;
}

/** Host -> webview: what became of the page's last `editDesign` (the new graph follows as a `setGraph` when it was applied). */
export interface EditResultMessage {
  type: 'editResult';
  ok: boolean;
  /** The edit's summary when applied ("layer2: count 4 → 5"), or why it was refused. */
  message: string;
}

export type ToGraphWebview = SetGraphMessage | SetDiffMessage | HighlightMessage | SetHeatMessage | RequestExportMessage | SetTelemetryMessage | EditResultMessage;

/** Webview -> host: the page is loaded and listening. */
export interface ReadyMessage {
  type: 'ready';
}

/** Webview -> host: the user clicked a node; reveal its source. */
export interface RevealMessage {
  type: 'reveal';
  nodeId: string;
  source: SourceRange;
}

/** Webview -> host: the image a `requestExport` asked for (SVG text, or PNG as a base64 data URL). */
export interface ExportedImageMessage extends ReplyFields {
  type: 'exportedImage';
  format: ImageFormat;
  data: string;
}

/** Webview -> host: the user exported from the page's own toolbar; the host offers to save the image. */
export interface SaveImageMessage {
  type: 'saveImage';
  format: ImageFormat;
  data: string;
}

/** Webview -> host: something failed inside the page. */
export interface WebviewErrorMessage {
  type: 'error';
  message: string;
}

/** Webview -> host: one design edit made in the graph; the host applies it to the text as one undoable step. */
export interface EditDesignMessage {
  type: 'editDesign';
  /** Document version the page's graph came from; an edit against an older version is refused. */
  version: number;
  edit: DesignEdit;
}

export type FromGraphWebview = ReadyMessage | RevealMessage | ExportedImageMessage | SaveImageMessage | RequestFailedMessage | WebviewErrorMessage | EditDesignMessage;

/** The answer to each request the host sends. */
export const GRAPH_REPLIES = { requestExport: 'exportedImage' } as const satisfies ReplyTable<ToGraphWebview, FromGraphWebview>;

const isImageFormat = oneOf('svg', 'png');
const sourceRangeShape: FieldGuards<SourceRange> = { file: isString, line: isNumber, column: isNumber, endLine: isNumber, endColumn: isNumber };

/** Checks a message from the page field by field: the page's content is not trusted to be well-formed. */
export const checkFromGraphWebview = messageChecker<FromGraphWebview>({
  ready: {},
  reveal: { nodeId: isString, source: objectOf(sourceRangeShape) },
  exportedImage: { inReplyTo: isIndex, format: isImageFormat, data: isString },
  saveImage: { format: isImageFormat, data: isString },
  requestFailed: requestFailedShape,
  error: { message: isString },
  editDesign: { version: isNumber, edit: isDesignEdit },
});

/** State the webview persists with `vscode.setState` and the panel serializer restores after a reload. */
export interface GraphWebviewState {
  file: string | null;
  /** Names (module paths such as `layer3`, `layer3.0`) of the collapsed groups; names survive re-analysis, ids need not. */
  collapsed: string[];
  heat: HeatMode;
}

/** Checks a persisted state handed back by VS Code, which may come from an older version of the page. */
export const isGraphWebviewState = objectOf<GraphWebviewState>({
  file: nullable(isString),
  collapsed: arrayOf(isString),
  heat: oneOf('none', 'params', 'macs'),
});
