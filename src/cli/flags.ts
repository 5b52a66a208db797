/**
 * How a subcommand of the command line is declared: its positional arguments and its flags, each flag with
 * its type, default and help text, in one place. The parser and the usage text are both derived from that
 * declaration, so a flag cannot be accepted without being documented or documented without being accepted,
 * and a misspelt flag is an error that names the nearest known one instead of being ignored.
 */
import type { ParseCache } from '../frontends/pytorch/ast';
import { UsageError } from '../core/usageError';
import { type BooleanSpec, type FieldSpec, type ValueOf, checkValue } from '../protocol/trainingFields';

/** One flag: how its value is read and how it is documented. */
export interface Flag<T, D extends T | undefined = T | undefined> {
  /** A switch takes no value (`--json`); every other flag takes exactly one. */
  readonly isSwitch: boolean;
  /** Given several times, its values are collected in order (`--path a --path b`); the value is then a list. */
  readonly repeatable?: boolean;
  /** What the value looks like in the usage text: `N`, `X`, `DIR`, `sgd|adam`. */
  readonly metavar: string;
  /** A one-letter spelling as well (`-o` for `--out`), for the flags people type most. */
  readonly short?: string;
  readonly help: string;
  /** The value when the flag is not given. */
  readonly default: D;
  /** How the default reads in the usage text when it is not a constant (it depends on the file, say). */
  readonly defaultText: string | undefined;
  /** Reads one value; throws {@link UsageError} naming `--flag` when the text is not of this type. */
  parse(text: string, flag: string): T;
}

/** Flags by their camelCase key; the flag itself is spelled in kebab case (`batchSize` is `--batch-size`). */
export type FlagSet = Readonly<Record<string, Flag<unknown, unknown>>>;

/** A flag's value after parsing: its type, or possibly undefined when it has no default. */
export type FlagValue<X> = X extends Flag<infer T, infer D> ? (undefined extends D ? T | undefined : T) : never;

export type FlagValues<F extends FlagSet> = { -readonly [K in keyof F]: FlagValue<F[K]> };

export interface ArgSpec {
  /** As the usage text shows it: `FILE`. */
  readonly name: string;
  readonly help: string;
  /** Optional arguments may only follow required ones. */
  readonly optional?: boolean;
  /** The last argument may take any number of values (`PATHS...`); with `optional`, none. */
  readonly variadic?: boolean;
}

/** What the launcher gives every command. */
export interface CliIo {
  /** Prints one line to standard output. */
  out(line: string): void;
  /** Parsed Python files kept between runs; absent when caching is off. */
  parseCache?: ParseCache;
}

/** A command's parsed command line. */
export interface CommandInput<F extends FlagSet> {
  /** The positional arguments, in the declared order. */
  args: string[];
  flags: FlagValues<F>;
  /** The keys of the flags the user gave, so a command can reject combinations that make no sense. */
  given: ReadonlySet<keyof F & string>;
}

/** The one declaration of a subcommand. */
export interface CommandDeclaration<F extends FlagSet> {
  readonly name: string;
  /** One line, for the program's usage text. */
  readonly summary: string;
  readonly args: readonly ArgSpec[];
  readonly flags: F;
  /** Usage lines after `resnet-studio NAME`, for commands with several forms; default: the arguments, then `[options]`. */
  readonly synopsis?: readonly string[];
  /** Paragraphs after the option list: where values come from, exit codes. */
  readonly details?: string;
  run(input: CommandInput<F>, io: CliIo): number | Promise<number>;
}

