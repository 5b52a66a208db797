/**
 * The `# resnet-studio: [model=NAME] [input=(N, C, H, W)] [args=(...)]` comment a source file can carry to
 * choose its model, input shape and constructor arguments. Read by the PyTorch front end and by training;
 * it imports nothing heavy so the extension and CLI can read it without loading a parser.
 */
import type { Span } from './pytorch/ast';

export interface Directive {
  model: string | null;
  input: number[] | null;
  /** Python call-argument text, without the surrounding parentheses. */
  args: string | null;
  span: Span;
  problems: string[];
}

const MARK = 'resnet-studio:';

/** Reads the first `# resnet-studio: [model=NAME] [input=(N, C, H, W)] [args=(...)]` comment. */
export function readDirective(text: string): Directive | null {
  let from = 0;
  while (from < text.length) {
    const nl = text.indexOf('\n', from);
    const end = nl < 0 ? text.length : nl;
    const line = text.slice(from, end);
    const hash = line.indexOf('#');
    if (hash >= 0 && line.slice(0, hash).trim() === '') {
      const body = line.slice(hash + 1).trim();
      if (body.startsWith(MARK)) return parseDirective(body.slice(MARK.length), { from: from + hash, to: end });
    }
    from = end + 1;
  }
  return null;
}

function parseDirective(rest: string, span: Span): Directive {
  const d: Directive = { model: null, input: null, args: null, span, problems: [] };
  let i = 0;
  const n = rest.length;
  while (i < n) {
    while (i < n && /\s/.test(rest[i]!)) i++;
    if (i >= n) break;
    const eq = rest.indexOf('=', i);
    if (eq < 0) {
      d.problems.push(`expected key=value, got '${rest.slice(i).trim()}'`);
      break;
    }
    const key = rest.slice(i, eq).trim();
    let j = eq + 1;
    let value: string;
    if (rest[j] === '(') {
      let depth = 0;
      let k = j;
      let quote: string | null = null;
      for (; k < n; k++) {
        const ch = rest[k]!;
        if (quote) {
          if (ch === quote) quote = null;
        } else if (ch === '"' || ch === "'") quote = ch;
        else if (ch === '(') depth++;
        else if (ch === ')' && --depth === 0) break;
      }
      if (depth !== 0 || k >= n) {
        d.problems.push(`unbalanced parentheses in ${key}=`);
        break;
      }
      value = rest.slice(j + 1, k);
      j = k + 1;
    } else {
      let k = j;
      while (k < n && !/\s/.test(rest[k]!)) k++;
      value = rest.slice(j, k);
      j = k;
    }
    i = j;
    if (key === 'model') d.model = value;
    else if (key === 'args') d.args = value;
    else if (key === 'input') {
      const dims = value.split(',').map((x) => x.trim()).filter((x) => x.length);
      const nums = dims.map(Number);
      if (nums.length < 2 || nums.length > 4 || nums.some((x) => !Number.isInteger(x) || x <= 0)) d.problems.push(`input=(${value}) is not a shape of positive integers`);
      else d.input = nums;
    } else d.problems.push(`unknown key '${key}'`);
  }
  return d;
}
