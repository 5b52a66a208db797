/**
 * Where analyses run. A ResNet-152 in a torchvision-size Python file can take tens of milliseconds, which is
 * too long for the extension host's thread on every edit, so the extension runs the front ends in a worker
 * thread (`dist/analysisWorker.js`); the in-process runner is the same contract on the calling thread, for
 * tests and tools. The code writers (exports, new designs) run there too, for the same reason and to keep
 * them out of the extension's bundle. Pure Node: no `vscode` import.
 */
import { Worker } from 'node:worker_threads';
import type { ExportFormat } from '../codegen/exportText';
import type { Analysis, IrGraph, SourceRange } from '../core/ir';
import type { FrontEndOptions } from '../frontends/options';
import type { FileIndex } from '../frontends/workspaceIndex';
import type { DiscoverResult, WorkerReply, WorkerRequest } from '../protocol/analysisWorkerProtocol';
import type { DesignContext, DesignEdit, DesignEditResult } from '../protocol/designEditProtocol';
import type { DesignerAnswer, DesignerRequest } from './designerRequests';
import type { WriterAnswer, WriterRequest } from './writerRequests';

/** An export's outcome: the text, or the writer's refusal (an op the format cannot hold, and where it is). */
export type ExportOutcome = { text: string } | { refused: { message: string; source?: SourceRange } };

export interface AnalysisRunner {
  /** Analyses a text; resolves to null when no front end reads the file. */
  run(file: string, text: string, options: FrontEndOptions, openTexts?: [string, string][]): Promise<{ analysis: Analysis | null; ms: number }>;
  /** The files under `roots` that may hold models (the workspace index's walk). */
  discover(roots: string[], exclude: string[]): Promise<{ files: string[]; truncated: boolean }>;
  /** One file's models for the workspace index; `text` null reads it from disk. */
  index(file: string, text: string | null, options: FrontEndOptions, fileTimeLimitMs: number): Promise<FileIndex | null>;
  /** The graph written in an export format (`codegen/exportText.ts`), or the writer's refusal. */
  exportText(graph: IrGraph, format: ExportFormat, sourceFile?: string): Promise<ExportOutcome>;
  /** The design templates, as the template wizard lists them. */
  templates(): Promise<{ id: string; label: string }[]>;
  /** A new design's text from a template (`codegen/newDesign.ts`). */
  newDesignText(template: string): Promise<string>;
  /** One graph edit applied to a design's text (`frontends/designEdits.ts`): the text edits, or why not. */
  designEdit(text: string, edit: DesignEdit): Promise<DesignEditResult>;
  /** What the graph page needs to offer edits of a design's text; null when it is not a design that parses. */
  designContext(text: string): Promise<DesignContext | null>;
  dispose(): void;
}

function editedDesign(a: DesignerAnswer): DesignEditResult {
  if (!('edited' in a)) throw new Error('the analysis worker answered a design edit with something else');
  return a.edited;
}

function designContextAnswer(a: DesignerAnswer): DesignContext | null {
  if (!('context' in a)) throw new Error('the analysis worker answered a design context request with something else');
  return a.context;
}

function exportOutcome(a: WriterAnswer): ExportOutcome {
  if ('text' in a) return { text: a.text };
  if ('refused' in a) return { refused: a.refused };
  throw new Error('the analysis worker answered an export request with something else');
}

function writtenText(a: WriterAnswer): string {
  if (!('text' in a)) throw new Error('the analysis worker answered a new-design request with something else');
  return a.text;
}

function templateList(a: WriterAnswer): { id: string; label: string }[] {
  if (!('templates' in a)) throw new Error('the analysis worker answered a templates request with something else');
  return a.templates;
}

/** Runs the front ends on the calling thread; the core is loaded on first use. */
export class InProcessRunner implements AnalysisRunner {
  private core: Promise<typeof import('../frontends/index')> | undefined;

  async run(file: string, text: string, options: FrontEndOptions, openTexts?: [string, string][]): Promise<{ analysis: Analysis | null; ms: number }> {
    const core = await (this.core ??= import('../frontends/index'));
    const t0 = performance.now();
    const open = new Map(openTexts ?? []);
    const analysis = core.formatFor(file, text) ? core.analyzeText(file, text, { ...options, reader: core.diskReader((f) => open.get(f)) }) : null;
    return { analysis, ms: performance.now() - t0 };
  }

  async discover(roots: string[], exclude: string[]): Promise<{ files: string[]; truncated: boolean }> {
    return (await import('../core/workspaceFiles')).discoverModelFiles(roots, { exclude });
  }

  async index(file: string, text: string | null, options: FrontEndOptions, fileTimeLimitMs: number): Promise<FileIndex | null> {
    const ix = await import('../frontends/workspaceIndex');
    const body = text ?? ix.readModelText(file);
    return body === null ? null : ix.indexFile(file, body, { base: options, fileTimeLimitMs });
  }

  private async write(req: WriterRequest): Promise<WriterAnswer> {
    return (await import('./writerRequests')).answerWriter(req);
  }

  async exportText(graph: IrGraph, format: ExportFormat, sourceFile?: string): Promise<ExportOutcome> {
    return exportOutcome(await this.write({ kind: 'export', requestId: 0, graph, format, ...(sourceFile !== undefined ? { sourceFile } : {}) }));
  }

  async templates(): Promise<{ id: string; label: string }[]> {
    return templateList(await this.write({ kind: 'templates', requestId: 0 }));
  }