/** A declared command with its flag types erased, so commands of different flags share one registry. */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  /** The generated usage text (`resnet-studio NAME --help`). */
  readonly usage: string;
  /** The flags as the user spells them, without the dashes. */
  readonly flagNames: readonly string[];
  /** The usage lines, without the option list (checked against the declared flags by the tests). */
  readonly synopsis: readonly string[];
  /** Parses `argv` and runs the command; prints the usage text and returns 0 for `--help`. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

export const PROGRAM = 'resnet-studio';

/** `batchSize` -> `batch-size`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

// ---------------------------------------------------------------------------------------------------------
// Flag types

interface Common<D> {
  help: string;
  metavar?: string;
  short?: string;
  default?: D;
  defaultText?: string;
}

function valued<T, D extends T | undefined>(o: Common<D>, metavar: string, parse: (text: string, flag: string) => T): Flag<T, D> {
  return { isSwitch: false, metavar: o.metavar ?? metavar, help: o.help, default: o.default as D, defaultText: o.defaultText, parse, ...(o.short ? { short: o.short } : {}) };
}

function wrong(flag: string, what: string, text: string): UsageError {
  return new UsageError(`--${flag} must be ${what}, got '${text}'`);
}

function readInt(text: string, min: number): number | undefined {
  const n = /^\s*[-+]?\d+\s*$/.test(text) ? Number(text) : NaN;
  return Number.isSafeInteger(n) && n >= min ? n : undefined;
}

function intWhat(min: number): string {
  return min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer of at least ${min}`;
}

/** Constructors of the flag types every command shares. */
export const flag = {
  /** Any text, taken as given. */
  string<D extends string | undefined = undefined>(o: Common<D>): Flag<string, D> {
    return valued(o, 'TEXT', (text) => text);
  },

  /** Text that may be given several times; the values are kept in order (none given: an empty list). */
  strings(o: Omit<Common<string[]>, 'default'>): Flag<string[], string[]> {
    return { ...valued<string[], string[]>({ ...o, default: [] }, 'TEXT', (text) => [text]), repeatable: true };
  },

  /** A whole number of at least `min` (default 1). */
  int<D extends number | undefined = undefined>(o: Common<D> & { min?: number }): Flag<number, D> {
    const min = o.min ?? 1;
    return valued(o, 'N', (text, f) => {
      const n = readInt(text, min);
      if (n === undefined) throw wrong(f, intWhat(min), text);
      return n;
    });
  },

  /** One of a fixed set of words. */
  choice<const C extends readonly string[], D extends C[number] | undefined = undefined>(o: Common<D> & { choices: C }): Flag<C[number], D> {
    return valued(o, o.choices.join('|'), (text, f) => {
      if (!o.choices.includes(text)) throw wrong(f, `one of ${o.choices.join(', ')}`, text);
      return text as C[number];
    });
  },

  /** Given or not; `--name=true` and `--name=false` are accepted too, so scripts can pass a variable. */
  boolean(o: { help: string }): Flag<boolean, false> {
    return {
      isSwitch: true,
      metavar: '',
      help: o.help,
      default: false,
      defaultText: undefined,
      parse: (text, f) => {
        if (text === 'true') return true;
        if (text === 'false') return false;
        throw new UsageError(`--${f} is a switch: give it alone, or as --${f}=true or --${f}=false, not '${text}'`);
      },
    };
  },

  /** An input shape, `N,C,H,W` or `C,H,W` (also `[1, 3, 224, 224]` or `1x3x224x224`). */
  shape<D extends number[] | undefined = undefined>(o: Common<D>): Flag<number[], D> {
    return valued(o, 'N,C,H,W', (text, f) => {
      const bare = text.replace(/[[\]()\s]/g, '');
      const parts = bare.split(bare.includes(',') ? ',' : 'x');
      const dims = parts.map((p) => readInt(p, 1));
      if (dims.length < 3 || dims.length > 4 || dims.some((d) => d === undefined)) throw wrong(f, 'N,C,H,W (or C,H,W) with positive integers', text);
      return dims as number[];
    });
  },

  /**
   * A flag for one field of a declared table (the run config's `epochs`, say): its type, bounds, default and
   * description come from the field, and a value is checked by the rule that checks a config file. Lists are
   * comma-separated. A boolean field is declared with {@link flag.boolean}: a switch can only say one thing.
   */
  field<const S extends Exclude<FieldSpec, BooleanSpec>>(
    spec: S,
    o: { metavar?: string; help?: string; defaultText?: string } = {},
  ): Flag<ValueOf<S>, S extends { default: unknown } ? ValueOf<S> : undefined> {
    const item = spec.kind === 'array' ? spec.items : spec;
    const one = item.kind === 'string' ? (item.enum ? item.enum.join('|') : 'TEXT') : item.kind === 'integer' ? 'N' : 'X';
    return {
      isSwitch: false,
      metavar: o.metavar ?? (spec.kind === 'array' ? `${one},${one},...` : one),
      help: o.help ?? spec.description.replace(/\.$/, ''),
      default: (Array.isArray(spec.default) ? [...spec.default] : spec.default) as S extends { default: unknown } ? ValueOf<S> : undefined,
      defaultText: o.defaultText,
      parse(text, f) {
        const scalar = (part: string): unknown => {
          if (item.kind === 'string') return part;
          const n = item.kind === 'integer' ? (/^\s*[-+]?\d+\s*$/.test(part) ? Number(part) : NaN) : part.trim() === '' ? NaN : Number(part);
          if (!Number.isFinite(n)) throw wrong(f, `${item.kind === 'integer' ? 'an integer' : 'a number'}${spec.kind === 'array' ? ' or a comma-separated list of them' : ''}`, text);
          return n;
        };
        const value = spec.kind === 'array' ? text.split(',').map(scalar) : scalar(text);
        const problem = checkValue(`--${f}`, spec, value);
        if (problem) throw new UsageError(problem);
        return value as ValueOf<S>;
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------------------
// Parsing

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known word `word` was most likely meant as: the nearest by edit distance when it is close (about one
 * edit in three letters), else the only known word it is the start of (`batch` for `batch-size`).
 */
export function nearest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const dist = editDistance(word, k);
    if (dist < bestDistance) {
      best = k;
      bestDistance = dist;
    }
  }
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(Math.max(word.length, best.length) / 3))) return best;
  const extended = word.length >= 3 ? known.filter((k) => k.startsWith(word)) : [];
  return extended.length === 1 ? extended[0] : undefined;
}

