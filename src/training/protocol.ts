/**
 * The training metrics protocol: every runner (TF.js worker, PyTorch script) writes one JSON object per
 * line on stdout, and the same rows are appended to `metrics.jsonl` in the run directory. The extension
 * host, the CLI and the metrics panel read only these types.
 */

/** One optimisation or evaluation measurement. `step` counts optimiser steps since the run first began (it continues across resumes). */
export interface MetricRow {
  type: 'metric';
  split: 'train' | 'val';
  epoch: number;
  step: number;
  loss: number;
  accuracy: number;
  lr?: number;
  imagesPerSecond?: number;
  /**
   * What a train row averages: the steps since the previous train row (`window`), or the whole epoch (`epoch`,
   * the last train row of each epoch). Absent means `window`.
   */
  scope?: 'window' | 'epoch';
  /** Seconds since the Unix epoch. */
  time: number;
}

/** Runner state: which backend and device, dataset sizes, progress and ETA. Any field may be absent. */
export interface StatusRow {
  type: 'status';
  backend?: string;
  device?: string;
  trainSize?: number;
  valSize?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  epoch?: number;
  step?: number;
  /** Estimated seconds to completion. */
  eta?: number;
  message?: string;
  /** Processes in a data-parallel run (absent or 1 for one process); batch sizes and rates then cover all of them. */
  worldSize?: number;
  time?: number;
}

/** A checkpoint was written; `path` is relative to the run directory. */
export interface CheckpointRow {
  type: 'checkpoint';
  epoch: number;
  step: number;
  path: string;
  time?: number;
}

export type EndStatus = 'completed' | 'failed' | 'stopped';

/** The last row of every run. */
export interface EndRow {
  type: 'end';
  status: EndStatus;
  error?: string | null;
  time?: number;
}

export type TrainingRow = MetricRow | StatusRow | CheckpointRow | EndRow;

/** Parses one line of runner output; returns null for lines that are not protocol rows (plain log text). */
export function parseTrainingRow(line: string): TrainingRow | null {
  const t = line.trim();
  if (!t.startsWith('{')) return null;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const type = (v as { type?: unknown }).type;
  if (type === 'metric' || type === 'status' || type === 'checkpoint' || type === 'end') return v as TrainingRow;
  return null;
}
