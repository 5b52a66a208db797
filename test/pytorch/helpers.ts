/** Shared by the PyTorch front-end tests. */
import { readFileSync } from 'node:fs';
import type { Analysis, Diagnostic, TextEdit } from '../../src/core/ir';
import { analyzePytorch, type PytorchOptions } from '../../src/frontends/pytorch';

export function analyzeFile(file: string, opts: PytorchOptions = {}): Analysis {
  return analyzePytorch(file, readFileSync(file, 'utf8'), opts);
}

export const errorsOf = (a: Analysis): Diagnostic[] => a.diagnostics.filter((d) => d.severity === 'error');

export function describe(ds: readonly Diagnostic[]): string {
  return JSON.stringify(ds.map((d) => `${d.severity} ${d.line}:${d.column} ${d.code} ${d.message}`), null, 1);
}

/** Applies 1-based, end-exclusive edits to a text (from the end, so earlier offsets stay valid). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  const offset = (line: number, column: number): number => starts[line - 1]! + column - 1;
  const spans = edits
    .map((e) => ({ from: offset(e.range.line, e.range.column), to: offset(e.range.endLine, e.range.endColumn), text: e.newText }))
    .sort((a, b) => b.from - a.from);
  for (let i = 1; i < spans.length; i++) if (spans[i]!.to > spans[i - 1]!.from) throw new Error('overlapping edits');
  let out = text;
  for (const s of spans) out = out.slice(0, s.from) + s.text + out.slice(s.to);
  return out;
}

/** A deterministic pseudo-random generator (mulberry32), so generated cases are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
