/**
 * Which model of a file the graph shows, when the file holds several: the quick pick's rows (each model with
 * its params, MACs and output shape from the file's index) and the graph's title naming the model shown.
 * Pure: no `vscode` import.
 */
import type { FileIndex, ModelEntry } from '../frontends/workspaceIndex';
import { inputText, macsText, paramsText } from './hoverText';

export interface ModelPickRow {
  label: string;
  description: string;
  detail: string;
  model: string;
}

function shapeText(s: ModelEntry['output']): string {
  return s ? s.map((d) => d ?? '?').join('×') : '?';
}

/** One row per model of the file, in file order; the one the file is analysed as now is marked. */
export function modelPickRows(index: FileIndex, current: string | undefined): ModelPickRow[] {
  return index.models.map((m) => {
    const facts = !m.analysed
      ? 'not analysed yet'
      : !m.built
        ? `not analysable${m.firstError ? `: ${m.firstError}` : ''}`
        : `${paramsText(m.params)} · ${macsText(m.macs)} · ${inputText(m.input) ?? '?'} → ${shapeText(m.output)}`;
    const errors = m.errors ? ` · ${m.errors} error${m.errors === 1 ? '' : 's'}` : '';
    return {
      label: m.name,
      description: `${m.name === current ? '(shown) ' : ''}${facts}${errors}`,
      detail: `${m.kind}${m.symbolic ? ' with symbolic arguments' : ''}${m.source ? ` · line ${m.source.line}` : ''}`,
      model: m.name,
    };
  });
}

/** The graph panel's title: the file and, when the file holds several models, the one shown. */
export function graphTitle(fileName: string, model: string | undefined, several: boolean): string {
  return several && model ? `Graph: ${fileName} · ${model}` : `Graph: ${fileName}`;
}
