/**
 * A small Python AST built from the lezer syntax tree of our Python grammar (`grammar/`, @lezer/python's with
 * fixes). Lezer keeps every token and recovers from syntax errors with error nodes; this module turns its
 * concrete tree into the handful of node kinds the interpreter evaluates, records each syntax error once, and
 * degrades anything it cannot read (or that nests too deeply to walk safely) to a `bad` node instead of failing.
 */
import { type SyntaxNode, type Tree, TreeBuffer } from '@lezer/common';
import type { LRParser } from '@lezer/lr';

/** Offsets into the source text; every AST node carries them. */
export interface Span {
  from: number;
  to: number;
}

export interface NameExpr extends Span { k: 'name'; id: string }
export interface NumExpr extends Span { k: 'num'; v: number; float: boolean }
export interface FPart { e: Expr; conv: string | null; selfDoc: string | null; spec: string | null }
export interface StrExpr extends Span { k: 'str'; v: string; fstring: boolean; parts?: (string | FPart)[] }
export interface ConstExpr extends Span { k: 'const'; v: boolean | null | 'ellipsis' }
export interface AttrExpr extends Span { k: 'attr'; obj: Expr; name: string; nameSpan: Span }
export interface SliceExpr extends Span { k: 'slice'; lo: Expr | null; hi: Expr | null; step: Expr | null }
export interface SubscriptExpr extends Span { k: 'sub'; obj: Expr; items: Expr[]; tuple: boolean }
export interface Arg extends Span { name: string | null; star: 0 | 1 | 2; e: Expr }
export interface CallExpr extends Span { k: 'call'; fn: Expr; args: Arg[]; argsSpan: Span }
export interface BinExpr extends Span { k: 'bin'; op: string; l: Expr; r: Expr }
export interface CompareExpr extends Span { k: 'cmp'; ops: string[]; items: Expr[] }
export interface BoolExpr extends Span { k: 'and' | 'or'; l: Expr; r: Expr }
export interface NotExpr extends Span { k: 'not'; e: Expr }
export interface UnaryExpr extends Span { k: 'unary'; op: string; e: Expr }
export interface IfExpr extends Span { k: 'ifexp'; test: Expr; body: Expr; orelse: Expr }
export interface LambdaExpr extends Span { k: 'lambda'; params: Param[]; body: Expr }
export interface SeqExpr extends Span { k: 'list' | 'tuple' | 'set'; elts: Expr[] }
export interface StarExpr extends Span { k: 'star'; e: Expr; double: boolean }
export interface DictEntry { key: Expr | null; value: Expr }
export interface DictExpr extends Span { k: 'dict'; entries: DictEntry[] }
export interface CompFor { target: Expr; iter: Expr; ifs: Expr[] }
export interface CompExpr extends Span { k: 'comp'; kind: 'list' | 'gen' | 'set' | 'dict'; elt: Expr; value: Expr | null; gens: CompFor[] }
export interface WalrusExpr extends Span { k: 'walrus'; name: string; e: Expr }
export interface BadExpr extends Span { k: 'bad'; what: string }

export type Expr =
  | NameExpr | NumExpr | StrExpr | ConstExpr | AttrExpr | SliceExpr | SubscriptExpr | CallExpr | BinExpr | CompareExpr
  | BoolExpr | NotExpr | UnaryExpr | IfExpr | LambdaExpr | SeqExpr | StarExpr | DictExpr | CompExpr | WalrusExpr | BadExpr;

export interface Param extends Span {
  name: string;
  /** 1 for `*args`, 2 for `**kwargs`; a bare `*` has an empty name. */
  star: 0 | 1 | 2;
  default: Expr | null;
  /** The annotation as written (`ImageList`), when there is one. */
  annotation?: string;
}

export interface Decorator extends Span { e: Expr }

export interface FunctionDef extends Span {
  k: 'def';
  name: string;
  nameSpan: Span;
  params: Param[];
  paramsSpan: Span;
  body: Stmt[];
  decorators: Decorator[];
  /** From the `def` keyword (after decorators) to the end of the name: where a CodeLens goes. */
  head: Span;
}

export interface ClassDef extends Span {
  k: 'class';
  name: string;
  nameSpan: Span;
  bases: Expr[];
  keywords: Arg[];
  body: Stmt[];
  decorators: Decorator[];
  head: Span;
}

export interface IfBranch { test: Expr | null; body: Stmt[] }
export interface Handler extends Span { type: Expr | null; name: string | null; body: Stmt[] }
export interface ImportName { path: string[]; alias: string | null }
export interface MatchCase { patterns: Pattern[]; guard: Expr | null; body: Stmt[] }
export type Pattern =
  | { k: 'wild' }
  | { k: 'capture'; name: string }
  | { k: 'value'; e: Expr }
  | { k: 'or'; alts: Pattern[] }
  | { k: 'as'; p: Pattern; name: string }
  | ({ k: 'other'; what: string } & Span);

export type Stmt = Span &
  (
    | { k: 'expr'; e: Expr }
    | { k: 'assign'; targets: Expr[]; value: Expr; annotated: boolean }
    | { k: 'annotate'; target: Expr }
    | { k: 'aug'; target: Expr; op: string; value: Expr }
    | { k: 'if'; branches: IfBranch[]; orelse: Stmt[] | null }
    | { k: 'for'; target: Expr; iter: Expr; body: Stmt[]; orelse: Stmt[] | null }
    | { k: 'while'; test: Expr; body: Stmt[]; orelse: Stmt[] | null }
    | { k: 'return'; value: Expr | null }
    | { k: 'raise'; exc: Expr | null }
    | { k: 'assert'; test: Expr; msg: Expr | null }
    | { k: 'pass' | 'break' | 'continue' }
    | { k: 'import'; names: ImportName[] }
    | { k: 'from'; module: string[]; level: number; names: ImportName[]; star: boolean }
    | { k: 'global' | 'nonlocal'; names: string[] }
    | { k: 'del'; targets: Expr[] }
    | { k: 'try'; body: Stmt[]; handlers: Handler[]; orelse: Stmt[] | null; final: Stmt[] | null }
    | { k: 'with'; items: { e: Expr; name: Expr | null }[]; body: Stmt[] }
    | { k: 'match'; subject: Expr; cases: MatchCase[] }
    | { k: 'bad'; what: string }
  )
  | FunctionDef
  | ClassDef;

