/**
 * Python source layout for the code writers, in the way `black` lays code out (line length 88, double
 * quotes, magic trailing commas): a bracketed expression that does not fit is split inside its last bracket,
 * then one element per line with a trailing comma, recursing into elements that still do not fit. Generated
 * files then need no formatter pass to look like the rest of a user's code base.
 */

export const LINE_LENGTH = 88;

/** An expression made of atoms and bracketed, comma-separated lists (calls, tuples, lists, signatures). */
export type PyExpr = string | PyList;

export interface PyList {
  /** Text before the opening bracket: `nn.Conv2d`, `def __init__`, or empty for a bare tuple. */
  head: string;
  open: '(' | '[';
  items: PyExpr[];
  /** Text after the closing bracket: ` -> None:` for a signature. */
  tail?: string;
}

export const call = (head: string, items: PyExpr[], tail = ''): PyList => ({ head, open: '(', items, ...(tail ? { tail } : {}) });

const close = (l: PyList): string => (l.open === '(' ? ')' : ']');

/** The expression on one line. */
export function flat(e: PyExpr): string {
  if (typeof e === 'string') return e;
  return `${e.head}${e.open}${e.items.map(flat).join(', ')}${close(e)}${e.tail ?? ''}`;
}

/**
 * The lines of `prefix + e + suffix` at `indent` spaces, as black writes a statement: on one line when it
 * fits; else the bracket's contents on one indented line; else one item per line with a trailing comma.
 */
export function layout(e: PyExpr, indent: number, prefix = '', suffix = ''): string[] {
  const pad = ' '.repeat(indent);
  const one = `${pad}${prefix}${flat(e)}${suffix}`;
  if (one.length <= LINE_LENGTH || typeof e === 'string' || e.items.length === 0) return [one];
  const opening = `${pad}${prefix}${e.head}${e.open}`;
  const closing = `${pad}${close(e)}${e.tail ?? ''}${suffix}`;
  const body = `${' '.repeat(indent + 4)}${e.items.map(flat).join(', ')}`;
  // Black keeps the contents on one line unless a single item is itself split (no magic trailing comma here).
  if (body.length <= LINE_LENGTH && e.items.length > 0) return [opening, body, closing];
  // A single bracketed argument is split inside its own brackets (black's right-hand split), without a comma.
  if (e.items.length === 1 && typeof e.items[0] !== 'string') return [opening, ...layout(e.items[0]!, indent + 4), closing];
  const lines = [opening];
  for (const item of e.items) lines.push(...layout(item, indent + 4, '', ','));
  lines.push(closing);
  return lines;
}

/**
 * A call or tuple written as text (`F.pad(x, (0, 1))`) as a {@link PyExpr}, so that it can be split as black
 * splits it: the text up to the bracket that closes at its end is the head, the top-level commas part the items.
 */
export function parseExpr(code: string): PyExpr {
  const t = code.trim();
  const close = t[t.length - 1];
  if (close !== ')' && close !== ']') return t;
  const openCh = close === ')' ? '(' : '[';
  let depth = 0;
  let quote: string | null = null;
  let start = -1;
  for (let i = t.length - 1; i >= 0; i--) {
    const ch = t[i]!;
    if (quote) {
      if (ch === quote && t[i - 1] !== '\\') quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === ')' || ch === ']' || ch === '}') depth++;
    else if (ch === '(' || ch === '[' || ch === '{') {
      depth--;
      if (depth === 0) {
        start = i;
        break;
      }
    }
  }
  if (start < 0 || t[start] !== openCh) return t;
  const inner = t.slice(start + 1, -1);
  const items: string[] = [];
  let cur = '';
  depth = 0;
  quote = null;
  for (const ch of inner) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    else if (ch === ',' && depth === 0) {
      items.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) items.push(cur.trim());
  // A one-element tuple keeps its comma, which the split items would lose.
  if (openCh === '(' && t.slice(0, start).trim() === '' && items.length === 1) return t;
  return { head: t.slice(0, start), open: openCh, items: items.map(parseExpr) };
}

/** A Python string literal as black writes it: double quotes unless that needs more escapes. */
export function pyString(s: string): string {
  const escaped = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  if (!s.includes('"')) return `"${escaped}"`;
  return `'${escaped.replace(/'/g, "\\'")}'`;
}

/** Single-quoted string literals in generated code (the catalogue's spelling) rewritten with double quotes. */
export function doubleQuoted(code: string): string {
  return code.replace(/'((?:[^'\\"]|\\.)*)'/g, (_m, body: string) => `"${body.replace(/\\'/g, "'")}"`);
}

/** A Python value as black prints it: `True`, `None`, `(3, 3)`, `"same"`. */
export function pyValue(v: unknown): string {
  if (v === undefined || v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? pyNumber(v) : v > 0 ? 'float("inf")' : v < 0 ? '-float("inf")' : 'float("nan")';
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) return v.length === 1 ? `(${pyValue(v[0])},)` : `(${v.map(pyValue).join(', ')})`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${pyString(k)}: ${pyValue(x)}`)
    .join(', ')}}`;
}

/** Python's repr of a float: `1e-05`, `0.1`, `1.0` for a float-valued attribute that happens to be whole is not needed here. */
function pyNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const s = String(n);
  // JavaScript writes 1e-7 as "1e-7"; Python as "1e-07".
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** A valid Python identifier made from a module path segment (`0` becomes `_0`, `conv-1` becomes `conv_1`). */
export function pyIdent(s: string): string {
  const id = s.replace(/[^A-Za-z0-9_]/g, '_');
  const safe = /^[0-9]/.test(id) || id === '' ? `_${id}` : id;
  return PY_KEYWORDS.has(safe) ? `${safe}_` : safe;
}

const PY_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '),
);

/** `ResNet-50` -> `ResNet50`; a class name made from a display name. */
export function className(name: string): string {
  const parts = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = parts.map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
  return pyIdent(joined || 'Model');
}

/** `ResNet-50` -> `resnet50`, `CIFAR ResNet-20` -> `cifar_resnet20`; a function name made from a display name. */
export function functionName(name: string): string {
  const parts = name.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  const joined: string[] = [];
  for (const p of parts) {
    // "resnet-50" reads as one word; "resnext50 32x4d" keeps its underscore.
    if (joined.length && /^\d+$/.test(p) && /[a-z]$/.test(joined[joined.length - 1]!)) joined[joined.length - 1] += p;
    else joined.push(p);
  }
  return pyIdent(joined.join('_') || 'model');
}
