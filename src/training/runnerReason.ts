/**
 * Why a run trains where it trains, in words: which interpreter (and where it came from), which TF.js backend
 * or torch device (and why that one), and how long a pure-JavaScript TF.js run will take judging by its first
 * batch. The metrics panel's header and the output channel show these sentences; the TF.js worker puts the
 * backend's reason and the first-batch estimate in its status rows. Pure (no `vscode`, no tfjs), so the
 * wording and the arithmetic are unit-tested.
 */
import type { DeviceChoice } from '../protocol/trainingProtocol';
import { PYTHON_ENV_VAR, type PythonSource } from './pythonEnv';
import type { TfjsBackendPreference } from './tfjsNative';

/** The interpreter setting's id, as the settings UI finds it. */
export const PYTHON_SETTING_ID = 'resnetStudio.training.pythonPath';

/** Why this interpreter, from where it came and what was passed over before it. */
export function pythonReason(source: PythonSource, skipped: readonly { python: string; reason: string }[] = []): string {
  const why = {
    setting: `set in ${PYTHON_SETTING_ID}`,
    env: `from the environment variable ${PYTHON_ENV_VAR}`,
    pythonExtension: "the Python extension's selected interpreter",
    path: `found on PATH (neither ${PYTHON_SETTING_ID} nor ${PYTHON_ENV_VAR} nor the Python extension named one with torch)`,
  }[source];
  return skipped.length ? `${why}; passed over ${skipped.map((s) => `${s.python} (${s.reason})`).join(', ')}` : why;
}

/** `/usr/bin/python3 (Python 3.11.2, torch 1.13.1)` */
export function pythonText(found: { python: string; pythonVersion: string; torchVersion: string }): string {
  return `${found.python} (Python ${found.pythonVersion}, torch ${found.torchVersion})`;
}

/** Which device a PyTorch run will use and why, from the config's choice and what the interpreter's torch offers. */
export function torchDeviceReason(choice: DeviceChoice, probe: { cuda: boolean; cudaDevices: number; mps: boolean }): string {
  if (choice !== 'auto') return `${choice}: the run config asks for it`;
  if (probe.cuda) return `cuda: this torch sees ${probe.cudaDevices} CUDA device${probe.cudaDevices === 1 ? '' : 's'} (auto takes CUDA first)`;
  if (probe.mps) return 'mps: no CUDA, and this torch has Apple MPS (auto takes CUDA, then MPS)';
  return 'cpu: this torch sees no CUDA or MPS device (auto falls back to the CPU)';
}

/** The Node that runs the TF.js worker: the one running VS Code's extensions (Electron acting as Node). */
export function nodeText(execPath: string, nodeVersion: string): string {
  return `${execPath} (Node ${nodeVersion})`;
}

export const NODE_REASON = "the TF.js runner trains in a child process of VS Code's own Node; it needs no Python";

/** Where a TF.js backend preference came from. */
export type PreferenceSource = 'env' | 'config' | 'default';

/** Why the TF.js worker trains with the backend it loaded. */
export function tfjsBackendReason(
  preference: TfjsBackendPreference,
  from: PreferenceSource,
  loaded: { package: string; skipped: readonly { package: string; reason: string }[] },
): string {
  const short = (p: string) => p.replace('@tensorflow/', '');
  if (preference !== 'auto') {
    const where = from === 'env' ? 'the environment variable RESNET_STUDIO_TFJS_BACKEND' : "the run config's tfjsBackend";
    return `${short(loaded.package)}: ${where} asks for ${preference}`;
  }
  const skipped = loaded.skipped.map((s) => `${short(s.package)} could not be loaded (${s.reason})`);
  if (loaded.package === '@tensorflow/tfjs') {
    const why = skipped.length ? skipped.join('; ') : 'no native TF.js package (tfjs-node, tfjs-node-gpu) is installed';
    return `pure JavaScript: ${why}. Installing the native backend, or the PyTorch runner, trains much faster`;
  }
  return `${short(loaded.package)}: the fastest TF.js installed${skipped.length ? `; ${skipped.join('; ')}` : ''}`;
}

/** Past this many seconds a pure-JavaScript run is worth a word before it goes on (about 10 minutes). */
export const SLOW_RUN_SECONDS = 600;

/**
 * Seconds left, judging by one step's time: the remaining steps at that pace, plus a validation pass per
 * remaining epoch (a forward pass costs about a third of a training step, per batch).
 */
export function estimateFromStep(o: { stepSeconds: number; step: number; totalSteps: number; stepsPerEpoch: number; valBatches: number }): number {
  const remaining = Math.max(0, o.totalSteps - o.step);
  const epochsLeft = remaining ? Math.ceil(remaining / Math.max(1, o.stepsPerEpoch)) : 0;
  return remaining * o.stepSeconds + (epochsLeft * o.valBatches * o.stepSeconds) / 3;
}

/** A duration as people read it: `45 s`, `12 min`, `2 h 05 min`. */
export function roughDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** The status message after the first batch: its time, the steps and the estimate. */
export function firstBatchMessage(stepSeconds: number, totalSteps: number, eta: number): string {
  return `first batch took ${stepSeconds < 10 ? stepSeconds.toFixed(2) : stepSeconds.toFixed(0)} s: ${totalSteps} steps, about ${roughDuration(eta)} in all`;
}

/** The status message after the second batch, whose time is the pace (the first one also paid the start-up). */
export function paceMessage(stepSeconds: number, totalSteps: number, eta: number): string {
  return `${stepSeconds < 10 ? stepSeconds.toFixed(2) : stepSeconds.toFixed(0)} s a batch: ${totalSteps} steps, about ${roughDuration(eta)} in all`;
}

/**
 * The word for a run that would take long in pure JavaScript, or null when it need not be said: only runs on
 * the pure-JavaScript TF.js, only past {@link SLOW_RUN_SECONDS}, and only once the pace is known (from step 2
 * on: the first batch's time includes the start-up and overstates it).
 */
export function slowRunWarning(o: { runtime: string | null; eta: number | null; step: number; model: string }): string | null {
  if (o.runtime !== '@tensorflow/tfjs' || o.eta === null || !(o.eta > SLOW_RUN_SECONDS)) return null;
  if (o.step < 2) return null;
  return `Training ${o.model} with pure-JavaScript TF.js will take about ${roughDuration(o.eta)} (measured on its first batches). The PyTorch runner, or the native TF.js backend, is much faster.`;
}
