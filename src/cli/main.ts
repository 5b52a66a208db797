/**
 * `resnet-studio`: the command line over the same pure core the extension uses.
 * Exit codes: 0 = no error diagnostics, 1 = error diagnostics (or a failed job), 2 = usage or I/O error.
 */
import { readFileSync } from 'node:fs';
import { analyzeText } from '../frontends';
import { formatTable, toReport } from '../core/report';
import { trainCommand } from './train';

export class UsageError extends Error {}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

/** Parses `--name value`, `--name=value` and boolean `--flag` (for names listed in `booleans`). */
export function parseArgs(argv: string[], booleans: ReadonlySet<string>): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (eq > 0) flags.set(name, a.slice(eq + 1));
    else if (booleans.has(name)) flags.set(name, true);
    else {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, v);
    }
  }
  return { positional, flags };
}

/** `1,3,224,224` (also `[1, 3, 224, 224]` or `1x3x224x224`) -> numbers. */
export function parseShape(s: string): number[] {
  const bare = s.replace(/[[\]()\s]/g, '');
  const parts = bare.split(bare.includes(',') ? ',' : 'x');
  const nums = parts.map(Number);
  if (nums.length < 3 || nums.length > 4 || nums.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new UsageError(`--input must be N,C,H,W with positive integers, got '${s}'`);
  }
  return nums;
}

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
