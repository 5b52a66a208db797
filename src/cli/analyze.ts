/**
 * `resnet-studio analyze`: reads one model file through the front ends and prints its report, as a table
 * or as one JSON object. Exit 1 when the analysis has error diagnostics.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { searchRootsFor } from '../core/workspaceFiles';
import { analyzeText } from '../frontends';
import { formatTable, toReport } from '../core/report';
import { UsageError } from '../core/usageError';
import type { AnalyzeInput } from './commands';
import type { CliIo } from './flags';

export function analyze({ args: [file], flags }: AnalyzeInput, io: CliIo): number {
  let text: string;
  try {
    text = readFileSync(file!, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  if (flags.python !== undefined && flags.python.includes(path.sep) && !existsSync(flags.python)) throw new UsageError(`--python ${flags.python}: no such file`);
  const analysis = analyzeText(file!, text, {
    searchRoots: searchRootsFor([process.cwd()], flags.path),
    ...(flags.python !== undefined ? { python: flags.python.includes(path.sep) ? path.resolve(flags.python) : flags.python } : {}),
    ...(flags.input ? { input: flags.input } : {}),
    ...(flags.model ? { model: flags.model } : {}),
    ...(flags.args !== undefined ? { args: flags.args } : {}),
    ...(io.parseCache ? { parseCache: io.parseCache } : {}),
  });
  io.out(flags.json ? JSON.stringify(toReport(analysis)) : formatTable(analysis));
  return analysis.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}
