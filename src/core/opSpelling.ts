/**
 * Helpers the catalogue's entries use to state how an op is spelled elsewhere: Python literals for the PyTorch
 * writer, and Keras config fields (channels-last axes, `padding: "same"`, pairs) for the Keras mapping. They
 * hold no knowledge of any particular op, so that an op's whole description stays in its catalogue entry.
 */
import type { Shape } from './dims';
import type { AttrValue, Attrs } from './ir';
import type { KerasConfig, KerasMapping, KerasRead, KerasReadContext, KerasWriteContext, KerasWritten, Unsupported } from './opTypes';
import { isUnsupported, unsupported } from './opTypes';

/** An attribute as a Python literal (`True`, `None`, `(3, 3)`, `'same'`). */
export function pyLiteral(v: AttrValue | undefined): string {
  if (v === undefined || v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isInteger(v) || !Number.isFinite(v) ? String(v) : String(v);
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return v.length === 1 ? `(${pyLiteral(v[0])},)` : `(${v.map(pyLiteral).join(', ')})`;
  return `{${Object.entries(v)
    .map(([k, x]) => `'${k}': ${pyLiteral(x)}`)
    .join(', ')}}`;
}

/** `name(arg=value, ...)` for the attributes given, in the order of `params`. */
export function pyCall(fn: string, positional: string[], attrs: Attrs, params: readonly string[]): string {
  const kw = params.filter((p) => attrs[p] !== undefined).map((p) => `${p}=${pyLiteral(attrs[p])}`);
  return `${fn}(${[...positional, ...kw].join(', ')})`;
}

/** A Keras `(h, w)` field (or a single int) as a pair. */
export function kerasPair(v: unknown, fallback: number): [number, number] {
  if (Array.isArray(v)) return [Number(v[0]), Number(v[1] ?? v[0])];
  return typeof v === 'number' ? [v, v] : [fallback, fallback];
}

/** The IR axis (channels first) of a Keras axis (channels last unless `channelsFirst`), for a tensor of `rank`. */
export function irAxisOfKeras(kerasAxis: number, rank: number, channelsFirst: boolean): number {
  const a = kerasAxis < 0 ? kerasAxis + rank : kerasAxis;
  if (channelsFirst || rank < 3) return a;
  // Keras [N, spatial..., C] -> IR [N, C, spatial...].
  if (a === 0) return 0;
  if (a === rank - 1) return 1;
  return a + 1;
}

/** The Keras (channels-last) axis of an IR axis, for a tensor of `rank`. */
export function kerasAxisOfIr(irAxis: number, rank: number): number {
  const a = irAxis < 0 ? irAxis + rank : irAxis;
  if (rank < 3 || a === 0) return a;
  if (a === 1) return rank - 1;
  return a - 1;
}

/**
 * Keras padding for a PyTorch padding: `valid` for none, `same` where Keras's same padding gives PyTorch's
 * (stride 1 and an odd effective kernel), else null (the writer then pads explicitly).
 */
export function kerasPadding(padding: AttrValue | undefined, k: [number, number], stride: [number, number], dilation: [number, number] = [1, 1]): 'same' | 'valid' | null {
  if (padding === 'same') return 'same';
  if (padding === 'valid' || padding === 0 || padding === undefined || padding === null) return 'valid';
  const p = Array.isArray(padding) ? [Number(padding[0]), Number(padding[1] ?? padding[0])] : [Number(padding), Number(padding)];
  if (p[0] === 0 && p[1] === 0) return 'valid';
  const same = [0, 1].every((i) => stride[i] === 1 && (k[i]! - 1) * dilation[i]! === 2 * p[i]!);
  return same ? 'same' : null;
}

/** A `ZeroPadding2D` layer padding (top, bottom) and (left, right), or nothing when all four are zero. */
export function kerasZeroPad(name: string, tb: [number, number], lr: [number, number]): KerasWritten[] {
  if (tb[0] === 0 && tb[1] === 0 && lr[0] === 0 && lr[1] === 0) return [];
  return [{ className: 'ZeroPadding2D', config: { name: `${name}_pad`, padding: [tb, lr], data_format: 'channels_last' } }];
}

/** Numbers of an attribute that must be a known int or pair, or null. */
export function knownPair(v: AttrValue | undefined, fallback: number): [number, number] | null {
  const p = Array.isArray(v) ? [v[0], v.length > 1 ? v[1] : v[0]] : [v ?? fallback, v ?? fallback];
  return typeof p[0] === 'number' && typeof p[1] === 'number' ? [p[0], p[1]] : null;
}

/** The channel count of an image input in the IR (dimension 1), if known. */
export function channelsOf(s: Shape | undefined): number | null {
  const c = s && s.length >= 2 ? s[1] : null;
  return typeof c === 'number' ? c : null;
}

/** A shape-keeping Keras layer that maps one class to the op, with attributes read and written by the given maps. */
export function kerasSimple(
  className: string,
  read: (c: KerasConfig, ctx: KerasReadContext) => KerasRead | Unsupported = () => ({ attrs: {} }),
  write: (a: Attrs, ctx: KerasWriteContext) => KerasConfig | Unsupported = () => ({}),
): KerasMapping {
  return {
    classes: [className],
    read,
    write: (a, ctx) => {
      const config = write(a, ctx);
      return isUnsupported(config) ? config : [{ className, config }];
    },
  };
}

/** The op has no Keras layer. */
export const noKeras = (why: string): Unsupported => unsupported(`no Keras layer: ${why}`);
