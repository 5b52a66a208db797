/**
 * Checkpoints of the TF.js runner, one directory per save under the run's `checkpoints/`:
 *
 * - `model.json` + `weights.bin`: the model in TF.js layers format, loadable with `tf.loadLayersModel`;
 * - `optimizer.json` + `optimizer.bin`: the optimiser's slots (momentum, Adam moments) and iteration count;
 * - `trainer.json`: where training stood ({@link TrainerState}).
 *
 * A checkpoint is written into a temporary directory and renamed into place, so a crash mid-save leaves the
 * previous checkpoints intact and never a half-written one under a checkpoint's name. The file writer is our
 * own (the pure-JS tfjs has no `file://` handler), producing the same files tfjs-node's would.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { TF } from './tfjsLayers';

export interface TrainerState {
  /** 0-based epoch the checkpoint was taken in. */
  epoch: number;
  /** Batches of that epoch already trained. */
  batchesDone: number;
  /** Optimiser steps since the run first began. */
  step: number;
  stepsPerEpoch: number;
  /** Per-channel normalisation used for training, so evaluation after a resume matches. */
  norm: { mean: number[]; std: number[] };
  backend: string;
  time: number;
}

const DIR_RE = /^epoch-(\d+)-step-(\d+)$/;

export interface CheckpointEntry {
  name: string;
  dir: string;
  epoch: number;
  step: number;
}

/** Checkpoint directories, oldest first (by step). */
export function listCheckpoints(checkpointsDir: string): CheckpointEntry[] {
  let names: string[];
  try {
    names = fs.readdirSync(checkpointsDir);
  } catch {
    return [];
  }
  const out: CheckpointEntry[] = [];
  for (const name of names) {
    const m = DIR_RE.exec(name);
    if (m && fs.existsSync(path.join(checkpointsDir, name, 'trainer.json'))) {
      out.push({ name, dir: path.join(checkpointsDir, name), epoch: Number(m[1]), step: Number(m[2]) });
    }
  }
  return out.sort((a, b) => a.step - b.step || a.epoch - b.epoch);
}

function writeSync(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    if (typeof data === 'string') fs.writeSync(fd, data);
    else fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function concatBuffers(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  if (!Array.isArray(data)) return new Uint8Array(data);
  const total = data.reduce((s, b) => s + b.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), off);
    off += b.byteLength;
  }
  return out;
}

/** A `tf.io` handler that writes `model.json` and `weights.bin` into `dir`, as tfjs-node's `file://` does. */
export function fileSaveHandler(tf: TF, dir: string): tfTypes.io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts) => {
    const weights = artifacts.weightData ? concatBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]) : new Uint8Array(0);
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format ?? 'layers-model',
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
    };
    writeSync(path.join(dir, 'weights.bin'), weights);
    writeSync(path.join(dir, 'model.json'), JSON.stringify(modelJson));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  });
}

/** A `tf.io` handler that reads what {@link fileSaveHandler} wrote (for `tf.loadLayersModel`). */
export function fileLoadHandler(dir: string): tfTypes.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
        modelTopology: object;
        format?: string;
        generatedBy?: string;
        convertedBy?: string | null;
        weightsManifest: { paths: string[]; weights: tfTypes.io.WeightsManifestEntry[] }[];
      };
      const specs = json.weightsManifest.flatMap((g) => g.weights);
      const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p))));
      const all = Buffer.concat(buffers);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      return {
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData,
        ...(json.format ? { format: json.format } : {}),
        ...(json.generatedBy ? { generatedBy: json.generatedBy } : {}),
      } as tfTypes.io.ModelArtifacts;
    },
  } as tfTypes.io.IOHandler;
}

/**
 * Saves model, optimiser and trainer state as `checkpoints/epoch-E-step-S/` (E 1-based, as in the rows) and
 * keeps only the newest `keep` checkpoints (0 keeps all). Returns the path relative to the run directory.
 */
export async function saveCheckpoint(
  tf: TF,
  runDir: string,
  model: tfTypes.LayersModel,
  optimizer: tfTypes.Optimizer,
  state: TrainerState,
  keep: number,
): Promise<string> {
  const root = path.join(runDir, 'checkpoints');
  fs.mkdirSync(root, { recursive: true });
  const name = `epoch-${state.epoch + 1}-step-${state.step}`;
  const tmp = path.join(root, `.${name}.${process.pid}.tmp`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  await model.save(fileSaveHandler(tf, tmp));
  const slots = await optimizer.getWeights();
  const encoded = await tf.io.encodeWeights(slots);
  writeSync(path.join(tmp, 'optimizer.bin'), concatBuffers(encoded.data as ArrayBuffer | ArrayBuffer[]));
  writeSync(path.join(tmp, 'optimizer.json'), JSON.stringify({ className: optimizer.getClassName(), specs: encoded.specs }));
  writeSync(path.join(tmp, 'trainer.json'), JSON.stringify(state, null, 2));
  const final = path.join(root, name);
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(tmp, final);
  if (keep > 0) {
    const all = listCheckpoints(root);
    for (const old of all.slice(0, Math.max(0, all.length - keep))) fs.rmSync(old.dir, { recursive: true, force: true });
  }
  return `checkpoints/${name}`;
}

/**
 * Restores model weights and optimiser slots from a checkpoint into an already-built model (built from the
 * same IR, so weights match by position and shape). Throws with the reason when the checkpoint does not fit.
 */
export async function restoreCheckpoint(tf: TF, dir: string, model: tfTypes.LayersModel, optimizer: tfTypes.Optimizer): Promise<TrainerState> {
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'trainer.json'), 'utf8')) as TrainerState;
  const artifacts = (await fileLoadHandler(dir).load!()) as tfTypes.io.ModelArtifacts;
  const specs = artifacts.weightSpecs ?? [];
  const named = tf.io.decodeWeights(artifacts.weightData as ArrayBuffer, specs);
  const weights = model.weights;
  if (specs.length !== weights.length) {
    throw new Error(`checkpoint ${path.basename(dir)} has ${specs.length} weight tensors, the model has ${weights.length}; was the model changed?`);
  }
  const values = specs.map((s, i) => {
    const t = named[s.name]!;
    const w = weights[i]!;
    if (t.shape.join('x') !== w.shape.join('x')) {
      throw new Error(`checkpoint ${path.basename(dir)}: weight ${s.name} is ${t.shape.join('x')}, the model's ${w.name} is ${w.shape.join('x')}`);
    }
    return t;
  });
  model.setWeights(values);
  tf.dispose(values);
  const opt = JSON.parse(fs.readFileSync(path.join(dir, 'optimizer.json'), 'utf8')) as { className: string; specs: tfTypes.io.WeightsManifestEntry[] };
  if (opt.className !== optimizer.getClassName()) {
    throw new Error(`checkpoint ${path.basename(dir)} was trained with ${opt.className}, this run uses ${optimizer.getClassName()}`);
  }
  const buf = fs.readFileSync(path.join(dir, 'optimizer.bin'));
  const slots = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), opt.specs);
  await optimizer.setWeights(opt.specs.map((s) => ({ name: s.name, tensor: slots[s.name]! })));
  return state;
}
