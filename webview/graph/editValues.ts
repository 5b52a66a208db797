/**
 * Reading what a user types into the properties side bar, before anything is posted: the design schema
 * wants integers for channel counts, kernel sizes and strides, whole shapes for the input, and allows an
 * expression over the block's variables (`"planes * expansion"`) wherever it allows a number. A value that
 * fails here is shown as invalid under its field and never reaches the host. Pure, tested without a page.
 */
import type { EditValue } from '../../src/protocol/designEditProtocol';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** How a field's text is read. `int`: whole numbers ≥ `min`; `number`: any number; `any`: also keywords and booleans. */
export type ValueKind = 'int' | 'signed-int' | 'number' | 'any';

/** Attributes the catalogue counts in whole units (channels, features, kernel cells, strides, padding). */
const INT_ATTRS = new Set([
  'in_channels',
  'out_channels',
  'kernel_size',
  'stride',
  'padding',
  'dilation',
  'groups',
  'output_padding',
  'num_features',
  'num_groups',
  'num_channels',
  'num_parameters',
  'in_features',
  'out_features',
  'output_size',
  'normalized_shape',
]);
/** Whole numbers that may be negative: tensor dimensions counted from the end. */
const SIGNED_INT_ATTRS = new Set(['dim', 'start_dim', 'end_dim', 'dims']);

/** How a layer attribute is read, from its name and the type of its current or default value. */
export function attrKind(key: string, current: unknown, fallback: unknown): ValueKind | 'bool' {
  if (typeof current === 'boolean' || (current === undefined && typeof fallback === 'boolean')) return 'bool';
  if (INT_ATTRS.has(key)) return 'int';
  if (SIGNED_INT_ATTRS.has(key)) return 'signed-int';
  return 'any';
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
/** An expression over variables, or a keyword (`same`, `zeros`): names, numbers, operators and calls. */
const EXPRESSION = /^[A-Za-z_(][\w\s+\-*/%().,]*$/;

function balanced(s: string): boolean {
  let depth = 0;
  for (const c of s) {
    if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

function checkNumber(n: number, kind: ValueKind, min: number): string | null {
  if (!Number.isFinite(n)) return 'not a finite number';
  if ((kind === 'int' || kind === 'signed-int') && !Number.isInteger(n)) return 'must be a whole number';
  if (kind === 'int' && n < min) return `must be at least ${min}`;
  return null;
}

/**
 * A field's text as the value to post: empty is `null` (remove the key, back to the default), a number, a
 * list of numbers (`3, 3` or `[3, 3]`), `true`/`false` for `any`, or an expression/keyword string.
 */
export function parseValue(text: string, kind: ValueKind, opts: { min?: number; allowEmpty?: boolean } = {}): Parsed<EditValue | null> {
  const t = text.trim();
  const min = opts.min ?? 0;
  if (t === '') return opts.allowEmpty === false ? { ok: false, error: 'a value is required' } : { ok: true, value: null };
  if (NUMBER.test(t)) {
    const n = Number(t);
    const err = checkNumber(n, kind, min);
    return err ? { ok: false, error: err } : { ok: true, value: n };
  }
  const list = /^\[?([^[\]]*,[^[\]]*)\]?$/.exec(t);
  if (list) {
    const parts = list[1]!.split(',').map((p) => p.trim());
    if (parts.every((p) => NUMBER.test(p))) {
      const ns = parts.map(Number);
      for (const n of ns) {
        const err = checkNumber(n, kind, min);
        if (err) return { ok: false, error: `each entry ${err}` };
      }
      return { ok: true, value: ns };
    }
  }
  if (kind === 'any' && (t === 'true' || t === 'false')) return { ok: true, value: t === 'true' };
  if (EXPRESSION.test(t) && balanced(t) && !t.includes(',')) return { ok: true, value: t };
  const wants = kind === 'int' || kind === 'signed-int' ? 'a whole number' : 'a number';
  return { ok: false, error: `expected ${wants}, a list such as 3, 3, or an expression such as planes * 2` };
}

/** An input shape: 3 (C×H×W) or 4 (N×C×H×W) whole numbers ≥ 1, separated by commas, spaces, `x` or `×`. */
export function parseShape(text: string): Parsed<number[]> {
  const parts = text
    .trim()
    .replace(/^\[|\]$/g, '')
    .split(/\s*[,x×*]\s*|\s+/)
    .filter((p) => p !== '');
  if (parts.length < 3 || parts.length > 4) return { ok: false, error: 'give 3 (C, H, W) or 4 (N, C, H, W) sizes' };
  const ns = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (ns.some((n) => !Number.isInteger(n) || n < 1)) return { ok: false, error: 'each size must be a whole number of at least 1' };
  return { ok: true, value: ns };
}

/** A whole number ≥ `min` (the number of classes). */
export function parseCount(text: string, min = 1): Parsed<number> {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return { ok: false, error: 'must be a whole number' };
  const n = Number(t);
  return n < min ? { ok: false, error: `must be at least ${min}` } : { ok: true, value: n };
}

/** A name for a layer, stage or model: non-empty; a module name also cannot contain a dot (it would split the path). */
export function parseName(text: string, module: boolean): Parsed<string> {
  const t = text.trim();
  if (!t) return { ok: false, error: 'a name is required' };
  if (module && !/^[A-Za-z_][\w]*$/.test(t)) return { ok: false, error: 'a module name is a letter or _ followed by letters, digits or _' };
  return { ok: true, value: t };
}

/** A value as its field shows it: lists as `3, 3`, everything else as JSON would spell it, strings bare. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map((x) => formatValue(x)).join(', ');
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