export interface ParsedCommandLine<F extends FlagSet> extends CommandInput<F> {
  /** `--help` or `-h` was given: the caller prints the usage text, whatever else is wrong. */
  help: boolean;
}

/**
 * Reads `argv` against a declaration: `--name value`, `--name=value`, switches, and `--` before positional
 * arguments that start with a dash. Throws {@link UsageError} for an unknown flag (naming the nearest known
 * one), a flag without its value, a value of the wrong type, and too many or too few positional arguments;
 * the first such problem is reported, unless `--help` was asked for.
 */
export function parseCommandLine<F extends FlagSet>(decl: Pick<CommandDeclaration<F>, 'args' | 'flags'>, argv: readonly string[]): ParsedCommandLine<F> {
  const byName = new Map<string, keyof F & string>();
  const byShort = new Map<string, keyof F & string>();
  for (const [key, f] of Object.entries(decl.flags)) {
    byName.set(flagName(key), key);
    if (f.short) byShort.set(f.short, key);
  }
  const known = [...byName.keys(), 'help'];
  const values: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(decl.flags)) values[key] = f.default;
  const given = new Set<keyof F & string>();
  const args: string[] = [];
  let help = false;
  let problem: UsageError | undefined;
  const fail = (message: string) => {
    problem ??= new UsageError(message);
  };
  let onlyArgs = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (onlyArgs || a === '-' || !a.startsWith('-') || /^-\d/.test(a)) {
      args.push(a);
      continue;
    }
    if (a === '--') {
      onlyArgs = true;
      continue;
    }
    if (a === '-h' || a === '--help') {
      help = true;
      continue;
    }
    const short = /^-([A-Za-z])(?:=(.*))?$/.exec(a);
    const shortKey = short ? byShort.get(short[1]!) : undefined;
    if (!a.startsWith('--') && shortKey === undefined) {
      const guess = nearest(a.replace(/^-+/, ''), known);
      fail(`unknown flag ${a}${guess ? `; did you mean --${guess}?` : ''} (flags are spelled --name)`);
      continue;
    }
    const eq = a.indexOf('=');
    const name = shortKey !== undefined ? flagName(shortKey) : eq > 0 ? a.slice(2, eq) : a.slice(2);
    const inline = shortKey !== undefined ? short![2] : eq > 0 ? a.slice(eq + 1) : undefined;
    const key = shortKey ?? byName.get(name);
    if (key === undefined) {
      const guess = nearest(name, known);
      // With no likely meaning, a short list is the most helpful answer; a long one is what --help is for.
      const hint = guess ? `; did you mean --${guess}?` : byName.size <= 8 ? `; the flags are ${[...byName.keys()].map((n) => `--${n}`).join(', ')}` : '';
      fail(`unknown flag --${name}${hint}`);
      continue;
    }
    const f = decl.flags[key]!;
    let text = inline;
    if (text === undefined && !f.isSwitch) {
      const next = argv[i + 1];
      // A value that looks like a flag is far more often a forgotten value than a value; `--name=--x` passes one.
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        fail(`--${name} needs a value (${f.metavar})`);
        continue;
      }
      text = next;
      i++;
    }
    try {
      const value = text === undefined ? true : f.parse(text, name);
      values[key] = f.repeatable && given.has(key) ? [...(values[key] as unknown[]), ...(value as unknown[])] : value;
      given.add(key);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      fail(e.message);
    }
  }
  const required = decl.args.filter((s) => !s.optional).length;
  if (args.length > decl.args.length && !decl.args[decl.args.length - 1]?.variadic) fail(`unexpected argument '${args[decl.args.length]}'`);
  else if (args.length < required) fail(`missing ${decl.args[args.length]!.name}`);
  if (problem && !help) throw problem;
  return { args, flags: values as FlagValues<F>, given, help };
}

