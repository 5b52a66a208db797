/**
 * The model formats. Each is one module with `match` and `open`, and every one returns the same `Analysis`
 * over the shared IR. A new front end is one entry here.
 */
import type { Analysis } from '../core/ir';
import { analyzeKeras, isKerasModel } from './kerasJson';
import { type PytorchOptions, analyzePytorch, isPythonFile } from './pytorch';
import type { FrontEndOptions } from './options';
import { analyzeDesign, isDesignFile } from './resnetJson';

export type { FrontEndOptions } from './options';
export { diskReader, invalidateImportedModule } from './pytorch/moduleResolver';

export interface ModelFormat {
  id: string;
  /** Whether this format reads the file; `peek` parses the text lazily for content-based checks. */
  match(file: string, text: string): boolean;
  open(file: string, text: string, opts: FrontEndOptions): Analysis;
}

function looksLikeKeras(file: string, text: string): boolean {
  if (!file.endsWith('.json')) return false;
  if (!/"(modelTopology|class_name)"/.test(text)) return false;
  try {
    return isKerasModel(JSON.parse(text));
  } catch {
    return /model\.json$/.test(file);
  }
}

export const FORMATS: ModelFormat[] = [
  { id: 'resnet-json', match: (f) => isDesignFile(f), open: analyzeDesign },
  { id: 'keras-json', match: looksLikeKeras, open: analyzeKeras },
  { id: 'pytorch', match: (f) => isPythonFile(f), open: analyzePytorch },
];

export function formatFor(file: string, text: string): ModelFormat | undefined {
  return FORMATS.find((f) => f.match(file, text));
}

/** Analyses one model file with the front end that reads it. */
export function analyzeText(file: string, text: string, opts: PytorchOptions = {}): Analysis {
  const format = formatFor(file, text);
  if (!format) {
    return {
      file,
      models: [],
      graph: null,
      diagnostics: [
        {
          severity: 'error',
          file,
          line: 1,
          column: 1,
          endLine: 1,
          endColumn: 1,
          code: 'format/unknown',
          message: `${file}: not a model file ResNet Studio reads (expected *.resnet.json, a Keras/TF.js model.json, or a PyTorch .py file)`,
        },
      ],
    };
  }
  return format.open(file, text, opts);
}
