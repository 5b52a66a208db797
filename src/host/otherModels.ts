/**
 * The diagnostics of the models a Python file is not analysed as, from the file's index (every model of the
 * file analysed on its own, in the analysis worker). Problems lists them and quick fixes take their edits from
 * them, so this store knows which document version and which options each index was computed for, and when the
 * next one runs: once typing pauses after an analysis is published, or at once when a quick fix asks for the
 * index of the version in the editor. Pure (timers only): the host supplies the run.
 */
import type { IndexedDiagnostic } from '../frontends/workspaceIndex';

/**
 * Runs the worker's index of a document at `version`, with the options in force when it starts. Undefined
 * when the document is no longer at that version or open, or when the index failed.
 */
export type IndexRun = (uri: string, version: number) => Promise<IndexedDiagnostic[] | undefined>;

interface Stored {
  version: number;
  /** The options generation it was computed under (see `markStale`). */
  generation: number;
  diagnostics: IndexedDiagnostic[];
}

/** An index run that is waiting for typing to pause, or running. */
interface Pending {
  version: number;
  generation: number;
  started: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Settles when the run has finished (stored or not), or when it is dropped before it started. */
  done: Promise<void>;
  settle: () => void;
}

export class OtherModels {
  private readonly stored = new Map<string, Stored>();
  private readonly pending = new Map<string, Pending>();
  /** Bumped per file whenever its options change or it is dropped: results of older generations are not current. */
  private readonly generations = new Map<string, number>();
  private disposed = false;

  /**
   * @param run computes a file's index.
   * @param onDidIndex told when an index of `version` under the current options was stored.
   * @param quietMs how long after the latest analysis a file indexed before is indexed again.
   */
  constructor(
    private readonly run: IndexRun,
    private readonly onDidIndex: (uri: string, version: number) => void,
    private readonly quietMs: number,
  ) {}

  private generation(uri: string): number {
    return this.generations.get(uri) ?? 0;
  }

  /**
   * What Problems lists for the file's other models: its latest index, which may be of an older version or of
   * the options before the latest change, so that an edit never makes another model's error blink out.
   */
  listed(uri: string): readonly IndexedDiagnostic[] {
    return this.stored.get(uri)?.diagnostics ?? [];
  }

  /** The index of exactly `version` under the current options, if it is stored. */
  current(uri: string, version: number): readonly IndexedDiagnostic[] | undefined {
    const s = this.stored.get(uri);
    return s && s.version === version && s.generation === this.generation(uri) ? s.diagnostics : undefined;
  }

  /**
   * Indexes the file at `version` once typing pauses: after `quietMs`, or at once for a file never indexed (so
   * Problems opens complete). A newer request replaces one not started yet; nothing runs when that index is
   * stored or already running.
   */
  schedule(uri: string, version: number): void {
    if (this.current(uri, version) || this.runningFor(uri, version)) return;
    this.start(uri, version, this.stored.has(uri) ? this.quietMs : 0);
  }

  /**
   * The index of `version` under the current options: the stored one, else the one scheduled or running (which
   * `now` starts at once instead of after the quiet time), else, only when `now`, a new run. Undefined when
   * there is none to wait for, the document moved on, the run failed, or `cancelled()` turns true. Never the
   * index of another version: a fix's offsets are only valid in the text they were computed from.
   */
  async ofVersion(uri: string, version: number, now: boolean, cancelled: () => boolean = () => false): Promise<readonly IndexedDiagnostic[] | undefined> {
    for (;;) {
      const found = this.current(uri, version);
      if (found || cancelled()) return found;
      const generation = this.generation(uri);
      let p = this.pending.get(uri);
      if (!p || p.version !== version || p.generation !== generation) {
        if (!now) return undefined;
        p = this.start(uri, version, 0);
      } else if (now && !p.started) this.begin(uri, p);
      await p.done;
      // Asked for anew when the options changed while it ran (its result is not current), or when a newer
      // request for the same version replaced it before it started.
      const next = this.pending.get(uri);
      const replaced = !!next && next !== p && next.version === version;
      if (this.generation(uri) === generation && !replaced) return this.current(uri, version);
    }
  }

  /** The file's options changed (model choice, input shape): its stored index stays listed but is no longer current. */
  markStale(uri: string): void {
    this.generations.set(uri, this.generation(uri) + 1);
    this.dropUnstarted(uri);
  }

  /** Every file's options changed (a setting). */
  markAllStale(): void {
    for (const uri of new Set([...this.stored.keys(), ...this.pending.keys()])) this.markStale(uri);
  }

  /** The file closed or is no longer a model: forget it, and let no run still going store a result for it. */
  delete(uri: string): void {
    this.markStale(uri);
    this.stored.delete(uri);
  }

  dispose(): void {
    this.disposed = true;
    for (const uri of [...this.pending.keys()]) this.dropUnstarted(uri);
  }

  private runningFor(uri: string, version: number): boolean {
    const p = this.pending.get(uri);
    return !!p && p.started && p.version === version && p.generation === this.generation(uri);
  }

  private dropUnstarted(uri: string): void {
    const p = this.pending.get(uri);
    if (!p || p.started) return;
    clearTimeout(p.timer);
    this.pending.delete(uri);
    p.settle();
  }

  private start(uri: string, version: number, delayMs: number): Pending {
    this.dropUnstarted(uri);
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const p: Pending = { version, generation: this.generation(uri), started: false, timer: undefined, done, settle };
    this.pending.set(uri, p);
    if (delayMs > 0) p.timer = setTimeout(() => this.begin(uri, p), delayMs);
    else this.begin(uri, p);
    return p;
  }

  private begin(uri: string, p: Pending): void {
    if (p.started) return;
    p.started = true;
    clearTimeout(p.timer);
    const finish = (diagnostics: IndexedDiagnostic[] | undefined): void => {
      if (this.pending.get(uri) === p) this.pending.delete(uri);
      const s = this.stored.get(uri);
      // Stored only under the options it was computed with, and never over a newer version's index.
      const fresh = diagnostics && !this.disposed && p.generation === this.generation(uri) && (!s || s.version <= p.version);
      if (fresh) this.stored.set(uri, { version: p.version, generation: p.generation, diagnostics });
      p.settle();
      if (fresh) this.onDidIndex(uri, p.version);
    };
    this.run(uri, p.version).then(finish, () => finish(undefined));
  }
}
