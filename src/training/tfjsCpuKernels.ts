/**
 * Fast paths for the pure-JS `cpu` backend, which the TF.js runner falls back to when no native backend is
 * installed. Several of its kernels take a general per-element path (an index array built for every element)
 * in exactly the shapes a convnet step produces, and those kernels, not the convolutions, dominated a
 * training step (profiled on the tiny ResNet: 5x from the filter gradient, 2x more from the rest):
 *
 * - `Conv2DBackpropFilter` is a direct loop 20-50x slower than the forward `Conv2D` for the same multiplies.
 *   The filter gradient is itself a convolution: with the batch and channel axes of the input swapped,
 *   convolving it with the output gradient (dilated by the stride) gives
 *   dW[kh, kw, ci, co] = sum over n, h, w of x[n, h*s + kh, w*s + kw, ci] * dy[n, h, w, co].
 * - Binary ops broadcasting `[1, 1, 1, C]` against `[N, H, W, C]` (batch norm and its gradient): without the
 *   leading ones the operand is a suffix of the result and the kernel's own fast path applies.
 * - `Sum`/`Mean` over the leading axes (batch-norm statistics) transpose first; a row-wise sum does not need to.
 * - `Slice` and `Tile` off their contiguous fast path copy element by element; these copy whole rows.
 *
 * Each replacement falls back to the original kernel outside the case it handles. Native backends are left
 * alone. Results match the originals to float rounding (see test/tfjs/cpuKernels.test.ts).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { TF } from './tfjsLayers';

type TensorInfo = tfTypes.TensorInfo;
type Values = Float32Array | Int32Array | Uint8Array;
interface CpuBackend {
  data: { get(dataId: unknown): { values: Values } };
  makeTensorInfo(shape: number[], dtype: string, values: Values): TensorInfo;
  disposeIntermediateTensorInfo(t: TensorInfo): void;
}
interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}
type KernelFunc = (args: KernelArgs) => TensorInfo | TensorInfo[];

const BINARY = ['Add', 'Sub', 'Multiply', 'RealDiv', 'SquaredDifference', 'Maximum', 'Minimum'];
const patched = new WeakSet<object>();

/**
 * Element-wise float loops where one operand is the result's shape and the other a suffix of it (repeating
 * every `short.length` elements). Written out per op: one loop taking the op as a function is several times slower.
 */
type Loop = (a: Float32Array, b: Float32Array, out: Float32Array) => void;
const FLOAT_LOOPS: Record<string, Loop> = {
  Add(a, b, o) {
    if (a.length === o.length && b.length === o.length) for (let i = 0; i < o.length; i++) o[i] = a[i]! + b[i]!;
    else if (a.length === o.length) for (let i = 0, m = b.length; i < o.length; i += m) for (let j = 0; j < m; j++) o[i + j] = a[i + j]! + b[j]!;
    else for (let i = 0, m = a.length; i < o.length; i += m) for (let j = 0; j < m; j++) o[i + j] = a[j]! + b[i + j]!;
  },
  Sub(a, b, o) {
    if (a.length === o.length && b.length === o.length) for (let i = 0; i < o.length; i++) o[i] = a[i]! - b[i]!;
    else if (a.length === o.length) for (let i = 0, m = b.length; i < o.length; i += m) for (let j = 0; j < m; j++) o[i + j] = a[i + j]! - b[j]!;
    else for (let i = 0, m = a.length; i < o.length; i += m) for (let j = 0; j < m; j++) o[i + j] = a[j]! - b[i + j]!;
  },
  Multiply(a, b, o) {
    if (a.length === o.length && b.length === o.length) for (let i = 0; i < o.length; i++) o[i] = a[i]! * b[i]!;
    else if (a.length === o.length) for (let i = 0, m = b.length; i < o.length; i += m) for (let j = 0; j < m; j++) o[i + j] = a[i + j]! * b[j]!;
    else for (let i = 0, m = a.length; i < o.length; i += m) for (let j = 0; j < m; j++) o[i + j] = a[j]! * b[i + j]!;
  },
  RealDiv(a, b, o) {
    if (a.length === o.length && b.length === o.length) for (let i = 0; i < o.length; i++) o[i] = a[i]! / b[i]!;
    else if (a.length === o.length) for (let i = 0, m = b.length; i < o.length; i += m) for (let j = 0; j < m; j++) o[i + j] = a[i + j]! / b[j]!;
    else for (let i = 0, m = a.length; i < o.length; i += m) for (let j = 0; j < m; j++) o[i + j] = a[j]! / b[i + j]!;
  },
};

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const stripLeadingOnes = (s: readonly number[]) => {
  let i = 0;
  while (i < s.length && s[i] === 1) i++;
  return s.slice(i);
};
const isSuffix = (s: readonly number[], of: readonly number[]) => s.length <= of.length && s.every((d, i) => d === of[of.length - s.length + i]);

