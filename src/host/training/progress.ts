/**
 * A running job's progress as the status bar and the progress notification show it, folded from its rows.
 * Pure (no `vscode`), so the wording is unit-tested.
 */
import type { TrainingRow } from '../../protocol/trainingProtocol';

export class JobProgress {
  epoch: number | null = null;
  epochs: number | null = null;
  step = 0;
  totalSteps: number | null = null;
  loss: number | null = null;
  valAccuracy: number | null = null;
  /** Seconds left as last reported, and when (ms since the epoch). */
  eta: number | null = null;
  etaAt = 0;
  backend: string | null = null;
  device: string | null = null;
  /** The library that trains (`@tensorflow/tfjs` is pure JavaScript). */
  runtime: string | null = null;
  message: string | null = null;
  /** Steps reported by metric rows; until one comes, the status message says what the run is doing. */
  private metricSeen = false;
  ended: { status: string; error: string | null } | null = null;

  constructor(readonly model: string) {}

  update(row: TrainingRow, now = Date.now()): void {
    if (row.type === 'status') {
      if (row.backend) this.backend = row.backend;
      if (row.device) this.device = row.device;
      if (row.runtime) this.runtime = row.runtime;
      if (typeof row.epochs === 'number') this.epochs = row.epochs;
      if (typeof row.totalSteps === 'number') this.totalSteps = row.totalSteps;
      else if (typeof row.epochs === 'number' && typeof row.stepsPerEpoch === 'number') this.totalSteps ??= row.epochs * row.stepsPerEpoch;
      if (typeof row.epoch === 'number') this.epoch = row.epoch;
      if (typeof row.step === 'number') this.step = Math.max(this.step, row.step);
      if (typeof row.eta === 'number' && Number.isFinite(row.eta)) {
        this.eta = row.eta;
        this.etaAt = now;
      }
      if (row.message) this.message = row.message;
    } else if (row.type === 'metric') {
      this.metricSeen = true;
      this.epoch = row.epoch;
      this.step = Math.max(this.step, row.step);
      if (row.split === 'train' && Number.isFinite(row.loss)) this.loss = row.loss;
      if (row.split === 'val' && Number.isFinite(row.accuracy)) this.valAccuracy = row.accuracy;
    } else if (row.type === 'end') {
      this.ended = { status: row.status, error: row.error ?? null };
    }
  }

  /** 0..100, or null while the total is unknown. */
  percent(): number | null {
    if (!this.totalSteps) return null;
    return Math.min(100, (100 * this.step) / this.totalSteps);
  }

  etaNow(now = Date.now()): number | null {
    if (this.eta === null) return null;
    return Math.max(0, this.eta - (now - this.etaAt) / 1000);
  }

  /** `epoch 2/10 · step 45/600 · loss 0.4123 · ETA 3m 05s` */
  summary(now = Date.now()): string {
    const parts: string[] = [];
    if (this.epoch !== null) parts.push(`epoch ${this.epoch}${this.epochs ? `/${this.epochs}` : ''}`);
    parts.push(`step ${this.step}${this.totalSteps ? `/${this.totalSteps}` : ''}`);
    if (this.loss !== null) parts.push(`loss ${this.loss.toFixed(4)}`);
    const eta = this.etaNow(now);
    if (eta !== null) parts.push(`ETA ${formatSeconds(eta)}`);
    // Before the first logged window, "step 0" alone would look stuck: say what the run is doing.
    if (!this.metricSeen && !this.ended) parts.push(this.message ?? 'starting…');
    return parts.join(' · ');
  }
}

export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** The status bar text for the jobs running, the first one in detail. */
export function statusBarText(jobs: readonly JobProgress[], now = Date.now()): string {
  if (!jobs.length) return '';
  const first = jobs[0]!;
  const more = jobs.length > 1 ? ` (+${jobs.length - 1})` : '';
  return `$(pulse) ${first.model}: ${first.summary(now)}${more}`;
}

/** Parses `epochs=10 batch=128 lr=0.1 ...` (the train command's one-line hyperparameter prompt). */
export function parseHyperparameters(text: string): { values: Record<string, string>; errors: string[] } {
  const values: Record<string, string> = {};
  const errors: string[] = [];
  for (const tok of text.trim().split(/[\s,;]+/).filter(Boolean)) {
    const m = /^([A-Za-z][\w-]*)=(.+)$/.exec(tok);
    if (!m) errors.push(`'${tok}' is not key=value`);
    else values[m[1]!.toLowerCase()] = m[2]!;
  }
  return { values, errors };
}
