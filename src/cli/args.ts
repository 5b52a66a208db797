/**
 * Command-line argument helpers shared by the CLI commands and by the extension (which must not load the
 * CLI's front ends to reuse them).
 */

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
