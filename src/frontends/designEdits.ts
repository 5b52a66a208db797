/**
 * Applies one design edit from the graph (src/protocol/designEditProtocol.ts) to the text of a
 * `*.resnet.json` file. The text is the single source of truth: every change is placed with jsonc-parser in
 * the file's own indentation, line endings and layout (jsonLayoutEdit.ts), so comments, key order and
 * formatting outside the edited node are kept, and the host applies the result as one `WorkspaceEdit`
 * (one undo step).
 *
 * An edit that breaks the network (a shape error) is still made, since the graph then shows what it caused;
 * an edit is refused only when it cannot be made honestly: an unknown target, a layer the design derives
 * and does not write (a residual `add`, a `projection` shortcut's `downsample.0`), or a result the design
 * schema rejects. Pure: no `vscode`, so the host, the CLI and tests share it.
 */
import { type JSONPath, type ParseError, getNodeValue, parseTree, stripComments } from 'jsonc-parser';
import { type ExprValue, evalExpr } from '../core/expr';
import { JsonSource } from '../core/jsonSource';
import { OP_SPECS, isOpName } from '../core/ops';
import type { DesignContext, DesignEdit, DesignEditResult, EditValue, ShortcutType } from '../protocol/designEditProtocol';
import { BUILTIN_BLOCKS } from './builtinBlocks';
import { type InsertPoint, paletteLayers } from './designPalette';
import { layerTypes, validateDesign } from './designSchema';
import type { BlockDef, DesignFile, LayerDef, ShortcutDef, StageDef } from './designTypes';
import { JsonDoc, JsonTextError, type TextEdit } from './jsonLayoutEdit';
import { analyzeDesign } from './resnetJson';

export { detectFormatting } from './jsonLayoutEdit';

/** Why an edit was not made; the message names the target and, where there is one, the edit that would work. */
class Refusal extends Error {}

function refuse(message: string): never {
  throw new Refusal(message);
}

/** The design being edited: its text, and the design as the text now says. */
class Doc extends JsonDoc {
  constructor(text: string) {
    try {
      super(text);
    } catch (e) {
      if (e instanceof JsonTextError) refuse(`the design does not parse (${e.message}); fix the JSON first`);
      throw e;
    }
    if (!isDesignShaped(this.value)) refuse('the file is not a design (it has no `layers` list)');
  }

  get design(): DesignFile {
    return this.value as DesignFile;
  }

  item(i: number): LayerDef | StageDef {
    return this.design.layers[i]!;
  }
}

/** Applies `edit` to `text`; the edits are offsets into `text`, as one replacement of the changed span. */
export function applyDesignEdit(text: string, edit: DesignEdit): DesignEditResult {
  try {
    const doc = new Doc(text);
    const summary = EDITS[edit.kind](doc, edit as never);
    if (doc.text === text) return { ok: true, edits: [], text, summary };
    const problem = schemaProblem(doc.text);
    if (problem) refuse(`${summary}: the result would not be a valid design (${problem})`);
    return { ok: true, edits: [changedSpan(text, doc.text)], text: doc.text, summary };
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, error: e.message };
    throw e;
  }
}

/** What the page needs to offer edits; null when the text does not parse or is not a design. */
export function designContextOf(text: string): DesignContext | null {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors);
  if (!root || errors.length) return null;
  const design = getNodeValue(root) as unknown;
  if (!isDesignShaped(design)) return null;
  const ops = layerTypes();
  return {
    design,
    builtinBlocks: Object.keys(BUILTIN_BLOCKS),
    ops,
    builtinBlockDefs: structuredClone(BUILTIN_BLOCKS),
    opDefaults: Object.fromEntries(ops.map((op) => [op, { ...OP_SPECS[op].defaults }])),
  };
}

function isDesignShaped(v: unknown): v is DesignFile {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Array.isArray((v as { layers?: unknown }).layers);
}

/** The first schema error of the new text (the schema's own message names the field), or null. */
function schemaProblem(text: string): string | null {
  const errors = validateDesign(new JsonSource('design.resnet.json', text));
  const first = errors[0];
  return first ? first.message : null;
}

/** One replacement covering the span where the old and new texts differ. */
function changedSpan(before: string, after: string): TextEdit {
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  return { offset: start, length: before.length - start - end, content: after.slice(start, after.length - end) };
}


