/**
 * Python's string formatting: `str.format`, `%` and the format specs of f-strings. Model code builds module
 * names with them (`'layer{}'.format(i)`, `'denseblock%d' % (i + 1)`, `f'stage{i}'`), and those names decide
 * which submodule `getattr` finds, so they must come out exactly as Python writes them.
 *
 * Pure: the interpreter passes how to print and read values, and turns a `FormatError` into the Python
 * exception it names.
 */
import { BudgetError, CondVal, Opaque, PyDict, PyFloat, PyTuple, Sym, type Value, typeName } from './values';

/** Widths and precisions past this are not written out: a mutated or hostile file must not exhaust memory. */
const MAX_WIDTH = 100_000;

export interface FormatHooks {
  str(v: Value): string;
  repr(v: Value): string;
  /** The attribute or item a field such as `{0.name}` or `{0[1]}` reads. */
  attr(v: Value, name: string): Value;
  item(v: Value, key: Value): Value;
}

export class FormatError extends Error {
  constructor(
    readonly pyType: 'ValueError' | 'TypeError' | 'IndexError' | 'KeyError',
    message: string,
  ) {
    super(message);
  }
}

/** `template.format(*pos, **kw)`. */
export function formatMethod(template: string, pos: readonly Value[], kw: ReadonlyMap<string, Value>, h: FormatHooks): string {
  return formatFields(template, pos, kw, h, { auto: 0, manual: false });
}

/** `numbering` is shared with nested fields in specs, which Python numbers in the same sequence. */
function formatFields(template: string, pos: readonly Value[], kw: ReadonlyMap<string, Value>, h: FormatHooks, numbering: { auto: number; manual: boolean }): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    if (ch === '}') {
      if (template[i + 1] !== '}') throw new FormatError('ValueError', "Single '}' encountered in format string");
      out += '}';
      i += 2;
      continue;
    }
    if (ch !== '{') {
      out += ch;
      i++;
      continue;
    }
    if (template[i + 1] === '{') {
      out += '{';
      i += 2;
      continue;
    }
    // A replacement field; specs may nest one level of fields (`{:{width}}`).
    let depth = 1;
    let j = i + 1;
    while (j < template.length && depth > 0) {
      if (template[j] === '{') depth++;
      else if (template[j] === '}') depth--;
      if (depth > 0) j++;
    }
    if (depth > 0) throw new FormatError('ValueError', "expected '}' before end of string");
    const field = template.slice(i + 1, j);
    i = j + 1;
    const colon = indexOutsideBrackets(field, ':');
    const bang = indexOutsideBrackets(colon < 0 ? field : field.slice(0, colon), '!');
    const nameEnd = bang >= 0 ? bang : colon >= 0 ? colon : field.length;
    const name = field.slice(0, nameEnd);
    const conv = bang >= 0 ? field.slice(bang + 1, colon >= 0 ? colon : field.length) : null;
    const rawSpec = colon >= 0 ? field.slice(colon + 1) : '';
    // The argument: `{}` (automatic), `{0}`, `{name}`, then `.attr` and `[key]` parts.
    const first = /^[^.[]*/.exec(name)![0];
    let v: Value;
    if (first === '') {
      if (numbering.manual) throw new FormatError('ValueError', 'cannot switch from manual field specification to automatic field numbering');
      if (numbering.auto >= pos.length) throw new FormatError('IndexError', `Replacement index ${numbering.auto} out of range for positional args tuple`);
      v = pos[numbering.auto++]!;
    } else if (/^\d+$/.test(first)) {
      if (numbering.auto > 0) throw new FormatError('ValueError', 'cannot switch from automatic field numbering to manual field specification');
      numbering.manual = true;
      const k = Number(first);
      if (k >= pos.length) throw new FormatError('IndexError', `Replacement index ${k} out of range for positional args tuple`);
      v = pos[k]!;
    } else {
      if (!kw.has(first)) throw new FormatError('KeyError', `'${first}'`);
      v = kw.get(first)!;
    }
    for (const m of name.slice(first.length).matchAll(/\.(\w+)|\[([^\]]*)\]/g)) {
      v = m[1] !== undefined ? h.attr(v, m[1]) : h.item(v, /^\d+$/.test(m[2]!) ? Number(m[2]) : m[2]!);
    }
    const spec = rawSpec.includes('{') ? formatFields(rawSpec, pos, kw, h, numbering) : rawSpec;
    out += formatValue(convert(v, conv, h), spec, h);
  }
  return out;
}