  async newDesignText(template: string): Promise<string> {
    return writtenText(await this.write({ kind: 'newDesign', requestId: 0, template }));
  }

  private async design(req: DesignerRequest): Promise<DesignerAnswer> {
    return (await import('./designerRequests')).answerDesigner(req);
  }

  async designEdit(text: string, edit: DesignEdit): Promise<DesignEditResult> {
    return editedDesign(await this.design({ kind: 'designEdit', requestId: 0, text, edit }));
  }

  async designContext(text: string): Promise<DesignContext | null> {
    return designContextAnswer(await this.design({ kind: 'designContext', requestId: 0, text }));
  }

  dispose(): void {}
}

export class AnalysisTimeoutError extends Error {}

/**
 * Runs the front ends in one worker thread, started on first use. Requests are answered in order. A request
 * that takes longer than `timeoutMs` (a front-end bug on a pathological file) fails with
 * {@link AnalysisTimeoutError}; the worker is replaced and the requests queued behind it are sent again.
 */
export class WorkerRunner implements AnalysisRunner {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private disposed = false;

  constructor(
    private readonly script: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async run(file: string, text: string, options: FrontEndOptions, openTexts?: [string, string][]): Promise<{ analysis: Analysis | null; ms: number }> {
    const r = await this.request({ file, text, options, ...(openTexts?.length ? { openTexts } : {}) });
    if (!('analysis' in r)) throw new Error('the analysis worker answered an analysis with something else');
    return { analysis: r.analysis, ms: r.ms };
  }

  async discover(roots: string[], exclude: string[]): Promise<{ files: string[]; truncated: boolean }> {
    const r = (await this.request({ kind: 'discover', roots, exclude })) as DiscoverResult;
    return { files: r.files, truncated: r.truncated };
  }

  async index(file: string, text: string | null, options: FrontEndOptions, fileTimeLimitMs: number): Promise<FileIndex | null> {
    const r = await this.request({ kind: 'index', file, text, options, fileTimeLimitMs });
    if (!('index' in r)) throw new Error('the analysis worker answered an index request with something else');
    return r.index;
  }

  async exportText(graph: IrGraph, format: ExportFormat, sourceFile?: string): Promise<ExportOutcome> {
    return exportOutcome((await this.request({ kind: 'export', graph, format, ...(sourceFile !== undefined ? { sourceFile } : {}) })) as WriterAnswer);
  }

  async templates(): Promise<{ id: string; label: string }[]> {
    return templateList((await this.request({ kind: 'templates' })) as WriterAnswer);
  }

  async newDesignText(template: string): Promise<string> {
    return writtenText((await this.request({ kind: 'newDesign', template })) as WriterAnswer);
  }

  async designEdit(text: string, edit: DesignEdit): Promise<DesignEditResult> {
    return editedDesign((await this.request({ kind: 'designEdit', text, edit })) as DesignerAnswer);
  }

  async designContext(text: string): Promise<DesignContext | null> {
    return designContextAnswer((await this.request({ kind: 'designContext', text })) as DesignerAnswer);
  }

  private request(body: DistributiveOmit<WorkerRequest, 'requestId'>): Promise<Success> {
    if (this.disposed) return Promise.reject(new Error('the analysis worker was disposed'));
    const req = { ...body, requestId: this.nextId++ } as WorkerRequest;
    return new Promise((resolve, reject) => {
      const p: Pending = { req, resolve, reject, timer: undefined };
      this.pending.set(req.requestId, p);
      this.send(p);
    });
  }

  /** Whether a worker thread is running now (for tests). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  private send(p: Pending): void {
    // Each request's clock runs from when it is handed to a worker; requests run one at a time, so the
    // clock of a queued request also covers those ahead of it, which is what a user waits for too.
    p.timer = setTimeout(() => this.timedOut(p), this.timeoutMs);
    this.ensureWorker().postMessage(p.req);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.script);
    w.unref();
    w.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.inReplyTo);
      if (!p || this.worker !== w) return;
      this.pending.delete(reply.inReplyTo);
      clearTimeout(p.timer);
      if ('error' in reply) p.reject(new Error(reply.error));
      else p.resolve(reply);
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

  /** Fails the runaway request, replaces the worker and resends what was queued behind it. */
  private timedOut(culprit: Pending): void {
    this.pending.delete(culprit.req.requestId);
    const what = describe(culprit.req);
    culprit.reject(new AnalysisTimeoutError(`${what} took longer than ${this.timeoutMs} ms and was stopped`));
    const w = this.worker;
    this.worker = undefined;
    void w?.terminate();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      this.send(p);
    }
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

/** A request as a timeout message names it. */
function describe(req: WorkerRequest): string {
  switch (req.kind) {
    case 'discover':
      return `listing the files of ${req.roots.join(', ')}`;
    case 'export':
      return `writing ${req.graph.name} as ${req.format}`;
    case 'templates':
      return 'listing the design templates';
    case 'newDesign':
      return `writing a design from the template ${req.template}`;
    case 'designEdit':
      return `applying the design edit ${req.edit.kind}`;
    case 'designContext':
      return 'reading a design for the graph\'s editing';
    default:
      return `analysing ${req.file}`;
  }
}

type Success = Exclude<WorkerReply, { error: string }>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Pending {
  req: WorkerRequest;
  resolve: (r: Success) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}
