/**
 * Differential test of the Keras reader against TensorFlow.js: for every `.json` file in a folder, runs our
 * CLI (`bin/resnet-studio.js analyze FILE --json`, so `npm run build` first) and the TF.js oracle
 * (scripts/kerasOracle.ts), and classifies the file:
 *   exact   - same learnable parameters and output shapes (or, for a file TF.js cannot build because a
 *             reference is dangling, we report that error by the layer's name);
 *   unknown - we report unknown parameters or an unknown output, and no error;
 *   wrong   - a number differs, or we report an error where TF.js builds the model;
 *   no-oracle - TF.js cannot build it for its own reasons (a Lambda layer, a layer TF.js lacks), so there
 *             is nothing to compare with; listed apart, not counted.
 * The real-world exports it runs on stay outside the repository.
 *
 * Usage: node --import tsx scripts/kerasDiff.ts FOLDER [--sources SOURCES.tsv] [--markdown OUT.md]
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { promisify } from 'node:util';
import type { IrNode } from '../src/core/ir';
import { frozenParams } from '../src/core/report';
import { runOracle, type OracleResult } from './kerasOracle';

type Shape = (number | null)[];
export type Verdict = 'exact' | 'unknown' | 'wrong' | 'no-oracle';

interface Ours {
  params: number | null;
  /** Params less those of frozen layers (`trainable: false`), as Keras trains them. */
  trainable: number | null;
  outputs: Shape[] | null;
  errors: string[];
  crashed: string | null;
}

export interface Row {
  file: string;
  verdict: Verdict;
  why: string;
  ours: Ours;
  oracle: OracleResult;
}

const run = promisify(execFile);

