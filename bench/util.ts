/**
 * Shared helpers for benchmarks: median timing, a uniform "measured vs target" line, and a front end bundled
 * the way the product runs it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildSync } from 'esbuild';

/** Median milliseconds of `fn` over `runs` runs, after `warmup` unmeasured runs. */
export function medianMs(fn: () => unknown, runs = 200, warmup = 20): number {
  for (let i = 0; i < warmup; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    fn();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

/** Prints `label: 1.23 ms (target <= 2 ms, ratio 0.62 of target) ok`; lower is better. */
export function report(label: string, value: number, target: number, unit = 'ms'): void {
  const ratio = value / target;
  console.log(`${label}: ${value.toFixed(2)} ${unit} (target <= ${target} ${unit}; ${ratio.toFixed(2)}x of target) ${ratio <= 1 ? 'MET' : 'MISSED'}`);
}

/**
 * Bundles `entry` (a source file of the repository) with esbuild as the CLI and the analysis worker bundle the
 * front ends, and returns the bundle's path. Timed through tsx instead, every use of another module's export
 * goes through a getter, which the product never pays.
 */
export function bundleOf(entry: string): string {
  const out = join(mkdtempSync(join(tmpdir(), 'rs-bench-bundle-')), 'bundle.cjs');
  buildSync({ entryPoints: [entry], outfile: out, bundle: true, platform: 'node', format: 'cjs', target: 'node18', mainFields: ['module', 'main'], logLevel: 'error' });
  return out;
}
