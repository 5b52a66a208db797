/**
 * Tensor dimensions. A dimension is a concrete size, a symbolic expression over the user's own parameter
 * names (for example `intermediate_channels * 4`) when a block is analysed without constructor arguments,
 * or `null` when nothing is known.
 */
export type Dim = number | string | null;
/** A tensor shape; `null` when even the rank is unknown. */
export type Shape = Dim[] | null;

export const isKnown = (d: Dim): d is number => typeof d === 'number';

function wrap(d: string): string {
  return /^[A-Za-z_][\w.]*$/.test(d) || /^\d+$/.test(d) ? d : `(${d})`;
}

export function dimAdd(a: Dim, b: Dim): Dim {
  if (a === null || b === null) return null;
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  if (typeof b === 'number' && b < 0) return `${a} - ${-b}`;
  return `${a} + ${b}`;
}

export function dimSub(a: Dim, b: Dim): Dim {
  if (typeof b === 'number') return dimAdd(a, -b);
  if (a === null || b === null) return null;
  if (a === b) return 0;
  return `${a} - ${wrap(String(b))}`;
}

export function dimMul(a: Dim, b: Dim): Dim {
  if (a === null || b === null) return null;
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (a === 1) return b;
  if (b === 1) return a;
  if (a === 0 || b === 0) return 0;
  return typeof b === 'number' ? `${wrap(String(a))} * ${b}` : `${wrap(String(a))} * ${wrap(b)}`;
}

export function dimFloorDiv(a: Dim, b: Dim): Dim {
  if (a === null || b === null) return null;
  if (typeof a === 'number' && typeof b === 'number') return b === 0 ? null : Math.floor(a / b);
  if (b === 1) return a;
  return `${wrap(String(a))} // ${wrap(String(b))}`;
}

export function dimCeilDiv(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return b === 0 ? null : Math.ceil(a / b);
  if (a === null || b === null) return null;
  return `ceil(${a} / ${wrap(String(b))})`;
}

/** Whether two dimensions are equal: true/false when decidable, 'unknown' when one side is symbolic or unknown. */
export function dimEq(a: Dim, b: Dim): boolean | 'unknown' {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (a === null || b === null) return 'unknown';
  if (a === b) return true;
  return 'unknown';
}

export function formatDim(d: Dim): string {
  return d === null ? '?' : String(d);
}

export function formatShape(s: Shape): string {
  return s === null ? '?' : `[${s.map(formatDim).join(', ')}]`;
}

/** Product of the dims, or null when any is not concrete. */
export function numel(dims: readonly Dim[]): number | null {
  let n = 1;
  for (const d of dims) {
    if (typeof d !== 'number') return null;
    n *= d;
  }
  return n;
}
