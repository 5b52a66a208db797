/**
 * Data for the TF.js runner: the same three sources and the same rules as the PyTorch runner
 * (`python/resnet_studio/data.py`), so a run means the same thing whichever backend trains it:
 *
 * - `synthetic`: built in, deterministic by seed, matched to the input shape and class count;
 * - a directory of CIFAR-10 binary batches (`data_batch_*.bin`, `test_batch.bin` used for validation);
 * - an ImageFolder directory (class subfolders, or `train/` and `val/` each with class subfolders).
 *
 * Images are held as uint8 NHWC (TF.js order), labels as int32. Pure Node, no tfjs: the worker turns
 * batches into tensors. This module picks the reader; what the readers share is in `dataCore.ts`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCifar, cifarDir } from './dataCifar';
import { DataError, type Dataset, isDir, splitSet } from './dataCore';
import { listImageFolder, loadImageFolder } from './dataImageFolder';
import { syntheticImages } from './dataSynthetic';

export type DataKind = 'synthetic' | 'cifar' | 'folder';

export interface DataOptions {
  /** `synthetic` or a directory path. */
  data: string;
  /** [N, C, H, W]; images are adapted to C, H and W. */
  inputShape: readonly number[];
  /** The model's output size: synthetic data has this many classes. */
  numClasses: number;
  valSplit: number;
  seed: number;
  syntheticSize?: number;
}

export const DEFAULT_SYNTHETIC_SIZE = 5000;

/**
 * Checks the data path without reading any images, so a wrong path fails in milliseconds rather than after
 * the model is built. Throws {@link DataError} with the reason.
 */
export function checkDataPath(data: string): DataKind {
  if (data === 'synthetic') return 'synthetic';
  if (typeof data !== 'string' || !data) throw new DataError(`data must be 'synthetic' or a directory path, got ${JSON.stringify(data)}`);
  const p = path.resolve(data);
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw new DataError(`data path does not exist: ${p}`);
  }
  if (!st.isDirectory()) throw new DataError(`data path is not a directory: ${p}`);
  if (cifarDir(p)) return 'cifar';
  const splits = ['train', 'val'].map((s) => path.join(p, s));
  const roots = splits.every(isDir) ? splits : [p];
  for (const root of roots) {
    if (listImageFolder(root).classes.length === 0) {
      throw new DataError(`data directory ${root} holds neither CIFAR-10 binary batches (data_batch_*.bin) nor class subfolders of images`);
    }
  }
  return 'folder';
}

/** Loads and splits the data, adapted to the model's input size. Throws {@link DataError} on bad data. */
export function loadDataset(o: DataOptions): Dataset {
  const kind = checkDataPath(o.data);
  const [, c, h, w] = o.inputShape as [number, number, number, number];
  let ds: Dataset;
  if (kind === 'synthetic') {
    const all = syntheticImages(o.syntheticSize ?? DEFAULT_SYNTHETIC_SIZE, c, h, w, o.numClasses, o.seed);
    const [train, val] = splitSet(all, o.valSplit, o.seed);
    ds = { train, val, numClasses: o.numClasses, description: `synthetic (${o.numClasses} classes)` };
  } else if (kind === 'cifar') {
    ds = loadCifar(path.resolve(o.data), c, h, w, o.valSplit, o.seed);
  } else {
    ds = loadImageFolder(path.resolve(o.data), c, h, w, o.valSplit, o.seed);
  }
  if (ds.train.n === 0) throw new DataError('the training set is empty');
  if (ds.numClasses > o.numClasses) {
    throw new DataError(`the data has ${ds.numClasses} classes but the model returns only ${o.numClasses} scores`);
  }
  return ds;
}

