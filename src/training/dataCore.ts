/**
 * What the data readers share (CIFAR-10 batches, ImageFolder directories and synthetic images): the image set
 * type, the seeded generator and split, the adaptation of stored images to the model's input, channel
 * statistics and batching. Kept apart from `data.ts`, the dispatcher, so that the readers depend on it and the
 * dispatcher on them, with no cycle. The PyTorch runner's counterpart is `python/resnet_studio/data_core.py`.
 */
import * as fs from 'node:fs';

/** A failure the user can act on (a missing path, an unreadable image): its message is the whole story. */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/** `n` images of `h`x`w`x`c` uint8, NHWC, with their class labels. */
export interface ImageSet {
  images: Uint8Array;
  labels: Int32Array;
  n: number;
  h: number;
  w: number;
  c: number;
}

export interface Dataset {
  train: ImageSet;
  val: ImageSet | null;
  /** Classes the data holds (the model may have more outputs, never fewer). */
  numClasses: number;
  description: string;
}

export function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A small, fast, seedable generator (mulberry32): the same seed gives the same data on every platform. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed * 0x9e3779b1) >>> 0 || 0x6d2b79f5;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

/** The held-out count for a split, as the PyTorch runner rounds it (at least one image when splitting at all). */
export function valCount(n: number, valSplit: number): number {
  let k = Math.round(n * valSplit);
  if (valSplit > 0 && k === 0 && n > 1) k = 1;
  return k;
}

/** Splits a set by a seeded permutation into (train, val); val is null when nothing is held out. */
export function splitSet(set: ImageSet, valSplit: number, seed: number): [ImageSet, ImageSet | null] {
  const perm = new Rng(seed * 31 + 7).permutation(set.n);
  const k = valCount(set.n, valSplit);
  return [subset(set, perm.subarray(k)), k > 0 ? subset(set, perm.subarray(0, k)) : null];
}

export function subset(set: ImageSet, idx: ArrayLike<number>): ImageSet {
  const per = set.h * set.w * set.c;
  const images = new Uint8Array(idx.length * per);
  const labels = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i]!;
    images.set(set.images.subarray(j * per, (j + 1) * per), i * per);
    labels[i] = set.labels[j]!;
  }
  return { images, labels, n: idx.length, h: set.h, w: set.w, c: set.c };
}

/**
 * Adapts one HWC uint8 image to the model: channel count (grey <-> RGB, alpha dropped) and size (bilinear,
 * half-pixel centres as PyTorch's `interpolate(align_corners=False)`).
 */
export function adaptImage(src: Uint8Array, h: number, w: number, c: number, toH: number, toW: number, toC: number, what: string): Uint8Array {
  let img = src;
  let ch = c;
  if (ch === 2 || ch === 4) {
    // grey+alpha / RGBA: drop alpha
    const keep = ch - 1;
    const out = new Uint8Array(h * w * keep);
    for (let i = 0; i < h * w; i++) for (let k = 0; k < keep; k++) out[i * keep + k] = img[i * ch + k]!;
    img = out;
    ch = keep;
  }
  if (ch !== toC) {
    const out = new Uint8Array(h * w * toC);
    if (toC === 1 && ch === 3) {
      for (let i = 0; i < h * w; i++) out[i] = Math.round(0.299 * img[3 * i]! + 0.587 * img[3 * i + 1]! + 0.114 * img[3 * i + 2]!);
    } else if (ch === 1) {
      for (let i = 0; i < h * w; i++) for (let k = 0; k < toC; k++) out[i * toC + k] = img[i]!;
    } else {
      throw new DataError(`${what} has ${ch} channels; the model wants ${toC}`);
    }
    img = out;
    ch = toC;
  }
  if (h === toH && w === toW) return img;
  const out = new Uint8Array(toH * toW * ch);
  const sy = h / toH;
  const sx = w / toW;
  for (let y = 0; y < toH; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5);
    const y0 = Math.min(h - 1, Math.floor(fy));
    const y1 = Math.min(h - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < toW; x++) {
      const fx = Math.max(0, (x + 0.5) * sx - 0.5);
      const x0 = Math.min(w - 1, Math.floor(fx));
      const x1 = Math.min(w - 1, x0 + 1);
      const tx = fx - x0;
      for (let k = 0; k < ch; k++) {
        const a = img[(y0 * w + x0) * ch + k]!;
        const b = img[(y0 * w + x1) * ch + k]!;
        const cc = img[(y1 * w + x0) * ch + k]!;
        const d = img[(y1 * w + x1) * ch + k]!;
        const v = (a * (1 - tx) + b * tx) * (1 - ty) + (cc * (1 - tx) + d * tx) * ty;
        out[(y * toW + x) * ch + k] = Math.min(255, Math.max(0, Math.round(v)));
      }
    }
  }
  return out;
}