function indexOutsideBrackets(s: string, ch: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '[') depth++;
    else if (s[i] === ']') depth--;
    else if (s[i] === ch && depth === 0) return i;
  }
  return -1;
}

function convert(v: Value, conv: string | null, h: FormatHooks): Value {
  if (conv === null) return v;
  if (conv === 'r' || conv === 'a') return h.repr(v);
  if (conv === 's') return h.str(v);
  throw new FormatError('ValueError', `Unknown conversion specifier ${conv}`);
}

/** `format(v, spec)`: `[[fill]align][sign][#][0][width][,_][.precision][type]`. */
export function formatValue(v: Value, spec: string, h: FormatHooks): string {
  // An unknown value (a symbolic width, an opaque object) prints as itself whatever the spec asks.
  if (spec === '' || v instanceof Sym || v instanceof Opaque || v instanceof CondVal) return h.str(v);
  const m = /^(?:(.)?([<>=^]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s.exec(spec);
  if (!m) throw new FormatError('ValueError', `Invalid format specifier '${spec}'`);
  const [, fillCh, alignCh, sign = '-', alt, zero, widthText, group, precText, type] = m;
  const width = widthText ? Number(widthText) : 0;
  const precision = precText !== undefined ? Number(precText) : null;
  if (width > MAX_WIDTH || (precision ?? 0) > MAX_WIDTH) throw new BudgetError(`a format width or precision over ${MAX_WIDTH} is not analysed`);
  const isNum = typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat;
  let body: string;
  let neg = false;
  if (!isNum) {
    if (type && type !== 's') throw new FormatError('ValueError', `Unknown format code '${type}' for object of type '${typeName(v)}'`);
    body = h.str(v);
    if (precision !== null) body = body.slice(0, precision);
  } else {
    const x = typeof v === 'boolean' ? Number(v) : typeof v === 'number' ? v : v.v;
    const isFloat = v instanceof PyFloat;
    neg = x < 0 || Object.is(x, -0);
    const a = Math.abs(x);
    const t = type ?? (isFloat ? '' : 'd');
    if (t !== '' && 'bdoxXnc'.includes(t) && isFloat) throw new FormatError('ValueError', `Unknown format code '${t}' for object of type 'float'`);
    switch (t) {
      case 'd':
      case 'n':
        body = String(a);
        break;
      case 'b':
        body = (alt ? '0b' : '') + a.toString(2);
        break;
      case 'o':
        body = (alt ? '0o' : '') + a.toString(8);
        break;
      case 'x':
        body = (alt ? '0x' : '') + a.toString(16);
        break;
      case 'X':
        body = (alt ? '0X' : '') + a.toString(16).toUpperCase();
        break;
      case 'c':
        body = String.fromCodePoint(a);
        neg = false;
        break;
      case 'f':
      case 'F':
        body = fixed(a, precision ?? 6);
        break;
      case 'e':
      case 'E': {
        body = expForm(a, precision ?? 6);
        if (t === 'E') body = body.toUpperCase();
        break;
      }
      case '%':
        body = fixed(a * 100, precision ?? 6) + '%';
        break;
      case 'g':
      case 'G': {
        body = generalForm(a, precision ?? 6, Boolean(alt));
        if (t === 'G') body = body.toUpperCase();
        break;
      }
      default:
        // No type: str() for floats, with a precision meaning 'g' that keeps a point.
        body = precision !== null ? generalForm(a, precision, false, true) : h.str(isFloat ? new PyFloat(a) : a);
    }
    if (group) body = groupDigits(body, group);
  }
  const signText = isNum ? (neg ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '') : '';
  const align = alignCh ?? (zero && isNum ? '=' : isNum ? '>' : '<');
  const fill = fillCh ?? (zero && !alignCh ? '0' : ' ');
  const pad = Math.max(0, width - signText.length - body.length);
  switch (align) {
    case '<':
      return signText + body + fill.repeat(pad);
    case '>':
      return fill.repeat(pad) + signText + body;
    case '^':
      return fill.repeat(Math.floor(pad / 2)) + signText + body + fill.repeat(pad - Math.floor(pad / 2));
    default:
      return signText + fill.repeat(pad) + body;
  }
}

/** `str(x)` / `repr(x)` of a Python float: the shortest digits that read back, fixed from 1e-4 up to 1e16. */
export function pyFloatStr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expText] = Math.abs(x).toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const digits = mant.replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (exp < -4 || exp >= 16) return `${sign}${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${int}.${frac || '0'}`;
}

