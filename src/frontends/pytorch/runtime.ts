/**
 * What the library modules (`stdlib.ts`, `nnModule.ts`, `layers.ts`, `torchFunctions.ts`, ...) need from the
 * interpreter, and nothing more. The interpreter implements it; the library imports only this type, so the
 * language and the libraries it runs do not import each other.
 */
import type { SourceRange } from '../../core/ir';
import type { CallExpr, Span } from './ast';
import type { FormatHooks } from './strformat';
import type { SymTable } from './symbolic';
import type { CallArgs, PyFunction, Scope, Value } from './values';

export interface Runtime {
  /** The file being analysed (relative imports resolve against it). */
  readonly file: string;
  /** The innermost call (or operator) being evaluated in the user's code: where nodes execute and errors point. */
  readonly site: Span | null;
  /** The innermost call in the analysed file itself, when `site` lies in an imported file: where that code was reached from. */
  readonly userSite: Span | null;
  /** The scope of that call, kept on modules so a fix can find the names their constructor saw. */
  readonly scope: Scope;
  readonly syms: SymTable;
  /** Module instances made by each constructor call site. */
  readonly instancesBySite: Map<CallExpr, number>;

  /** Throws a Python exception of type `pyType`, located at `at` (the current site by default). */
  raise(pyType: string, message: string, at?: Span | null): never;
  /** Something skipped: an information diagnostic, once per line and message. */
  info(at: Span | SourceRange | null, message: string, code?: string): void;
  /** One-line source text of a node, shortened for messages. */
  snippet(s: Span): string;
  range(s: Span): SourceRange;

  /** One step of the budget (and a look at the clock now and then). */
  tick(): void;
  /** Fails when a collection grows past the budget. */
  checkSize(n: number): void;

  call(fn: Value, args: CallArgs): Value;
  invoke(fn: PyFunction, args: CallArgs): Value;
  /** The items of an iterable; an unknown one is empty (and says so). */
  iterate(v: Value, at: Span): Value[];
  /** A concrete index into a sequence of `len` items, or null when the index is unknown. */
  index(idx: Value, len: number, at: Span): number | null;
  setAttr(obj: Value, name: string, v: Value, at: Span): void;
  binop(op: string, a: Value, b: Value, at: Span, inplace: boolean): Value;
  /** Python `==`; an undecidable equality is a `CondVal`. */
  equals(a: Value, b: Value): Value;
  /** Truth without recording an assumption. */
  truthyQuiet(v: Value): boolean;

  str(v: Value): string;
  repr(v: Value): string;
  /** A size as it is shown: a number, or a symbolic expression's text. */
  dimText(v: Value): string | number;
  /** Whether two dims were assumed equal on the path taken. */
  assumedEqual(a: string | number, b: string | number): boolean;
  /** How `str.format`, `%` and f-strings print and read values, with errors raised at `at`. */
  formatHooks(at: Span): FormatHooks;
  /** Runs a formatting call, turning its error into the Python exception it names. */
  formatting(run: () => string, at: Span): string;
}
