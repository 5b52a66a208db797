/**
 * Attempts: a run's `metrics.jsonl` holds the rows of every start of the run (the first, then each resume),
 * numbered by each row's `attempt`. A resume continues from its newest checkpoint, so the steps an earlier
 * attempt reported after that checkpoint are done again; after a crash before the first checkpoint, all of
 * them. The rule for which rows still count is here, once, and every reader (the run store, the CLI, the
 * metrics panel, the host's progress) applies it through {@link currentRows} or {@link supersededMask}.
 *
 * The rule: an attempt's `start` row gives the step it starts from; rows of earlier attempts with a larger
 * `step` are superseded. Rows without a step (an `end` row, a status row before training) are history and
 * stay. An attempt that failed before its `start` row supersedes nothing.
 *
 * Pure: the webview uses it too.
 */
import { type TrainingRow, attemptOf } from './trainingProtocol';

/** The attempt number a new start of the run writes, from the run's last row (undefined: no rows yet). */
export function nextAttempt(lastRow: Pick<TrainingRow, 'attempt'> | undefined): number {
  return lastRow ? attemptOf(lastRow) + 1 : 1;
}

/** For each row, true when a later attempt has redone its step. */
export function supersededMask(rows: readonly TrainingRow[]): boolean[] {
  const mask = new Array<boolean>(rows.length).fill(false);
  const startOf = new Map<number, number>();
  for (const r of rows) if (r.type === 'start' && !startOf.has(attemptOf(r))) startOf.set(attemptOf(r), r.step);
  if (startOf.size === 0) return mask;
  const attempts = [...new Set(rows.map(attemptOf))].sort((a, b) => a - b);
  // Each attempt's cutoff: the lowest start step of the attempts after it.
  const cutoff = new Map<number, number>();
  let lowest = Infinity;
  for (let i = attempts.length - 1; i >= 0; i--) {
    const a = attempts[i]!;
    cutoff.set(a, lowest);
    const s = startOf.get(a);
    if (s !== undefined) lowest = Math.min(lowest, s);
  }
  rows.forEach((r, i) => {
    const step = 'step' in r ? r.step : undefined;
    if (typeof step === 'number' && step > cutoff.get(attemptOf(r))!) mask[i] = true;
  });
  return mask;
}

/** The rows that still count, in file order: the one reader every consumer of `metrics.jsonl` uses. */
export function currentRows<R extends TrainingRow>(rows: readonly R[]): R[] {
  const mask = supersededMask(rows);
  return rows.filter((_r, i) => !mask[i]);
}