export interface SyntaxProblem extends Span {
  message: string;
}

export interface ParsedModule {
  body: Stmt[];
  errors: SyntaxProblem[];
  text: string;
  /** Set when the time budget ran out: only the text before this offset was read. */
  truncatedAt: number | null;
}

/**
 * Stores parsed files between runs (the CLI keeps them on disk). `get` returns the tree of exactly this text,
 * or undefined; `set` may ignore a tree (an incomplete one is never worth keeping).
 */
export interface ParseCache {
  get(text: string): ParsedModule | undefined;
  set(text: string, parsed: ParsedModule): void;
}

let python: LRParser | undefined;
function pythonParser(): LRParser {
  return (python ??= (require('./grammar') as typeof import('./grammar')).parser);
}

/** Nesting deeper than this is not walked: the interpreter recurses over the AST, and real code never gets close. */
const MAX_DEPTH = 120;

/**
 * Parses and converts `text`. Parsing stops at `deadline` and conversion at `convertDeadline` (`now()`
 * timestamps): a huge file is then read up to where the time ran out, and `truncatedAt` says where.
 */
export function parsePython(text: string, deadline = Infinity, convertDeadline = deadline, now: () => number = () => performance.now()): ParsedModule {
  try {
    return parseAndConvert(text, deadline, convertDeadline, now, true);
  } catch (e) {
    // Only a tree too deep to walk gets here (see relaxTopLevelGuard): parse again with lezer's guard on.
    if (!(e instanceof RangeError)) throw e;
    return parseAndConvert(text, deadline, convertDeadline, now, false);
  }
}

/**
 * Lezer (lr 1.4) cuts a production short once more than 300 reductions of 2000+ characters start at the same
 * place, to keep left-associative chains from making trees too deep to walk. The reductions that gather a
 * file's top-level statements count too, so after about 300 top-level call statements (a registry file, a
 * docs file) it reports a spurious syntax error in valid code. The guard is turned off here; a tree that
 * then comes out too deep to walk (a giant left-associative expression) is caught above and parsed again
 * with the guard on.
 */
function relaxTopLevelGuard(p: object): void {
  const q = p as { bigReductionCount?: unknown };
  if (typeof q.bigReductionCount === 'number' && q.bigReductionCount > 200) q.bigReductionCount = 0;
}

function parseAndConvert(text: string, deadline: number, convertDeadline: number, now: () => number, relax: boolean): ParsedModule {
  const p = pythonParser().startParse(text);
  let tree: Tree | null = null;
  let truncatedAt: number | null = null;
  // advance() is one parser step: look at the clock every few hundred of them.
  for (let steps = 1; !(tree = p.advance()); steps++) {
    if (relax) relaxTopLevelGuard(p);
    if ((steps & 511) === 0 && p.stoppedAt === null && now() > deadline) {
      truncatedAt = lineStartBefore(text, p.parsedPos);
      p.stopAt(truncatedAt);
    }
  }
  const c = new Converter(text, convertDeadline, now);
  const body = c.block(tree.topNode);
  if (c.stoppedAt !== null) truncatedAt = Math.min(truncatedAt ?? Infinity, c.stoppedAt);
  // The converter skips some subtrees wholesale; one pass over the whole tree finds every error node.
  if (hasErrorNode(tree)) {
    const cur = tree.cursor();
    do {
      if (cur.type.isError && (truncatedAt === null || cur.from < truncatedAt)) c.reportError(cur.node);
    } while (cur.next());
  }
  c.errors.sort((a, b) => a.from - b.from);
  // Past the point where reading stopped, the text was not parsed: what looks broken there is not.
  const errors = truncatedAt === null ? c.errors : c.errors.filter((e) => e.from < truncatedAt!);
  return { body, errors, text, truncatedAt };
}

/** Whether any node is an error node: a scan of the raw node buffers, much cheaper than walking the tree. */
function hasErrorNode(tree: Tree): boolean {
  if (tree.type.isError) return true;
  for (const ch of tree.children) {
    if (ch instanceof TreeBuffer) {
      const buf = ch.buffer;
      const types = ch.set.types;
      for (let i = 0; i < buf.length; i += 4) if (types[buf[i]!]!.isError) return true;
    } else if (hasErrorNode(ch)) return true;
  }
  return false;
}

function lineStartBefore(text: string, pos: number): number {
  return text.lastIndexOf('\n', Math.max(0, pos - 1)) + 1;
}

/** Children of a lezer node, without comments. */
function kids(n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let ch = n.firstChild; ch; ch = ch.nextSibling) if (ch.name !== 'Comment') out.push(ch);
  return out;
}

const span = (n: SyntaxNode): Span => ({ from: n.from, to: n.to });

const STATEMENTS = new Set([
  'AssignStatement', 'UpdateStatement', 'ExpressionStatement', 'DeleteStatement', 'PassStatement', 'BreakStatement',
  'ContinueStatement', 'ReturnStatement', 'YieldStatement', 'PrintStatement', 'RaiseStatement', 'ImportStatement',
  'ScopeStatement', 'AssertStatement', 'TypeDefinition', 'StatementGroup', 'IfStatement', 'WhileStatement',
  'ForStatement', 'TryStatement', 'WithStatement', 'FunctionDefinition', 'ClassDefinition', 'DecoratedStatement',
  'MatchStatement',
]);

const PATTERN_NAMES: Record<string, string> = {
  ClassPattern: 'class pattern',
  SequencePattern: 'sequence pattern',
  MappingPattern: 'mapping pattern',
  StarPattern: 'star pattern',
};

class Converter {
  readonly errors: SyntaxProblem[] = [];
  /** Offset of the first top-level statement not converted because the deadline passed. */
  stoppedAt: number | null = null;
  private depth = 0;
  private count = 0;
  private readonly errorLines = new Set<number>();

  constructor(
    private readonly text: string,
    private readonly deadline = Infinity,
    private readonly now: () => number = () => performance.now(),
  ) {}

  private src(n: SyntaxNode | Span): string {
    return this.text.slice(n.from, n.to);
  }

  reportError(n: SyntaxNode): void {
    this.error(n);
  }

