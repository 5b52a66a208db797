/**
 * `resnet-studio export FILE --to FORMAT`: writes the analysed model as PyTorch source, a Keras or TF.js
 * `model.json` topology, a `*.resnet.json` design, or its summary as Markdown or CSV, to `--out` or standard
 * output. What cannot be written is refused naming the op and its line (exit 1), never left out.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { UsageError } from '../core/usageError';
import { analyzeText } from '../frontends';
import { CodegenError } from '../codegen/moduleTree';
import { exportText } from '../codegen/exportText';
import type { ExportInput } from './commands';
import type { CliIo } from './flags';

const EXPORT_TIME_LIMIT_MS = 30_000;

export function exportModel({ args: [file], flags }: ExportInput, io: CliIo): number {
  let text: string;
  try {
    text = readFileSync(file!, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const a = analyzeText(file!, text, {
    ...(flags.input ? { input: flags.input } : {}),
    ...(flags.model ? { model: flags.model } : {}),
    ...(flags.args !== undefined ? { args: flags.args } : {}),
    ...(io.parseCache ? { parseCache: io.parseCache } : {}),
    // The interpreter's time budget keeps the editor responsive; an export is asked for once and may wait.
    budget: { timeLimitMs: EXPORT_TIME_LIMIT_MS },
  });
  const errors = a.diagnostics.filter((d) => d.severity === 'error');
  if (!a.graph || errors.length) {
    for (const d of a.graph ? errors : a.diagnostics) process.stderr.write(`${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message} [${d.code}]\n`);
    process.stderr.write(`${file}: not exported: ${a.graph ? 'the model has errors' : 'no model could be built'}\n`);
    return 1;
  }
  let out: string;
  try {
    out = exportText(a.graph, flags.to!, file);
  } catch (e) {
    if (!(e instanceof CodegenError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 1;
  }
  if (flags.out === undefined || flags.out === '-') {
    io.out(out.replace(/\n$/, ''));
    return 0;
  }
  try {
    writeFileSync(flags.out, out);
  } catch (e) {
    throw new UsageError(`cannot write ${flags.out}: ${(e as Error).message}`);
  }
  io.out(`wrote ${flags.out}`);
  return 0;
}
