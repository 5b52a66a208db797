/**
 * IR source ranges (1-based lines and columns, as compilers print them) against editor positions
 * (0-based, as VS Code counts), and which IR nodes sit at a cursor. Pure: no `vscode` import.
 */
import type { IrGraph, IrGroup, IrNode, SourceRange } from '../core/ir';

export interface Pos {
  line: number;
  character: number;
}

export interface ZeroRange {
  start: Pos;
  end: Pos;
}

/** Converts a 1-based IR range to a 0-based editor range; a range that ends before it starts becomes empty. */
export function toZeroBased(r: Pick<SourceRange, 'line' | 'column' | 'endLine' | 'endColumn'>): ZeroRange {
  const start = { line: Math.max(0, r.line - 1), character: Math.max(0, r.column - 1) };
  let end = { line: Math.max(0, r.endLine - 1), character: Math.max(0, r.endColumn - 1) };
  if (end.line < start.line || (end.line === start.line && end.character < start.character)) end = { ...start };
  return { start, end };
}

/** Whether an editor position lies in a range (end exclusive, but an empty range holds its own point). */
export function containsPos(r: ZeroRange, p: Pos): boolean {
  const afterStart = p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character);
  const beforeEnd = p.line < r.end.line || (p.line === r.end.line && p.character < r.end.character);
  const isPoint = r.start.line === r.end.line && r.start.character === r.end.character;
  return afterStart && (beforeEnd || (isPoint && p.line === r.start.line && p.character === r.start.character));
}

/**
 * Whether a range "covers" a cursor for hovers and highlights: the cursor is inside it, or on the line
 * where it starts. Forward lines are matched by line so a hover anywhere on `x = self.conv1(x)` works,
 * and a JSON layer object (whose range is its opening brace) is matched on its first line.
 */
export function covers(r: SourceRange | undefined, p: Pos, file?: string): boolean {
  if (!r) return false;
  if (file !== undefined && !sameFile(r.file, file)) return false;
  const z = toZeroBased(r);
  return z.start.line === p.line || containsPos(z, p);
}

/** IR file names are what the host passed in (the document's fsPath); compare them leniently across separators. */
export function sameFile(a: string, b: string): boolean {
  return a === b || a.replace(/\\/g, '/') === b.replace(/\\/g, '/');
}

export interface NodesAt {
  /** Nodes executed at the cursor (a `forward` line, a JSON layer). */
  executed: IrNode[];
  /** Nodes whose module is constructed at the cursor (`self.conv1 = nn.Conv2d(...)`). */
  defined: IrNode[];
}

/** The nodes whose execution site or definition site covers an editor position, in graph order. */
export function nodesAt(graph: IrGraph, p: Pos, file?: string): NodesAt {
  const executed: IrNode[] = [];
  const defined: IrNode[] = [];
  for (const n of graph.nodes) {
    if (n.op === 'input') continue;
    if (covers(n.source, p, file)) executed.push(n);
    else if (n.definedAt && covers(n.definedAt, p, file)) defined.push(n);
  }
  return { executed, defined };
}

/**
 * The nodes that give a line its result: those executed on the line whose output no other node of the same
 * line consumes. `x = self.relu(self.bn1(self.conv1(x)))` yields the ReLU, once per call of `forward`.
 */
export function lineResults(nodes: readonly IrNode[]): IrNode[] {
  const consumed = new Set<string>();
  for (const n of nodes) for (const i of n.inputs) consumed.add(i);
  return nodes.filter((n) => !consumed.has(n.id));
}

/** How many characters a range spans, lines weighing more than any column count, to find the tightest. */
function extent(r: SourceRange): number {
  return (r.endLine - r.line) * 1e6 + (r.endColumn - r.column);
}

/**
 * Of `items` whose range covers the cursor, those whose range holds it most tightly: on
 * `x = self.relu(self.bn1(self.conv1(x)))` a cursor on `self.conv1` means the conv, on `self.relu` the ReLU,
 * and one before the expression (or in the blank after it) the whole line. Every instance of the winning
 * site is kept: the call runs once per block, and the graph page picks the instance (see its `highlight`).
 */
function tightest<T>(items: readonly T[], range: (t: T) => SourceRange, p: Pos): T[] {
  const holding = items.filter((t) => containsPos(toZeroBased(range(t)), p));
  if (!holding.length) return [...items];
  const best = Math.min(...holding.map((t) => extent(range(t))));
  return holding.filter((t) => extent(range(t)) === best);
}

/**
 * What the graph highlights for an editor cursor: the IR nodes executed at it, else those constructed at it,
 * else the groups (blocks, stages) built at it, narrowed to the innermost source range that holds the cursor.
 */
export function highlightAt(graph: IrGraph, p: Pos, file?: string): string[] {
  const at = nodesAt(graph, p, file);
  if (at.executed.length) return tightest(at.executed, (n) => n.source!, p).map((n) => n.id);
  if (at.defined.length) return tightest(at.defined, (n) => n.definedAt!, p).map((n) => n.id);
  const groups = graph.groups.filter((g): g is IrGroup & { source: SourceRange } => covers(g.source, p, file));
  return tightest(groups, (g) => g.source, p).map((g) => g.id);
}
