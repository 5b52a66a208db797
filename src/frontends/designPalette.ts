/**
 * The layers each palette item inserts into a design (conv-bn-relu, squeeze-and-excitation, dropout,
 * pooling, or one catalogue op), written in the design's own layer language. Kept apart from the edit
 * operations so that the list of standard pieces is data that one file owns.
 *
 * Channel counts are given by the caller as a number (top-level layers, read from the analysis) or as an
 * expression over the block's variables (`planes`, `width`), so a piece inserted into a block definition fits
 * every stage that uses the block.
 */
import { OP_SPECS, isOpName } from '../core/ops';
import type { PaletteItem } from '../protocol/designEditProtocol';
import type { LayerDef } from './designTypes';

/** Where a piece goes: its input's channels and rank, and the `inputs` reference of the tensor it starts from. */
export interface InsertPoint {
  /** Channels of the input (a number, or an expression inside a block); null when unknown. */
  channels: number | string | null;
  /** Features of the last dimension, for ops that take them (Linear); null when unknown. */
  features: number | null;
  /** Rank of the input (4 for images); null when unknown. */
  rank: number | null;
  /** True inside a block definition, where numbers are expressions over the block's variables. */
  inBlock: boolean;
}

/** A piece to insert: its layers (names are bases, made unique by the caller with one shared suffix). */
export interface Piece {
  layers: LayerDef[];
  /** Index of the layer whose `inputs` must name the piece's own input (squeeze-and-excitation's `mul`). */
  needsInputRef?: number;
}

const INTERNAL = new Set(['input', 'opaque']);

/** The layers of a palette item (or one op), or a message saying why it cannot be inserted here. */
export function paletteLayers(item: PaletteItem | { op: string }, at: InsertPoint): Piece | string {
  if (typeof item === 'object') return oneOp(item.op, at);
  // Convolutions and channel gates take images; after Flatten or a Linear the tensor has no channels.
  const notImage = at.rank !== null && at.rank !== 4 ? `${item} takes an image (N×C×H×W), and the tensor here has ${at.rank} dimensions` : null;
  switch (item) {
    case 'conv-bn-relu': {
      if (notImage) return notImage;
      if (at.channels === null) return 'the channels at the insertion point are unknown (fix the errors before it first)';
      return {
        layers: [
          { type: 'Conv2d', name: 'conv', out_channels: at.channels, kernel_size: 3, padding: 1, bias: false },
          { type: 'BatchNorm2d', name: 'bn' },
          { type: 'ReLU', name: 'relu' },
        ],
      };
    }
    case 'squeeze-excitation': {
      const c = at.channels;
      if (notImage) return notImage;
      if (c === null) return 'the channels at the insertion point are unknown (fix the errors before it first)';
      // Hu et al. reduce by 16; the floor of 8 keeps narrow stages (16 or 32 channels) from a 1- or 2-channel bottleneck.
      const reduced = typeof c === 'number' ? Math.max(Math.floor(c / 16), 8) : `max(floor((${c}) / 16), 8)`;
      return {
        layers: [
          { type: 'AdaptiveAvgPool2d', name: 'se_pool', output_size: 1 },
          { type: 'Conv2d', name: 'se_reduce', out_channels: reduced, kernel_size: 1 },
          { type: 'ReLU', name: 'se_relu' },
          { type: 'Conv2d', name: 'se_expand', out_channels: c, kernel_size: 1 },
          { type: 'Sigmoid', name: 'se_gate' },
          { type: 'mul', name: 'se_scale', inputs: ['', 'se_gate'] },
        ],
        needsInputRef: 5,
      };
    }
    case 'dropout':
      // Channel dropout in the convolutional part, plain dropout on features.
      return { layers: [at.inBlock || at.rank === 4 ? { type: 'Dropout2d', name: 'dropout', p: 0.5 } : { type: 'Dropout', name: 'dropout', p: 0.5 }] };
    case 'maxpool':
      return { layers: [{ type: 'MaxPool2d', name: 'maxpool', kernel_size: 2, stride: 2 }] };
    case 'avgpool':
      return { layers: [{ type: 'AvgPool2d', name: 'avgpool', kernel_size: 2, stride: 2 }] };
  }
}

/** One catalogue op with its required attributes filled so that it keeps the tensor's shape where it can. */
function oneOp(op: string, at: InsertPoint): Piece | string {
  if (!isOpName(op) || INTERNAL.has(op)) return `'${op}' is not a layer type`;
  const spec = OP_SPECS[op];
  if (spec.arity !== 1) return `${op} takes ${spec.arity < 0 ? 'several' : spec.arity} inputs; write it in the text with its \`inputs\``;
  const layer: LayerDef = { type: op, name: op.toLowerCase() };
  const inferred = spec.inferred ?? {};
  const pool = /Pool/.test(op);
  for (const [k, v] of Object.entries(spec.defaults)) {
    if (v !== null || k in inferred) continue;
    const fill = requiredValue(k, pool, at);
    if (fill !== undefined) layer[k] = fill;
  }
  if ((op === 'Conv2d' || op === 'ConvTranspose2d') && layer['kernel_size'] === 3) layer['padding'] = 1;
  return { layers: [layer] };
}

function requiredValue(key: string, pool: boolean, at: InsertPoint): unknown {
  switch (key) {
    case 'out_channels':
      return at.channels ?? undefined;
    case 'kernel_size':
      return pool ? 2 : 3;
    case 'output_size':
      return 1;
    case 'out_features':
      return at.features ?? undefined;
    case 'num_groups':
      return 1;
    case 'normalized_shape':
      return at.features ?? undefined;
    default:
      // Other required attributes have no value that fits everywhere (`reshape`'s shape); the analysis
      // reports them on the new layer, where the user fills them in.
      return undefined;
  }
}