// ---------------------------------------------------------------------------------------------------------
// Targets: stages by name, layers by IR module path.

interface StageRef {
  index: number;
  def: StageDef;
}

type BlockListKey = 'main' | 'post' | 'shortcut';
type ListKey = BlockListKey | 'layers';

/** A layer named by a module path: the list entries it names (several when one module is used twice). */
interface LayerRef {
  /** The name inside its scope (`conv2` for `layer2.0.conv2`). */
  name: string;
  /** Null at the top level; else the block whose definition holds the layer. */
  block: string | null;
  hits: { list: ListKey; index: number }[];
}

const isStage = (d: LayerDef | StageDef): d is StageDef => typeof (d as StageDef).stage === 'string';

function stageRef(doc: Doc, name: string): StageRef | null {
  const index = doc.design.layers.findIndex((d) => isStage(d) && d.stage === name);
  return index < 0 ? null : { index, def: doc.item(index) as StageDef };
}

function needStage(doc: Doc, name: string): StageRef {
  const s = stageRef(doc, name);
  if (s) return s;
  const names = doc.design.layers.filter(isStage).map((d) => d.stage);
  return refuse(`unknown stage '${name}'${names.length ? ` (stages: ${names.join(', ')})` : ' (the design has no stages)'}`);
}

function blockDef(doc: Doc, name: string): BlockDef | null {
  return doc.design.blocks?.[name] ?? BUILTIN_BLOCKS[name] ?? null;
}

function listPath(block: string | null, list: ListKey): JSONPath {
  if (list === 'layers') return ['layers'];
  return list === 'shortcut' ? ['blocks', block!, 'shortcut', 'layers'] : ['blocks', block!, list];
}

function blockList(def: BlockDef, list: BlockListKey): LayerDef[] {
  if (list === 'shortcut') return typeof def.shortcut === 'object' ? def.shortcut.layers : [];
  return def[list] ?? [];
}

/** The entries of a list as they are now (after a block was copied into the file, its copy). */
function listOf(doc: Doc, block: string | null, list: ListKey): (LayerDef | StageDef)[] {
  return list === 'layers' ? doc.design.layers : blockList(blockDef(doc, block!)!, list);
}

/**
 * The IR names of a scope's layers, as the design reader gives them: a layer's `name`, or a fresh
 * `type`-based name (`relu`, `relu_1`) counted over the lists of the scope in the order they run.
 */
function irNames(lists: LayerDef[][]): string[][] {
  const used = new Map<string, number>();
  return lists.map((layers) =>
    layers.map((d) => {
      if (typeof d.name === 'string') return d.name;
      const base = String(d.type).toLowerCase();
      const n = used.get(base) ?? 0;
      used.set(base, n + 1);
      return n === 0 ? base : `${base}_${n}`;
    }),
  );
}

function itemIrNames(doc: Doc): (string | null)[] {
  const layers = doc.design.layers.map((d) => (isStage(d) ? null : d));
  const names = irNames([layers.filter((d): d is LayerDef => d !== null)])[0]!;
  let k = 0;
  return layers.map((d) => (d === null ? null : names[k++]!));
}

function findLayer(doc: Doc, target: string): LayerRef | null {
  const hits = itemIrNames(doc).flatMap((n, index) => (n === target ? [{ list: 'layers' as const, index }] : []));
  if (hits.length) return { name: target, block: null, hits };
  for (const d of doc.design.layers) {
    if (!isStage(d) || !target.startsWith(`${d.stage}.`)) continue;
    const m = /^(\d+)\.(.+)$/.exec(target.slice(d.stage.length + 1));
    if (!m) continue;
    const def = blockDef(doc, d.block);
    if (!def) refuse(`${target}: stage ${d.stage} uses the unknown block '${d.block}'`);
    const count = evalNumber(d.count, doc.design);
    if (count !== null && Number(m[1]) >= count) refuse(`unknown layer '${target}': ${d.stage} has ${count} block(s)`);
    const inner = m[2]!;
    const keys: BlockListKey[] = ['main', 'shortcut', 'post'];
    const names = irNames(keys.map((k) => blockList(def, k)));
    const inBlock = keys.flatMap((list, li) => names[li]!.flatMap((n, index) => (n === inner ? [{ list, index }] : [])));
    if (inBlock.length) return { name: inner, block: d.block, hits: inBlock };
    derivedRefusal(target, inner, d, def);
  }
  return null;
}

