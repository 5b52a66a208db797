/**
 * Where analyses run. A ResNet-152 in a torchvision-size Python file can take tens of milliseconds, which is
 * too long for the extension host's thread on every edit, so the extension runs the front ends in a worker
 * thread (`dist/analysisWorker.js`); the in-process runner is the same contract on the calling thread, for
 * tests and tools. Pure Node: no `vscode` import.
 */
import { Worker } from 'node:worker_threads';
import type { Analysis } from '../core/ir';
import type { FrontEndOptions } from '../frontends/resnetJson';

export interface AnalysisRequest {
  id: number;
  file: string;
  text: string;
  options: FrontEndOptions;
}

/** `analysis` is null when no front end reads the file. */
export type AnalysisReply = { id: number; analysis: Analysis | null; ms: number } | { id: number; error: string };

export interface AnalysisRunner {
  /** Analyses a text; resolves to null when no front end reads the file. */
  run(file: string, text: string, options: FrontEndOptions): Promise<{ analysis: Analysis | null; ms: number }>;
  dispose(): void;
}

/** Runs the front ends on the calling thread; the core is loaded on first use. */
export class InProcessRunner implements AnalysisRunner {
  private core: Promise<typeof import('../frontends/index')> | undefined;

  async run(file: string, text: string, options: FrontEndOptions): Promise<{ analysis: Analysis | null; ms: number }> {
    const core = await (this.core ??= import('../frontends/index'));
    const t0 = performance.now();
    const analysis = core.formatFor(file, text) ? core.analyzeText(file, text, options) : null;
    return { analysis, ms: performance.now() - t0 };
  }

  dispose(): void {}
}

export class AnalysisTimeoutError extends Error {}

/**
 * Runs the front ends in one worker thread, started on first use. Requests are answered in order. A request
 * that takes longer than `timeoutMs` (a front-end bug on a pathological file) terminates the worker, fails
 * with {@link AnalysisTimeoutError}, and the next request starts a fresh worker.
 */
export class WorkerRunner implements AnalysisRunner {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: { analysis: Analysis | null; ms: number }) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  private disposed = false;

  constructor(
    private readonly script: string,
    private readonly timeoutMs = 10_000,
    private readonly execArgv: string[] = [],
  ) {}

  run(file: string, text: string, options: FrontEndOptions): Promise<{ analysis: Analysis | null; ms: number }> {
    if (this.disposed) return Promise.reject(new Error('the analysis worker was disposed'));
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.failAll(new AnalysisTimeoutError(`analysing ${file} took longer than ${this.timeoutMs} ms and was stopped`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      const req: AnalysisRequest = { id, file, text, options };
      worker.postMessage(req);
    });
  }

  /** Whether a worker thread is running now (for tests). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.script, { execArgv: this.execArgv });
    w.unref();
    w.on('message', (reply: AnalysisReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      clearTimeout(p.timer);
      if ('error' in reply) p.reject(new Error(reply.error));
      else p.resolve({ analysis: reply.analysis, ms: reply.ms });
    });
    w.on('error', (err) => {
      if (this.worker === w) this.failAll(err);
    });
    w.on('exit', (code) => {
      if (this.worker === w) this.failAll(new Error(`the analysis worker exited with code ${code}`));
    });
    this.worker = w;
    return w;
  }

  /** Rejects every pending request and stops the worker; the next request starts a new one. */
  private failAll(err: Error): void {
    const w = this.worker;
    this.worker = undefined;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    void w?.terminate();
  }

  dispose(): void {
    this.disposed = true;
    this.failAll(new Error('the analysis worker was disposed'));
  }
}
