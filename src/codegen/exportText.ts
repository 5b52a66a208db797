/**
 * Every export format by name, for the CLI's `export` and the editor's export commands: the analysed model
 * as PyTorch source, a Keras or TF.js `model.json`, a design, or its summary as Markdown or CSV.
 */
import type { IrGraph } from '../core/ir';
import { writeKeras } from './kerasWriter';
import { writePyTorch } from './pytorchWriter';
import { summaryCsv, summaryMarkdown } from './summary';
import { toDesign } from './toDesign';

export type ExportFormat = 'pytorch' | 'keras' | 'tfjs' | 'design' | 'markdown' | 'csv';

/** The exported text; throws `CodegenError` (moduleTree.ts) for what the format cannot hold. */
export function exportText(g: IrGraph, to: ExportFormat, sourceFile?: string): string {
  switch (to) {
    case 'pytorch':
      return writePyTorch(g, sourceFile ? { sourceFile } : {}).code;
    case 'keras':
    case 'tfjs':
      return `${JSON.stringify(writeKeras(g, to), null, 2)}\n`;
    case 'design':
      return toDesign(g).text;
    case 'markdown':
      return summaryMarkdown(g);
    case 'csv':
      return summaryCsv(g);
  }
}