/** Refuses a target the design makes without JSON of its own, saying which edit would work instead. */
function derivedRefusal(target: string, inner: string, stage: StageDef, def: BlockDef): void {
  if (inner === 'add') refuse(`${target} is the residual add that block '${stage.block}' makes; it has no JSON of its own (edit the block's layers, or change ${stage.stage}'s shortcut)`);
  const sc = def.shortcut ?? 'projection';
  if (sc === 'projection' && /^downsample(\.[01])?$/.test(inner)) {
    refuse(`${target} is made by the 'projection' shortcut of block '${stage.block}' and has no JSON of its own; set ${stage.stage}'s shortcut to C (projection always, written as layers) to edit it`);
  }
  if (sc === 'A' && /^shortcut(\.pad)?$/.test(inner)) {
    refuse(`${target} is the parameter-free option-A shortcut of block '${stage.block}' and has no JSON of its own; set ${stage.stage}'s shortcut to C to get editable layers`);
  }
}

function needLayer(doc: Doc, target: string): LayerRef {
  const r = findLayer(doc, target);
  if (r) return r;
  if (stageRef(doc, target)) refuse(`'${target}' is a stage, not a layer (use the stage's own edits)`);
  const block = /^(.+)\.(\d+)$/.exec(target);
  if (block && stageRef(doc, block[1]!)) refuse(`'${target}' is a whole block; edit a layer inside it, or its stage`);
  return refuse(`unknown layer '${target}'`);
}

function evalNumber(v: unknown, design: DesignFile, extra: Record<string, ExprValue> = {}): number | null {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return null;
  try {
    const r = evalExpr(v, { ...(design.vars ?? {}), ...extra });
    return typeof r === 'number' ? r : null;
  } catch {
    return null;
  }
}

/** Copies a built-in block into the file's `blocks` (before `layers`), so the design can say how it differs. */
function ownBlock(doc: Doc, name: string): void {
  if (doc.design.blocks?.[name]) return;
  const builtin = BUILTIN_BLOCKS[name];
  if (!builtin) refuse(`unknown block '${name}'`);
  doc.set(['blocks', name], structuredClone(builtin), { insertAt: (keys) => (keys.includes('layers') ? keys.indexOf('layers') : keys.length) });
}

function hitPath(ref: LayerRef, hit: LayerRef['hits'][number]): JSONPath {
  return [...listPath(ref.block, hit.list), hit.index];
}

function hitDef(doc: Doc, ref: LayerRef, hit: LayerRef['hits'][number]): LayerDef {
  return listOf(doc, ref.block, hit.list)[hit.index] as LayerDef;
}

/** A layer inside a block is edited in the block's definition; the message says which stages share the change. */
function blockNote(doc: Doc, block: string | null): string {
  if (!block) return '';
  const users = doc.design.layers.filter((d): d is StageDef => isStage(d) && d.block === block).map((d) => d.stage);
  return ` (block '${block}', used by ${users.join(', ')})`;
}

/** The layer again, after its block was copied into the file (its entries now live under `blocks`). */
function ownedLayer(doc: Doc, target: string, use?: number): LayerRef {
  const ref = pickUse(needLayer(doc, target), target, use);
  if (!ref.block) return ref;
  ownBlock(doc, ref.block);
  return pickUse(needLayer(doc, target), target, use);
}

/** One use of a module path that names several layers (`use` counts them in the order they run). */
function pickUse(ref: LayerRef, target: string, use: number | undefined): LayerRef {
  if (use === undefined) return ref;
  const hit = ref.hits[use];
  if (!hit) refuse(`${target} has ${ref.hits.length} use(s); there is no use ${use}`);
  return { ...ref, hits: [hit] };
}

