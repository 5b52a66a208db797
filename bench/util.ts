/** Shared helpers for benchmarks: median timing and a uniform "measured vs target" line. */
import { performance } from 'node:perf_hooks';

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