  private error(n: SyntaxNode): void {
    // One problem per line is enough: lezer often marks several tokens of one broken line.
    const lineStart = this.text.lastIndexOf('\n', n.from - 1) + 1;
    if (this.errorLines.has(lineStart)) return;
    this.errorLines.add(lineStart);
    let end = n.to;
    let what: string;
    if (n.to > n.from) {
      what = `unexpected '${this.src(n).slice(0, 40)}'`;
    } else {
      const rest = this.text.slice(n.from, Math.min(this.text.length, n.from + 40));
      const nl = rest.indexOf('\n');
      const token = (nl >= 0 ? rest.slice(0, nl) : rest).trim().split(/\s+/)[0] ?? '';
      what = token ? `unexpected '${token}'` : 'unexpected end of line';
      end = n.from + Math.max(1, token.length);
    }
    this.errors.push({ from: n.from, to: Math.min(end, this.text.length), message: `syntax error: ${what}` });
  }

  /** Reports every error node below `n` (used where a construct is skipped wholesale). */
  private scanErrors(n: SyntaxNode): void {
    const cur = n.cursor();
    do {
      if (cur.type.isError) this.error(cur.node);
    } while (cur.next() && cur.from < n.to);
  }

  /** The statements of a Script or Body node. */
  block(n: SyntaxNode): Stmt[] {
    const out: Stmt[] = [];
    for (const ch of kids(n)) {
      if (this.stoppedAt !== null) break;
      if ((++this.count & 127) === 0 && this.now() > this.deadline) {
        this.stoppedAt = lineStartBefore(this.text, ch.from + 1);
        break;
      }
      if (ch.type.isError) {
        this.error(ch);
        if (ch.firstChild) this.scanErrors(ch);
        continue;
      }
      if (STATEMENTS.has(ch.name)) {
        if (ch.name === 'StatementGroup') {
          for (const s of kids(ch)) if (STATEMENTS.has(s.name)) out.push(this.stmt(s));
            else if (s.type.isError) this.error(s);
        } else out.push(this.stmt(ch));
      }
    }
    return out;
  }

  private bodyOf(n: SyntaxNode | undefined): Stmt[] {
    return n && n.name === 'Body' ? this.block(n) : [];
  }

  private stmt(n: SyntaxNode): Stmt {
    this.depth++;
    try {
      if (this.depth > MAX_DEPTH) {
        this.scanErrors(n);
        return { k: 'bad', what: 'statement nested too deeply', ...span(n) };
      }
      return this.stmtInner(n);
    } finally {
      this.depth--;
    }
  }

  private stmtInner(n: SyntaxNode): Stmt {
    const ch = kids(n);
    const s = span(n);
    switch (n.name) {
      case 'ExpressionStatement':
        return { k: 'expr', e: this.exprList(ch, 0, ch.length), ...s };
      case 'AssignStatement': {
        const groups: SyntaxNode[][] = [[]];
        let annotated = false;
        for (const c of ch) {
          if (c.name === 'AssignOp') groups.push([]);
          else if (c.name === 'TypeDef') {
            annotated = true;
            this.checkErrors(c);
          } else groups[groups.length - 1]!.push(c);
        }
        if (groups.length === 1) return { k: 'annotate', target: this.exprList(groups[0]!, 0, groups[0]!.length), ...s };
        const exprs = groups.map((g) => this.exprList(g, 0, g.length));
        return { k: 'assign', targets: exprs.slice(0, -1), value: exprs[exprs.length - 1]!, annotated, ...s };
      }
      case 'UpdateStatement': {
        const i = ch.findIndex((c) => c.name === 'UpdateOp');
        if (i < 0) return this.badStmt(n, 'augmented assignment');
        const op = this.src(ch[i]!).slice(0, -1);
        return { k: 'aug', target: this.exprList(ch, 0, i), op, value: this.exprList(ch, i + 1, ch.length), ...s };
      }
      case 'PassStatement':
        return { k: 'pass', ...s };
      case 'BreakStatement':
        return { k: 'break', ...s };
      case 'ContinueStatement':
        return { k: 'continue', ...s };
      case 'ReturnStatement':
        return { k: 'return', value: ch.length > 1 ? this.exprList(ch, 1, ch.length) : null, ...s };
      case 'RaiseStatement': {
        const fromAt = ch.findIndex((c) => c.name === 'from');
        const end = fromAt >= 0 ? fromAt : ch.length;
        return { k: 'raise', exc: end > 1 ? this.exprList(ch, 1, end) : null, ...s };
      }
      case 'AssertStatement': {
        const parts = splitCommas(ch.slice(1));
        return { k: 'assert', test: this.seqItem(parts[0] ?? [], n), msg: parts[1] ? this.seqItem(parts[1], n) : null, ...s };
      }
      case 'DeleteStatement':
        return { k: 'del', targets: splitCommas(ch.slice(1)).map((p) => this.seqItem(p, n)), ...s };
      case 'ScopeStatement':
        return { k: ch[0]?.name === 'nonlocal' ? 'nonlocal' : 'global', names: ch.filter((c) => c.name === 'VariableName').map((c) => this.src(c)), ...s };
      case 'ImportStatement':
        return this.importStmt(n, ch);
      case 'IfStatement':
        return this.ifStmt(n, ch);
      case 'WhileStatement': {
        const bodies = ch.filter((c) => c.name === 'Body');
        const test = ch[1] && ch[1].name !== 'Body' ? this.expr(ch[1]) : this.bad(n, 'while condition');
        return { k: 'while', test, body: this.bodyOf(bodies[0]), orelse: bodies[1] ? this.bodyOf(bodies[1]) : null, ...s };
      }
      case 'ForStatement': {
        const forAt = ch.findIndex((c) => c.name === 'for');
        const inAt = ch.findIndex((c) => c.name === 'in');
        const bodies = ch.filter((c) => c.name === 'Body');
        const firstBody = ch.findIndex((c) => c.name === 'Body');
        if (forAt < 0 || inAt < 0 || firstBody < 0) return this.badStmt(n, 'for loop');
        return {
          k: 'for',
          target: this.exprList(ch, forAt + 1, inAt),
          iter: this.exprList(ch, inAt + 1, firstBody),
          body: this.bodyOf(bodies[0]),
          orelse: bodies[1] ? this.bodyOf(bodies[1]) : null,
          ...s,
        };
      }
      case 'TryStatement':
        return this.tryStmt(ch, s);
      case 'WithStatement': {
        const bodyAt = ch.findIndex((c) => c.name === 'Body');
        const items: { e: Expr; name: Expr | null }[] = [];
        const start = ch.findIndex((c) => c.name === 'with') + 1;
        let itemNodes = ch.slice(start, bodyAt < 0 ? ch.length : bodyAt);
        // Parenthesized items (PEP 617) arrive as bare brackets around the list.
        if (itemNodes[0]?.name === '(') itemNodes = itemNodes.slice(1, itemNodes[itemNodes.length - 1]?.name === ')' ? -1 : undefined);
        for (const part of splitCommas(itemNodes)) {
          const asAt = part.findIndex((c) => c.name === 'as');
          if (asAt < 0) items.push({ e: this.seqItem(part, n), name: null });
          else items.push({ e: this.seqItem(part.slice(0, asAt), n), name: part[asAt + 1] ? this.expr(part[asAt + 1]!) : null });
        }
        return { k: 'with', items, body: this.bodyOf(bodyAt >= 0 ? ch[bodyAt] : undefined), ...s };
      }
      case 'FunctionDefinition':
        return this.funcDef(n, ch, []);
      case 'ClassDefinition':
        return this.classDef(n, ch, []);
      case 'DecoratedStatement': {
        const decorators: Decorator[] = [];
        for (const c of ch) {
          if (c.name === 'Decorator') {
            const dk = kids(c).filter((d) => d.name !== 'At');
            decorators.push({ e: this.decoratorExpr(dk), ...span(c) });
          } else if (c.name === 'FunctionDefinition') return this.funcDef(c, kids(c), decorators, n);
          else if (c.name === 'ClassDefinition') return this.classDef(c, kids(c), decorators, n);
          else if (c.type.isError) this.error(c);
        }
        return this.badStmt(n, 'decorated statement');
      }
      case 'MatchStatement':
        return this.matchStmt(n, ch);
      case 'YieldStatement':
        return this.badStmt(n, 'yield (generators)');
      case 'PrintStatement':
        return this.badStmt(n, 'Python 2 print statement');
      case 'TypeDefinition':
        return { k: 'pass', ...s };
      default:
        return this.badStmt(n, n.name);
    }
  }

