/**
 * Edits a user makes to a `*.resnet.json` design from the graph (context menu, properties side bar, palette),
 * as typed data. The page posts one `editDesign` message per gesture; the host turns it into one
 * `WorkspaceEdit` with `applyDesignEdit` (src/frontends/designEdits.ts, pure, jsonc-parser `modify`), so the
 * text stays the single source of truth and the editor's undo undoes a gesture as one step.
 *
 * Targets are named the way the graph names them, not by JSON path: a stage by its `stage` name (`layer2`),
 * a layer by its IR module path (`conv1` at the top level; `layer2.0.conv2` inside a stage's block). Editing a
 * layer inside a block edits the block's definition, so every stage using that block changes; a built-in block
 * (`basic`, `bottleneck`, `cifar`) is first copied into the file's `blocks` section under the same name.
 *
 * Pure and imported by the page, the host and tests; it must never import `vscode` at runtime.
 */
import type { AttrValue } from '../core/ir';
import type { BlockDef, DesignFile } from '../frontends/designTypes';
import { type FieldGuards, type Guard, arrayOf, isIndex, isNumber, isString, nullable, objectOf, oneOf, optional } from './guards';

export type { DesignFile, LayerDef, StageDef, BlockDef } from '../frontends/designTypes';

/** A number, an expression string over the block's variables (`"planes * expansion"`), a keyword, a boolean or a list of numbers. */
export type EditValue = number | string | boolean | number[];

/**
 * How a stage's blocks join the shortcut when the shape changes: A = parameter-free subsample and zero-pad,
 * B = 1×1 projection + BatchNorm only when the shape changes (torchvision), C = projection always.
 */
export type ShortcutType = 'A' | 'B' | 'C';

/** Standard pieces the palette inserts. `layer` inserts one catalogue op with its defaults. */
export type PaletteItem = 'conv-bn-relu' | 'squeeze-excitation' | 'dropout' | 'maxpool' | 'avgpool';
export const PALETTE_ITEMS: readonly PaletteItem[] = ['conv-bn-relu', 'squeeze-excitation', 'dropout', 'maxpool', 'avgpool'];

export type DesignEdit =
  /** Set (or, with `value: null`, remove) a stage field: `block`, `count`, `planes`, `stride`, or a block param override such as `groups` / `base_width`. */
  | { kind: 'setStage'; stage: string; key: string; value: EditValue | null }
  /** Change the shortcut type of the block the stage uses (copying a built-in block into `blocks` first). */
  | { kind: 'setShortcut'; stage: string; shortcut: ShortcutType }
  /** Add a stage after `after` (a stage name): same block, planes doubled, stride 2, count 2, named `layerN` after the last. */
  | { kind: 'addStage'; after: string }
  | { kind: 'removeStage'; stage: string }
  /** Add one block to a stage (count + 1); duplicating a block of a homogeneous stage is the same edit. */
  | { kind: 'addBlock'; stage: string }
  /** Remove one block from a stage (count - 1); refused at count 1 (remove the stage instead). */
  | { kind: 'removeBlock'; stage: string }
  /** Set (or, with `value: null`, remove) one attribute of a layer, named by its module path. */
  | { kind: 'setLayer'; layer: string; key: string; value: EditValue | null }
  /**
   * Insert a palette item (or one catalogue op by `op`) after a layer or stage (`after` names either); `null`
   * inserts first. `use` picks one use of a module the block calls several times (see {@link ModuleUse}).
   */
  | { kind: 'insert'; after: string | null; item: PaletteItem | { op: string }; use?: ModuleUse }
  /** Remove a layer; without `use`, every use of a module called several times (the module goes away). */
  | { kind: 'removeLayer'; layer: string; use?: ModuleUse }
  | { kind: 'duplicateLayer'; layer: string; use?: ModuleUse }
  /** Rename a layer or a stage (its `name` / `stage` field), or the model itself when `target` is null. */
  | { kind: 'rename'; target: string | null; name: string }
  /** The design's `input` (C×H×W or N×C×H×W). */
  | { kind: 'setInput'; shape: number[] }
  /** The number of classes: `vars.num_classes` when the design has it, else the last Linear's `out_features`. */
  | { kind: 'setNumClasses'; value: number };

