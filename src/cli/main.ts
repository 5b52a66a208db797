/**
 * `resnet-studio`: the command line over the same pure core the extension uses.
 * Exit codes: 0 = no error diagnostics, 1 = error diagnostics (or a failed job), 2 = usage or I/O error.
 */
import { readFileSync } from 'node:fs';
import { analyzeText } from '../frontends';
import type { ParseCache } from '../frontends/pytorch/ast';
import { formatTable, toReport } from '../core/report';
import { UsageError, parseArgs, parseShape } from './args';
import { diskParseCache } from './cache';

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

/** What the launcher gives every command. */
export interface CliContext {
  /** Parsed Python files kept between runs; absent when caching is off. */
  parseCache?: ParseCache;
}

export function analyzeCommand(argv: string[], out: (s: string) => void, ctx: CliContext = {}): number {
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
    ...(ctx.parseCache ? { parseCache: ctx.parseCache } : {}),
  });
  out(flags.has('json') ? JSON.stringify(toReport(analysis)) : formatTable(analysis));
  return analysis.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}

/** Subcommands; other areas (training, export) register theirs here. */
export const COMMANDS: Record<string, (argv: string[], out: (s: string) => void, ctx: CliContext) => number | Promise<number>> = {
  analyze: analyzeCommand,
  // Loaded on use: training pulls in process management that `analyze` never needs.
  train: async (argv, out) => (await import('./train')).trainCommand(argv, out),
};

export interface MainOptions {
  /**
   * Where parsed files are cached between runs, for the build `buildKey` identifies (the launcher names it
   * by the bundle's size and time). Without it (tests, `RESNET_STUDIO_NO_CACHE=1`) nothing is cached.
   */
  cache?: { dir: string; buildKey: string };
}

export async function main(argv: string[], opts: MainOptions = {}): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    process.stdout.write(USAGE + '\n');
    return cmd ? 0 : 2;
  }
  const run = COMMANDS[cmd];
  try {
    if (!run) throw new UsageError(`unknown command '${cmd}'`);
    const ctx: CliContext = opts.cache ? { parseCache: diskParseCache(opts.cache.dir, opts.cache.buildKey) } : {};
    return await run(rest, (s) => process.stdout.write(s + '\n'), ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`resnet-studio: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`resnet-studio: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 2;
  }
}
