/**
 * `resnet-studio`: the command line over the same pure core the extension uses.
 * Exit codes: 0 = no error diagnostics, 1 = error diagnostics (or a failed job), 2 = usage or I/O error.
 */
import { readFileSync } from 'node:fs';
import { analyzeText } from '../frontends';
import { formatTable, toReport } from '../core/report';
import { UsageError, parseArgs, parseShape } from './args';
import { trainCommand } from './train';

export { UsageError, parseArgs, parseShape, type ParsedArgs } from './args';

const USAGE = `usage:
  resnet-studio analyze FILE [--model NAME] [--args "PYTHON CALL ARGS"] [--input N,C,H,W] [--json]
  resnet-studio help

FILE is a *.resnet.json design, a Keras/TF.js model.json, or a PyTorch .py file.
Exit codes: 0 no errors, 1 error diagnostics, 2 usage or I/O error.`;

function str(flags: Map<string, string | true>, name: string): string | undefined {
  const v = flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function analyzeCommand(argv: string[], out: (s: string) => void): number {
  const { positional, flags } = parseArgs(argv, new Set(['json']));
  const file = positional[0];
  if (!file) throw new UsageError('analyze needs a FILE');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const input = str(flags, 'input');
  const model = str(flags, 'model');
  const args = str(flags, 'args');
  const analysis = analyzeText(file, text, {
    ...(input ? { input: parseShape(input) } : {}),
    ...(model ? { model } : {}),
    ...(args !== undefined ? { args } : {}),
  });
  out(flags.has('json') ? JSON.stringify(toReport(analysis)) : formatTable(analysis));
  return analysis.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}

/** Subcommands; other areas (training, export) register theirs here. */
export const COMMANDS: Record<string, (argv: string[], out: (s: string) => void) => number | Promise<number>> = {
  analyze: analyzeCommand,
  train: trainCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    process.stdout.write(USAGE + '\n');
    return cmd ? 0 : 2;
  }
  const run = COMMANDS[cmd];
  try {
    if (!run) throw new UsageError(`unknown command '${cmd}'`);
    return await run(rest, (s) => process.stdout.write(s + '\n'));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`resnet-studio: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`resnet-studio: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 2;
  }
}