  private badStmt(n: SyntaxNode, what: string): Stmt {
    this.checkErrors(n);
    return { k: 'bad', what, ...span(n) };
  }

  private checkErrors(n: SyntaxNode): void {
    if (n.type.isError) this.error(n);
    else if (n.firstChild) this.scanErrors(n);
  }

  /** A dotted decorator name with optional call arguments, as an expression. */
  /** A decorator is any expression (PEP 614): `@register_model()`, `@handle_legacy_interface(...)`, `@a.b[c]`. */
  private decoratorExpr(dk: SyntaxNode[]): Expr {
    let e: Expr | null = null;
    for (const d of dk) {
      if (d.type.isError) this.error(d);
      else e ??= this.expr(d);
    }
    return e ?? { k: 'bad', what: 'decorator', from: dk[0]?.from ?? 0, to: dk[0]?.to ?? 0 };
  }

  private importStmt(n: SyntaxNode, ch: SyntaxNode[]): Stmt {
    const s = span(n);
    this.checkErrors(n);
    const readNames = (list: SyntaxNode[]): ImportName[] => {
      const names: ImportName[] = [];
      for (const part of splitCommas(list.filter((c) => c.name !== '(' && c.name !== ')'))) {
        const asAt = part.findIndex((c) => c.name === 'as');
        const dotted = (asAt >= 0 ? part.slice(0, asAt) : part).filter((c) => c.name === 'VariableName').map((c) => this.src(c));
        const alias = asAt >= 0 && part[asAt + 1] ? this.src(part[asAt + 1]!) : null;
        if (dotted.length) names.push({ path: dotted, alias });
      }
      return names;
    };
    if (ch[0]?.name === 'import') return { k: 'import', names: readNames(ch.slice(1)), ...s };
    const importAt = ch.findIndex((c) => c.name === 'import');
    if (importAt < 0) return { k: 'bad', what: 'import', ...s };
    let level = 0;
    const module: string[] = [];
    for (const c of ch.slice(1, importAt)) {
      // Only dots before the module name make the import relative; those inside it separate its parts.
      if (c.name === '.' && module.length === 0) level += 1;
      else if (c.name === 'Ellipsis' && module.length === 0) level += 3;
      else if (c.name === 'VariableName') module.push(this.src(c));
    }
    const rest = ch.slice(importAt + 1);
    const star = rest.some((c) => c.name === '*');
    const list = rest.length === 1 && rest[0]!.name === 'importList' ? kids(rest[0]!) : rest;
    return { k: 'from', module, level, names: star ? [] : readNames(list), star, ...s };
  }

  private ifStmt(n: SyntaxNode, ch: SyntaxNode[]): Stmt {
    const branches: IfBranch[] = [];
    let orelse: Stmt[] | null = null;
    for (let i = 0; i < ch.length; i++) {
      const c = ch[i]!;
      if (c.name === 'if' || c.name === 'elif') {
        const t = ch[i + 1];
        const hasTest = t && t.name !== 'Body';
        const body = hasTest ? ch[i + 2] : t;
        branches.push({ test: hasTest ? this.expr(t) : this.bad(c, 'condition'), body: this.bodyOf(body) });
        i += hasTest ? 2 : 1;
      } else if (c.name === 'else') {
        orelse = this.bodyOf(ch[i + 1]);
        i += 1;
      } else if (c.type.isError) this.error(c);
    }
    return { k: 'if', branches, orelse, ...span(n) };
  }

