/**
 * What the metrics panel is fed: run summaries and, per shown run, its `metrics.jsonl` rows with their index.
 * The file is the one source of truth (a run of this window, of another window, a detached one, or one from
 * the CLI all look the same), so the feed tails it by byte offset and numbers rows by their position. It sends
 * every row, superseded ones included: a resume's `start` row supersedes rows already sent, and numbering by
 * position only works on the whole file. The panel's model drops them when it draws (`currentRows`).
 * Pure Node (no `vscode`): unit-tested directly.
 */
import * as fs from 'node:fs';
import type { RowsMessage, RunInfo, RunStatusName } from '../../protocol/metricsProtocol';
import type { TrainingRow } from '../../protocol/trainingProtocol';
import type { RunStore, RunSummary } from '../../training/runStore';

export function hasCheckpoint(store: RunStore, id: string): boolean {
  try {
    return fs.readdirSync(store.paths(id).checkpoints).some((n) => !n.startsWith('.'));
  } catch {
    return false;
  }
}

export function toRunInfo(store: RunStore, run: RunSummary, stoppable: boolean): RunInfo {
  const c = run.config;
  const end = run.lastRow?.type === 'end' ? run.lastRow : undefined;
  const rt = run.state.runtime;
  return {
    id: run.id,
    model: c?.modelName ?? run.id,
    modelFile: c?.modelFile ?? '',
    backend: c?.backend ?? 'pytorch',
    status: run.status as RunStatusName,
    createdAt: run.state.createdAt ?? c?.createdAt ?? '',
    epochs: c?.epochs ?? 0,
    batchSize: c?.batchSize ?? 0,
    lr: c?.lr ?? 0,
    optimizer: c?.optimizer ?? '',
    data: c?.data ?? '',
    inputShape: c?.inputShape ? [...c.inputShape] : [],
    ...(c?.inputFrom ? { inputFrom: c.inputFrom } : {}),
    ...(rt ? { interpreter: rt.interpreter, interpreterReason: rt.interpreterReason, ...(rt.deviceReason ? { deviceReason: rt.deviceReason } : {}) } : {}),
    error: end?.error ?? run.state.error ?? null,
    resumable: hasCheckpoint(store, run.id),
    stoppable,
  };
}

interface Tail {
  offset: number;
  count: number;
}

export class RunFeed {
  private readonly tails = new Map<string, Tail>();

  constructor(readonly store: RunStore) {}

  /** Every complete row of the run from the start; the feed then follows it from there. */
  snapshot(id: string): TrainingRow[] {
    const { rows, offset } = this.store.readRowsSince(id, 0);
    this.tails.set(id, { offset, count: rows.length });
    return rows;
  }

  /** Rows from index `from` (re-read from the file), for a panel that reported a gap or ticked a run. */
  from(id: string, from: number): RowsMessage {
    const rows = this.snapshot(id);
    return { type: 'rows', runId: id, from, rows: rows.slice(from) };
  }

  /** Stops following runs not in `ids`. */
  keepOnly(ids: readonly string[]): void {
    for (const id of [...this.tails.keys()]) if (!ids.includes(id)) this.tails.delete(id);
  }

  following(): string[] {
    return [...this.tails.keys()];
  }

  /** New complete rows of every followed run since the last call, numbered after those already sent. */
  poll(): RowsMessage[] {
    const out: RowsMessage[] = [];
    for (const [id, tail] of this.tails) {
      let next;
      try {
        next = this.store.readRowsSince(id, tail.offset);
      } catch {
        continue;
      }
      if (next.offset < tail.offset) {
        // The file shrank (replaced): start over from its beginning.
        this.snapshot(id);
        continue;
      }
      tail.offset = next.offset;
      if (!next.rows.length) continue;
      out.push({ type: 'rows', runId: id, from: tail.count, rows: next.rows });
      tail.count += next.rows.length;
    }
    return out;
  }
}
