/**
 * Edits to JSON text that keep its layout: each change is placed with jsonc-parser and written as the text
 * around it is written (one-line objects stay on one line, a list written one element to a line gets a new
 * line, a design written one layer to a line keeps its layer lists so), in the file's indentation and line
 * endings; removals and new keys touch only their own lines, and comments stay with their neighbours.
 * jsonc-parser's own formatter is used only where nothing nearby says otherwise, since it re-lays whole
 * neighbouring lines. Used by the design edits (designEdits.ts); pure.
 */
import {
  type FormattingOptions,
  type JSONPath,
  type ModificationOptions,
  type Node,
  type ParseError,
  applyEdits,
  findNodeAtLocation,
  getNodeValue,
  modify,
  parseTree,
  printParseErrorCode,
} from 'jsonc-parser';

/** One replacement in the text, as jsonc-parser and VS Code's `TextEdit` describe it. */
export interface TextEdit {
  offset: number;
  length: number;
  content: string;
}

/** The file's indentation and line ending, so inserted JSON looks like the rest of the file. */
export function detectFormatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  let spaces = 0;
  for (const line of text.split(/\r?\n/).slice(0, 200)) {
    const m = /^([ \t]+)\S/.exec(line);
    if (!m) continue;
    if (m[1]!.startsWith('\t')) return { insertSpaces: false, tabSize: 4, eol };
    const n = m[1]!.length;
    if (spaces === 0 || n < spaces) spaces = n;
  }
  return { insertSpaces: true, tabSize: spaces || 2, eol };
}