  private tryStmt(ch: SyntaxNode[], s: Span): Stmt {
    let body: Stmt[] = [];
    const handlers: Handler[] = [];
    let orelse: Stmt[] | null = null;
    let final: Stmt[] | null = null;
    for (let i = 0; i < ch.length; i++) {
      const c = ch[i]!;
      if (c.name === 'try') {
        body = this.bodyOf(ch[i + 1]);
        i++;
      } else if (c.name === 'except') {
        let j = i + 1;
        let type: Expr | null = null;
        let name: string | null = null;
        if (ch[j]?.name === '*') j++;
        if (ch[j] && ch[j]!.name !== 'Body') type = this.expr(ch[j++]!);
        if (ch[j] && (ch[j]!.name === 'as' || ch[j]!.name === ',')) {
          name = ch[j + 1] ? this.src(ch[j + 1]!) : null;
          j += 2;
        }
        handlers.push({ type, name, body: this.bodyOf(ch[j]), from: c.from, to: ch[j]?.to ?? c.to });
        i = j;
      } else if (c.name === 'else') {
        orelse = this.bodyOf(ch[i + 1]);
        i++;
      } else if (c.name === 'finally') {
        final = this.bodyOf(ch[i + 1]);
        i++;
      } else if (c.type.isError) this.error(c);
    }
    return { k: 'try', body, handlers, orelse, final, ...s };
  }

  private matchStmt(n: SyntaxNode, ch: SyntaxNode[]): Stmt {
    const bodyNode = ch.find((c) => c.name === 'MatchBody');
    const subjectNode = ch.find((c, i) => i > 0 && c.name !== 'MatchBody' && c.name !== '*');
    const cases: MatchCase[] = [];
    for (const clause of bodyNode ? kids(bodyNode) : []) {
      if (clause.name !== 'MatchClause') {
        if (clause.type.isError) this.error(clause);
        continue;
      }
      const cc = kids(clause);
      const patterns: Pattern[] = [];
      let guard: Expr | null = null;
      let body: Stmt[] = [];
      for (const c of cc.slice(1)) {
        if (c.name === 'Guard') {
          const g = kids(c);
          guard = g[1] ? this.expr(g[1]) : null;
        } else if (c.name === 'Body') body = this.block(c);
        else if (c.name !== ',') patterns.push(this.pattern(c));
      }
      cases.push({ patterns, guard, body });
    }
    return { k: 'match', subject: subjectNode ? this.expr(subjectNode) : this.bad(n, 'match subject'), cases, ...span(n) };
  }

  private pattern(n: SyntaxNode): Pattern {
    const ch = kids(n);
    switch (n.name) {
      case 'CapturePattern': {
        const name = this.src(n);
        return name === '_' ? { k: 'wild' } : { k: 'capture', name };
      }
      case 'LiteralPattern': {
        if (ch.length === 1) return { k: 'value', e: this.expr(ch[0]!) };
        return { k: 'value', e: this.exprList(ch, 0, ch.length) };
      }
      case 'AttributePattern': {
        let e: Expr | null = null;
        for (const c of ch) {
          if (c.name === 'VariableName') e = { k: 'name', id: this.src(c), ...span(c) };
          else if (c.name === 'PropertyName' && e) e = { k: 'attr', obj: e, name: this.src(c), nameSpan: span(c), from: e.from, to: c.to };
        }
        return e ? { k: 'value', e } : { k: 'other', what: 'attribute pattern', ...span(n) };
      }
      case 'OrPattern':
        return { k: 'or', alts: ch.filter((c) => c.name !== 'LogicOp').map((c) => this.pattern(c)) };
      case 'AsPattern': {
        const name = ch[ch.length - 1];
        return { k: 'as', p: ch[0] ? this.pattern(ch[0]) : { k: 'other', what: 'as pattern', ...span(n) }, name: name ? this.src(name) : '_' };
      }
      default:
        this.checkErrors(n);
        return { k: 'other', what: PATTERN_NAMES[n.name] ?? 'pattern', ...span(n) };
    }
  }

  private params(n: SyntaxNode | undefined): Param[] {
    if (!n) return [];
    const out: Param[] = [];
    for (const part of splitCommas(kids(n).filter((c) => c.name !== '(' && c.name !== ')'))) {
      let star: 0 | 1 | 2 = 0;
      let name = '';
      let def: Expr | null = null;
      let annotation: string | undefined;
      let from = part[0]?.from ?? n.from;
      for (let i = 0; i < part.length; i++) {
        const c = part[i]!;
        if (c.name === 'TypeDef') annotation = this.src(c).replace(/^:\s*/, '');
        else if (c.name === '*') star = 1;
        else if (c.name === '**') star = 2;
        else if (c.name === 'VariableName' && !name) {
          name = this.src(c);
          from = c.from;
        } else if (c.name === 'AssignOp') {
          def = part[i + 1] ? this.expr(part[i + 1]!) : this.bad(c, 'default');
          i++;
        } else if (c.type.isError) this.error(c);
      }
      if (name || star) out.push({ name, star, default: def, from, to: part[part.length - 1]?.to ?? from, ...(annotation ? { annotation } : {}) });
    }
    return out;
  }

  private funcDef(n: SyntaxNode, ch: SyntaxNode[], decorators: Decorator[], outer?: SyntaxNode): FunctionDef {
    const nameNode = ch.find((c) => c.name === 'VariableName');
    const paramNode = ch.find((c) => c.name === 'ParamList');
    const bodyNode = ch.find((c) => c.name === 'Body');
    for (const c of ch) if (c.type.isError) this.error(c);
    const name = nameNode ? this.src(nameNode) : '<function>';
    return {
      k: 'def',
      name,
      nameSpan: nameNode ? span(nameNode) : span(n),
      params: this.params(paramNode),
      paramsSpan: paramNode ? span(paramNode) : span(n),
      body: this.bodyOf(bodyNode),
      decorators,
      head: { from: n.from, to: nameNode?.to ?? n.to },
      from: (outer ?? n).from,
      to: n.to,
    };
  }

  private classDef(n: SyntaxNode, ch: SyntaxNode[], decorators: Decorator[], outer?: SyntaxNode): ClassDef {
    const nameNode = ch.find((c) => c.name === 'VariableName');
    const argNode = ch.find((c) => c.name === 'ArgList');
    const bodyNode = ch.find((c) => c.name === 'Body');
    for (const c of ch) if (c.type.isError) this.error(c);
    const args = argNode ? this.args(argNode) : [];
    return {
      k: 'class',
      name: nameNode ? this.src(nameNode) : '<class>',
      nameSpan: nameNode ? span(nameNode) : span(n),
      bases: args.filter((a) => a.name === null && a.star === 0).map((a) => a.e),
      keywords: args.filter((a) => a.name !== null),
      body: this.bodyOf(bodyNode),
      decorators,
      head: { from: n.from, to: nameNode?.to ?? n.to },
      from: (outer ?? n).from,
      to: n.to,
    };
  }

