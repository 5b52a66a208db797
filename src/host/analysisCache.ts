/**
 * Bookkeeping that keeps analysis cheap and never stale: results cached by document URI, version and
 * options; per-document debouncing of edits; and a gate that drops a result when a newer version of the
 * same document has been requested since. Pure (timers only), so it is unit-tested without VS Code.
 */
import type { Analysis } from '../core/ir';

/** Results for the latest analysed version of each document; older versions are dropped on insert. */
export class AnalysisCache {
  private readonly docs = new Map<string, { version: number; results: Map<string, Analysis> }>();

  constructor(private readonly maxPerDocument = 32) {}

  get(uri: string, version: number, key: string): Analysis | undefined {
    const d = this.docs.get(uri);
    return d && d.version === version ? d.results.get(key) : undefined;
  }

  set(uri: string, version: number, key: string, analysis: Analysis): void {
    let d = this.docs.get(uri);
    if (d && version < d.version) return;
    if (!d || d.version !== version) this.docs.set(uri, (d = { version, results: new Map() }));
    d.results.set(key, analysis);
    // CodeLens resolves one analysis per model of a file; keep the most recent few.
    if (d.results.size > this.maxPerDocument) d.results.delete(d.results.keys().next().value!);
  }

  /** The newest result for a document whatever its version, for views that may show a slightly old graph. */
  latest(uri: string, key: string): { version: number; analysis: Analysis } | undefined {
    const d = this.docs.get(uri);
    const a = d?.results.get(key);
    return d && a ? { version: d.version, analysis: a } : undefined;
  }

  delete(uri: string): void {
    this.docs.delete(uri);
  }

  clear(): void {
    this.docs.clear();
  }
}

/** One pending timer per key; scheduling again replaces the previous one. */
export class Debouncer {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  schedule(key: string, delayMs: number, run: () => void): void {
    this.cancel(key);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        run();
      }, delayMs),
    );
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(key);
  }

  pending(key: string): boolean {
    return this.timers.has(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

/**
 * Tracks the newest version requested per document. A result is published only if no newer version was
 * requested while it was computed, so an analysis that finishes late never overwrites a fresher one.
 */
export class VersionGate {
  private readonly newest = new Map<string, number>();

  /** Records a request; returns false when an equal or newer version was already requested. */
  request(uri: string, version: number): boolean {
    const cur = this.newest.get(uri);
    if (cur !== undefined && cur >= version) return cur === version;
    this.newest.set(uri, version);
    return true;
  }

  isCurrent(uri: string, version: number): boolean {
    return this.newest.get(uri) === version;
  }

  forget(uri: string): void {
    this.newest.delete(uri);
  }
}
