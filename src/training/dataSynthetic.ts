/**
 * Built-in synthetic data: the same recipe as the PyTorch runner's (`synthetic_images`), with this module's
 * own seeded generator. Each class is a smooth random colour pattern; every sample is a shifted, rescaled,
 * brightened and noisy copy of its class pattern. The shift and noise make it a real (small) learning
 * problem, which a small ResNet learns well above chance within a few epochs; the per-class colour keeps it
 * learnable at the tiny sizes the TF.js runner can afford on a CPU.
 */
import { type ImageSet, Rng } from './dataCore';

const GRID = 4;

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
  const images = new Uint8Array(n * h * w * c);
  const sh = Math.max(1, Math.floor(h / 8));
  const sw = Math.max(1, Math.floor(w / 8));
  for (let i = 0; i < n; i++) {
    const k = labels[i]!;
    const dy = rng.int(-sh, sh);
    const dx = rng.int(-sw, sw);
    const contrast = 0.6 + 0.8 * rng.next();
    const brightness = 0.3 * (rng.next() - 0.5);
    for (let y = 0; y < h; y++) {
      const sy = Math.min(h - 1, Math.max(0, y - dy));
      for (let x = 0; x < w; x++) {
        const sx = Math.min(w - 1, Math.max(0, x - dx));
        for (let ch = 0; ch < c; ch++) {
          const base = protos[((k * h + sy) * w + sx) * c + ch]!;
          const v = (base - 0.5) * contrast + 0.5 + brightness + 0.3 * rng.normal();
          images[((i * h + y) * w + x) * c + ch] = Math.round(Math.min(1, Math.max(0, v)) * 255);
        }
      }
    }
  }
  return { images, labels, n, h, w, c };
}
