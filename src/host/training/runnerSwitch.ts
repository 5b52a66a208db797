/**
 * A TF.js run's PyTorch twin: the run config that trains the same model, at the same input, on the same data,
 * with the same hyperparameters, on the PyTorch runner. The slow-run offer starts it when the user takes it.
 * Pure (no `vscode`), so what carries over is unit-tested.
 */
import type { RunConfig } from '../../protocol/trainingProtocol';
import type { TelemetryProbes } from '../../training/health';
import type { RunConfigInput } from '../../training/runStore';

/** Everything of `config` but what belongs to the TF.js run itself (its folder, its TF.js backend, its resume). */
export function pytorchTwinConfig(config: RunConfig, probes?: TelemetryProbes): RunConfigInput {
  const { runDir: _dir, createdAt: _created, modelSnapshot: _snapshot, resume: _resume, tfjsBackend: _tfjs, telemetryBlocks: _blocks, telemetryRelus: _relus, ...rest } = config;
  return { ...structuredClone(rest), backend: 'pytorch', launcher: 'local', ...(probes ?? {}) };
}
