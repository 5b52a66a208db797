/**
 * What a gesture in the graph edits, found in the design the host sent with `setGraph`. The graph names
 * things by IR module path (`layer2`, `layer2.0`, `layer2.0.conv2`); the edit protocol names them the same
 * way, so this module only has to find the JSON each name stands for (a stage, a block definition, a layer
 * definition) for the menu and the properties side bar to show. Pure, so it is tested without a page.
 */
import type { BlockDef, DesignContext, DesignFile, LayerDef, ShortcutType, StageDef } from '../../src/protocol/designEditProtocol';

/** What the context menu and the side bar act on. */
export type EditTarget =
  /** A stage; `block` is set when the gesture was on one of its blocks (`layer2.1` → 1). */
  | { kind: 'stage'; stage: string; block?: number }
  /**
   * A layer by its IR module path; `op` is the IR's op (for the generated layers the file does not spell out).
   * `use` is set when the path names several nodes (one module a block calls twice, as torchvision's `relu`):
   * which of them, in graph order, for the edits that act at one place.
   */
  | { kind: 'layer'; layer: string; op: string; use?: number }
  /** The model itself (the background): its name, input shape and classes. */
  | { kind: 'model' };

export const isStage = (item: DesignFile['layers'][number]): item is StageDef => typeof (item as Partial<StageDef>).stage === 'string';

export function stages(design: DesignFile): StageDef[] {
  return design.layers.filter(isStage);
}

export function findStage(design: DesignFile, name: string): StageDef | undefined {
  return stages(design).find((s) => s.stage === name);
}

/** The stage a module path lies in (`layer2.0.conv2` → layer2, block 0, `conv2`), longest stage name first. */
export function stageOfPath(design: DesignFile, path: string): { stage: StageDef; block: number | undefined; rest: string } | undefined {
  let best: StageDef | undefined;
  for (const s of stages(design)) if ((path === s.stage || path.startsWith(`${s.stage}.`)) && (!best || s.stage.length > best.stage.length)) best = s;
  if (!best) return undefined;
  const tail = path.slice(best.stage.length + 1);
  const m = /^(\d+)(?:\.(.*))?$/.exec(tail);
  return m ? { stage: best, block: Number(m[1]), rest: m[2] ?? '' } : { stage: best, block: undefined, rest: tail };
}

/** A block's definition: the file's own, else the built-in one when the host sent those. */
export function blockDef(ctx: DesignContext, name: string): BlockDef | undefined {
  return ctx.design.blocks?.[name] ?? ctx.builtinBlockDefs?.[name];
}

/** Every block name a stage may use: the built-ins, then the file's own. */
export function blockNames(ctx: DesignContext): string[] {
  return [...new Set([...ctx.builtinBlocks, ...Object.keys(ctx.design.blocks ?? {})])];
}

/**
 * The shortcut type a block has, as the menu offers them: A (parameter-free subsample and pad), B (projection
 * only when the shape changes) or C (projection always); undefined for anything else (identity, a conditional
 * custom shortcut).
 */
export function shortcutType(block: BlockDef | undefined): ShortcutType | undefined {
  const sc = block?.shortcut;
  if (sc === 'A') return 'A';
  if (sc === 'projection') return 'B';
  if (typeof sc === 'object' && sc !== null && sc.when === undefined && sc.layers.length > 0) return 'C';
  return undefined;
}

export interface FoundLayer {
  def: LayerDef;
  /** The block whose definition holds it (editing it edits every stage using that block); undefined at the top level. */
  block?: string;
  /** True when that block is a built-in one, which the first edit copies into the file's `blocks`. */
  builtin?: boolean;
}

/** The JSON definition behind an IR layer, when the file (or a built-in block) spells it out. */
export function findLayer(ctx: DesignContext, path: string): FoundLayer | undefined {
  const design = ctx.design;
  const inStage = stageOfPath(design, path);
  if (inStage && inStage.rest) {
    const name = inStage.stage.block;
    const def = blockDef(ctx, name);
    if (!def) return undefined;
    const sc = def.shortcut;
    const lists = [def.main, def.post ?? [], typeof sc === 'object' && sc !== null ? sc.layers : []];
    for (const list of lists) {
      const hit = byName(list, inStage.rest);
      if (hit) return { def: hit, block: name, builtin: !design.blocks?.[name] };
    }
    return undefined;
  }
  const top = design.layers.filter((l): l is LayerDef => !isStage(l));
  return ((d) => (d ? { def: d } : undefined))(byName(top, path));
}

/**
 * A layer by the name the front end gives it: its `name`, or for an unnamed layer its type in lower case,
 * numbered `_1`, `_2`, ... from the second one on (as `GraphBuilder.freshName` does).
 */
function byName(list: readonly LayerDef[], name: string): LayerDef | undefined {
  const named = list.find((l) => l.name === name);
  if (named) return named;
  const m = /^(.*?)(?:_(\d+))?$/.exec(name)!;
  const nth = m[2] === undefined ? 0 : Number(m[2]);
  const unnamed = list.filter((l) => l.name === undefined && l.type.toLowerCase() === m[1]);
  return unnamed[nth];
}

/** The number of classes as the file says it: `vars.num_classes`, else the last top-level Linear's `out_features`. */
export function numClasses(design: DesignFile): number | undefined {
  const v = design.vars?.['num_classes'];
  if (typeof v === 'number') return v;
  const linears = design.layers.filter((l): l is LayerDef => !isStage(l) && l.type === 'Linear');
  const out = linears[linears.length - 1]?.['out_features'];
  return typeof out === 'number' ? out : undefined;
}

/** The keys of a stage that are not block params: the rest of a stage's fields are param overrides. */
export const STAGE_FIELDS = ['stage', 'block', 'count', 'planes', 'stride'] as const;

/** A block's params (with their defaults) plus any override the stage sets that the block does not declare. */
export function stageParams(ctx: DesignContext, stage: StageDef): { key: string; default: string | number | undefined }[] {
  const declared = blockDef(ctx, stage.block)?.params ?? {};
  const out = Object.entries(declared).map(([key, d]) => ({ key, default: d as string | number | undefined }));
  for (const key of Object.keys(stage)) {
    if ((STAGE_FIELDS as readonly string[]).includes(key) || key === 'comment' || Object.hasOwn(declared, key)) continue;
    out.push({ key, default: undefined });
  }
  return out;
}