  private bad(n: Span, what: string): BadExpr {
    return { k: 'bad', what, from: n.from, to: n.to };
  }

  /** Comma-separated expressions in `ch[from..to)`: one expression, or a tuple when there is a comma. */
  private exprList(ch: SyntaxNode[], from: number, to: number): Expr {
    const items = ch.slice(from, to);
    if (items.length === 0) return { k: 'bad', what: 'missing expression', from: ch[from - 1]?.to ?? 0, to: ch[from - 1]?.to ?? 0 };
    const parts = splitCommas(items);
    const hasComma = items.some((c) => c.name === ',');
    if (!hasComma && parts.length === 1) return this.seqItem(parts[0]!, items[0]!);
    return { k: 'tuple', elts: parts.filter((p) => p.length).map((p) => this.seqItem(p, items[0]!)), from: items[0]!.from, to: items[items.length - 1]!.to };
  }

  /** One element of a sequence: an expression, possibly starred. */
  private seqItem(part: SyntaxNode[], near: Span): Expr {
    if (part.length === 0) return this.bad(near, 'missing expression');
    const first = part[0]!;
    if ((first.name === '*' || first.name === '**') && part[1]) {
      const e = this.expr(part[1]);
      return { k: 'star', e, double: first.name === '**', from: first.from, to: part[1].to };
    }
    if (part.length > 1) for (const extra of part.slice(1)) this.checkErrors(extra);
    if (first.type.isError) {
      this.error(first);
      return this.bad(first, 'syntax error');
    }
    return this.expr(first);
  }

  expr(n: SyntaxNode): Expr {
    this.depth++;
    try {
      if (this.depth > MAX_DEPTH) {
        this.scanErrors(n);
        return this.bad(n, 'expression nested too deeply');
      }
      return this.exprInner(n);
    } finally {
      this.depth--;
    }
  }

  private exprInner(n: SyntaxNode): Expr {
    const s = span(n);
    switch (n.name) {
      case 'VariableName':
        return { k: 'name', id: this.src(n), ...s };
      case 'Number':
        return this.number(n);
      case 'String':
        return { k: 'str', v: unquote(this.src(n)), fstring: false, ...s };
      case 'FormatString':
        this.checkErrors(n);
        return { k: 'str', v: unquote(this.src(n)), fstring: true, parts: this.fparts(n), ...s };
      case 'ContinuedString': {
        const pieces = kids(n);
        const parts: (string | FPart)[] = [];
        for (const p of pieces) {
          if (p.name === 'FormatString') parts.push(...this.fparts(p));
          else parts.push(unquote(this.src(p)));
        }
        return { k: 'str', v: pieces.map((p) => unquote(this.src(p))).join(''), fstring: pieces.some((p) => p.name === 'FormatString'), parts, ...s };
      }
      case 'Boolean':
        return { k: 'const', v: this.src(n) === 'True', ...s };
      case 'None':
        return { k: 'const', v: null, ...s };
      case 'Ellipsis':
        return { k: 'const', v: 'ellipsis', ...s };
      case 'ParenthesizedExpression': {
        const inner = kids(n).filter((c) => c.name !== '(' && c.name !== ')');
        if (inner.length === 1) return this.expr(inner[0]!);
        if (inner.length === 2 && inner[0]!.name === '*') return this.seqItem(inner, n);
        this.checkErrors(n);
        return this.bad(n, 'parenthesized expression');
      }
      case 'TupleExpression':
      case 'ArrayExpression':
      case 'SetExpression': {
        const inner = kids(n).slice(1, -1);
        const kind = n.name === 'TupleExpression' ? 'tuple' : n.name === 'ArrayExpression' ? 'list' : 'set';
        this.closeCheck(n);
        return { k: kind, elts: splitCommas(inner).filter((p) => p.length).map((p) => this.seqItem(p, n)), ...s };
      }
      case 'DictionaryExpression': {
        const entries: DictEntry[] = [];
        this.closeCheck(n);
        for (const part of splitCommas(kids(n).slice(1, -1))) {
          if (part.length === 0) continue;
          if (part[0]!.name === '**') {
            entries.push({ key: null, value: part[1] ? this.expr(part[1]) : this.bad(part[0]!, 'dict unpacking') });
            continue;
          }
          const colon = part.findIndex((c) => c.name === ':');
          if (colon < 0) {
            entries.push({ key: this.seqItem(part, n), value: this.bad(part[0]!, 'dict value') });
            continue;
          }
          entries.push({ key: this.seqItem(part.slice(0, colon), n), value: this.seqItem(part.slice(colon + 1), n) });
        }
        return { k: 'dict', entries, ...s };
      }
      case 'ComprehensionExpression':
      case 'ArrayComprehensionExpression':
      case 'SetComprehensionExpression':
      case 'DictionaryComprehensionExpression':
        return this.comprehension(n);
      case 'CallExpression': {
        const ch = kids(n);
        const argList = ch[ch.length - 1];
        if (!ch[0] || !argList || argList.name !== 'ArgList') {
          this.checkErrors(n);
          return this.bad(n, 'call');
        }
        return this.call(this.expr(ch[0]), argList, n);
      }
      case 'MemberExpression':
        return this.member(n);
      case 'BinaryExpression':
        return this.binary(n);
      case 'UnaryExpression': {
        const ch = kids(n);
        const op = ch[0]!;
        const e = ch[1] ? this.expr(ch[1]) : this.bad(n, 'operand');
        if (op.name === 'not') return { k: 'not', e, ...s };
        return { k: 'unary', op: this.src(op), e, ...s };
      }
      case 'ConditionalExpression': {
        const ch = kids(n);
        const ifAt = ch.findIndex((c) => c.name === 'if');
        const elseAt = ch.findIndex((c) => c.name === 'else');
        if (ifAt !== 1 || elseAt < 0 || !ch[elseAt + 1]) {
          this.checkErrors(n);
          return this.bad(n, 'conditional expression');
        }
        return { k: 'ifexp', body: this.expr(ch[0]!), test: this.exprList(ch, ifAt + 1, elseAt), orelse: this.expr(ch[elseAt + 1]!), ...s };
      }
      case 'LambdaExpression': {
        const ch = kids(n);
        const colon = ch.findIndex((c) => c.name === ':');
        const paramNode = ch.find((c) => c.name === 'ParamList');
        const body = colon >= 0 && ch[colon + 1] ? this.expr(ch[colon + 1]!) : this.bad(n, 'lambda body');
        return { k: 'lambda', params: this.params(paramNode), body, ...s };
      }
      case 'NamedExpression': {
        const ch = kids(n);
        if (ch[0]?.name !== 'VariableName' || !ch[2]) return this.bad(n, 'assignment expression');
        return { k: 'walrus', name: this.src(ch[0]), e: this.expr(ch[2]), ...s };
      }
      case 'AwaitExpression':
        return this.bad(n, 'await');
      case 'YieldExpression':
        return this.bad(n, 'yield');
      default:
        if (n.type.isError) {
          this.error(n);
          if (n.firstChild) this.scanErrors(n);
          return this.bad(n, 'syntax error');
        }
        this.checkErrors(n);
        return this.bad(n, n.name);
    }
  }

