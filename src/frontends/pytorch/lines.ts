/** Offsets to 1-based line/column source ranges (end exclusive), as every IR range is written. */
import type { SourceRange } from '../../core/ir';
import type { Span } from './ast';

/**
 * Line starts by text, shared by the analyses of one process: every analysis of a workspace index made them
 * anew for each file it read (the model's and every imported module's).
 */
const startsByText = new Map<string, number[]>();

function lineStarts(text: string): number[] {
  let starts = startsByText.get(text);
  if (!starts) {
    starts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    if (startsByText.size >= 256) startsByText.delete(startsByText.keys().next().value!);
    startsByText.set(text, starts);
  }
  return starts;
}

export class LineIndex {
  private lazyStarts: number[] | null = null;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  /** Made on first use: many files an analysis reads never need a position. */
  private get starts(): number[] {
    return (this.lazyStarts ??= lineStarts(this.text));
  }

  get lineCount(): number {
    return this.starts.length;
  }

  position(offset: number): { line: number; column: number } {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: o - this.starts[lo]! + 1 };
  }

  range(s: Span): SourceRange {
    const a = this.position(s.from);
    const b = this.position(Math.max(s.to, s.from));
    return { file: this.file, line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
  }

  /** Offset of the start of the line holding `offset`. */
  lineStart(offset: number): number {
    return this.starts[this.position(offset).line - 1]!;
  }

  /** The leading whitespace of the line holding `offset`. */
  indentAt(offset: number): string {
    const start = this.lineStart(offset);
    let end = start;
    while (end < this.text.length && (this.text[end] === ' ' || this.text[end] === '\t')) end++;
    return this.text.slice(start, end);
  }

  /** Offset just after the last character of the line holding `offset` (before its newline). */
  lineEnd(offset: number): number {
    const nl = this.text.indexOf('\n', offset);
    return nl < 0 ? this.text.length : nl;
  }
}