/**
 * Which use of a module path that names several layers: torchvision's blocks call one `relu` module two or
 * three times, so `layer1.0.relu` is several nodes in the graph. 0-based, in the order the graph runs them
 * (the index among the graph's nodes of that name, in node order; the first is the one not marked `shared`).
 * Edits that act at one place (insert after, duplicate) are refused for such a path without it.
 */
export type ModuleUse = number;

export type DesignEditKind = DesignEdit['kind'];

/** What `applyDesignEdit` gives back: the text edits (offsets into the old text) and the new text, or why it refused. */
export type DesignEditResult =
  | { ok: true; edits: { offset: number; length: number; content: string }[]; text: string; /** What the edit did, for the status line ("layer2: count 4 → 5"). */ summary: string }
  | { ok: false; error: string };

const isEditValue: Guard<EditValue> = (v): v is EditValue =>
  isNumber(v) || isString(v) || typeof v === 'boolean' || (Array.isArray(v) && v.every((x) => isNumber(x)));
const isShortcutType = oneOf('A', 'B', 'C');
const isPaletteItem = oneOf(...PALETTE_ITEMS);
const isInsertItem: Guard<PaletteItem | { op: string }> = (v): v is PaletteItem | { op: string } => isPaletteItem(v) || objectOf<{ op: string }>({ op: isString })(v);

const EDIT_SHAPES: { [K in DesignEditKind]: FieldGuards<Omit<Extract<DesignEdit, { kind: K }>, 'kind'>> } = {
  setStage: { stage: isString, key: isString, value: nullable(isEditValue) },
  setShortcut: { stage: isString, shortcut: isShortcutType },
  addStage: { after: isString },
  removeStage: { stage: isString },
  addBlock: { stage: isString },
  removeBlock: { stage: isString },
  setLayer: { layer: isString, key: isString, value: nullable(isEditValue) },
  insert: { after: nullable(isString), item: isInsertItem, use: optional(isIndex) },
  removeLayer: { layer: isString, use: optional(isIndex) },
  duplicateLayer: { layer: isString, use: optional(isIndex) },
  rename: { target: nullable(isString), name: isString },
  setInput: { shape: arrayOf(isIndex) },
  setNumClasses: { value: isIndex },
};

/** Checks an edit from the page (untrusted) field by field. */
export const isDesignEdit: Guard<DesignEdit> = (v): v is DesignEdit => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const kind = (v as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !Object.hasOwn(EDIT_SHAPES, kind)) return false;
  return objectOf(EDIT_SHAPES[kind as DesignEditKind] as FieldGuards<object>)(v);
};

/** What the page needs to offer edits: the parsed design (null when the text does not parse or is not a design). */
export interface DesignContext {
  design: DesignFile;
  /** Names of the built-in blocks, for the stage block drop-down (the file's own `blocks` are in `design`). */
  builtinBlocks: string[];
  /** Catalogue ops a layer can be, for the palette's "layer…" entry. */
  ops: string[];
  /**
   * The built-in blocks' definitions (`BUILTIN_BLOCKS`), so the page can show a built-in block's `params`
   * (a bottleneck's `groups` / `base_width`), its shortcut type and its layers' attributes. Optional: without
   * it the page offers only what the file itself spells out.
   */
  builtinBlockDefs?: Record<string, BlockDef>;
  /**
   * Each catalogue op's attribute defaults (`OP_SPECS[op].defaults`; `null` means required or inferred), so the
   * properties side bar lists every attribute a layer can take, not only those the file sets.
   */
  opDefaults?: Record<string, Record<string, AttrValue>>;
}
