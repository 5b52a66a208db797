/**
 * CIFAR-10 binary batches: `data_batch_*.bin` (each record one label byte and 3x32x32 planar pixels) and,
 * when present, `test_batch.bin`, which then serves as the validation set. The directory may be the batches
 * folder itself or the folder that holds `cifar-10-batches-bin/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError, type Dataset, type ImageSet, adaptImage, isDir, splitSet } from './dataCore';

export const CIFAR_RECORD = 1 + 3 * 32 * 32;
const BATCH_RE = /^data_batch_\d+\.bin$/;

/** The directory holding the batches, or undefined when `p` is not a CIFAR-10 binary directory. */
export function cifarDir(p: string): string | undefined {
  for (const candidate of [p, path.join(p, 'cifar-10-batches-bin')]) {
    if (!isDir(candidate)) continue;
    if (fs.readdirSync(candidate).some((n) => BATCH_RE.test(n))) return candidate;
  }
  return undefined;
}

/** Reads one batch file into HWC images and labels, checking its size and labels. */
export function readCifarFile(file: string): { images: Uint8Array; labels: Int32Array; n: number } {
  const raw = fs.readFileSync(file);
  if (raw.length === 0 || raw.length % CIFAR_RECORD !== 0) {
    throw new DataError(`${file} is not a CIFAR-10 binary batch: ${raw.length} bytes is not a multiple of ${CIFAR_RECORD}`);
  }
  const n = raw.length / CIFAR_RECORD;
  const images = new Uint8Array(n * 3072);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const rec = i * CIFAR_RECORD;
    const label = raw[rec]!;
    if (label > 9) throw new DataError(`${file} has label ${label}; CIFAR-10 labels are 0..9`);
    labels[i] = label;
    const out = i * 3072;
    for (let p = 0; p < 1024; p++) {
      images[out + 3 * p] = raw[rec + 1 + p]!;
      images[out + 3 * p + 1] = raw[rec + 1 + 1024 + p]!;
      images[out + 3 * p + 2] = raw[rec + 1 + 2048 + p]!;
    }
  }
  return { images, labels, n };
}

function adaptSet(parts: { images: Uint8Array; labels: Int32Array; n: number }[], c: number, h: number, w: number): ImageSet {
  const n = parts.reduce((s, p) => s + p.n, 0);
  const per = h * w * c;
  const images = new Uint8Array(n * per);
  const labels = new Int32Array(n);
  let i = 0;
  for (const part of parts) {
    for (let j = 0; j < part.n; j++, i++) {
      const img = part.images.subarray(j * 3072, (j + 1) * 3072);
      images.set(c === 3 && h === 32 && w === 32 ? img : adaptImage(img, 32, 32, 3, h, w, c, 'a CIFAR-10 image'), i * per);
      labels[i] = part.labels[j]!;
    }
  }
  return { images, labels, n, h, w, c };
}

export function loadCifar(dir: string, c: number, h: number, w: number, valSplit: number, seed: number): Dataset {
  const root = cifarDir(dir);
  if (!root) throw new DataError(`${dir} holds no CIFAR-10 binary batches (data_batch_*.bin)`);
  const names = fs.readdirSync(root).filter((n) => BATCH_RE.test(n)).sort();
  const all = adaptSet(names.map((n) => readCifarFile(path.join(root, n))), c, h, w);
  const test = path.join(root, 'test_batch.bin');
  const description = `CIFAR-10 binary batches in ${root}`;
  if (fs.existsSync(test)) {
    return { train: all, val: adaptSet([readCifarFile(test)], c, h, w), numClasses: 10, description: `${description} (validating on test_batch.bin)` };
  }
  const [train, val] = splitSet(all, valSplit, seed);
  return { train, val, numClasses: 10, description };
}
