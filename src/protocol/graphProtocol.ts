/**
 * Messages between the extension host and the graph webview (side panel view and full panel). The webview
 * posts `ready` first; the host answers with the full current state (`setGraph`) and only then streams
 * updates. Imported by both sides; it must never import `vscode` at runtime.
 */
import type { Diagnostic, IrGraph, SourceRange } from '../core/ir';

export type HeatMode = 'none' | 'params' | 'macs';
export type LayoutDirection = 'DOWN' | 'RIGHT';

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

/** Host -> webview: produce an image of the graph; answered with `exportedImage`. */
export interface RequestExportMessage {
  type: 'requestExport';
  format: 'svg' | 'png';
}

export type ToGraphWebview = SetGraphMessage | HighlightMessage | SetHeatMessage | RequestExportMessage;

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

/** Webview -> host: an exported image (SVG text, or PNG as a base64 data URL) for the host to save. */
export interface ExportedImageMessage {
  type: 'exportedImage';
  format: 'svg' | 'png';
  data: string;
}

/** Webview -> host: something failed inside the page. */
export interface WebviewErrorMessage {
  type: 'error';
  message: string;
}

export type FromGraphWebview = ReadyMessage | RevealMessage | ExportedImageMessage | WebviewErrorMessage;

/** State the webview persists with `vscode.setState` and the panel serializer restores after a reload. */
export interface GraphWebviewState {
  file: string | null;
  /** Names (module paths such as `layer3`, `layer3.0`) of the collapsed groups; names survive re-analysis, ids need not. */
  collapsed: string[];
  heat: HeatMode;
}

export { type MessageHandlers, dispatch } from './messages';
