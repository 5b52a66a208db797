/**
 * The `*.resnet.json` design format, as TypeScript types. `schemas/resnet.schema.json` is generated from
 * these shapes plus the layer catalogue (scripts/genSchema.ts) and is what VS Code validates against.
 *
 * Numbers inside block definitions may be expressions over the block's variables: `inplanes` (input
 * channels), `planes`, `stride`, `expansion`, the block's `params`, its `let` bindings and the design's `vars`.
 */

/** A numeric attribute or an expression string such as `"planes * expansion"`. */
export type NumExpr = number | string;

/** One layer; `type` is a catalogue op (Conv2d, BatchNorm2d, ReLU, ..., add, concat, pad, slice, reshape, mean). */
export interface LayerDef {
  type: string;
  /** Module name; inside a block it is relative to the block's path. */
  name?: string;
  /** Reference name for `inputs` of later layers; defaults to `name`. */
  id?: string;
  /** Inputs by id; `"input"` is the enclosing block's (or model's) input. Defaults to the previous layer. */
  inputs?: string[];
  [attr: string]: unknown;
}

/** A stage: `count` blocks of one type, the first one with `stride`. */
export interface StageDef {
  stage: string;
  block: string;
  count: NumExpr;
  planes: NumExpr;
  stride?: NumExpr;
  /** Overrides of the block's `params` (e.g. `groups`, `base_width`). */
  [param: string]: unknown;
}

export type ShortcutDef =
  | 'projection'
  | 'identity'
  | 'A'
  | {
      /** Condition under which the shortcut layers are used; identity otherwise. Defaults to always. */
      when?: string;
      layers: LayerDef[];
    };

export interface BlockDef {
  /** Class name shown in summaries and the graph (e.g. `Bottleneck`). */
  label?: string;
  expansion?: NumExpr;
  params?: Record<string, NumExpr>;
  let?: Record<string, string | number>;
  main: LayerDef[];
  shortcut?: ShortcutDef;
  /** Layers applied after the residual add. */
  post?: LayerDef[];
}

export interface DesignFile {
  $schema?: string;
  name?: string;
  description?: string;
  input?: number[];
  vars?: Record<string, number>;
  blocks?: Record<string, BlockDef>;
  layers: (LayerDef | StageDef)[];
}