/** JSON on one line with a space after each `,` and `:`, as hand-written one-line objects are. */
function oneLine(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(oneLine).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    return entries.length ? `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${oneLine(x)}`).join(', ')} }` : '{}';
  }
  return JSON.stringify(v);
}

const isLayerList = (v: unknown): boolean => Array.isArray(v) && v.length > 0 && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x));

/** Whether a value holds a list of layers (a block, a shortcut's layers), laid out one layer to a line. */
function holdsLayerList(v: unknown): boolean {
  if (isLayerList(v)) return true;
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).some(holdsLayerList);
}

/** JSON whose layer lists have one layer to a line, and whose other values are on one line (`formatDesign`'s layout). */
function layered(v: unknown, indent: string, unit: string, eol: string): string {
  if (isLayerList(v)) return `[${eol}${(v as unknown[]).map((x) => indent + unit + oneLine(x)).join(`,${eol}`)}${eol}${indent}]`;
  if (!holdsLayerList(v)) return oneLine(v);
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  return `{${eol}${entries.map(([k, x]) => `${indent}${unit}${JSON.stringify(k)}: ${layered(x, indent + unit, unit, eol)}`).join(`,${eol}`)}${eol}${indent}}`;
}

/** An unformatted jsonc-parser edit's content with the value on one line and a space after separating commas. */
function inlineContent(content: string, value: unknown): string {
  let out = content.replace(JSON.stringify(value), oneLine(value));
  if (out.startsWith(',') && !/^,\s/.test(out)) out = `, ${out.slice(1)}`;
  if (out.endsWith(',') && out.length > 1) out = `${out} `;
  return out;
}

/** JSON text that does not parse; the message says where. */
export class JsonTextError extends Error {}

/**
 * JSON text being edited, re-parsed after each step so that later steps see earlier ones. Each step is placed
 * by jsonc-parser (`modify` and its syntax tree) and laid out as its surroundings are.
 */
export class JsonDoc {
  text: string;
  root!: Node;
  value: unknown;
  readonly formatting: FormattingOptions;

  constructor(text: string) {
    this.text = text;
    this.formatting = detectFormatting(text);
    this.parse();
  }

  private parse(): void {
    const errors: ParseError[] = [];
    const root = parseTree(this.text, errors);
    if (errors.length || !root) {
      const e = errors[0];
      const line = e ? this.text.slice(0, e.offset).split('\n').length : 1;
      throw new JsonTextError(`${e ? printParseErrorCode(e.error) : 'empty'} on line ${line}`);
    }
    this.root = root;
    this.value = getNodeValue(root) as unknown;
  }

  has(path: JSONPath): boolean {
    return findNodeAtLocation(this.root, path) !== undefined;
  }

  /** Sets (or, with `undefined`, removes) the value at `path`; new object keys go at `insertAt` of the parent's keys. */
  set(path: JSONPath, value: unknown, opts: { insert?: boolean; insertAt?: (keys: string[]) => number } = {}): void {
    // A value under parents that do not exist yet (`blocks.basic` in a file with no `blocks`) is the parents
    // with the value inside, set where the first missing parent goes.
    while (value !== undefined && path.length > 1 && !findNodeAtLocation(this.root, path.slice(0, -1))) {
      const last = path.at(-1)!;
      value = typeof last === 'number' ? [value] : { [last]: value };
      path = path.slice(0, -1);
    }
    const options: ModificationOptions = {};
    if (opts.insert) options.isArrayInsertion = true;
    if (opts.insertAt) options.getInsertionIndex = opts.insertAt;
    const style = this.styleAt(path, !!opts.insert, value);
    if (value === undefined) {
      this.text = applyEdits(this.text, this.removal(path));
    } else if (style === 'inline') {
      // jsonc-parser's formatter would spread a one-line object over several lines; written unformatted,
      // the new text is made to look like its one-line neighbours instead.
      const edits = modify(this.text, path, value, options).map((e) => ({ ...e, content: inlineContent(e.content, value) }));
      this.text = applyEdits(this.text, edits);
    } else if (style === 'line') {
      this.text = applyEdits(this.text, this.lineInsertion(path, value));
    } else if (!opts.insert && !this.has(path) && (findNodeAtLocation(this.root, path.slice(0, -1))?.children?.length ?? 0) > 0 && typeof path.at(-1) === 'string') {
      this.text = applyEdits(this.text, this.propertyInsertion(path, value, opts.insertAt));
    } else if (!opts.insert && this.has(path)) {
      // A value replaced in place, laid out from its line's indentation; the rest of the line is kept as written.
      const node = findNodeAtLocation(this.root, path)!;
      const indent = /^[ \t]*/.exec(this.text.slice(this.text.lastIndexOf('\n', node.offset - 1) + 1))![0];
      this.text = applyEdits(this.text, [{ offset: node.offset, length: node.length, content: this.valueText(value, indent) }]);
    } else {
      this.text = applyEdits(this.text, modify(this.text, path, value, { ...options, formattingOptions: this.formatting }));
    }
    this.parse();
  }

  /**
   * Deletes the node at `path` with its separating comma and nothing else: jsonc-parser's own removal leaves
   * the surrounding whitespace for its formatter to tidy, which would re-lay the neighbours as well.
   */
  private removal(path: JSONPath): TextEdit[] {
    const node = findNodeAtLocation(this.root, path);
    if (!node) return [];
    const item = node.parent?.type === 'property' ? node.parent : node;
    const container = item.parent!;
    const kids = container.children!;
    const i = kids.indexOf(item);
    if (kids.length === 1) return [{ offset: container.offset + 1, length: container.length - 2, content: '' }];
    if (i < kids.length - 1) return [{ offset: item.offset, length: kids[i + 1]!.offset - item.offset, content: '' }];
    const prev = kids[i - 1]!;
    return [{ offset: prev.offset + prev.length, length: item.offset + item.length - (prev.offset + prev.length), content: '' }];
  }

  /** How a new value is written at `indent`: layer lists one layer to a line in such files, else as JSON.stringify indents. */
  private valueText(value: unknown, indent: string): string {
    const unit = this.formatting.insertSpaces === false ? '\t' : ' '.repeat(this.formatting.tabSize ?? 2);
    const eol = this.formatting.eol ?? '\n';
    if (this.layerPerLine() && holdsLayerList(value)) return layered(value, indent, unit, eol);
    return JSON.stringify(value, null, unit).replace(/\n/g, eol + indent);
  }

  /**
   * A new key of an object written over several lines, on a line of its own in its neighbours' indentation.
   * jsonc-parser would re-lay the neighbouring line too (spreading a one-line `"vars": { ... }` over lines).
   */
  private propertyInsertion(path: JSONPath, value: unknown, insertAt?: (keys: string[]) => number): TextEdit[] {
    const props = findNodeAtLocation(this.root, path.slice(0, -1))!.children!;
    const keys = props.map((p) => String(p.children?.[0]?.value));
    const i = Math.max(0, Math.min(props.length, insertAt ? insertAt(keys) : props.length));
    const eol = this.formatting.eol ?? '\n';
    const indentOf = (n: Node): string => /[ \t]*$/.exec(this.text.slice(0, n.offset))![0];
    const key = JSON.stringify(path.at(-1));
    if (i < props.length) {
      const next = props[i]!;
      return [{ offset: next.offset, length: 0, content: `${key}: ${this.valueText(value, indentOf(next))},${eol}${indentOf(next)}` }];
    }
    const prev = props[props.length - 1]!;
    const end = prev.offset + prev.length;
    const nl = this.text.slice(end).search(/\r?\n/);
    const lineEnd = nl < 0 ? this.text.length : end + nl;
    const line = `${eol}${indentOf(prev)}${key}: ${this.valueText(value, indentOf(prev))}`;
    return end === lineEnd ? [{ offset: end, length: 0, content: `,${line}` }] : [{ offset: end, length: 0, content: ',' }, { offset: lineEnd, length: 0, content: line }];
  }

  /**
   * A new element of a list written one element to a line: a line of its own in the neighbours' indentation,
   * after the previous element's line (so that a comment ending that line stays with it, and a comment line
   * before the next element stays with that one).
   */
  private lineInsertion(path: JSONPath, value: unknown): TextEdit[] {
    const kids = findNodeAtLocation(this.root, path.slice(0, -1))!.children!;
    const i = Number(path.at(-1));
    const eol = this.formatting.eol ?? '\n';
    const json = oneLine(value);
    const indentOf = (n: Node): string => /[ \t]*$/.exec(this.text.slice(0, n.offset))![0];
    const next = kids[i];
    if (i === 0) return [{ offset: next!.offset, length: 0, content: `${json},${eol}${indentOf(next!)}` }];
    const prev = kids[i - 1]!;
    const nl = this.text.slice(prev.offset + prev.length).search(/\r?\n/);
    const lineEnd = nl < 0 ? this.text.length : prev.offset + prev.length + nl;
    if (next && next.offset < lineEnd) return [{ offset: next.offset, length: 0, content: `${json}, ` }];
    if (next) return [{ offset: lineEnd, length: 0, content: `${eol}${indentOf(prev)}${json},` }];
    const after = { offset: lineEnd, length: 0, content: `${eol}${indentOf(prev)}${json}` };
    const end = prev.offset + prev.length;
    return end === lineEnd ? [{ ...after, content: `,${after.content}` }] : [{ offset: end, length: 0, content: ',' }, after];
  }

  /**
   * How new JSON at `path` is laid out: on one line inside a one-line container, in place of a one-line
   * value, or as a new element of a list whose elements are mostly written one to a line; else as
   * jsonc-parser formats it (in the file's indentation).
   */
  private styleAt(path: JSONPath, insert: boolean, value: unknown): 'inline' | 'line' | 'formatted' {
    const container = findNodeAtLocation(this.root, path.slice(0, -1));
    if (!container) return 'formatted';
    const oneLineNode = (n: Node): boolean => !/[\r\n]/.test(this.text.slice(n.offset, n.offset + n.length));
    if (oneLineNode(container)) return 'inline';
    if (!insert) {
      const old = findNodeAtLocation(this.root, path);
      const compound = value !== null && typeof value === 'object';
      if (old && oneLineNode(old) && (old.type === 'array' || old.type === 'object' || !compound)) return 'inline';
      return 'formatted';
    }
    if (container.type === 'array') {
      const compound = (container.children ?? []).filter((n) => n.type === 'object' || n.type === 'array');
      if (compound.length && compound.filter(oneLineNode).length * 2 > compound.length) return 'line';
    }
    return 'formatted';
  }

  /** Whether the file writes its top-level `layers` one to a line (as `Convert to Design` does). */
  private layerPerLine(): boolean {
    const layers = findNodeAtLocation(this.root, ['layers']);
    const objects = (layers?.children ?? []).filter((n) => n.type === 'object');
    const oneLineCount = objects.filter((n) => !/[\r\n]/.test(this.text.slice(n.offset, n.offset + n.length))).length;
    return objects.length > 0 && oneLineCount * 2 > objects.length;
  }
}
