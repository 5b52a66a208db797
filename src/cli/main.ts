/**
 * `resnet-studio`: the command line over the same pure core the extension uses. This module only
 * dispatches: the subcommands, their flags and their usage text are declared in `commands.ts`.
 * Exit codes: 0 success, 1 a result that is an error (error diagnostics, a failed run), 2 usage or I/O error.
 */
import { UsageError } from '../core/usageError';
import { diskParseCache } from './cache';
import { analyze } from './analyze';
import { ANALYZE, COMMANDS } from './commands';
import { type CliIo, PROGRAM, formatProgramUsage, nearest, parseCommandLine } from './flags';

export const USAGE = formatProgramUsage(COMMANDS, 'Exit codes: 0 success, 1 error diagnostics or a failed run, 2 usage or I/O error.');

export interface MainOptions {
  /**
   * Where parsed files are cached between runs, for the build `buildKey` identifies (the launcher names it
   * by the bundle's size and time). Without it (tests, `RESNET_STUDIO_NO_CACHE=1`) nothing is cached.
   */
  cache?: { dir: string; buildKey: string };
}

function findCommand(name: string) {
  const cmd = COMMANDS.find((c) => c.name === name);
  if (cmd) return cmd;
  const guess = nearest(name, COMMANDS.map((c) => c.name));
  throw new UsageError(`unknown command '${name}'${guess ? `; did you mean ${guess}?` : ''}`);
}

/** Runs one command line; returns the exit code. Usage errors go to stderr with a pointer to the usage text. */
export async function main(argv: readonly string[], opts: MainOptions = {}): Promise<number> {
  const [name, ...rest] = argv;
  const stdout = (s: string) => void process.stdout.write(s + '\n');
  if (name === undefined) {
    process.stderr.write(USAGE + '\n');
    return 2;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic === undefined) {
      stdout(USAGE);
      return 0;
    }
    try {
      stdout(findCommand(topic).usage);
      return 0;
    } catch (e) {
      process.stderr.write(`${PROGRAM}: ${(e as Error).message}\nRun '${PROGRAM} --help' for the commands.\n`);
      return 2;
    }
  }
  let where = PROGRAM;
  let hint = `Run '${PROGRAM} --help' for the commands.`;
  try {
    const cmd = findCommand(name);
    where = `${PROGRAM} ${cmd.name}`;
    hint = `Run '${where} --help' for its arguments and options.`;
    const io: CliIo = { out: stdout, ...(opts.cache ? { parseCache: diskParseCache(opts.cache.dir, opts.cache.buildKey) } : {}) };
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${where}: ${e.message}\n${hint}\n`);
      return 2;
    }
    process.stderr.write(`${PROGRAM}: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 2;
  }
}

/** `analyze` with a command line, run in-process with its output collected; usage errors are thrown. */
export function analyzeCommand(argv: readonly string[], out: (line: string) => void): number {
  return analyze(parseCommandLine(ANALYZE, argv), { out });
}