  /** Literal text and replacement fields of an f-string. */
  private fparts(n: SyntaxNode): (string | FPart)[] {
    const raw = this.src(n);
    let i = 0;
    while (i < raw.length && 'rRbBuUfF'.includes(raw[i]!)) i++;
    const q = raw.startsWith('"""', i) || raw.startsWith("'''", i) ? 3 : 1;
    const contentFrom = n.from + i + q;
    const contentTo = Math.max(contentFrom, n.to - q);
    const parts: (string | FPart)[] = [];
    let at = contentFrom;
    const literal = (to: number): void => {
      if (to > at) parts.push(this.text.slice(at, to).split('{{').join('{').split('}}').join('}'));
    };
    for (const r of kids(n)) {
      if (r.name !== 'FormatReplacement') continue;
      literal(r.from);
      const inner = kids(r).filter((c) => c.name !== '{' && c.name !== '}');
      const conv = inner.find((c) => c.name === 'FormatConversion');
      const selfDoc = inner.find((c) => c.name === 'FormatSelfDoc');
      const exprs = inner.filter((c) => c.name !== 'FormatConversion' && c.name !== 'FormatSpec' && c.name !== 'FormatSelfDoc');
      const e = exprs.length === 1 ? this.expr(exprs[0]!) : this.bad(r, 'f-string field');
      const specNode = inner.find((c) => c.name === 'FormatSpec');
      // A spec with a nested field (`{x:{width}}`) is not read: the value prints plainly.
      const specText = specNode ? this.src(specNode).replace(/^:/, '') : null;
      const spec = specText !== null && !specText.includes('{') ? specText : null;
      parts.push({ e, conv: conv ? this.src(conv).slice(1) : null, selfDoc: selfDoc && exprs[0] ? `${this.src(exprs[0])}=` : null, spec });
      at = r.to;
    }
    literal(contentTo);
    return parts;
  }

  /** Brackets that lezer had to insert are error nodes; report them. */
  private closeCheck(n: SyntaxNode): void {
    for (const c of kids(n)) if (c.type.isError) this.error(c);
  }

  private number(n: SyntaxNode): NumExpr {
    let raw = this.src(n);
    const s = span(n);
    if (raw.includes('_')) raw = raw.split('_').join('');
    const radix = raw.length > 2 && raw[0] === '0' ? ({ x: 16, X: 16, o: 8, O: 8, b: 2, B: 2 } as Record<string, number>)[raw[1]!] : undefined;
    if (radix) return { k: 'num', v: parseInt(raw.slice(2), radix), float: false, ...s };
    let isFloat = false;
    for (let i = 0; i < raw.length; i++) {
      const ch = raw.charCodeAt(i);
      if (ch === 46 || ch === 101 || ch === 69 || ch === 106 || ch === 74) isFloat = true;
    }
    const last = raw[raw.length - 1];
    const v = Number(last === 'j' || last === 'J' ? raw.slice(0, -1) : raw);
    return { k: 'num', v, float: isFloat, ...s };
  }

  private call(fn: Expr, argList: SyntaxNode, whole?: SyntaxNode): CallExpr {
    return { k: 'call', fn, args: this.args(argList), argsSpan: span(argList), from: whole?.from ?? fn.from, to: whole?.to ?? argList.to };
  }

  private args(argList: SyntaxNode): Arg[] {
    const out: Arg[] = [];
    const inner = kids(argList).filter((c, i, all) => !((i === 0 && c.name === '(') || (i === all.length - 1 && c.name === ')')));
    for (const c of kids(argList)) if (c.type.isError) this.error(c);
    // A bare generator is the call's only argument; its target may hold commas (`for i, p in ...`), which
    // splitting at commas first cut into pieces.
    if (inner.length && inner[0]!.name !== '*' && inner[0]!.name !== '**' && inner.some((c) => c.name === 'for')) {
      const parts = splitCommas(inner);
      if (parts.length > 1 && !parts[0]!.some((c) => c.name === 'for')) {
        // `f(a, x for x in y)` is a syntax error in Python; read the pieces as before.
      } else {
        const sp = { from: inner[0]!.from, to: inner[inner.length - 1]!.to };
        const comp = inner[inner.length - 1]!.name === ',' ? inner.slice(0, -1) : inner;
        return [{ name: null, star: 0, e: this.compFrom(comp, 'gen', sp), ...sp }];
      }
    }
    for (const part of splitCommas(inner)) {
      if (part.length === 0) continue;
      const first = part[0]!;
      const last = part[part.length - 1]!;
      const sp = { from: first.from, to: last.to };
      if (first.name === '*' || first.name === '**') {
        out.push({ name: null, star: first.name === '*' ? 1 : 2, e: part[1] ? this.expr(part[1]) : this.bad(first, 'argument'), ...sp });
      } else if (first.name === 'VariableName' && part[1]?.name === 'AssignOp' && this.src(part[1]) === '=') {
        out.push({ name: this.src(first), star: 0, e: part[2] ? this.expr(part[2]) : this.bad(part[1], 'argument value'), ...sp });
      } else if (part.some((c) => c.name === 'for')) {
        out.push({ name: null, star: 0, e: this.compFrom(part, 'gen', sp), ...sp });
      } else if (first.type.isError) {
        this.error(first);
      } else {
        out.push({ name: null, star: 0, e: this.seqItem(part, first), ...sp });
      }
    }
    return out;
  }

