/**
 * JSON with positions: parses with jsonc-parser and maps JSON paths and offsets to 1-based source ranges,
 * so every front end that reads JSON reports errors at file, line and column.
 */
import { type Node, type ParseError, type JSONPath, findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Diagnostic, SourceRange } from './ir';

export class JsonSource {
  readonly root: Node | undefined;
  readonly value: unknown;
  readonly parseErrors: Diagnostic[] = [];
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    const errors: ParseError[] = [];
    this.root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
    for (const e of errors) {
      const r = this.range(e.offset, e.length);
      this.parseErrors.push({
        severity: 'error',
        ...r,
        code: 'json/syntax',
        message: `malformed JSON: ${describeParseError(printParseErrorCode(e.error))}`,
      });
    }
    this.value = this.root ? getNodeValue(this.root) : undefined;
  }

  /** 1-based range of `length` characters at `offset`. */
  range(offset: number, length: number): SourceRange {
    const start = this.position(offset);
    const end = this.position(offset + Math.max(length, 1));
    return { file: this.file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
  }

  /** Range of the value at a JSON path; falls back to the nearest existing ancestor. */
  at(path: JSONPath): SourceRange {
    if (!this.root) return this.range(0, 1);
    for (let p = [...path]; ; p = p.slice(0, -1)) {
      const n = findNodeAtLocation(this.root, p);
      if (n) return this.range(n.offset, n.type === 'object' || n.type === 'array' ? 1 : n.length);
      if (p.length === 0) return this.range(0, 1);
    }
  }

  private position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }
}

function describeParseError(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** Converts a JSON Pointer (`/layers/3/type`) to a path usable with `JsonSource.at`. */
export function pointerToPath(pointer: string): JSONPath {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