// ---------------------------------------------------------------------------------------------------------
// Usage text

const HELP_COLUMN_MAX = 30;
const LINE_WIDTH = 100;

/** Splits text into lines of at most `width` characters, at spaces (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

/**
 * Two columns: the left one as wide as its widest entry (up to a limit, beyond which that entry's help starts
 * on the next line), the right one wrapped to the line width.
 */
function columns(rows: readonly [string, string][]): string[] {
  const width = Math.min(HELP_COLUMN_MAX, Math.max(0, ...rows.map(([l]) => l.length)) + 2);
  const indent = ' '.repeat(2 + width);
  return rows.map(([left, right]) => {
    const body = wrap(right, Math.max(20, LINE_WIDTH - indent.length));
    const head = left.length + 2 > width ? [`  ${left}`, `${indent}${body[0]}`] : [`  ${left.padEnd(width)}${body[0]}`];
    return [...head, ...body.slice(1).map((l) => indent + l)].join('\n');
  });
}

function defaultText(f: Flag<unknown, unknown>): string | undefined {
  if (f.defaultText !== undefined) return f.defaultText;
  if (f.isSwitch || f.default === undefined) return undefined;
  return Array.isArray(f.default) ? f.default.join(',') : String(f.default);
}

/** The usage text of one command, generated from its declaration. */
export function formatUsage(decl: Pick<CommandDeclaration<FlagSet>, 'name' | 'summary' | 'args' | 'flags' | 'synopsis' | 'details'>): string {
  const lines = synopsisOf(decl).map((s, i) => `${i === 0 ? 'usage:' : '   or:'} ${PROGRAM} ${decl.name} ${s}`);
  lines.push('', `${decl.summary}.`);
  if (decl.args.length) lines.push('', 'arguments:', ...columns(decl.args.map((a) => [a.name, a.help])));
  const flagRows: [string, string][] = Object.entries(decl.flags).map(([key, f]) => {
    const d = defaultText(f);
    return [`${f.short ? `-${f.short}, ` : ''}--${flagName(key)}${f.isSwitch ? '' : ` ${f.metavar}`}`, `${f.help}${d !== undefined ? ` (default: ${d})` : ''}`];
  });
  flagRows.push(['-h, --help', 'Show this help']);
  lines.push('', 'options:', ...columns(flagRows));
  if (decl.details) lines.push('', decl.details);
  return lines.join('\n');
}

/** `[--detach] [--python PATH]`: the given flags as a usage line shows optional ones. */
export function optionalFlags<F extends FlagSet>(flags: F, keys: readonly (keyof F & string)[]): string {
  return keys.map((k) => `[--${flagName(k)}${flags[k]!.isSwitch ? '' : ` ${flags[k]!.metavar}`}]`).join(' ');
}

function synopsisOf(decl: Pick<CommandDeclaration<FlagSet>, 'args' | 'flags' | 'synopsis'>): readonly string[] {
  if (decl.synopsis) return decl.synopsis;
  const args = decl.args.map((a) => {
    const name = a.variadic ? `${a.name}...` : a.name;
    return a.optional ? `[${name}]` : name;
  });
  return [[...args, Object.keys(decl.flags).length ? '[options]' : ''].filter(Boolean).join(' ')];
}

/** The program's usage text: every command with its summary. */
export function formatProgramUsage(commands: readonly CliCommand[], details: string): string {
  return [
    `usage: ${PROGRAM} COMMAND [ARGS] [options]`,
    '',
    'commands:',
    ...columns([...commands.map((c): [string, string] => [c.name, c.summary]), ['help [COMMAND]', 'Show this help, or a command\'s']]),
    '',
    `Run '${PROGRAM} COMMAND --help' for a command's arguments and options.`,
    details,
  ].join('\n');
}

/** Makes a declaration a runnable command: the parser and the usage text both come from it. */
export function defineCommand<F extends FlagSet>(decl: CommandDeclaration<F>): CliCommand {
  const usage = formatUsage(decl);
  return {
    name: decl.name,
    summary: decl.summary,
    usage,
    flagNames: Object.keys(decl.flags).map(flagName),
    synopsis: synopsisOf(decl),
    async run(argv, io) {
      const parsed = parseCommandLine(decl, argv);
      if (parsed.help) {
        io.out(usage);
        return 0;
      }
      return decl.run({ args: parsed.args, flags: parsed.flags, given: parsed.given }, io);
    },
  };
}
