/**
 * Thousands of mutated fixture files (truncated lines, swapped tokens, random numbers, deleted brackets,
 * dropped or duplicated lines, broken indentation) through the reader: no exception may escape, no internal
 * error may be swallowed into a diagnostic, and each file must finish within its budget. The seed is fixed
 * so a failure reproduces; FUZZ_CASES and FUZZ_SEED change the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyzePytorch } from '../../src/frontends/pytorch';
import { oracleRows } from '../fixturesManifest';
import { rng } from './helpers';

const rows = oracleRows.filter(
  // The 224x224 ImageNet rows only cost time here; their files are covered through the smaller rows.
  (r) => r.input[2]! <= 64 || r.model === 'Bottleneck' || r.model === 'resnet18',
);
const texts = new Map(rows.map((r) => [r.file, readFileSync(r.file, 'utf8')]));

const CASES = Number(process.env['FUZZ_CASES'] ?? 2000);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20240611);
const BUDGET_MS = 400;

type Mutator = (lines: string[], r: () => number) => void;

const pick = <T>(xs: readonly T[], r: () => number): T => xs[Math.floor(r() * xs.length)]!;
const lineIndex = (lines: string[], r: () => number): number => Math.floor(r() * lines.length);
const NUMBERS = ['0', '1', '-1', '2', '3', '7', '64', '255', '1000', '-100', '10**9', '3.5', '0.0', '1e300'];

const mutators: Record<string, Mutator> = {
  truncateLine(lines, r) {
    const i = lineIndex(lines, r);
    lines[i] = lines[i]!.slice(0, Math.floor(r() * lines[i]!.length));
  },
  swapTokens(lines, r) {
    const a = lineIndex(lines, r);
    const b = lineIndex(lines, r);
    const ta = lines[a]!.split(/(\W)/);
    const tb = lines[b]!.split(/(\W)/);
    const ia = Math.floor(r() * ta.length);
    const ib = Math.floor(r() * tb.length);
    const x = ta[ia] ?? '';
    if (a === b) {
      ta[ia] = ta[ib] ?? '';
      ta[ib] = x;
      lines[a] = ta.join('');
      return;
    }
    ta[ia] = tb[ib] ?? '';
    tb[ib] = x;
    lines[a] = ta.join('');
    lines[b] = tb.join('');
  },
  randomNumber(lines, r) {
    for (let tries = 0; tries < 20; tries++) {
      const i = lineIndex(lines, r);
      const nums = [...lines[i]!.matchAll(/\b\d+(\.\d+)?\b/g)];
      if (!nums.length) continue;
      const m = pick(nums, r);
      lines[i] = lines[i]!.slice(0, m.index) + pick(NUMBERS, r) + lines[i]!.slice(m.index! + m[0].length);
      return;
    }
  },
  deleteBracket(lines, r) {
    for (let tries = 0; tries < 20; tries++) {
      const i = lineIndex(lines, r);
      const at = [...lines[i]!].flatMap((ch, k) => ('()[]{}'.includes(ch) ? [k] : []));
      if (!at.length) continue;
      const k = pick(at, r);
      lines[i] = lines[i]!.slice(0, k) + lines[i]!.slice(k + 1);
      return;
    }
  },
  dropLine(lines, r) {
    lines.splice(lineIndex(lines, r), 1);
  },
  duplicateLine(lines, r) {
    const i = lineIndex(lines, r);
    lines.splice(i, 0, lines[i]!);
  },
  breakIndent(lines, r) {
    const i = lineIndex(lines, r);
    lines[i] = (r() < 0.5 ? '   ' : '') + lines[i]!.trimStart();
  },
  insertGarbage(lines, r) {
    const i = lineIndex(lines, r);
    const k = Math.floor(r() * (lines[i]!.length + 1));
    lines[i] = lines[i]!.slice(0, k) + pick([':', '(', ')', '*', '**', ',', '=', 'lambda', 'yield', '"', "'''", '\\', 'not', 'self.', '[::-1]', ' if x else '], r) + lines[i]!.slice(k);
  },
};
const names = Object.keys(mutators);

test(`fuzz: ${CASES} mutated fixture files, seed ${SEED}`, () => {
  const r = rng(SEED);
  const counts = new Map<string, number>();
  let slowest = 0;
  const files = [...texts.keys()];
  for (let c = 0; c < CASES; c++) {
    // Files equally often (the model-zoo file has many rows but is the slowest to analyse).
    const file = pick(files, r);
    const row = pick(rows.filter((x) => x.file === file), r);
    const lines = texts.get(row.file)!.split('\n');
    const applied: string[] = [];
    for (let m = 1 + Math.floor(r() * 3); m > 0; m--) {
      const name = pick(names, r);
      mutators[name]!(lines, r);
      applied.push(name);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    const text = lines.join('\n');
    const opts = { model: row.model, input: row.input, ...(row.args ? { args: row.args } : {}), budget: { timeLimitMs: BUDGET_MS } };
    const t0 = performance.now();
    let internal: string | undefined;
    try {
      const a = analyzePytorch(row.file, text, opts);
      internal = a.diagnostics.find((d) => d.code === 'pytorch/internal')?.message;
      // Whatever happened, the graph is well formed: every edge joins two of its nodes.
      const ids = new Set(a.graph?.nodes.map((n) => n.id));
      const dangling = a.graph?.edges.find((e) => !ids.has(e.from) || !ids.has(e.to));
      internal ??= dangling ? `dangling edge ${JSON.stringify(dangling)}` : undefined;
    } catch (e) {
      assert.fail(`case ${c} (${row.file} ${applied.join('+')}) threw: ${(e as Error).stack}`);
    }
    assert.equal(internal, undefined, `case ${c} (${row.file} ${applied.join('+')}): ${internal}`);
    const ms = performance.now() - t0;
    slowest = Math.max(slowest, ms);
    // The budget covers parse and analysis; the margin is for a loaded machine and garbage collection.
    assert.ok(ms < BUDGET_MS + 2000, `case ${c} (${row.file} ${applied.join('+')}) took ${ms.toFixed(0)} ms`);
  }
  for (const n of names) assert.ok((counts.get(n) ?? 0) > 0, `mutator ${n} never ran`);
});
