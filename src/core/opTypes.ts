/**
 * What an operator of the layer catalogue (`ops.ts`) declares, as types: its shape/params/MACs rule, its
 * PyTorch spellings, its Keras mapping both ways, its TF.js lowering and how the PyTorch writer spells it.
 * Every back end field is required and is either a description or an {@link Unsupported} with the reason the
 * user sees, so a new op does not compile until each consumer has been decided for it.
 */
import type { Shape } from './dims';
import type { AttrValue, Attrs, Diagnostic, Severity } from './ir';

export interface OpIssue {
  severity: Severity;
  code: string;
  message: string;
  fix?: Diagnostic['fix'];
}

export interface OpResult {
  shape: Shape;
  params: number | null;
  macs: number | null;
  issues: OpIssue[];
}

/** A back end's decision not to handle an op (or one configuration of it), with the reason shown to the user. */
export interface Unsupported {
  readonly unsupported: string;
}

export const unsupported = (reason: string): Unsupported => ({ unsupported: reason });

export function isUnsupported(v: unknown): v is Unsupported {
  return typeof v === 'object' && v !== null && typeof (v as { unsupported?: unknown }).unsupported === 'string';
}

/** `nn.<name>(...)`: the constructor's parameters in PyTorch's order; the first `required` have no default. */
export interface TorchModule {
  name: string;
  params: readonly string[];
  required: number;
  /** Attributes the class fixes (`nn.UpsamplingNearest2d` is `Upsample` with `mode='nearest'`). */
  attrs?: Attrs;
  /** The constructor takes and ignores any arguments (`nn.Identity(*args, **kwargs)`). */
  anyArgs?: true;
  /**
   * A check the constructor makes that the op's rule does not, because other spellings allow what this class
   * refuses (Keras's strided `same` padding): the ValueError's message, or null.
   */
  check?: (attrs: Attrs) => string | null;
}

/**
 * A functional spelling of the op: `F.relu`, `torch.cat`, `Tensor.expand` (a method: its `self` is the first
 * tensor). Arguments bind to `params` as Python binds them. The first `tensors` parameters are the op's
 * tensor inputs; a parameter written `*name` takes the remaining positional arguments (or a single list or
 * tuple) as the list attribute `name`. Parameters that are not attributes of the op (`inplace`, `dtype`) are
 * accepted and dropped.
 */
export interface TorchFunction {
  name: `F.${string}` | `torch.${string}` | `Tensor.${string}`;
  params: readonly string[];
  /** How many leading parameters are tensors (default 1). */
  tensors?: number;
  /** How many leading parameters the call must give (default: the tensors). */
  required?: number;
  /** Parameters whose attribute has another name (`Tensor.unflatten`'s `sizes` is `unflattened_size`). */
  rename?: Readonly<Record<string, string>>;
  /** Defaults of this spelling that differ from the op's (`torch.flatten` starts at dimension 0). */
  defaults?: Attrs;
  /** Attributes this spelling sets whatever the call says (`F.relu_` is in place). */
  attrs?: Attrs;
  /** The call's value: the op's output, or a pair of it (`torch.max(x, dim)` returns values and indices). */
  returns?: 'tensor' | 'pair';
}

export interface TorchSpelling {
  /** The `nn` module classes that build the op; the PyTorch writer uses the first. */
  modules?: readonly TorchModule[];
  functions?: readonly TorchFunction[];
}

export type KerasConfig = Record<string, unknown>;

export interface KerasReadContext {
  /** Input shapes in the IR's order (batch, channels, spatial...). */
  inputs: Shape[];
  /** `data_format: channels_first` (or the layer's own axis convention says so). */
  channelsFirst: boolean;
}

/** What a Keras layer reads as: our attributes, or another op of the same family (`BatchNorm1d` on [N, C]). */
export interface KerasRead {
  op?: string;
  attrs: Attrs;
}

export interface KerasWriteContext {
  /** The layer's name (the IR node's, made a valid Keras name). */
  name: string;
  inputs: Shape[];
  output: Shape;
}

export interface KerasWritten {
  className: string;
  config: KerasConfig;
}

/** The op's Keras layer, both ways. TF.js layers models use the same classes and configs. */
export interface KerasMapping {
  /** Keras class names read as this op. */
  classes: readonly string[];
  read(config: KerasConfig, ctx: KerasReadContext): KerasRead | Unsupported;
  /** Usually one layer; some ops need two (an explicit `ZeroPadding2D` before a convolution PyTorch pads). */
  write(attrs: Attrs, ctx: KerasWriteContext): KerasWritten[] | Unsupported;
}

/**
 * How the TF.js runner builds the op: one of the lowerings `src/training/tfjsModel.ts` implements (exhaustively,
 * keyed by this name), with the op's own data for it.
 */
export type TfjsLowering =
  | {
      lower: 'input' | 'conv2d' | 'batchNorm' | 'softmax' | 'identity' | 'pool' | 'adaptivePool' | 'linear' | 'flatten' | 'reshape' | 'add' | 'concat' | 'pad' | 'slice' | 'mean';
      /** The attributes in the form that lowering reads, when this op spells them differently (`ZeroPad2d`'s `padding` as `pad`'s `pad`). */
      attrs?: (attrs: Attrs) => Attrs;
    }
  /** A shape-keeping activation (or dropout) layer: `tf.layers.<layer>` with the config from the attributes. */
  | { lower: 'activation'; layer: (attrs: Attrs) => { factory: string; config: Record<string, AttrValue> } }
  /** A layer applied to an NHWC image, made by `tf.layers.<factory>`, its config from the attributes and shapes. */
  | { lower: 'imageLayer'; factory: string; config: (attrs: Attrs, input: number[], output: number[]) => Record<string, AttrValue> | Unsupported };

export type TfjsLoweringKind = TfjsLowering['lower'];

/**
 * How the PyTorch writer spells the op: as the module of {@link TorchSpelling.module} (built in `__init__`,
 * called in `forward`), or as an expression over its inputs in `forward` (or, for attributes it cannot
 * spell, an {@link Unsupported}).
 */
export type PyTorchWriting =
  | {
      kind: 'module';
      /** The module's arguments when they differ from the op's attributes (Keras's strided `'same'` as explicit padding). */
      attrs?: (attrs: Attrs, shapes: Shape[]) => Attrs | Unsupported;
    }
  | { kind: 'expr'; expr: (inputs: string[], attrs: Attrs, shapes: Shape[]) => string | Unsupported };

export interface OpSpec {
  /** Attribute defaults (PyTorch argument names). Attributes without a default are required. */
  defaults: Attrs;
  /**
   * Attributes that a design or a Keras layer may omit because they follow from the first input's shape: its
   * channels (dimension 1 of a batched tensor) or its features (the last dimension).
   */
  inferred?: Readonly<Record<string, 'channels' | 'features'>>;
  /** Number of tensor inputs; -1 for any number >= 1. */
  arity: number;
  infer(attrs: Attrs, inputs: Shape[]): OpResult;
  torch: TorchSpelling;
  /** The Keras activation function name (`relu`) of a shape-keeping activation, read from `activation` fields. */
  kerasActivation?: string;
  keras: KerasMapping | Unsupported;
  tfjs: TfjsLowering | Unsupported;
  pytorch: PyTorchWriting | Unsupported;
}