async function analyzeWithCli(file: string): Promise<Ours> {
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, ['bin/resnet-studio.js', 'analyze', file, '--json'], { maxBuffer: 256 * 1024 * 1024, timeout: 120_000 }));
  } catch (e) {
    // Exit code 1 means error diagnostics, and the JSON is still on stdout.
    const err = e as { stdout?: string; code?: number; message: string };
    if (err.code !== 1 || !err.stdout) return { params: null, trainable: null, outputs: null, errors: [], crashed: err.message.split('\n')[0]! };
    stdout = err.stdout;
  }
  const r = JSON.parse(stdout) as {
    output: Shape | null;
    outputs: Shape[] | null;
    params: number | null;
    graph: { nodes: IrNode[] };
    diagnostics: { severity: string; message: string; code: string }[];
  };
  const frozen = frozenParams(r.graph);
  return {
    params: r.params,
    trainable: r.params === null || frozen === null ? null : r.params - frozen,
    outputs: r.outputs ?? (r.output ? [r.output] : null),
    errors: r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`),
    crashed: null,
  };
}

const fmt = (s: Shape[] | null): string => (s ? s.map((x) => `[${x.map((d) => d ?? '?').join(',')}]`).join(' ') : '?');

/** A dimension TF.js leaves open (a variable image size) matches whatever default we chose. */
function sameShape(ours: Shape, oracle: Shape): boolean | 'unknown' {
  if (ours.length !== oracle.length) return false;
  let unknown = false;
  for (let i = 0; i < ours.length; i++) {
    if (oracle[i] === null) continue;
    if (ours[i] === null) unknown = true;
    else if (ours[i] !== oracle[i]) return false;
  }
  return unknown ? 'unknown' : true;
}

export function classify(ours: Ours, oracle: OracleResult): { verdict: Verdict; why: string } {
  if (ours.crashed) return { verdict: 'wrong', why: `our CLI failed: ${ours.crashed}` };
  if (oracle.error) {
    const m = /unknown layer '([^']+)'/.exec(oracle.error);
    if (oracle.error.startsWith('dangling reference') && m) {
      return ours.errors.some((e) => e.includes(`'${m[1]}'`))
        ? { verdict: 'exact', why: `dangling reference '${m[1]}' reported` }
        : { verdict: 'wrong', why: `dangling reference '${m[1]}' not reported` };
    }
    const cycle = [...oracle.error.matchAll(/cycle through layer '([^']+)'/g)].map((x) => x[1]!);
    if (oracle.error.startsWith('cycle') && cycle.length) {
      const missed = cycle.filter((n) => !ours.errors.some((e) => e.startsWith('keras/cycle') && e.includes(`'${n}'`)));
      return missed.length ? { verdict: 'wrong', why: `cycle through ${missed.join(', ')} not reported` } : { verdict: 'exact', why: `cycle through ${cycle.join(', ')} reported` };
    }
    return { verdict: 'no-oracle', why: `TF.js: ${oracle.error}` };
  }
  if (ours.errors.length) return { verdict: 'wrong', why: `we report an error TF.js does not: ${ours.errors[0]}` };
  const problems: string[] = [];
  let unknown = false;
  if (ours.params === null) {
    unknown = true;
    problems.push(`params unknown (TF.js ${oracle.params})`);
  } else if (ours.params !== oracle.params) problems.push(`params ${ours.params} vs TF.js ${oracle.params} (${ours.params - oracle.params! > 0 ? '+' : ''}${ours.params - oracle.params!})`);
  if (ours.params !== null && ours.trainable !== null && oracle.trainable !== null && ours.params === oracle.params && ours.trainable !== oracle.trainable) {
    problems.push(`trainable ${ours.trainable} vs TF.js ${oracle.trainable} (frozen layers)`);
  }
  const o = oracle.outputs ?? [];
  if (!ours.outputs) {
    unknown = true;
    problems.push(`output unknown (TF.js ${fmt(o)})`);
  } else if (ours.outputs.length !== o.length) problems.push(`${ours.outputs.length} outputs vs TF.js ${o.length}`);
  else {
    ours.outputs.forEach((s, i) => {
      const same = sameShape(s, o[i]!);
      if (same === 'unknown') {
        unknown = true;
        problems.push(`output ${fmt([s])} partly unknown (TF.js ${fmt([o[i]!])})`);
      } else if (!same) problems.push(`output ${fmt([s])} vs TF.js ${fmt([o[i]!])}`);
    });
  }
  const wrong = problems.some((p) => !p.includes('unknown'));
  if (wrong) return { verdict: 'wrong', why: problems.join('; ') };
  if (unknown) return { verdict: 'unknown', why: problems.join('; ') };
  return { verdict: 'exact', why: `${oracle.params} params, ${fmt(o)}` };
}

export async function diffFolder(folder: string): Promise<Row[]> {
  const files = readdirSync(folder).filter((f) => f.endsWith('.json')).sort().map((f) => join(folder, f));
  const oracle = await runOracle(files, 120_000);
  const rows: Row[] = [];
  for (const [i, file] of files.entries()) {
    const ours = await analyzeWithCli(file);
    rows.push({ file, ours, oracle: oracle[i]!, ...classify(ours, oracle[i]!) });
  }
  return rows;
}

function markdown(rows: Row[], sources: Map<string, string>): string {
  const count = (v: Verdict): number => rows.filter((r) => r.verdict === v).length;
  const judged = rows.length - count('no-oracle');
  const lines = [
    `${rows.length} files; ${judged} judged by TF.js: **${count('exact')} exact, ${count('unknown')} unknown, ${count('wrong')} wrong** ` +
      `(${judged ? Math.round((100 * count('exact')) / judged) : 0}% exact); ${count('no-oracle')} that TF.js cannot build.`,
    '',
    '| file | source | verdict | why | oracle rewrites |',
    '|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const name = basename(r.file);
    lines.push(`| ${name} | ${sources.get(name) ?? ''} | ${r.verdict} | ${r.why.replace(/\|/g, '\\|')} | ${r.oracle.notes.join('; ')} |`);
  }
  return lines.join('\n') + '\n';
}

if (process.argv[1]?.endsWith('kerasDiff.ts')) {
  const args = process.argv.slice(2);
  const folder = args[0];
  if (!folder) {
    process.stderr.write('usage: node --import tsx scripts/kerasDiff.ts FOLDER [--sources SOURCES.tsv] [--markdown OUT.md]\n');
    process.exit(2);
  }
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const sourcesFile = opt('--sources') ?? join(folder, 'SOURCES.tsv');
  const sources = new Map<string, string>();
  if (existsSync(sourcesFile)) {
    for (const line of readFileSync(sourcesFile, 'utf8').split('\n')) {
      const [name, repo, path] = line.split('\t');
      if (name && repo) sources.set(name, `${repo}:${path}`);
    }
  }
  void diffFolder(folder).then((rows) => {
    for (const r of rows) process.stdout.write(`${r.verdict.padEnd(9)} ${basename(r.file)}: ${r.why}\n`);
    const md = markdown(rows, sources);
    process.stdout.write('\n' + md.split('\n')[0] + '\n');
    const out = opt('--markdown');
    if (out) writeFileSync(out, md);
  });
}
