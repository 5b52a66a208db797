/**
 * The fixtures manifest (test/fixtures/manifest.json, schema test/fixtures/manifest.schema.json): one row per
 * analysed case of a model file, for every front end. Every test that walks the fixtures reads its rows here,
 * so the row types, the front end of a row and what a row expects of the analysis are decided in one place.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Analysis, Diagnostic, Severity } from '../src/core/ir';
import { analyzeText, formatFor } from '../src/frontends';

export const MANIFEST_PATH = 'test/fixtures/manifest.json';
export const MANIFEST_SCHEMA_PATH = 'test/fixtures/manifest.schema.json';

export type Shape = number[];
/** One shape, or one per tensor for a model returning several; null when there is none. */
export type Outputs = Shape | Shape[] | null;

export interface ExpectedDiagnostic {
  severity: Severity;
  code: string;
  line: number;
  column?: number;
  messageIncludes?: string;
}

export type UnknownField = 'output' | 'params' | 'macs';

/** What the analysis must report; a field left out is not checked, and params null means no graph at all. */
export interface Expect {
  /** Numbers the analysis must report as unknown (null, or no graph), for a model that reaches unread code. */
  unknown?: UnknownField[];
  output?: Outputs;
  params?: number | null;
  macs?: number | null;
  skips?: { identity: number; projection: number; pad?: number };
  diagnostics: ExpectedDiagnostic[];
}

/** What real PyTorch said about an oracle row (scripts/torchOracle.py). */
export interface TorchSaid {
  output: Outputs;
  /** null when construction failed. */
  params: number | null;
  /** null when anything failed. */
  macs: number | null;
  /** The exception PyTorch raised and the line of the file it blames; null when the case runs. */
  raises: null | { type: string; line: number };
}

export interface Row {
  file: string;
  frontEnd?: string;
  model?: string;
  args?: string | null;
  input?: Shape;
  /** A folder only the oracle puts on sys.path: modules the file imports that the analysis must not see. */
  torchPath?: string;
  torch?: TorchSaid;
  expect: Expect;
  /** A known bug the row records before its fix; the row is run as a todo. */
  todo?: string;
}

export interface OracleRow extends Row {
  model: string;
  args: string | null;
  input: Shape;
  torch: TorchSaid;
}

export interface Manifest {
  description: string;
  rows: Row[];
}

export const manifest = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as Manifest;
export const rows: Row[] = manifest.rows;

export const isOracleRow = (row: Row): row is OracleRow => row.torch !== undefined;
export const oracleRows: OracleRow[] = rows.filter(isOracleRow);

const texts = new Map<string, string>();
export function textOf(file: string): string {
  let text = texts.get(file);
  if (text === undefined) texts.set(file, (text = readFileSync(file, 'utf8')));
  return text;
}

/** The front end that reads the row's file, as the extension would pick it. */
export const frontEndOf = (row: Row): string | undefined => formatFor(row.file, textOf(row.file))?.id;

export const labelOf = (row: Row): string =>
  `${row.file}${row.model !== undefined ? ` ${row.model}(${row.args ?? ''})` : ''}${row.input ? ` @ ${row.input.join('x')}` : ''}`;

/**
 * The interpreter whose installed packages (torchvision) imported fixtures read: the one the oracle runs, so both
 * sides see the same package versions.
 */
export const fixturePython: string | undefined = process.env['RESNET_STUDIO_PYTHON'] || (existsSync('/usr/bin/python3.11') ? '/usr/bin/python3.11' : undefined);

export function analyseRow(row: Row): Analysis {
  return analyzeText(row.file, textOf(row.file), {
    ...(fixturePython ? { python: fixturePython } : {}),
    ...(row.model !== undefined ? { model: row.model } : {}),
    ...(row.input ? { input: row.input } : {}),
    ...(row.args != null ? { args: row.args } : {}),
  });
}

/**
 * What a row expects of the analysis. An oracle row's shapes and counts are PyTorch's: a case PyTorch runs
 * must give its output, parameters and MACs; a case it rejects must give its parameters when construction
 * succeeded, or no graph when it did not (its diagnostics carry the error on PyTorch's line). A number the
 * row lists as unknown is left out: the analysis must report it as unknown (see unknownOf), not as PyTorch's.
 */
export function expectationOf(row: Row): Expect {
  const t = row.torch;
  if (t === undefined) return row.expect;
  const said: Expect = t.raises === null ? { ...row.expect, output: t.output, params: t.params, macs: t.macs } : { ...row.expect, params: t.params };
  for (const u of row.expect.unknown ?? []) delete said[u];
  return said;
}

/** The numbers of an analysis that a row says must be unknown but are not. */
export function knownButUnknown(a: Analysis, ex: Expect): UnknownField[] {
  const g = a.graph;
  if (g === null) return [];
  return (ex.unknown ?? []).filter((u) => (u === 'output' ? (g.outputs ?? g.output) : g[u]) !== null);
}

export function matchesDiagnostic(d: Diagnostic, e: ExpectedDiagnostic): boolean {
  return (
    d.severity === e.severity &&
    d.code === e.code &&
    d.line === e.line &&
    (e.column === undefined || d.column === e.column) &&
    (e.messageIncludes === undefined || d.message.includes(e.messageIncludes))
  );
}
