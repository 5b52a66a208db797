/**
 * Quick fixes: the front ends compute concrete edits (`Diagnostic.fixes`); this module finds the ones that
 * belong to an editor diagnostic and converts their ranges. Pure: the code action provider turns the result
 * into a `WorkspaceEdit`.
 */
import type { Diagnostic } from '../core/ir';
import { type ZeroRange, toZeroBased } from './ranges';

export interface PlainEdit {
  file: string;
  range: ZeroRange;
  newText: string;
}

export interface PlainFix {
  title: string;
  edits: PlainEdit[];
  /** The diagnostic this fix repairs. */
  diagnostic: Diagnostic;
  /** True for the first fix of a diagnostic: what "Auto Fix" applies. */
  preferred: boolean;
}

/** What the editor knows about one of its diagnostics. */
export interface EditorDiagnostic {
  code: string | undefined;
  message: string;
  range: ZeroRange;
}

function sameRange(a: ZeroRange, b: ZeroRange): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

/** The analysis diagnostic an editor diagnostic was made from (same code, message and range). */
export function findCoreDiagnostic(all: readonly Diagnostic[], d: EditorDiagnostic): Diagnostic | undefined {
  return all.find((c) => c.code === d.code && c.message === d.message && sameRange(toZeroBased(c), d.range));
}

/** The quick fixes for some editor diagnostics, in the order the front end listed them. */
export function quickFixesFor(all: readonly Diagnostic[], wanted: readonly EditorDiagnostic[]): PlainFix[] {
  const out: PlainFix[] = [];
  const seen = new Set<Diagnostic>();
  for (const w of wanted) {
    const c = findCoreDiagnostic(all, w);
    if (!c?.fixes || seen.has(c)) continue;
    seen.add(c);
    c.fixes.forEach((f, i) => {
      if (!f.edits.length) return;
      out.push({
        title: f.title,
        diagnostic: c,
        preferred: i === 0,
        edits: f.edits.map((e) => ({ file: e.range.file, range: toZeroBased(e.range), newText: e.newText })),
      });
    });
  }
  return out;
}

/**
 * Applies plain edits to a text, for tests and for checking a fix before offering it. Edits must not
 * overlap; they are applied from the end so earlier offsets stay valid.
 */
export function applyEdits(text: string, edits: readonly Pick<PlainEdit, 'range' | 'newText'>[]): string {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const offset = (p: { line: number; character: number }): number => {
    const start = lineStarts[Math.min(p.line, lineStarts.length - 1)]!;
    const lineEnd = p.line + 1 < lineStarts.length ? lineStarts[p.line + 1]! - 1 : text.length;
    return Math.min(start + p.character, lineEnd);
  };
  const spans = edits.map((e) => ({ from: offset(e.range.start), to: offset(e.range.end), text: e.newText })).sort((a, b) => b.from - a.from);
  let out = text;
  for (const s of spans) out = out.slice(0, s.from) + s.text + out.slice(s.to);
  return out;
}