/**
 * `a` (not negative) with `digits` decimals, rounded as Python rounds: to the nearest, ties (an exact binary
 * value halfway, such as 2.5 or 0.125) to even. JavaScript's toFixed rounds ties up.
 */
function fixed(a: number, digits: number): string {
  // JavaScript writes at most 100 decimals; further digits of these values are zeros in practice.
  if (a >= 1e21 || digits > 60) return a.toFixed(Math.min(digits, 100)) + (digits > 100 && a < 1e21 ? '0'.repeat(digits - 100) : '');
  const exact = a.toFixed(100); // every digit of the binary value that matters here
  const point = exact.indexOf('.');
  const kept = exact.slice(0, point + 1 + digits).replace(/\.$/, '');
  const rest = exact.slice(point + 1 + digits);
  const up = rest[0]! > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || odd(kept)));
  return up ? increment(kept) : kept;
}

function odd(digits: string): boolean {
  return Number(digits[digits.length - 1]) % 2 === 1;
}

/** Adds one unit in the last place of a decimal string of digits with an optional point. */
function increment(d: string): string {
  const chars = d.split('');
  for (let k = chars.length - 1; k >= 0; k--) {
    if (chars[k] === '.') continue;
    if (chars[k] !== '9') {
      chars[k] = String(Number(chars[k]) + 1);
      return chars.join('');
    }
    chars[k] = '0';
  }
  return '1' + chars.join('');
}

/** Python's exponent form, rounded as Python rounds, with at least two exponent digits (`1.5e-05`). */
function expForm(a: number, precision: number): string {
  let mant: string;
  let e: number;
  if (a === 0) {
    mant = (0).toFixed(precision);
    e = 0;
  } else if (a >= 1e21 || a < 1e-40 || precision > 90) {
    const [m, x] = a.toExponential(Math.min(precision, 100)).split('e') as [string, string];
    mant = m + (precision > 100 ? '0'.repeat(precision - 100) : '');
    e = Number(x);
  } else {
    // The exact decimal expansion of the binary value, so ties are seen exactly.
    const exact = a.toFixed(100);
    const point = exact.indexOf('.');
    const intPart = exact.slice(0, point).replace(/^0+/, '');
    const frac = exact.slice(point + 1);
    e = intPart ? intPart.length - 1 : -(/^0*/.exec(frac)![0].length + 1);
    const sig = (intPart + frac).replace(/^0+/, '').padEnd(precision + 2, '0');
    const kept = sig.slice(0, precision + 1);
    const rest = sig.slice(precision + 1);
    const up = rest[0]! > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || odd(kept)));
    let rounded = up ? increment(kept) : kept;
    if (rounded.length > precision + 1) {
      e++;
      rounded = rounded.slice(0, precision + 1);
    }
    mant = precision > 0 ? `${rounded[0]}.${rounded.slice(1)}` : rounded;
  }
  return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

