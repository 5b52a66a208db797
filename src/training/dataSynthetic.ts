/**
 * Built-in synthetic data, the same images as the PyTorch runner's (`python/resnet_studio/data_synthetic.py`)
 * for the same seed: both draw from the shared seeded generator in the same order. Each class is a smooth
 * random colour pattern; every sample is a shifted, rescaled, brightened copy of its class pattern plus one of
 * a small bank of noise fields, circularly shifted per sample so that no two samples share a pattern. The
 * shift and noise make it a real (small) learning problem, which a small ResNet learns well above chance
 * within a few epochs; the per-class colour keeps it learnable at the tiny sizes the TF.js runner can afford
 * on a CPU. The bank keeps the random draws per image to a handful, so the PyTorch runner draws any sample
 * where it is used, at any size, without holding the set in memory.
 */
import { type ImageSet, Rng } from './dataCore';

const GRID = 4;
/** Noise fields shared by all samples. */
const NOISE_BANK = 64;

/** `n` images of h x w x c (uint8, NHWC) in `classes` balanced classes, deterministic in all arguments. */
export function syntheticImages(n: number, c: number, h: number, w: number, classes: number, seed: number): ImageSet {
  if (!Number.isInteger(n) || n < 2) throw new Error(`synthetic data needs at least 2 images, got ${n}`);
  if (classes < 2) throw new Error(`synthetic data needs at least 2 classes, got ${classes}`);
  const rng = new Rng(seed * 7919 + 17);
  // Class prototypes: a coarse GRID x GRID random pattern per channel, bilinearly upsampled, blended with a class colour.
  const protos = new Float32Array(classes * h * w * c);
  for (let k = 0; k < classes; k++) {
    const coarse = new Float32Array(c * GRID * GRID);
    for (let i = 0; i < coarse.length; i++) coarse[i] = rng.next();
    const colour = Array.from({ length: c }, () => rng.next());
    for (let y = 0; y < h; y++) {
      const fy = Math.max(0, (y + 0.5) * (GRID / h) - 0.5);
      const y0 = Math.min(GRID - 1, Math.floor(fy));
      const y1 = Math.min(GRID - 1, y0 + 1);
      const ty = fy - y0;
      for (let x = 0; x < w; x++) {
        const fx = Math.max(0, (x + 0.5) * (GRID / w) - 0.5);
        const x0 = Math.min(GRID - 1, Math.floor(fx));
        const x1 = Math.min(GRID - 1, x0 + 1);
        const tx = fx - x0;
        for (let ch = 0; ch < c; ch++) {
          const g = (yy: number, xx: number) => coarse[(ch * GRID + yy) * GRID + xx]!;
          const v = (g(y0, x0) * (1 - tx) + g(y0, x1) * tx) * (1 - ty) + (g(y1, x0) * (1 - tx) + g(y1, x1) * tx) * ty;
          protos[((k * h + y) * w + x) * c + ch] = 0.6 * v + 0.4 * colour[ch]!;
        }
      }
    }
  }
  const labels = new Int32Array(n);
  const order = rng.permutation(n);
  for (let i = 0; i < n; i++) labels[order[i]!] = i % classes;
  // Seven draws per sample, in this order; then the bank, value by value in (field, y, x, channel) order.
  const sh = Math.max(1, Math.floor(h / 8));
  const sw = Math.max(1, Math.floor(w / 8));
  const dy = new Int32Array(n);
  const dx = new Int32Array(n);
  const contrast = new Float64Array(n);
  const brightness = new Float64Array(n);
  const field = new Int32Array(n);
  const ny = new Int32Array(n);
  const nx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    dy[i] = rng.int(-sh, sh);
    dx[i] = rng.int(-sw, sw);
    contrast[i] = 0.6 + 0.8 * rng.next();
    brightness[i] = 0.3 * (rng.next() - 0.5);
    field[i] = rng.int(0, NOISE_BANK - 1);
    ny[i] = rng.int(0, h - 1);
    nx[i] = rng.int(0, w - 1);
  }
  const bank = new Float64Array(NOISE_BANK * h * w * c);
  for (let j = 0; j < bank.length; j++) bank[j] = 0.3 * rng.normal();
  const images = new Uint8Array(n * h * w * c);
  for (let i = 0; i < n; i++) {
    const k = labels[i]!;
    for (let y = 0; y < h; y++) {
      const sy = Math.min(h - 1, Math.max(0, y - dy[i]!));
      const noiseRow = (field[i]! * h + ((y + ny[i]!) % h)) * w;
      for (let x = 0; x < w; x++) {
        const sx = Math.min(w - 1, Math.max(0, x - dx[i]!));
        const noise = (noiseRow + ((x + nx[i]!) % w)) * c;
        for (let ch = 0; ch < c; ch++) {
          const base = protos[((k * h + sy) * w + sx) * c + ch]!;
          const v = (base - 0.5) * contrast[i]! + 0.5 + brightness[i]! + bank[noise + ch]!;
          images[((i * h + y) * w + x) * c + ch] = Math.round(Math.min(1, Math.max(0, v)) * 255);
        }
      }
    }
  }
  return { images, labels, n, h, w, c };
}