/** Refuses an edit that acts at one place when the module path names several layers and no use was picked. */
function oneUse(ref: LayerRef, target: string, doing: string): void {
  if (ref.hits.length > 1) {
    refuse(`${target} names ${ref.hits.length} layers (one module used ${ref.hits.length} times${ref.block ? ` in block '${ref.block}'` : ''}); say which use to ${doing}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Names.

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;

function checkName(name: string): void {
  if (!NAME.test(name)) refuse(`'${name}' is not a usable name (letters, digits and _; parts separated by '.')`);
  if (name === 'input') refuse(`'input' is reserved: it names the input in \`inputs\``);
}

/** Names and ids already used in a scope: the top level, or one block's lists. */
function takenNames(doc: Doc, block: string | null): Set<string> {
  const out = new Set<string>(['input']);
  const add = (d: LayerDef | StageDef): void => {
    for (const k of ['name', 'id', 'stage'] as const) if (typeof d[k] === 'string') out.add(d[k] as string);
  };
  if (block === null) {
    doc.design.layers.forEach(add);
    itemIrNames(doc).forEach((n) => n !== null && out.add(n));
  } else {
    const def = blockDef(doc, block)!;
    for (const k of ['main', 'shortcut', 'post'] as const) blockList(def, k).forEach(add);
  }
  return out;
}

/** One suffix for all `bases` so that a piece's names belong together (`conv`, `bn`, `relu` → `conv_1`, ...). */
function freeSuffix(taken: Set<string>, bases: string[]): string {
  for (let k = 0; ; k++) {
    const s = k === 0 ? '' : `_${k}`;
    if (bases.every((b) => !taken.has(b + s))) return s;
  }
}

/** Replaces the reference `from` with `to` in the `inputs` of a list's entries. */
function renameRefs(doc: Doc, block: string | null, list: ListKey, from: string, to: string): void {
  listOf(doc, block, list).forEach((d, i) => {
    const inputs = d.inputs as string[] | undefined;
    if (!Array.isArray(inputs)) return;
    inputs.forEach((r, k) => {
      if (r === from) doc.set([...listPath(block, list), i, 'inputs', k], to);
    });
  });
}

function refOf(d: LayerDef | StageDef): string | undefined {
  if (isStage(d)) return d.stage;
  return typeof d.id === 'string' ? d.id : typeof d.name === 'string' ? d.name : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// The edits.

type Handler<K extends DesignEdit['kind']> = (doc: Doc, edit: Extract<DesignEdit, { kind: K }>) => string;

const show = (v: unknown): string => (v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v));

function setStage(doc: Doc, e: Extract<DesignEdit, { kind: 'setStage' }>): string {
  const s = needStage(doc, e.stage);
  if (e.key === 'stage') refuse(`${e.stage}: rename a stage with a rename edit, so that references follow`);
  if (e.key === 'inputs' || e.key === 'comment') refuse(`${e.stage}: '${e.key}' is not a stage setting`);
  if (e.key === 'block') {
    if (typeof e.value !== 'string') refuse(`${e.stage}: block must be a block name`);
    if (!blockDef(doc, e.value)) refuse(`${e.stage}: unknown block '${e.value}' (known: ${[...new Set([...Object.keys(BUILTIN_BLOCKS), ...Object.keys(doc.design.blocks ?? {})])].join(', ')})`);
  } else {
    // Every other stage field is a number: count, planes, stride, or a block parameter such as groups.
    const block = blockDef(doc, s.def.block);
    const params = Object.keys(block?.params ?? {});
    if (!['count', 'planes', 'stride'].includes(e.key) && block && !params.includes(e.key) && !(e.key in (doc.design.vars ?? {}))) {
      refuse(`${e.stage}: block '${s.def.block}' has no parameter '${e.key}' (${params.length ? `its parameters: ${params.join(', ')}` : 'it takes none'}; a stage sets count, planes and stride)`);
    }
    checkStageValue(doc, e.stage, e.key, e.value);
  }
  const before = s.def[e.key];
  doc.set(['layers', s.index, e.key], e.value === null ? undefined : e.value);
  return `${e.stage}: ${e.key} ${show(before)} → ${show(e.value ?? undefined)}`;
}

function checkStageValue(doc: Doc, stage: string, key: string, value: EditValue | null): void {
  if (value === null) {
    if (key === 'count' || key === 'planes') refuse(`${stage}: ${key} is required`);
    return;
  }
  if (typeof value === 'boolean' || Array.isArray(value)) refuse(`${stage}: ${key} must be a number or an expression`);
  const n = evalNumber(value, doc.design);
  if (n !== null && (!Number.isInteger(n) || n <= 0)) refuse(`${stage}: ${key} must be a positive whole number, got ${show(value)}`);
}

/** The block language of each shortcut type; C names its layers as torchvision does, so `state_dict` keys match. */
function shortcutDef(t: ShortcutType): ShortcutDef {
  if (t === 'A') return 'A';
  if (t === 'B') return 'projection';
  return {
    layers: [
      { type: 'Conv2d', name: 'downsample.0', out_channels: 'planes * expansion', kernel_size: 1, stride: 'stride', bias: false },
      { type: 'BatchNorm2d', name: 'downsample.1' },
    ],
  };
}

function setShortcut(doc: Doc, e: Extract<DesignEdit, { kind: 'setShortcut' }>): string {
  const s = needStage(doc, e.stage);
  const block = s.def.block;
  if (!blockDef(doc, block)) refuse(`${e.stage}: unknown block '${block}'`);
  ownBlock(doc, block);
  doc.set(['blocks', block, 'shortcut'], shortcutDef(e.shortcut), { insertAt: (keys) => (keys.includes('post') ? keys.indexOf('post') : keys.length) });
  return `${e.stage}: shortcut ${e.shortcut}${blockNote(doc, block)}`;
}

function addStage(doc: Doc, e: Extract<DesignEdit, { kind: 'addStage' }>): string {
  const s = needStage(doc, e.after);
  const taken = takenNames(doc, null);
  let n = Math.max(0, ...doc.design.layers.filter(isStage).map((d) => Number(/^layer(\d+)$/.exec(d.stage)?.[1] ?? 0))) + 1;
  while (taken.has(`layer${n}`)) n++;
  const name = `layer${n}`;
  const planes = typeof s.def.planes === 'number' ? s.def.planes * 2 : `(${s.def.planes}) * 2`;
  // Block parameter overrides (ResNeXt's groups, base_width) carry over, so the new stage is the same kind.
  const overrides = Object.fromEntries(Object.entries(s.def).filter(([k]) => !['stage', 'block', 'count', 'planes', 'stride', 'inputs', 'comment'].includes(k)));
  const stage: StageDef = { stage: name, block: s.def.block, count: 2, planes, stride: 2, ...overrides };
  doc.set(['layers', s.index + 1], stage, { insert: true });
  return `added stage ${name} after ${e.after} (${s.def.block} × 2, planes ${show(planes)}, stride 2)`;
}

function removeStage(doc: Doc, e: Extract<DesignEdit, { kind: 'removeStage' }>): string {
  const s = needStage(doc, e.stage);
  // What took the stage's output by reference now takes what the stage took.
  const feed = Array.isArray(s.def.inputs) && s.def.inputs.length === 1 ? String(s.def.inputs[0]) : s.index === 0 ? 'input' : refOf(doc.item(s.index - 1));
  doc.set(['layers', s.index], undefined);
  if (feed !== undefined) renameRefs(doc, null, 'layers', e.stage, feed);
  return `removed stage ${e.stage}`;
}

function changeCount(doc: Doc, stage: string, delta: 1 | -1): string {
  const s = needStage(doc, stage);
  const count = evalNumber(s.def.count, doc.design);
  if (count === null) refuse(`${stage}: its count '${show(s.def.count)}' cannot be evaluated; set the count instead`);
  if (delta < 0 && count <= 1) refuse(`${stage} has one block; remove the stage instead`);
  // A count written as an expression (`n`) may be shared by several stages; this gesture is about one stage.
  doc.set(['layers', s.index, 'count'], count + delta);
  return `${stage}: count ${show(s.def.count)}${typeof s.def.count === 'string' ? ` (${count})` : ''} → ${count + delta}`;
}

function setLayer(doc: Doc, e: Extract<DesignEdit, { kind: 'setLayer' }>): string {
  if (e.key === 'name') refuse(`${e.layer}: rename a layer with a rename edit, so that references follow`);
  const found = needLayer(doc, e.layer);
  const first = hitDef(doc, found, found.hits[0]!);
  if (e.key === 'type') {
    if (typeof e.value !== 'string' || !layerTypes().includes(e.value as never)) refuse(`${e.layer}: '${show(e.value)}' is not a layer type`);
  } else if (e.key !== 'id' && e.key !== 'inputs' && e.key !== 'comment' && isOpName(String(first.type))) {
    const known = OP_SPECS[first.type as keyof typeof OP_SPECS].defaults;
    if (!(e.key in known)) refuse(`${e.layer}: ${first.type} has no attribute '${e.key}' (known: ${Object.keys(known).join(', ')})`);
  }
  // torchvision calls one `relu` module several times in a block: the module path names all of those uses,
  // and they stay one module, so an attribute of it is set at every use.
  const ref = ownedLayer(doc, e.layer);
  const before = first[e.key];
  for (const hit of ref.hits) doc.set([...hitPath(ref, hit), e.key], e.value === null ? undefined : e.value);
  const shared = ref.hits.length > 1 ? ` (${ref.hits.length} uses of the module '${ref.name}')` : '';
  return `${e.layer}: ${e.key} ${show(before)} → ${show(e.value ?? undefined)}${shared}${blockNote(doc, ref.block)}`;
}

/** Where an insertion goes: the list, the index of the new layers, the reference of the tensor they start from. */
interface Slot {
  block: string | null;
  list: ListKey;
  index: number;
  inputRef: string;
  at: InsertPoint;
}

function insertSlot(doc: Doc, after: string | null, use: number | undefined): Slot {
  if (after === null) {
    const shape = inputShape(doc);
    return { block: null, list: 'layers', index: 0, inputRef: 'input', at: { channels: shape[1] ?? null, features: shape.at(-1) ?? null, rank: shape.length, inBlock: false } };
  }
  const stage = stageRef(doc, after);
  if (stage) return topSlot(doc, stage.index, after, nodeShape(doc, (n) => n.startsWith(`${after}.`)));
  // After a block's residual add is the start of its `post` layers, whose input is the sum.
  const addOf = /^(.+)\.(\d+)\.add$/.exec(after);
  const addStage = addOf ? stageRef(doc, addOf[1]!) : null;
  if (addStage) {
    const def = blockDef(doc, addStage.def.block);
    if (!def) refuse(`${after}: unknown block '${addStage.def.block}'`);
    return { block: addStage.def.block, list: 'post', index: 0, inputRef: 'input', at: blockPoint(def, 'post', 0) };
  }
  const ref = pickUse(needLayer(doc, after), after, use);
  oneUse(ref, after, 'insert after');
  const hit = ref.hits[0]!;
  const def = hitDef(doc, ref, hit);
  if (ref.block === null) return topSlot(doc, hit.index, ref.name, nodeShape(doc, (n) => n === after));
  const list = hit.list as BlockListKey;
  return { block: ref.block, list, index: hit.index + 1, inputRef: refOf(def) ?? ref.name, at: blockPoint(blockDef(doc, ref.block)!, list, hit.index + 1) };
}

function topSlot(doc: Doc, index: number, irName: string, shape: (number | null)[] | null): Slot {
  return {
    block: null,
    list: 'layers',
    index: index + 1,
    inputRef: refOf(doc.item(index)) ?? irName,
    at: { channels: shape && shape.length >= 3 ? shape[shape.length - 3]! : null, features: shape?.at(-1) ?? null, rank: shape?.length ?? null, inBlock: false },
  };
}

/** Channels inside a block as an expression: the nearest earlier conv's `out_channels`, or the block's input. */
function blockPoint(def: BlockDef, list: BlockListKey, index: number): InsertPoint {
  const conv = blockList(def, list)
    .slice(0, index)
    .reverse()
    .find((d) => (d.type === 'Conv2d' || d.type === 'ConvTranspose2d') && d['out_channels'] !== undefined);
  const channels = conv ? (conv['out_channels'] as number | string) : list === 'post' ? 'planes * expansion' : 'inplanes';
  return { channels, features: null, rank: 4, inBlock: true };
}

function inputShape(doc: Doc): number[] {
  const s = doc.design.input ?? [1, 3, 224, 224];
  return s.length === 3 ? [1, ...s] : s;
}

/** The output shape of the last node whose IR name matches, from analysing the current text. */
function nodeShape(doc: Doc, match: (name: string) => boolean): (number | null)[] | null {
  const a = analyzeDesign('design.resnet.json', stripComments(doc.text, ' '));
  const nodes = a.graph?.nodes.filter((n) => match(n.name)) ?? [];
  const shape = nodes.at(-1)?.outputShape;
  return shape ? shape.map((d) => (typeof d === 'number' ? d : null)) : null;
}

function insert(doc: Doc, e: Extract<DesignEdit, { kind: 'insert' }>): string {
  const slot = insertSlot(doc, e.after, e.use);
  const what = typeof e.item === 'string' ? e.item : e.item.op;
  const piece = paletteLayers(e.item, slot.at);
  if (typeof piece === 'string') refuse(`cannot insert ${what} after ${e.after ?? 'the start'}: ${piece}`);
  if (slot.list === 'shortcut' && typeof blockDef(doc, slot.block!)!.shortcut !== 'object') refuse(`${e.after}: the shortcut has no layers to insert into`);
  if (slot.block) ownBlock(doc, slot.block);
  const bases = piece.layers.map((d) => String(d.name));
  const suffix = freeSuffix(takenNames(doc, slot.block), bases);
  const renamed = new Map(bases.map((b) => [b, b + suffix]));
  const layers = piece.layers.map((d, i) => {
    const out: LayerDef = { ...d, name: renamed.get(String(d.name))! };
    if (Array.isArray(d.inputs)) out.inputs = d.inputs.map((r) => (i === piece.needsInputRef && r === '' ? slot.inputRef : (renamed.get(r) ?? r)));
    return out;
  });
  const path = listPath(slot.block, slot.list);
  // An unnamed layer before the piece gets its IR name as an `id`, so that the piece can refer to it.
  if (piece.needsInputRef !== undefined && slot.index > 0 && slot.inputRef !== 'input' && refOf(listOf(doc, slot.block, slot.list)[slot.index - 1]!) === undefined) {
    doc.set([...path, slot.index - 1, 'id'], slot.inputRef);
  }
  layers.forEach((d, i) => doc.set([...path, slot.index + i], d, { insert: true }));
  // The entry after the piece, if it named the piece's input explicitly, now takes the piece's output.
  const nextIndex = slot.index + layers.length;
  const next = listOf(doc, slot.block, slot.list)[nextIndex];
  const k = next && Array.isArray(next.inputs) ? (next.inputs as string[]).indexOf(slot.inputRef) : -1;
  if (k >= 0 && slot.inputRef !== 'input') doc.set([...path, nextIndex, 'inputs', k], layers.at(-1)!.name!);
  return `inserted ${what} (${layers.map((d) => d.name).join(', ')}) after ${e.after ?? 'the start'}${slot.block ? ` in block '${slot.block}'` : ''}`;
}

function removeLayer(doc: Doc, e: Extract<DesignEdit, { kind: 'removeLayer' }>): string {
  if (stageRef(doc, e.layer)) refuse(`'${e.layer}' is a stage: remove it as a stage`);
  const ref = ownedLayer(doc, e.layer, e.use);
  // Later entries first, so that the earlier indices stay valid.
  const hits = [...ref.hits].sort((a, b) => b.index - a.index);
  for (const hit of hits) {
    const list = listOf(doc, ref.block, hit.list);
    const def = list[hit.index]!;
    const own = refOf(def);
    // Whatever took the removed layer's output by reference now takes what the removed layer took.
    const feed = Array.isArray(def.inputs) && def.inputs.length === 1 ? String(def.inputs[0]) : hit.index === 0 ? 'input' : refOf(list[hit.index - 1]!);
    doc.set(hitPath(ref, hit), undefined);
    if (own !== undefined && feed !== undefined) renameRefs(doc, ref.block, hit.list, own, feed);
  }
  const shared = ref.hits.length > 1 ? ` (all ${ref.hits.length} uses of the module '${ref.name}')` : '';
  return `removed ${e.layer}${shared}${blockNote(doc, ref.block)}`;
}

function duplicateLayer(doc: Doc, e: Extract<DesignEdit, { kind: 'duplicateLayer' }>): string {
  if (stageRef(doc, e.layer)) refuse(`'${e.layer}' is a stage: add a block to it, or add a stage after it`);
  oneUse(pickUse(needLayer(doc, e.layer), e.layer, e.use), e.layer, 'duplicate');
  const ref = ownedLayer(doc, e.layer, e.use);
  const hit = ref.hits[0]!;
  const def = hitDef(doc, ref, hit);
  const name = ref.name + freeSuffix(takenNames(doc, ref.block), [ref.name]);
  // The copy follows the original (it takes the original's output), so it has no `inputs` or `id` of its own.
  const copy = Object.fromEntries(Object.entries(structuredClone(def)).filter(([k]) => k !== 'inputs' && k !== 'id')) as LayerDef;
  copy.name = name;
  doc.set([...listPath(ref.block, hit.list), hit.index + 1], copy, { insert: true });
  return `duplicated ${e.layer} as ${name}${blockNote(doc, ref.block)}`;
}

function rename(doc: Doc, e: Extract<DesignEdit, { kind: 'rename' }>): string {
  if (e.target === null) {
    if (!e.name.trim()) refuse('the model name cannot be empty');
    const before = doc.design.name;
    doc.set(['name'], e.name, { insertAt: () => 0 });
    return `model: name ${show(before)} → ${e.name}`;
  }
  checkName(e.name);
  const stage = stageRef(doc, e.target);
  if (stage) {
    if (e.name === e.target) refuse(`${e.target} is already named '${e.name}'`);
    if (takenNames(doc, null).has(e.name)) refuse(`cannot rename ${e.target} to '${e.name}': the name is already used`);
    doc.set(['layers', stage.index, 'stage'], e.name);
    renameRefs(doc, null, 'layers', e.target, e.name);
    return `renamed stage ${e.target} → ${e.name}`;
  }
  const found = needLayer(doc, e.target);
  if (e.name === found.name) refuse(`${e.target} is already named '${e.name}'`);
  if (takenNames(doc, found.block).has(e.name)) refuse(`cannot rename ${e.target} to '${e.name}': the name is already used${found.block ? ` in block '${found.block}'` : ''}`);
  const ref = ownedLayer(doc, e.target);
  // References follow the name only where the id defaults to it.
  const oldRef = ref.hits.every((h) => typeof hitDef(doc, ref, h).id !== 'string') ? ref.name : null;
  for (const hit of ref.hits) doc.set([...hitPath(ref, hit), 'name'], e.name, { insertAt: (keys) => (keys.includes('type') ? keys.indexOf('type') + 1 : 0) });
  if (oldRef !== null) {
    const lists: ListKey[] = ref.block ? ['main', 'shortcut', 'post'] : ['layers'];
    for (const l of lists) renameRefs(doc, ref.block, l, oldRef, e.name);
  }
  return `renamed ${e.target} → ${e.name}${blockNote(doc, ref.block)}`;
}

function setInput(doc: Doc, e: Extract<DesignEdit, { kind: 'setInput' }>): string {
  if (e.shape.length !== 3 && e.shape.length !== 4) refuse(`input must be C×H×W or N×C×H×W, got ${e.shape.length} numbers`);
  if (e.shape.some((d) => !Number.isInteger(d) || d <= 0)) refuse(`input sizes must be positive whole numbers, got [${e.shape.join(', ')}]`);
  const before = doc.design.input;
  // A new `input` goes before the design's body (vars, blocks, layers), where the examples have it.
  const at = (keys: string[]): number => {
    const body = keys.map((k, i) => (['vars', 'blocks', 'layers'].includes(k) ? i : keys.length));
    return Math.min(keys.length, ...body);
  };
  doc.set(['input'], e.shape, { insertAt: at });
  return `input ${before ? `[${before.join(', ')}]` : '(default)'} → [${e.shape.join(', ')}]`;
}

function setNumClasses(doc: Doc, e: Extract<DesignEdit, { kind: 'setNumClasses' }>): string {
  if (!Number.isInteger(e.value) || e.value <= 0) refuse(`the number of classes must be a positive whole number, got ${e.value}`);
  const v = doc.design.vars?.['num_classes'];
  if (typeof v === 'number') {
    doc.set(['vars', 'num_classes'], e.value);
    return `num_classes ${v} → ${e.value}`;
  }
  const i = doc.design.layers.flatMap((d, k) => (!isStage(d) && d.type === 'Linear' ? [k] : [])).at(-1);
  if (i === undefined) refuse('the design has neither vars.num_classes nor a Linear layer to set the number of classes on');
  const before = (doc.item(i) as LayerDef)['out_features'];
  doc.set(['layers', i, 'out_features'], e.value);
  return `${itemIrNames(doc)[i]}: out_features ${show(before)} → ${e.value}`;
}

const EDITS: { [K in DesignEdit['kind']]: Handler<K> } = {
  setStage,
  setShortcut,
  addStage,
  removeStage,
  addBlock: (doc, e) => changeCount(doc, e.stage, 1),
  removeBlock: (doc, e) => changeCount(doc, e.stage, -1),
  setLayer,
  insert,
  removeLayer,
  duplicateLayer,
  rename,
  setInput,
  setNumClasses,
};
