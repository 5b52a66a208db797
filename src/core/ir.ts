/**
 * The one network IR shared by every front end (PyTorch source, `*.resnet.json`, Keras/TF.js `model.json`)
 * and every consumer (diagnostics, hovers, the graph view, code generation, trainers). Pure data: it is
 * serialised as is into the CLI's `--json` output and posted to webviews.
 */
import type { Shape } from './dims';
import type { OpName } from './ops';

/** The input shape used when neither the file nor the caller gives one. */
export const DEFAULT_INPUT: readonly number[] = [1, 3, 224, 224];

/** A 1-based source position range in the model's file. */
export interface SourceRange {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export type AttrValue = number | string | boolean | null | AttrValue[] | { [k: string]: AttrValue };
export type Attrs = Record<string, AttrValue>;

/** A layer or tensor operation. Each node produces exactly one tensor. */
export interface IrNode {
  id: string;
  /** Catalogue op name (`Conv2d`, `add`, ...), see `ops.ts`. */
  op: OpName;
  /** PyTorch `named_modules()` path for modules (`layer3.0.downsample.0`); a derived unique name for functional ops. */
  name: string;
  attrs: Attrs;
  /** Producer node ids, in argument order. */
  inputs: string[];
  /** Innermost block/stage/module group holding this node. */
  group?: string;
  /** Where the node executes (the `forward` line, or the JSON value); shape errors are reported here. */
  source?: SourceRange;
  /** Where the module is constructed (`self.conv1 = nn.Conv2d(...)`), when that differs from `source`. */
  definedAt?: SourceRange;
  inputShapes: Shape[];
  outputShape: Shape;
  /** Learnable parameters (buffers excluded); null when they depend on unknown values. */
  params: number | null;
  /** Multiply-accumulates for one sample (torchvision convention: Conv2d and Linear only). */
  macs: number | null;
  /**
   * True when the node reuses a module already counted elsewhere (a ReLU module called twice, or the
   * same conv applied twice): its params are not added to the total again.
   */
  shared?: boolean;
  /**
   * True when the layer's weights are not trained (Keras `trainable: false`, a frozen transfer-learning base).
   * They are still learnable parameters in PyTorch's sense, so `params` counts them; summaries show the split.
   */
  frozen?: boolean;
  /** Set when a diagnostic of severity error is attached to this node. */
  error?: string;
}

export interface IrEdge {
  id: string;
  from: string;
  to: string;
  /** Position among the consumer's inputs. */
  index: number;
  shape: Shape;
  /** True when this edge lies on a residual shortcut rather than the main path. */
  skip?: boolean;
}

export type GroupKind = 'stage' | 'block' | 'module';

/** A level of the module hierarchy: a residual block, a stage of blocks, or another container. */
export interface IrGroup {
  id: string;
  /** Module path (`layer3`, `layer3.0`). */
  name: string;
  kind: GroupKind;
  /** Class or container type name (`Bottleneck`, `Sequential`). */
  label: string;
  parent?: string;
  source?: SourceRange;
}

/**
 * `identity`: the block's input as it is (or through parameter-free layers that keep its shape);
 * `projection`: through layers with weights (1x1 conv + BatchNorm); `pad`: parameter-free but reshaping, as
 * CIFAR's option A subsamples and zero-pads the new channels.
 */
export type SkipKind = 'identity' | 'projection' | 'pad';

/** A residual shortcut, from the node where the block's input forks to the `add` that merges it back. */
export interface IrSkip {
  id: string;
  from: string;
  to: string;
  /** See {@link SkipKind}. */
  kind: SkipKind;
  /** Nodes on the shortcut branch, in order; empty for a plain identity. */
  via: string[];
  /** The block group containing the add, if any. */
  group?: string;
}

export type Severity = 'error' | 'warning' | 'information';

export interface Diagnostic {
  severity: Severity;
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** Stable machine-readable code, e.g. `shape/residual-add`. */
  code: string;
  message: string;
  /** The offending node, when there is one. */
  node?: string;
  /** What the catalogue rule knows about a fix, e.g. `{ attr: 'in_features', value: 2048 }` or `{ kind: 'projection' }`. */
  fix?: { attr?: string; value?: AttrValue; kind?: string; [k: string]: AttrValue | undefined };
  /** Concrete source edits computed by the front end (it knows the syntax); the editor offers them as quick fixes. */
  fixes?: QuickFix[];
  /**
   * Other places the problem involves, in other files too: an error that arises inside an imported module is
   * reported on the analysed file at the call that leads there, and points here at where it arose.
   */
  related?: RelatedLocation[];
}

export interface RelatedLocation extends SourceRange {
  message: string;
}

export interface TextEdit {
  range: SourceRange;
  newText: string;
}

/** A named set of edits that repairs a diagnostic; applying it must leave the file analysing clean. */
export interface QuickFix {
  title: string;
  edits: TextEdit[];
}

/** A model a file defines: a module class or a factory function returning one. */
export interface ModelCandidate {
  name: string;
  kind: 'class' | 'factory' | 'design';
  source: SourceRange;
}

export interface IrGraph {
  /** The model's display name. */
  name: string;
  file: string;
  input: Shape;
  /** The output's shape; for a model returning several tensors, the first one's. */
  output: Shape;
  /** Every output's shape, when the model returns several tensors (a tuple, a list or a dict of them). */
  outputs?: Shape[];
  nodes: IrNode[];
  edges: IrEdge[];
  groups: IrGroup[];
  skips: IrSkip[];
  /** Sum of node params, each module counted once; null if any is unknown. */
  params: number | null;
  macs: number | null;
  /**
   * Set when nothing (an argument, the file or a setting other than the built-in default) gave the input's
   * height and width, and the front end guessed them from the model: why, e.g. "CIFAR-style stem".
   */
  inputGuess?: string;
}

/** What a front end returns for one file. */
export interface Analysis {
  file: string;
  /** Candidate model names found in the file (PyTorch classes and factories); one entry for JSON formats. */
  models: string[];
  /** The same candidates with their source locations, for CodeLens and pickers. */
  candidates?: ModelCandidate[];
  /** The analysed model, or null when none could be built. */
  graph: IrGraph | null;
  diagnostics: Diagnostic[];
  /** Other files the analysis read (imported modules), absolute paths: a change to any of them changes the result. */
  dependencies?: string[];
}