function generalForm(a: number, precision: number, alt: boolean, keepPoint = false): string {
  const p = precision === 0 ? 1 : precision;
  if (a === 0) return keepPoint ? '0.0' : alt ? '0.' + '0'.repeat(p - 1) : '0';
  const exp = Math.floor(Math.log10(a));
  let out: string;
  if (exp < -4 || exp >= p) {
    out = expForm(a, p - 1);
    if (!alt) out = out.replace(/\.?0+e/, 'e');
  } else {
    out = fixed(a, Math.max(0, p - 1 - exp));
    if (!alt && out.includes('.')) out = out.replace(/\.?0+$/, '');
    if (keepPoint && !out.includes('.') && !out.includes('e')) out += '.0';
  }
  return out;
}

function groupDigits(body: string, sep: string): string {
  const m = /^(\D*)(\d+)(.*)$/.exec(body);
  if (!m) return body;
  return m[1]! + m[2]!.replace(/\B(?=(\d{3})+(?!\d))/g, sep) + m[3]!;
}

/** `template % args`: `%s`, `%r`, `%d`/`%i`, `%f`, `%e`, `%g`, `%x`, `%o`, `%c`, `%%`, flags, widths and `%(name)s`. */
export function percentFormat(template: string, args: Value, h: FormatHooks): string {
  const byName = args instanceof PyDict ? args : null;
  const items = args instanceof PyTuple ? args.items : byName ? [] : [args];
  let next = 0;
  const take = (): Value => {
    if (next >= items.length) throw new FormatError('TypeError', 'not enough arguments for format string');
    return items[next++]!;
  };
  let out = '';
  const re = /%(?:\(([^)]*)\))?([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])/g;
  let last = 0;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    out += template.slice(last, m.index);
    last = re.lastIndex;
    const [, key, flags = '', widthText, precText, conv] = m;
    if (conv === '%') {
      out += '%';
      continue;
    }
    const width = widthText === '*' ? Number(take()) : widthText ? Number(widthText) : 0;
    const precision = precText === '*' ? Number(take()) : precText !== undefined ? Number(precText) : null;
    let v: Value;
    if (key !== undefined) {
      if (!byName) throw new FormatError('TypeError', 'format requires a mapping');
      const found = byName.entries().find(([k]) => k === key);
      if (!found) throw new FormatError('KeyError', `'${key}'`);
      v = found[1];
    } else v = take();
    const left = flags.includes('-');
    const spec =
      (left ? '<' : '') +
      (flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') +
      (flags.includes('#') ? '#' : '') +
      (flags.includes('0') && !left ? '0' : '') +
      (width ? String(width) : '') +
      (precision !== null && conv !== 's' && conv !== 'r' && conv !== 'a' ? `.${precision}` : '');
    if (v instanceof Sym || v instanceof Opaque || v instanceof CondVal) {
      out += h.str(v); // unknown: printed as itself, never a false TypeError
    } else if (conv === 's' || conv === 'r' || conv === 'a') {
      let text = conv === 's' ? h.str(v) : h.repr(v);
      if (precision !== null) text = text.slice(0, precision);
      out += formatValue(text, spec.replace(/[+ #0]/g, ''), h);
    } else if ('di'.includes(conv!) || conv === 'u') {
      if (!(typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat)) {
        throw new FormatError('TypeError', `%${conv} format: a real number is required, not ${typeName(v)}`);
      }
      const n = typeof v === 'boolean' ? Number(v) : typeof v === 'number' ? v : Math.trunc(v.v);
      out += formatValue(n, spec.replace(/\.\d+$/, '') + 'd', h);
    } else {
      if (!(typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat)) {
        throw new FormatError('TypeError', `must be real number, not ${typeName(v)}`);
      }
      const intOnly = 'oxXc'.includes(conv!);
      const num: Value = intOnly ? (typeof v === 'boolean' ? Number(v) : typeof v === 'number' ? v : Math.trunc(v.v)) : new PyFloat(typeof v === 'boolean' ? Number(v) : typeof v === 'number' ? v : v.v);
      out += formatValue(num, spec + (conv === 'F' ? 'f' : conv), h);
    }
  }
  out += template.slice(last);
  if (!byName && next < items.length) throw new FormatError('TypeError', 'not all arguments converted during string formatting');
  return out;
}