  private member(n: SyntaxNode): Expr {
    const ch = kids(n);
    const obj = ch[0] ? this.expr(ch[0]) : this.bad(n, 'object');
    const s = span(n);
    if (ch[1]?.name === '.') {
      const prop = ch[2];
      if (!prop || prop.name !== 'PropertyName') {
        this.checkErrors(n);
        return this.bad(n, 'attribute');
      }
      return { k: 'attr', obj, name: this.src(prop), nameSpan: span(prop), ...s };
    }
    if (ch[1]?.name === '[') {
      const inner = ch.slice(2, ch[ch.length - 1]?.name === ']' ? -1 : undefined);
      for (const c of inner) if (c.type.isError) this.error(c);
      const parts = splitCommas(inner);
      const items = parts.filter((p) => p.length).map((p) => this.subscriptItem(p, n));
      return { k: 'sub', obj, items, tuple: inner.some((c) => c.name === ','), ...s };
    }
    this.checkErrors(n);
    return this.bad(n, 'member access');
  }

  /** `a`, `a:b`, `::2`: lezer gives the tokens flat, so the colons split the slice here. */
  private subscriptItem(part: SyntaxNode[], near: SyntaxNode): Expr {
    if (!part.some((c) => c.name === ':')) return this.seqItem(part, near);
    const slots: (Expr | null)[] = [null, null, null];
    let slot = 0;
    for (const c of part) {
      if (c.name === ':') slot++;
      else if (slot < 3 && !c.type.isError) slots[slot] = this.expr(c);
    }
    return { k: 'slice', lo: slots[0]!, hi: slots[1]!, step: slots[2]!, from: part[0]!.from, to: part[part.length - 1]!.to };
  }

  private binary(n: SyntaxNode): Expr {
    const ch = kids(n);
    const s = span(n);
    if (ch.length < 3) {
      this.checkErrors(n);
      return ch[0] ? this.expr(ch[0]) : this.bad(n, 'operator');
    }
    const l = ch[0]!;
    const r = ch[ch.length - 1]!;
    const ops = ch.slice(1, -1);
    const opText = ops.map((o) => this.src(o)).join(' ');
    const rhs = (): Expr => (r.type.isError ? (this.error(r), this.bad(r, 'operand')) : this.expr(r));
    if (opText === 'and' || opText === 'or') return { k: opText, l: this.expr(l), r: rhs(), ...s };
    const cmp = ops[0]!.name === 'CompareOp' || opText === 'in' || opText === 'not in' || opText === 'is' || opText === 'is not';
    if (cmp) {
      // `a < b < c` arrives as ((a < b) < c); an unparenthesised comparison on the left is a chain.
      const left = this.expr(l);
      if (left.k === 'cmp' && l.name === 'BinaryExpression') {
        return { k: 'cmp', ops: [...left.ops, opText], items: [...left.items, rhs()], ...s };
      }
      return { k: 'cmp', ops: [opText], items: [left, rhs()], ...s };
    }
    return { k: 'bin', op: opText, l: this.expr(l), r: rhs(), ...s };
  }

  private comprehension(n: SyntaxNode): Expr {
    const ch = kids(n).slice(1, -1);
    const kind = n.name === 'ComprehensionExpression' ? 'gen' : n.name === 'ArrayComprehensionExpression' ? 'list' : n.name === 'SetComprehensionExpression' ? 'set' : 'dict';
    this.closeCheck(n);
    return this.compFrom(ch, kind, span(n));
  }

  /** `elt for t in it if c for ...`, flat as lezer gives it. */
  private compFrom(ch: SyntaxNode[], kind: CompExpr['kind'], s: Span): Expr {
    const forAt = ch.findIndex((c) => c.name === 'for');
    if (forAt <= 0) return this.bad(s, 'comprehension');
    let elt: Expr;
    let value: Expr | null = null;
    const head = ch.slice(0, forAt).filter((c) => c.name !== 'async');
    const colon = head.findIndex((c) => c.name === ':');
    if (kind === 'dict' && colon >= 0) {
      elt = this.seqItem(head.slice(0, colon), s);
      value = this.seqItem(head.slice(colon + 1), s);
    } else elt = this.seqItem(head, s);
    const gens: CompFor[] = [];
    let i = forAt;
    while (i < ch.length) {
      const c = ch[i]!;
      if (c.name === 'for') {
        const inAt = ch.findIndex((x, j) => j > i && x.name === 'in');
        if (inAt < 0) return this.bad(s, 'comprehension');
        let end = inAt + 1;
        while (end < ch.length && ch[end]!.name !== 'for' && ch[end]!.name !== 'if') end++;
        gens.push({ target: this.exprList(ch, i + 1, inAt), iter: this.exprList(ch, inAt + 1, end), ifs: [] });
        i = end;
      } else if (c.name === 'if') {
        let end = i + 1;
        while (end < ch.length && ch[end]!.name !== 'for' && ch[end]!.name !== 'if') end++;
        gens[gens.length - 1]?.ifs.push(this.exprList(ch, i + 1, end));
        i = end;
      } else {
        if (c.type.isError) this.error(c);
        i++;
      }
    }
    return { k: 'comp', kind, elt, value, gens, ...s };
  }
}

/** Splits nodes at top-level commas (nested commas live inside child nodes). */
function splitCommas(ch: SyntaxNode[]): SyntaxNode[][] {
  const parts: SyntaxNode[][] = [[]];
  for (const c of ch) {
    if (c.name === ',') parts.push([]);
    else parts[parts.length - 1]!.push(c);
  }
  if (parts.length > 1 && parts[parts.length - 1]!.length === 0) parts.pop();
  return parts;
}

/** The value of a string literal (prefixes, quotes and the common escapes). */
export function unquote(raw: string): string {
  let i = 0;
  while (i < raw.length && /[rRbBuUfF]/.test(raw[i]!)) i++;
  const prefix = raw.slice(0, i).toLowerCase();
  let body = raw.slice(i);
  const q3 = body.startsWith('"""') || body.startsWith("'''");
  const q = q3 ? 3 : 1;
  body = body.length >= 2 * q ? body.slice(q, body.length - q) : body.slice(q);
  if (prefix.includes('r')) return body;
  return body.replace(/\\(n|t|r|\\|'|"|\n)/g, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '\n': '' })[c] ?? c);
}