/**
 * How many training images the channel statistics read: all of a small set, fewer as images grow (at most
 * 4096, about 64M values); the PyTorch runner's `stats_sample_size` takes the same number.
 */
export function statsSampleSize(n: number, c: number, h: number, w: number): number {
  return Math.min(n, Math.max(16, Math.min(4096, Math.floor(2 ** 26 / Math.max(1, c * h * w)))));
}

/** Per-channel mean and standard deviation (0..1 scale) over evenly spaced training images. */
export function channelStats(set: ImageSet): { mean: number[]; std: number[] } {
  const per = set.h * set.w;
  const take = statsSampleSize(set.n, set.c, set.h, set.w);
  const step = set.n / take;
  const sum = new Float64Array(set.c);
  const sq = new Float64Array(set.c);
  let count = 0;
  for (let t = 0; t < take; t++) {
    const i = Math.floor(t * step);
    const base = i * per * set.c;
    for (let p = 0; p < per; p++) {
      for (let k = 0; k < set.c; k++) {
        const v = set.images[base + p * set.c + k]! / 255;
        sum[k]! += v;
        sq[k]! += v * v;
      }
    }
    count += per;
  }
  const mean = Array.from(sum, (s) => s / count);
  const std = Array.from(sq, (s, k) => Math.max(1e-3, Math.sqrt(Math.max(0, s / count - mean[k]! ** 2) * (count / Math.max(1, count - 1)))));
  return { mean, std };
}

/**
 * One batch as normalised float32 NHWC, with random crop (zero padding of an eighth of the side) and
 * horizontal flip per image when `augment` is set: the PyTorch runner's augmentation.
 */
export function makeBatch(
  set: ImageSet,
  idx: ArrayLike<number>,
  norm: { mean: number[]; std: number[] },
  augment: Rng | null,
): { x: Float32Array; y: Int32Array } {
  const { h, w, c } = set;
  const per = h * w * c;
  const x = new Float32Array(idx.length * per);
  const y = new Int32Array(idx.length);
  const ph = Math.max(1, Math.floor(h / 8));
  const pw = Math.max(1, Math.floor(w / 8));
  // (0 - mean) / std: what a zero-padded pixel becomes after normalisation.
  const zero = norm.mean.map((m, k) => -m / norm.std[k]!);
  const scale = norm.std.map((s) => 1 / (255 * s));
  const shift = norm.mean.map((m, k) => -m / norm.std[k]!);
  for (let b = 0; b < idx.length; b++) {
    const i = idx[b]!;
    y[b] = set.labels[i]!;
    const src = i * per;
    const dst = b * per;
    const oy = augment ? augment.int(0, 2 * ph) - ph : 0;
    const ox = augment ? augment.int(0, 2 * pw) - pw : 0;
    const flip = augment ? augment.next() < 0.5 : false;
    for (let r = 0; r < h; r++) {
      const sr = r + oy;
      for (let col = 0; col < w; col++) {
        const sc = (flip ? w - 1 - col : col) + ox;
        const o = dst + (r * w + col) * c;
        if (sr < 0 || sr >= h || sc < 0 || sc >= w) {
          for (let k = 0; k < c; k++) x[o + k] = zero[k]!;
        } else {
          const s = src + (sr * w + sc) * c;
          for (let k = 0; k < c; k++) x[o + k] = set.images[s + k]! * scale[k]! + shift[k]!;
        }
      }
    }
  }
  return { x, y };
}