function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(Math.max(da, db));
  }
  return out;
}

function newLike(values: Values, n: number): Values {
  return values instanceof Int32Array ? new Int32Array(n) : values instanceof Uint8Array ? new Uint8Array(n) : new Float32Array(n);
}

/** Installs the fast paths once per tfjs instance; returns false when the cpu backend's kernels are missing. */
export function installFastCpuKernels(tf: TF): boolean {
  if (patched.has(tf)) return true;
  const original = (name: string) => tf.getKernel(name, 'cpu');
  const fn = (name: string) => original(name)?.kernelFunc as unknown as KernelFunc | undefined;
  const conv = fn('Conv2D');
  const transpose = fn('Transpose');
  const pad = fn('PadV2');
  const slice = fn('Slice');
  if (!original('Conv2DBackpropFilter') || !conv || !transpose || !pad || !slice || !fn('Sum') || !fn('Mean') || !fn('Tile')) return false;

  const replace = (name: string, make: (fallback: KernelFunc) => KernelFunc) => {
    const cfg = original(name);
    if (!cfg) return;
    const fallback = cfg.kernelFunc as unknown as KernelFunc;
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel({ ...cfg, kernelFunc: make(fallback) as unknown as tfTypes.KernelFunc });
  };

  replace('Conv2DBackpropFilter', (fallback) => (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const attrs = (args.attrs ?? {}) as {
      strides: number | [number, number];
      pad: 'same' | 'valid' | number | number[][];
      dataFormat?: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      filterShape: [number, number, number, number];
    };
    if (attrs.dataFormat === 'NCHW' || x.shape.length !== 4) return fallback(args);
    const backend = args.backend as CpuBackend;
    const run = (k: KernelFunc, inputs: Record<string, TensorInfo>, a: Record<string, unknown>) => k({ inputs, backend, attrs: a }) as TensorInfo;
    const [kh, kw, ci, co] = attrs.filterShape;
    const [sh, sw] = typeof attrs.strides === 'number' ? [attrs.strides, attrs.strides] : attrs.strides;
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, [sh, sw], 1, attrs.pad as 'same', attrs.dimRoundingMode);
    const [, h, w] = x.shape as number[];
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    const bottom = Math.max(0, (info.outHeight - 1) * sh + kh - h! - top);
    const right = Math.max(0, (info.outWidth - 1) * sw + kw - w! - left);
    const temps: TensorInfo[] = [];
    const keep = (t: TensorInfo) => (temps.push(t), t);
    try {
      const xp = top || bottom || left || right ? keep(run(pad, { x }, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 })) : x;
      const xt = keep(run(transpose, { x: xp }, { perm: [3, 1, 2, 0] }));
      const dyt = keep(run(transpose, { x: dy }, { perm: [1, 2, 0, 3] }));
      const r = keep(run(conv, { x: xt, filter: dyt }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [sh, sw] }));
      const [, rh, rw] = r.shape as number[];
      const cropped = rh === kh && rw === kw ? r : keep(run(slice, { x: r }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] }));
      return run(transpose, { x: cropped }, { perm: [1, 2, 0, 3] });
    } finally {
      for (const t of temps) backend.disposeIntermediateTensorInfo(t);
    }
  });

  for (const name of BINARY) {
    replace(name, (fallback) => (args) => {
      const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
      if (!a || !b || a.dtype === 'complex64' || b.dtype === 'complex64') return fallback(args);
      const out = sameShape(a.shape, b.shape) ? a.shape : broadcastShape(a.shape, b.shape);
      if (!out) return fallback(args);
      const sa = stripLeadingOnes(a.shape);
      const sb = stripLeadingOnes(b.shape);
      let aa = a;
      let bb = b;
      if (sameShape(a.shape, out) && isSuffix(sb, out)) bb = { ...b, shape: sb };
      else if (sameShape(b.shape, out) && isSuffix(sa, out)) aa = { ...a, shape: sa };
      else return fallback(args);
      const loop = FLOAT_LOOPS[name];
      if (loop && a.dtype === 'float32' && b.dtype === 'float32') {
        const backend = args.backend as CpuBackend;
        const av = backend.data.get(a.dataId).values as Float32Array;
        const bv = backend.data.get(b.dataId).values as Float32Array;
        const res = new Float32Array(size(out));
        loop(av, bv, res);
        return backend.makeTensorInfo([...out], 'float32', res);
      }
      return aa === a && bb === b ? fallback(args) : fallback({ ...args, inputs: { a: aa, b: bb } });
    });
  }

  const leadingReduce = (kind: 'sum' | 'mean') => (fallback: KernelFunc) => (args: KernelArgs) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = (args.attrs ?? {}) as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== 'float32') return fallback(args);
    const rank = x.shape.length;
    const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((d) => (d < 0 ? d + rank : d)))].sort((p, q) => p - q);
    // Only reductions over the first k axes (k < rank) are handled: [R, I] -> [I].
    if (axes.length === 0 || axes.length >= rank || axes.some((d, i) => d !== i)) return fallback(args);
    const backend = args.backend as CpuBackend;
    const vals = backend.data.get(x.dataId).values as Float32Array;
    const rows = size(x.shape.slice(0, axes.length));
    const inner = size(x.shape.slice(axes.length));
    const acc = new Float64Array(inner);
    for (let r = 0; r < rows; r++) {
      const off = r * inner;
      for (let i = 0; i < inner; i++) acc[i]! += vals[off + i]!;
    }
    const res = new Float32Array(inner);
    const div = kind === 'mean' ? rows : 1;
    for (let i = 0; i < inner; i++) res[i] = acc[i]! / div;
    const shape = keepDims ? [...axes.map(() => 1), ...x.shape.slice(axes.length)] : x.shape.slice(axes.length);
    return backend.makeTensorInfo(shape, 'float32', res);
  };
  replace('Sum', leadingReduce('sum'));
  replace('Mean', leadingReduce('mean'));

  replace('Slice', (fallback) => (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const attrs = (args.attrs ?? {}) as { begin: number | number[]; size: number | number[] };
    const rank = x.shape.length;
    if (x.dtype === 'string' || x.dtype === 'complex64' || rank < 2) return fallback(args);
    const [b, s] = tf.slice_util.parseSliceParams(x, attrs.begin, attrs.size) as [number[], number[]];
    // Rows of the last axis are contiguous: copy them whole.
    const backend = args.backend as CpuBackend;
    const vals = backend.data.get(x.dataId).values;
    const n = size(s);
    const out = newLike(vals, n);
    if (n === 0) return backend.makeTensorInfo(s, x.dtype, out);
    const strides: number[] = new Array(rank).fill(1);
    for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1]! * x.shape[i + 1]!;
    const rowLen = s[rank - 1]!;
    const idx = new Array(rank - 1).fill(0);
    const nRows = n / rowLen;
    for (let r = 0; r < nRows; r++) {
      let off = b[rank - 1]!;
      for (let j = 0; j < rank - 1; j++) off += (b[j]! + idx[j]!) * strides[j]!;
      out.set(vals.subarray(off, off + rowLen), r * rowLen);
      for (let j = rank - 2; j >= 0; j--) {
        if (++idx[j] < s[j]!) break;
        idx[j] = 0;
      }
    }
    return backend.makeTensorInfo(s, x.dtype, out);
  });

  replace('Tile', (fallback) => (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { reps } = (args.attrs ?? {}) as { reps: number[] };
    const rank = x.shape.length;
    if (x.dtype === 'string' || x.dtype === 'complex64' || rank < 1 || reps.length !== rank) return fallback(args);
    const backend = args.backend as CpuBackend;
    const vals = backend.data.get(x.dataId).values;
    const outShape = x.shape.map((d, i) => d * reps[i]!);
    const n = size(outShape);
    const out = newLike(vals, n);
    if (n === 0) return backend.makeTensorInfo(outShape, x.dtype, out);
    const inStrides: number[] = new Array(rank).fill(1);
    for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1]! * x.shape[i + 1]!;
    const rowLen = x.shape[rank - 1]!;
    const outRowLen = outShape[rank - 1]!;
    const idx = new Array(Math.max(0, rank - 1)).fill(0);
    const nRows = n / outRowLen;
    for (let r = 0; r < nRows; r++) {
      let off = 0;
      for (let j = 0; j < rank - 1; j++) off += (idx[j]! % x.shape[j]!) * inStrides[j]!;
      const row = vals.subarray(off, off + rowLen);
      for (let k = 0; k < reps[rank - 1]!; k++) out.set(row, r * outRowLen + k * rowLen);
      for (let j = rank - 2; j >= 0; j--) {
        if (++idx[j] < outShape[j]!) break;
        idx[j] = 0;
      }
    }
    return backend.makeTensorInfo(outShape, x.dtype, out);
  });

  patched.add(tf);
  return true;
}
