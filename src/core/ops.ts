/**
 * The layer catalogue: every operator is one entry here, and the entry is all that any part of the product
 * knows about it: its attributes and defaults, its shape/params/MACs rule, its PyTorch spellings (the `nn`
 * class with its constructor signature, and the `F.*` / `torch.*` / `Tensor.*` functions), its Keras layer
 * both ways, its TF.js lowering and how the PyTorch writer spells it. Adding an operator touches this file
 * only: the interpreter, the Keras reader, the design schema, the TF.js runner and the writers all read it.
 * Every back-end field is required, so the compiler refuses a new entry until each one has been decided,
 * as a description or as an `unsupported(reason)` that the user sees.
 */
import { type Dim, type Shape, dimMul, formatShape, numel } from './dims';
import type { AttrValue, Attrs } from './ir';
import {
  addRule,
  adaptiveRule,
  asDim,
  axis,
  batchNorm1dRule,
  batchNorm2dRule,
  concatRule,
  conv2dRule,
  convTranspose2dRule,
  dimRangeIssue,
  einsumRule,
  elementwiseRule,
  flattenRule,
  groupNormRule,
  instanceNorm2dRule,
  linearRule,
  matmulRule,
  num,
  ok,
  padRule,
  permuteRule,
  poolRule,
  positive,
  preluRule,
  reductionRule,
  reshapeRule,
  sameShape,
  sliceRule,
  squeezeRule,
  unsqueezeRule,
  whereRule,
} from './opRules';
import {
  channelsOf,
  irAxisOfKeras,
  kerasAxisOfIr,
  kerasPadding,
  kerasPair,
  kerasSimple,
  kerasZeroPad,
  knownPair,
  noKeras,
  pyLiteral,
} from './opSpelling';
import {
  type KerasMapping,
  type KerasRead,
  type OpIssue,
  type OpResult,
  type OpSpec,
  type PyTorchWriting,
  type TfjsLowering,
  type TorchFunction,
  type TorchModule,
  type Unsupported,
  unsupported,
} from './opTypes';

export type { OpIssue, OpResult, OpSpec } from './opTypes';
export { axis, broadcast, pair, windowOut } from './opRules';

const CONV = ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'dilation', 'groups', 'bias', 'padding_mode', 'device', 'dtype'];
const NORM = ['num_features', 'eps', 'momentum', 'affine', 'track_running_stats', 'device', 'dtype'];

const module = (name: string, params: readonly string[], required = 0, attrs?: Attrs): TorchModule => ({ name, params, required, ...(attrs ? { attrs } : {}) });
const asModule: PyTorchWriting = { kind: 'module' };
const expr = (f: (inputs: string[], attrs: Attrs, shapes: Shape[]) => string | Unsupported): PyTorchWriting => ({ kind: 'expr', expr: f });
const noTfjs = (why: string): Unsupported => unsupported(`the TF.js runner cannot build it: ${why}; train this model with the PyTorch runner`);

/**
 * A shape-keeping activation: `nn.<name>`, its functional spellings, a Keras activation name and the TF.js
 * layer that computes it.
 */
function activation(
  name: string,
  o: {
    params?: string[];
    defaults?: Attrs;
    functions?: TorchFunction[];
    keras?: string;
    kerasClass?: KerasMapping;
    tfjs: TfjsLowering | Unsupported;
  },
): OpSpec {
  return {
    defaults: { inplace: false, ...o.defaults },
    arity: 1,
    infer: sameShape,
    torch: { modules: [module(name, o.params ?? ['inplace'])], functions: o.functions ?? [] },
    ...(o.keras ? { kerasActivation: o.keras } : {}),
    keras: o.kerasClass ?? (o.keras ? kerasActivationLayer(o.keras) : noKeras(`Keras has no ${name} activation`)),
    tfjs: o.tfjs,
    pytorch: asModule,
  };
}

/** Written as an `Activation` layer; read from `Activation` layers and `activation` fields by its name. */
function kerasActivationLayer(name: string): KerasMapping {
  return {
    classes: [],
    read: () => unsupported('read through its activation name'),
    write: (_a, ctx) => [{ className: 'Activation', config: { name: ctx.name, activation: name } }],
  };
}

/** A Keras 2-D pooling layer: `pool_size`, `strides` (default: the pool size) and `same`/`valid` padding. */
function kerasPool(className: string): KerasMapping {
  return {
    classes: [className],
    read: (c) => {
      const k = kerasPair(c['pool_size'], 2);
      return { attrs: { kernel_size: k, stride: c['strides'] ? kerasPair(c['strides'], 1) : k, padding: c['padding'] === 'same' ? 'same' : 0 } };
    },
    write: (a, ctx) => {
      const k = knownPair(a['kernel_size'], 1);
      const st = a['stride'] === null || a['stride'] === undefined ? k : knownPair(a['stride'], 1);
      if (!k || !st) return noKeras('pool size and stride must be known');
      if (a['ceil_mode'] === true) return noKeras('ceil_mode');
      if (num(a['dilation']) !== null && num(a['dilation']) !== 1) return noKeras('dilated pooling');
      const p: [number, number] | null = a['padding'] === 'same' ? [0, 0] : knownPair(a['padding'], 0);
      if (!p) return noKeras('padding must be known');
      // Zero padding before a max pool equals PyTorch's -inf padding on non-negative inputs, as in the
      // ResNet stem (after a ReLU); Keras's own ResNet50 is written this way.
      const pads = kerasZeroPad(ctx.name, [p[0], p[0]], [p[1], p[1]]);
      return [...pads, { className, config: { name: ctx.name, pool_size: k, strides: st, padding: a['padding'] === 'same' ? 'same' : 'valid', data_format: 'channels_last' } }];
    },
  };
}

/** `torch.<fn>` / `F.<fn>` / `Tensor.<fn>` spellings of a one-tensor function with the given extra parameters. */
function spellings(fn: string, where: ('F' | 'torch' | 'Tensor')[], params: string[] = [], more: Partial<TorchFunction> = {}): TorchFunction[] {
  return where.map((w) => ({ name: `${w}.${fn}` as TorchFunction['name'], params: w === 'Tensor' ? ['self', ...params] : ['input', ...params], ...more }));
}

/** The TF.js activation layer for an op: a `tf.layers` factory, or the runner's own custom activation. */
const tfAct = (factory: string, config: (a: Attrs) => Record<string, AttrValue> = () => ({})): TfjsLowering => ({
  lower: 'activation',
  layer: (a) => ({ factory, config: config(a) }),
});

/** A 2-D padding layer: its `padding` (an int for all four sides, or left, right, top, bottom) is `F.pad`'s. */
function padLayer(name: string, params: string[], defaults: Attrs): OpSpec {
  const pads = (p: AttrValue | undefined): AttrValue[] => (Array.isArray(p) ? p : [p ?? 0, p ?? 0, p ?? 0, p ?? 0]);
  const asPad = (a: Attrs): Attrs => ({ pad: pads(a['padding']), value: a['value'] ?? 0, mode: 'constant' });
  return {
    defaults,
    arity: 1,
    infer: (a, [x]) => padRule(asPad(a), [x ?? null]),
    torch: { modules: [module(name, params, params.length)] },
    keras: {
      classes: [],
      read: () => unsupported('read as pad'),
      write: (a, ctx) => {
        const p = pads(a['padding']).map(Number);
        if ((a['value'] ?? 0) !== 0) return noKeras('ZeroPadding2D pads with zeros only');
        if (p.length !== 4 || p.some((v) => !Number.isInteger(v))) return noKeras('padding must be four known integers');
        return kerasZeroPad(ctx.name.replace(/_pad$/, ''), [p[2]!, p[3]!], [p[0]!, p[1]!]);
      },
    },
    tfjs: { lower: 'pad', attrs: asPad },
    pytorch: asModule,
  };
}

/** A reduction over `dim` (`mean`, `sum`, `amax`): the same shape rule, different spellings. */
function reduction(name: 'mean' | 'sum' | 'max' | 'min', functions: TorchFunction[], keras: KerasMapping | Unsupported, tfjs: TfjsLowering | Unsupported): OpSpec {
  return {
    defaults: { dim: [], keepdim: false },
    arity: 1,
    infer: reductionRule(name),
    torch: { functions },
    keras,
    tfjs,
    pytorch: expr(([x], a) => `${x}.${name === 'max' ? 'amax' : name === 'min' ? 'amin' : name}(${a['dim'] === null ? '' : `dim=${pyLiteral(a['dim'])}`}${a['keepdim'] === true ? ', keepdim=True' : ''})`),
  };
}

/** A global 2-D pooling Keras layer read as a reduction over the spatial axes. */
function globalPool(className: string): KerasMapping {
  return {
    classes: [className],
    read: (c, ctx) => ({ attrs: { dim: ctx.channelsFirst ? [2, 3] : [2, 3], keepdim: c['keepdims'] === true } }),
    write: (a, ctx) => {
      const rank = ctx.inputs[0]?.length ?? 4;
      const dims = (Array.isArray(a['dim']) ? a['dim'] : [a['dim']]).map((d) => axis(Number(d), rank)).sort();
      if (rank !== 4 || dims.join() !== '2,3') return noKeras(`${className} reduces the spatial axes of an image only`);
      return [{ className, config: { name: ctx.name, keepdims: a['keepdim'] === true, data_format: 'channels_last' } }];
    },
  };
}

/** An elementwise binary op written as a Python operator. */
function binary(name: 'mul' | 'sub' | 'div', op: string, kerasClass: string | null): OpSpec {
  return {
    defaults: {},
    arity: 2,
    infer: elementwiseRule(name),
    torch: {},
    keras: kerasClass
      ? {
          classes: [kerasClass],
          read: () => ({ attrs: {} }),
          write: (_a, ctx) => [{ className: kerasClass, config: { name: ctx.name } }],
        }
      : noKeras(`Keras has no ${name} layer`),
    tfjs: noTfjs(`elementwise ${name} with broadcasting has no TF.js layer`),
    pytorch: expr((ins) => ins.join(` ${op} `)),
  };
}

/** The output size of `interpolate` along each spatial axis, or the error PyTorch raises. */
function interpolateRule(a: Attrs, [x]: Shape[]): OpResult {
  if (!x) return ok(null);
  const size = a['size'];
  const scale = a['scale_factor'];
  const mode = String(a['mode'] ?? 'nearest');
  const fail = (code: string, message: string): OpResult => ok(null, 0, 0, [{ severity: 'error', code, message }]);
  if ((size === null || size === undefined) === (scale === null || scale === undefined)) {
    return fail('attr/interpolate', size === null || size === undefined ? 'either size or scale_factor should be defined' : 'only one of size or scale_factor should be defined');
  }
  if (x.length < 3) return ok(null);
  const spatial = x.slice(2);
  const needs: Record<string, number> = { linear: 3, bilinear: 4, bicubic: 4, trilinear: 5 };
  if (needs[mode] !== undefined && needs[mode] !== x.length) {
    return fail('shape/rank', `Got ${x.length}D input, but ${mode} mode needs ${needs[mode]}D input`);
  }
  if (a['align_corners'] !== null && a['align_corners'] !== undefined && (mode === 'nearest' || mode === 'area' || mode === 'nearest-exact')) {
    return fail('attr/interpolate', 'align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear');
  }
  let out: Dim[];
  if (size !== null && size !== undefined) {
    const sizes = Array.isArray(size) ? size.map((d) => asDim(d)) : spatial.map(() => asDim(size));
    if (sizes.length !== spatial.length) {
      return fail(
        'shape/interpolate',
        `Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of [${spatial.join(', ')}] and output size of (${sizes.join(', ')}). Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.`,
      );
    }
    out = sizes;
  } else {
    const scales = Array.isArray(scale) ? scale.map((s) => num(s)) : spatial.map(() => num(scale ?? null));
    if (scales.length !== spatial.length) {
      return fail('shape/interpolate', `Input and scale_factor must have the same number of spatial dimensions, but got input with spatial dimensions of [${spatial.join(', ')}] and scale_factor of shape (${scales.join(', ')}).`);
    }
    out = spatial.map((d, i) => {
      const s = scales[i];
      if (s === null || s === undefined) return null;
      if (typeof d === 'number') return Math.floor(d * s);
      return Number.isInteger(s) ? dimMul(d, s) : null;
    });
  }
  const issues: OpIssue[] = [];
  if (out.some((d) => typeof d === 'number' && d <= 0)) {
    const names = spatial.length === 2 ? ['H', 'W'] : spatial.length === 3 ? ['D', 'H', 'W'] : ['W'];
    const show = (ds: Dim[]) => ds.map((d, i) => `${names[i]}: ${d}`).join(', ');
    return fail('shape/non-positive', `Input and output sizes should be greater than 0, but got input (${show(spatial)}) output (${show(out)})`);
  }
  return ok([x[0]!, x[1]!, ...out], 0, 0, issues);
}

/** `expand(*sizes)`: -1 keeps a size; a size-1 axis grows; new axes may be added in front (not as -1). */
function expandTo(x: Dim[], sizes: Dim[]): OpResult {
  const fail = (message: string): OpResult => ok(null, 0, 0, [{ severity: 'error', code: 'shape/expand', message }]);
  if (sizes.length < x.length) {
    return fail(`expand(${formatShape(x)}, size=[${sizes.join(', ')}]): the number of sizes provided (${sizes.length}) must be greater or equal to the number of dimensions in the tensor (${x.length})`);
  }
  const lead = sizes.length - x.length;
  const out: Dim[] = [];
  for (let i = 0; i < sizes.length; i++) {
    const want = sizes[i]!;
    if (i < lead) {
      if (want === -1) return fail(`The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension ${i}`);
      out.push(want);
      continue;
    }
    const have = x[i - lead]!;
    if (want === -1 || want === have) out.push(have);
    else if (have === 1) out.push(want);
    else if (typeof want === 'number' && typeof have === 'number') {
      return fail(`The expanded size of the tensor (${want}) must match the existing size (${have}) at non-singleton dimension ${i}.  Target sizes: [${sizes.join(', ')}].  Tensor sizes: [${x.join(', ')}]`);
    } else out.push(null);
  }
  return ok(out);
}

/**
 * PyTorch's `padding='same'` takes stride 1 only. Keras's 'same' on a strided convolution pads
 * max((ceil(in / s) - 1) * s + (k - 1) * d + 1 - in, 0) in total, the odd one at the bottom and right; when each
 * total is even that is PyTorch's symmetric padding, otherwise it cannot be written as one `nn.Conv2d`.
 */
function sameAsPadding(a: Attrs, [x]: Shape[]): Attrs | Unsupported {
  const st = knownPair(a['stride'], 1);
  if (a['padding'] !== 'same' || (st && st[0] === 1 && st[1] === 1)) return a;
  const k = knownPair(a['kernel_size'], 1);
  const d = knownPair(a['dilation'], 1);
  const size = x && x.length === 4 ? [x[2], x[3]] : null;
  if (!st || !k || !d || !size || size.some((v) => typeof v !== 'number')) return unsupported("a strided 'same' convolution needs a known input size");
  const pads = [0, 1].map((i) => Math.max((Math.ceil((size[i] as number) / st[i]!) - 1) * st[i]! + (k[i]! - 1) * d[i]! + 1 - (size[i] as number), 0));
  if (pads.some((p) => p % 2 !== 0)) return unsupported(`Keras pads this strided 'same' convolution unevenly (${pads.join(' and ')} in total), which nn.Conv2d cannot`);
  return { ...a, padding: [pads[0]! / 2, pads[1]! / 2] };
}

const sizesOf = (v: AttrValue | undefined): Dim[] => (Array.isArray(v) ? v.map((d) => asDim(d)) : []);

export const OPS = {
  input: {
    defaults: { shape: null },
    arity: 0,
    infer: (a) => ok(Array.isArray(a['shape']) ? (a['shape'] as AttrValue[]).map(asDim) : null),
    torch: {},
    keras: {
      classes: ['InputLayer'],
      read: () => ({ attrs: {} }),
      write: (_a, ctx) => {
        const s = ctx.output;
        if (!s || s.length !== 4) return noKeras('the Keras writer takes [N, C, H, W] image inputs');
        return [{ className: 'InputLayer', config: { name: ctx.name, batch_input_shape: [null, s[2]!, s[3]!, s[1]!], dtype: 'float32' } }];
      },
    },
    tfjs: { lower: 'input' },
    pytorch: unsupported('the input is the argument of forward'),
  },
  Conv2d: {
    defaults: { in_channels: null, out_channels: null, kernel_size: null, stride: 1, padding: 0, dilation: 1, groups: 1, bias: true, padding_mode: 'zeros' },
    inferred: { in_channels: 'channels' },
    arity: 1,
    infer: conv2dRule,
    torch: {
      modules: [
        {
          ...module('Conv2d', CONV, 3),
          check: (a) => {
            const p = a['padding'];
            if (typeof p === 'string' && p !== 'same' && p !== 'valid') return `Invalid padding string '${p}', should be one of {'same', 'valid'}`;
            const st = a['stride'] ?? 1;
            const strided = (Array.isArray(st) ? st : [st]).some((s) => s !== 1);
            return p === 'same' && strided ? "padding='same' is not supported for strided convolutions" : null;
          },
        },
      ],
    },
    keras: {
      classes: ['Conv2D', 'Convolution2D', 'DepthwiseConv2D'],
      read: (c, ctx) => {
        const cin = channelsOf(ctx.inputs[0]);
        // DepthwiseConv2D (no `filters`): one group per input channel, `depth_multiplier` outputs each.
        if (c['filters'] === undefined && c['depth_multiplier'] !== undefined) {
          const m = Number(c['depth_multiplier'] ?? 1);
          return {
            attrs: {
              in_channels: cin,
              out_channels: cin === null ? null : cin * m,
              kernel_size: kerasPair(c['kernel_size'], 1),
              stride: kerasPair(c['strides'], 1),
              padding: c['padding'] === 'same' ? 'same' : 0,
              dilation: kerasPair(c['dilation_rate'], 1),
              groups: cin,
              bias: c['use_bias'] !== false,
            },
          };
        }
        return {
          attrs: {
          in_channels: cin,
          out_channels: Number(c['filters']),
          kernel_size: kerasPair(c['kernel_size'], 1),
          stride: kerasPair(c['strides'], 1),
          padding: c['padding'] === 'same' ? 'same' : 0,
          dilation: kerasPair(c['dilation_rate'], 1),
          groups: typeof c['groups'] === 'number' ? c['groups'] : 1,
          bias: c['use_bias'] !== false,
          },
        };
      },
      write: (a, ctx) => {
        const [k, st, dl] = [knownPair(a['kernel_size'], 1), knownPair(a['stride'], 1), knownPair(a['dilation'], 1)];
        if (!k || !st || !dl) return noKeras('kernel size, stride and dilation must be known');
        if ((a['padding_mode'] ?? 'zeros') !== 'zeros') return noKeras(`padding_mode='${String(a['padding_mode'])}'`);
        let padding = kerasPadding(a['padding'], k, st, dl);
        const layers = [];
        if (padding === null) {
          const p = knownPair(a['padding'], 0);
          if (!p) return noKeras('padding must be known');
          layers.push(...kerasZeroPad(ctx.name, [p[0], p[0]], [p[1], p[1]]));
          padding = 'valid';
        }
        const groups = num(a['groups']) ?? 1;
        const [cin, cout] = [num(a['in_channels']), num(a['out_channels'])];
        if (groups > 1 && groups === cin && cout !== null && cout % cin === 0) {
          // One group per input channel is Keras's DepthwiseConv2D (TF.js's Conv2D has no groups at all).
          layers.push({ className: 'DepthwiseConv2D', config: { name: ctx.name, kernel_size: k, strides: st, padding, dilation_rate: dl, depth_multiplier: cout / cin, use_bias: a['bias'] !== false, activation: 'linear', data_format: 'channels_last' } });
          return layers;
        }
        const config = { name: ctx.name, filters: a['out_channels'], kernel_size: k, strides: st, padding, dilation_rate: dl, use_bias: a['bias'] !== false, activation: 'linear', data_format: 'channels_last' };
        layers.push({ className: 'Conv2D', config: groups === 1 ? config : { ...config, groups } });
        return layers;
      },
    },
    tfjs: { lower: 'conv2d' },
    pytorch: { kind: 'module', attrs: sameAsPadding },
  },
  /**
   * `nn.ConvTranspose2d`: out = (in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1.
   * Weights are [in_channels, out_channels / groups, kh, kw]; MACs are every input element times its kernel.
   */
  ConvTranspose2d: {
    defaults: { in_channels: null, out_channels: null, kernel_size: null, stride: 1, padding: 0, output_padding: 0, groups: 1, bias: true, dilation: 1, padding_mode: 'zeros' },
    inferred: { in_channels: 'channels' },
    arity: 1,
    infer: convTranspose2dRule,
    torch: {
      modules: [module('ConvTranspose2d', ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'output_padding', 'groups', 'bias', 'dilation', 'padding_mode', 'device', 'dtype'], 3)],
    },
    keras: {
      classes: ['Conv2DTranspose', 'Convolution2DTranspose'],
      /**
       * Keras sizes the output as in * stride ('same'), in * stride + max(k - stride, 0) ('valid'), or
       * (in - 1) * stride + k - 2 * pad + output_padding when output_padding is given (pad k // 2 for 'same');
       * PyTorch's padding and output_padding are chosen to give the same size.
       */
      read: (c, ctx) => {
        const k = kerasPair(c['kernel_size'], 1);
        const s = kerasPair(c['strides'], 1);
        const d = kerasPair(c['dilation_rate'], 1);
        const same = c['padding'] === 'same';
        const given = c['output_padding'] === null || c['output_padding'] === undefined ? null : kerasPair(c['output_padding'], 0);
        const pad: number[] = [];
        const outPad: number[] = [];
        for (const i of [0, 1]) {
          const ke = d[i]! * (k[i]! - 1) + 1;
          let p: number;
          let op: number;
          if (given) [p, op] = [same ? Math.floor(ke / 2) : 0, given[i]!];
          else if (!same) [p, op] = [0, Math.max(s[i]! - ke, 0)];
          else {
            p = Math.max(Math.ceil((ke - s[i]!) / 2), 0);
            op = 2 * p - (ke - s[i]!);
          }
          if (op >= Math.max(s[i]!, d[i]!)) return unsupported(`this 'same' size needs an output padding PyTorch does not allow (kernel ${k[i]}, stride ${s[i]})`);
          pad.push(p);
          outPad.push(op);
        }
        return {
          attrs: {
            in_channels: channelsOf(ctx.inputs[0]),
            out_channels: Number(c['filters']),
            kernel_size: k,
            stride: s,
            padding: pad,
            output_padding: outPad,
            dilation: d,
            bias: c['use_bias'] !== false,
          },
        };
      },
      write: (a, ctx) => {
        const [k, st, dl, p, op] = [knownPair(a['kernel_size'], 1), knownPair(a['stride'], 1), knownPair(a['dilation'], 1), knownPair(a['padding'], 0), knownPair(a['output_padding'], 0)];
        if (!k || !st || !dl || !p || !op) return noKeras('kernel size, stride, dilation and paddings must be known');
        if ((num(a['groups']) ?? 1) !== 1) return noKeras('Conv2DTranspose has no groups');
        if (p.some((v, i) => v !== 0 && v !== Math.floor((dl[i]! * (k[i]! - 1) + 1) / 2))) return noKeras('Keras pads a transposed convolution by nothing or half the kernel only');
        const padding = p.some((v) => v !== 0) ? 'same' : 'valid';
        return [{ className: 'Conv2DTranspose', config: { name: ctx.name, filters: a['out_channels'], kernel_size: k, strides: st, padding, output_padding: op, dilation_rate: dl, use_bias: a['bias'] !== false, activation: 'linear', data_format: 'channels_last' } }];
      },
    },
    tfjs: noTfjs('transposed convolutions are not lowered'),
    pytorch: asModule,
  },
  BatchNorm2d: {
    defaults: { num_features: null, eps: 1e-5, momentum: 0.1, affine: true, track_running_stats: true },
    inferred: { num_features: 'channels' },
    arity: 1,
    infer: batchNorm2dRule,
    torch: { modules: [module('BatchNorm2d', NORM, 1)] },
    keras: {
      classes: ['BatchNormalization'],
      // A BatchNormalization after a Dense layer normalises [N, C]: that is BatchNorm1d.
      read: (c, ctx) => ({
        ...((ctx.inputs[0]?.length ?? 4) <= 3 ? { op: 'BatchNorm1d' } : {}),
        attrs: {
          num_features: channelsOf(ctx.inputs[0]),
          eps: Number(c['epsilon'] ?? 1e-3),
          momentum: 1 - Number(c['momentum'] ?? 0.99),
          affine: c['center'] !== false || c['scale'] !== false,
          // Keras may learn the shift or the scale alone, which PyTorch's one flag cannot say: kept for the
          // writer, and the reader counts C, not 2C, for such a layer.
          ...(c['center'] === false ? { center: false } : {}),
          ...(c['scale'] === false ? { scale: false } : {}),
        },
      }),
      write: (a, ctx) => [
        {
          className: 'BatchNormalization',
          config: { name: ctx.name, axis: -1, epsilon: a['eps'], momentum: typeof a['momentum'] === 'number' ? 1 - a['momentum'] : 0.99, center: a['affine'] !== false && a['center'] !== false, scale: a['affine'] !== false && a['scale'] !== false },
        },
      ],
    },
    tfjs: { lower: 'batchNorm' },
    pytorch: asModule,
  },
  /** `nn.BatchNorm1d` on [N, C] or [N, C, L]: 2C learnable parameters when affine. */
  BatchNorm1d: {
    defaults: { num_features: null, eps: 1e-5, momentum: 0.1, affine: true, track_running_stats: true },
    inferred: { num_features: 'channels' },
    arity: 1,
    infer: batchNorm1dRule,
    torch: { modules: [module('BatchNorm1d', NORM, 1)] },
    keras: {
      classes: [],
      read: () => unsupported('read through BatchNorm2d'),
      write: (a, ctx) => [
        {
          className: 'BatchNormalization',
          config: { name: ctx.name, axis: -1, epsilon: a['eps'], momentum: typeof a['momentum'] === 'number' ? 1 - a['momentum'] : 0.99, center: a['affine'] !== false, scale: a['affine'] !== false },
        },
      ],
    },
    tfjs: noTfjs('BatchNorm1d is not lowered'),
    pytorch: asModule,
  },
  /** `nn.InstanceNorm2d`: per-sample, per-channel statistics; learnable only with affine=True (not the default). */
  InstanceNorm2d: {
    defaults: { num_features: null, eps: 1e-5, momentum: 0.1, affine: false, track_running_stats: false },
    inferred: { num_features: 'channels' },
    arity: 1,
    infer: instanceNorm2dRule,
    torch: { modules: [module('InstanceNorm2d', NORM, 1)] },
    keras: noKeras('Keras has no InstanceNormalization layer in its core set'),
    tfjs: noTfjs('instance normalisation is not lowered'),
    pytorch: asModule,
  },
  GroupNorm: {
    defaults: { num_groups: null, num_channels: null, eps: 1e-5, affine: true },
    inferred: { num_channels: 'channels' },
    arity: 1,
    infer: groupNormRule,
    torch: { modules: [module('GroupNorm', ['num_groups', 'num_channels', 'eps', 'affine', 'device', 'dtype'], 2)] },
    keras: {
      classes: ['GroupNormalization'],
      read: (c, ctx) => ({ attrs: { num_groups: Number(c['groups'] ?? 32), num_channels: channelsOf(ctx.inputs[0]), eps: Number(c['epsilon'] ?? 1e-3), affine: c['center'] !== false || c['scale'] !== false } }),
      write: (a, ctx) => [{ className: 'GroupNormalization', config: { name: ctx.name, groups: a['num_groups'], axis: -1, epsilon: a['eps'], center: a['affine'] !== false, scale: a['affine'] !== false } }],
    },
    tfjs: noTfjs('group normalisation is not lowered'),
    pytorch: asModule,
  },
  /**
   * `nn.LayerNorm(normalized_shape)` and `F.layer_norm`: normalises the trailing dimensions. The module learns
   * a weight and a bias of `normalized_shape` each (2·prod(normalized_shape)) unless `elementwise_affine=False`.
   * `bias` is PyTorch 2.1's argument; only `F.layer_norm` given a weight and no bias, or a Keras
   * LayerNormalization with `center=False`, sets it here (1.13's class cannot, so the PyTorch writer refuses
   * it). The functional form counts the weight and bias tensors it is given, as `F.conv2d` counts its weight.
   * MACs are 0, as for every normalisation (only Conv2d and Linear are counted).
   */
  LayerNorm: {
    defaults: { normalized_shape: null, eps: 1e-5, elementwise_affine: true, bias: true },
    arity: 1,
    infer(a, [x]) {
      const ns = a['normalized_shape'];
      const shape = (Array.isArray(ns) ? ns : [ns]).map((d) => asDim(d));
      const n = numel(shape);
      const affine = a['elementwise_affine'];
      // An affine switch the analysis does not know (a weight that may be None) leaves the count unknown.
      const params = affine === false ? 0 : affine !== true || n === null ? null : a['bias'] === false ? n : 2 * n;
      const fail = (message: string) => ok(null, params, 0, [{ severity: 'error', code: 'shape/layer-norm', message }]);
      if (shape.length === 0) return fail('Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = []');
      if (!x) return ok(null, params, 0);
      const tail = x.slice(x.length - shape.length);
      const bad = x.length < shape.length || tail.some((d, i) => typeof d === 'number' && typeof shape[i] === 'number' && d !== shape[i]);
      if (bad) return fail(`Given normalized_shape=[${shape.join(', ')}], expected input with shape [*, ${shape.join(', ')}], but got input of size[${x.join(', ')}]`);
      return ok(x, params, 0);
    },
    torch: { modules: [module('LayerNorm', ['normalized_shape', 'eps', 'elementwise_affine', 'device', 'dtype'], 1)] },
    keras: {
      // Keras normalises over `axis` (channels-last unless the model is channels-first), nn.LayerNorm over the
      // trailing dimensions of the IR's order: the same layer only where those are the same axes (all but the
      // batch of an image, its width, or the features of a Dense output; an image's channels alone are not).
      classes: ['LayerNormalization'],
      read: (c, ctx) => {
        const x = ctx.inputs[0];
        if (!x) return unsupported('the input shape must be known');
        if (c['rms_scaling'] === true) return unsupported('RMS scaling is not what nn.LayerNorm computes');
        const rank = x.length;
        const raw = c['axis'] ?? -1;
        const axes = [...new Set((Array.isArray(raw) ? raw : [raw]).map((k) => irAxisOfKeras(Number(k), rank, ctx.channelsFirst)))].sort((p, q) => p - q);
        if (axes.length === 0 || axes.some((k) => !Number.isInteger(k) || k < 1 || k >= rank)) return unsupported(`axis ${JSON.stringify(raw)} is not a non-batch axis of a rank-${rank} input`);
        if (axes.some((k, i) => k !== rank - axes.length + i)) return unsupported(`axis ${JSON.stringify(raw)} is not the trailing dimensions nn.LayerNorm normalises, in PyTorch's order`);
        const ns = x.slice(rank - axes.length);
        if (!ns.every((d): d is number => typeof d === 'number')) return unsupported(`the normalised sizes must be known, got ${formatShape(x)}`);
        const [center, scale] = [c['center'] !== false, c['scale'] !== false];
        if (center && !scale) return unsupported('a shift learned without a scale has no nn.LayerNorm');
        return { attrs: { normalized_shape: ns, eps: Number(c['epsilon'] ?? 1e-3), elementwise_affine: scale, ...(scale && !center ? { bias: false } : {}) } };
      },
      write: (a, ctx) => {
        const rank = ctx.inputs[0]?.length ?? 0;
        const ns = a['normalized_shape'];
        const m = Array.isArray(ns) ? ns.length : 1;
        if (m < 1 || m >= rank) return noKeras(`normalized_shape ${pyLiteral(ns ?? null)} must leave the batch axis of a rank-${rank} input`);
        if (a['elementwise_affine'] !== true && a['elementwise_affine'] !== false) return noKeras('whether it learns a weight is unknown');
        const axes = Array.from({ length: m }, (_, i) => kerasAxisOfIr(rank - m + i, rank)).sort((p, q) => p - q);
        const scale = a['elementwise_affine'];
        return [{ className: 'LayerNormalization', config: { name: ctx.name, axis: axes.length === 1 ? axes[0]! : axes, epsilon: a['eps'], center: scale && a['bias'] !== false, scale } }];
      },
    },
    tfjs: noTfjs('layer normalisation is not lowered'),
    pytorch: asModule,
  },
  /**
   * `nn.LocalResponseNorm(size, alpha, beta, k)` and `F.local_response_norm`: AlexNet's normalisation across
   * `size` neighbouring channels of a 3-D or higher input. No parameters; its MACs are 0, as for every
   * normalisation and pointwise op here (the totals count Conv2d and Linear only, as torchinfo does).
   */
  LocalResponseNorm: {
    defaults: { size: null, alpha: 1e-4, beta: 0.75, k: 1 },
    arity: 1,
    infer(a, [x]) {
      const fail = (code: string, message: string) => ok(null, 0, 0, [{ severity: 'error', code, message }]);
      if (x && x.length < 3) return fail('shape/rank', `Expected 3D or higher dimensionality input (got ${x.length} dimensions)`);
      const size = num(a['size']);
      // PyTorch pools over `size` channels, which refuses an empty window when it runs.
      if (size !== null && size <= 0) return fail('attr/local-response-norm', `kernel size should be greater than zero, but got kT: ${size} kH: 1 kW: 1`);
      return ok(x ?? null);
    },
    torch: {
      modules: [module('LocalResponseNorm', ['size', 'alpha', 'beta', 'k'], 1)],
      functions: [{ name: 'F.local_response_norm', params: ['input', 'size', 'alpha', 'beta', 'k'], required: 2 }],
    },
    keras: noKeras('Keras has no local response normalisation layer in its core set'),
    tfjs: noTfjs('local response normalisation is not lowered'),
    pytorch: asModule,
  },
  ReLU: activation('ReLU', {
    functions: [...spellings('relu', ['F', 'torch', 'Tensor'], ['inplace']), ...spellings('relu_', ['F', 'torch', 'Tensor'])],
    keras: 'relu',
    kerasClass: {
      classes: ['ReLU'],
      read: (c) => {
        const max = c['max_value'];
        const slope = Number(c['negative_slope'] ?? 0);
        const threshold = Number(c['threshold'] ?? 0);
        if (slope !== 0 || threshold !== 0) return unsupported(`ReLU with negative_slope=${slope}, threshold=${threshold}`);
        if (max === null || max === undefined) return { attrs: {} };
        return Number(max) === 6 ? { op: 'ReLU6', attrs: {} } : unsupported(`ReLU with max_value=${String(max)}`);
      },
      write: (_a, ctx) => [{ className: 'ReLU', config: { name: ctx.name } }],
    },
    tfjs: tfAct('reLU'),
  }),
  ReLU6: activation('ReLU6', {
    defaults: { max_value: 6 },
    functions: spellings('relu6', ['F'], ['inplace']),
    kerasClass: { classes: [], read: () => unsupported('read through ReLU'), write: (_a, ctx) => [{ className: 'ReLU', config: { name: ctx.name, max_value: 6 } }] },
    tfjs: tfAct('reLU', (a) => ({ maxValue: num(a['max_value']) ?? 6 })),
  }),
  LeakyReLU: activation('LeakyReLU', {
    params: ['negative_slope', 'inplace'],
    defaults: { negative_slope: 0.01 },
    functions: spellings('leaky_relu', ['F'], ['negative_slope', 'inplace']),
    kerasClass: {
      classes: ['LeakyReLU'],
      read: (c) => ({ attrs: { negative_slope: Number(c['alpha'] ?? c['negative_slope'] ?? 0.3) } }),
      write: (a, ctx) => [{ className: 'LeakyReLU', config: { name: ctx.name, alpha: a['negative_slope'] } }],
    },
    tfjs: tfAct('leakyReLU', (a) => ({ alpha: num(a['negative_slope']) ?? 0.01 })),
  }),
  ELU: activation('ELU', {
    params: ['alpha', 'inplace'],
    defaults: { alpha: 1 },
    functions: spellings('elu', ['F'], ['alpha', 'inplace']),
    keras: 'elu',
    tfjs: tfAct('elu', (a) => ({ alpha: num(a['alpha']) ?? 1 })),
  }),
  GELU: activation('GELU', {
    params: ['approximate'],
    defaults: { approximate: 'none' },
    functions: spellings('gelu', ['F'], ['approximate']),
    keras: 'gelu',
    tfjs: tfAct('customActivation', (a) => ({ kind: a['approximate'] === 'tanh' ? 'gelu_tanh' : 'gelu' })),
  }),
  SiLU: activation('SiLU', {
    functions: spellings('silu', ['F'], ['inplace']),
    keras: 'swish',
    tfjs: tfAct('customActivation', () => ({ kind: 'silu' })),
  }),
  Mish: activation('Mish', { functions: spellings('mish', ['F'], ['inplace']), tfjs: noTfjs('Mish is not lowered') }),
  /** `nn.Hardtanh(min_val, max_val)`: clamps to [min_val, max_val] (ReLU6 is Hardtanh(0, 6)). */
  Hardtanh: activation('Hardtanh', {
    params: ['min_val', 'max_val', 'inplace'],
    defaults: { min_val: -1, max_val: 1 },
    functions: spellings('hardtanh', ['F'], ['min_val', 'max_val', 'inplace']),
    tfjs: noTfjs('Hardtanh is not lowered'),
  }),
  SELU: activation('SELU', { functions: spellings('selu', ['F', 'torch'], ['inplace']), keras: 'selu', tfjs: tfAct('activation', () => ({ activation: 'selu' })) }),
  Sigmoid: activation('Sigmoid', {
    params: [],
    functions: spellings('sigmoid', ['F', 'torch', 'Tensor']),
    keras: 'sigmoid',
    tfjs: tfAct('activation', () => ({ activation: 'sigmoid' })),
  }),
  Tanh: activation('Tanh', {
    params: [],
    functions: spellings('tanh', ['F', 'torch', 'Tensor']),
    keras: 'tanh',
    tfjs: tfAct('activation', () => ({ activation: 'tanh' })),
  }),
  Hardswish: activation('Hardswish', {
    functions: spellings('hardswish', ['F'], ['inplace']),
    keras: 'hard_swish',
    tfjs: tfAct('customActivation', () => ({ kind: 'hardswish' })),
  }),
  Hardsigmoid: activation('Hardsigmoid', {
    functions: spellings('hardsigmoid', ['F'], ['inplace']),
    tfjs: noTfjs("TF.js's hard sigmoid has a different slope from PyTorch's"),
  }),
  Softmax: {
    defaults: { dim: -1 },
    arity: 1,
    infer: sameShape,
    torch: {
      modules: [module('Softmax', ['dim'])],
      functions: [
        { name: 'F.softmax', params: ['input', 'dim', '_stacklevel', 'dtype'] },
        { name: 'torch.softmax', params: ['input', 'dim', 'dtype'] },
        { name: 'Tensor.softmax', params: ['self', 'dim', 'dtype'] },
      ],
    },
    kerasActivation: 'softmax',
    keras: {
      classes: ['Softmax'],
      read: (c, ctx) => ({ attrs: { dim: irAxisOfKeras(Number(c['axis'] ?? -1), ctx.inputs[0]?.length ?? 2, ctx.channelsFirst) } }),
      write: (a, ctx) => [{ className: 'Softmax', config: { name: ctx.name, axis: kerasAxisOfIr(num(a['dim']) ?? -1, ctx.inputs[0]?.length ?? 2) } }],
    },
    tfjs: { lower: 'softmax' },
    pytorch: asModule,
  },
  Softplus: activation('Softplus', { params: ['beta', 'threshold'], defaults: { beta: 1, threshold: 20 }, functions: spellings('softplus', ['F'], ['beta', 'threshold']), keras: 'softplus', tfjs: noTfjs('Softplus with beta and threshold is not lowered') }),
  /**
   * `nn.PReLU`: one learnable slope, or one per channel (then the input's dimension 1 must match). A Keras PReLU
   * that does not share its slopes over the spatial axes learns one per position: `slope_shape` holds that
   * weight's shape (the input's, in the IR's order, less the batch, with 1 on each shared axis) and
   * `num_parameters` their count. PyTorch's PReLU has no such form, so only the Keras reader makes it.
   */
  PReLU: {
    defaults: { num_parameters: 1, init: 0.25 },
    arity: 1,
    infer: preluRule,
    torch: { modules: [module('PReLU', ['num_parameters', 'init', 'device', 'dtype'])] },
    keras: {
      classes: ['PReLU'],
      // Keras learns one slope per element unless `shared_axes` (channels-last axes, the batch being 0) shares
      // it: shared over the spatial axes it is PyTorch's one slope per channel, or one in all with the channels.
      read: (c, ctx): KerasRead | Unsupported => {
        const x = ctx.inputs[0];
        if (!x) return unsupported('the input shape must be known');
        const rank = x.length;
        const raw = c['shared_axes'];
        const shared = new Set((Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw]).map(Number));
        if ([...shared].some((k) => !Number.isInteger(k) || k < 1 || k >= rank)) return unsupported(`shared_axes ${JSON.stringify(raw)} are not axes of a rank-${rank} input`);
        const channels = ctx.channelsFirst ? 1 : rank - 1;
        const spatial = [...Array(rank).keys()].slice(1).filter((k) => k !== channels);
        if (spatial.every((k) => shared.has(k))) return { attrs: { num_parameters: shared.has(channels) ? 1 : channelsOf(x) } };
        const slopes = x.slice(1).map((d, i) => (shared.has(ctx.channelsFirst ? i + 1 : kerasAxisOfIr(i + 1, rank)) ? 1 : d));
        if (!slopes.every((d): d is number => typeof d === 'number')) return unsupported(`a slope per position needs the input's size, got ${formatShape(x)}`);
        // Spatial axes of size 1 make one slope per position one per channel (after a pooling to 1x1).
        if (slopes.slice(1).every((d) => d === 1)) return { attrs: { num_parameters: slopes[0]! } };
        return { attrs: { num_parameters: numel(slopes), slope_shape: slopes } };
      },
      write: (a, ctx) => {
        const rank = ctx.inputs[0]?.length ?? 4;
        const slopes = a['slope_shape'];
        if (Array.isArray(slopes)) {
          // An axis of size 1 is written shared: its one slope is the same weight either way.
          const shared = slopes.flatMap((d, i) => (d === 1 ? [kerasAxisOfIr(i + 1, rank)] : [])).sort((p, q) => p - q);
          return [{ className: 'PReLU', config: { name: ctx.name, shared_axes: shared.length ? shared : null } }];
        }
        const spatial = [...Array(rank).keys()].slice(1, -1);
        return [{ className: 'PReLU', config: { name: ctx.name, shared_axes: num(a['num_parameters']) === 1 ? [...spatial, rank - 1] : spatial } }];
      },
    },
    tfjs: noTfjs('PReLU is not lowered'),
    pytorch: {
      kind: 'module',
      attrs: (a) =>
        Array.isArray(a['slope_shape'])
          ? unsupported(`nn.PReLU learns one slope or one per channel, not one per position as this Keras PReLU does (slopes of shape ${formatShape(a['slope_shape'].map(asDim))})`)
          : a,
    },
  },
  MaxPool2d: {
    defaults: { kernel_size: null, stride: null, padding: 0, dilation: 1, ceil_mode: false },
    arity: 1,
    infer: poolRule('max'),
    torch: {
      modules: [module('MaxPool2d', ['kernel_size', 'stride', 'padding', 'dilation', 'return_indices', 'ceil_mode'], 1)],
      functions: [{ name: 'F.max_pool2d', params: ['input', 'kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode', 'return_indices'], required: 2 }],
    },
    keras: kerasPool('MaxPooling2D'),
    tfjs: { lower: 'pool' },
    pytorch: asModule,
  },
  AvgPool2d: {
    defaults: { kernel_size: null, stride: null, padding: 0, ceil_mode: false, count_include_pad: true },
    arity: 1,
    infer: poolRule('avg'),
    torch: {
      modules: [module('AvgPool2d', ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override'], 1)],
      functions: [{ name: 'F.avg_pool2d', params: ['input', 'kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override'], required: 2 }],
    },
    keras: kerasPool('AveragePooling2D'),
    tfjs: { lower: 'pool' },
    pytorch: asModule,
  },
  AdaptiveAvgPool2d: {
    defaults: { output_size: null },
    arity: 1,
    infer: adaptiveRule,
    torch: {
      modules: [module('AdaptiveAvgPool2d', ['output_size'], 1)],
      functions: [{ name: 'F.adaptive_avg_pool2d', params: ['input', 'output_size'], required: 2 }],
    },
    keras: {
      classes: [],
      read: () => unsupported('GlobalAveragePooling2D reads as mean'),
      write: (a, ctx) =>
        JSON.stringify(ctx.output?.slice(2)) === '[1,1]'
          ? [{ className: 'GlobalAveragePooling2D', config: { name: ctx.name, keepdims: true, data_format: 'channels_last' } }]
          : noKeras(`adaptive average pooling to ${pyLiteral(a['output_size'])} (only to 1x1)`),
    },
    tfjs: { lower: 'adaptivePool' },
    pytorch: asModule,
  },
  AdaptiveMaxPool2d: {
    defaults: { output_size: null },
    arity: 1,
    infer: adaptiveRule,
    torch: {
      modules: [module('AdaptiveMaxPool2d', ['output_size', 'return_indices'], 1)],
      functions: [{ name: 'F.adaptive_max_pool2d', params: ['input', 'output_size', 'return_indices'], required: 2 }],
    },
    keras: {
      classes: [],
      read: () => unsupported('GlobalMaxPooling2D reads as max'),
      write: (a, ctx) =>
        JSON.stringify(ctx.output?.slice(2)) === '[1,1]'
          ? [{ className: 'GlobalMaxPooling2D', config: { name: ctx.name, keepdims: true, data_format: 'channels_last' } }]
          : noKeras(`adaptive max pooling to ${pyLiteral(a['output_size'])} (only to 1x1)`),
    },
    tfjs: { lower: 'adaptivePool' },
    pytorch: asModule,
  },
  Linear: {
    defaults: { in_features: null, out_features: null, bias: true },
    inferred: { in_features: 'features' },
    arity: 1,
    infer: linearRule,
    torch: { modules: [module('Linear', ['in_features', 'out_features', 'bias', 'device', 'dtype'], 2)] },
    keras: {
      classes: ['Dense'],
      read: (c, ctx) => {
        const x = ctx.inputs[0];
        return { attrs: { in_features: x ? (x[x.length - 1] ?? null) : null, out_features: Number(c['units']), bias: c['use_bias'] !== false } };
      },
      write: (a, ctx) => [{ className: 'Dense', config: { name: ctx.name, units: a['out_features'], use_bias: a['bias'] !== false, activation: 'linear' } }],
    },
    tfjs: { lower: 'linear' },
    pytorch: asModule,
  },
  Flatten: {
    defaults: { start_dim: 1, end_dim: -1 },
    arity: 1,
    infer: flattenRule,
    torch: {
      modules: [module('Flatten', ['start_dim', 'end_dim'])],
      functions: [
        { name: 'torch.flatten', params: ['input', 'start_dim', 'end_dim'], defaults: { start_dim: 0 } },
        { name: 'Tensor.flatten', params: ['self', 'start_dim', 'end_dim'], defaults: { start_dim: 0 } },
      ],
    },
    keras: {
      classes: ['Flatten'],
      read: () => ({ attrs: {} }),
      write: (a, ctx) => (num(a['start_dim']) === 1 && num(a['end_dim']) === -1 ? [{ className: 'Flatten', config: { name: ctx.name } }] : noKeras('Flatten keeps the batch axis only')),
    },
    tfjs: { lower: 'flatten' },
    pytorch: asModule,
  },
  /** `nn.Unflatten(dim, unflattened_size)`: one dimension becomes several (one of them may be -1). */
  Unflatten: {
    defaults: { dim: null, unflattened_size: null },
    arity: 1,
    infer(a, [x]) {
      if (!x) return ok(null);
      const d = num(a['dim']);
      const sizes = sizesOf(a['unflattened_size']);
      if (d === null || sizes.length === 0) return ok(null);
      const bad = dimRangeIssue('unflatten', d, x.length);
      if (bad) return ok(null, 0, 0, [bad]);
      const at = axis(d, x.length);
      const have = x[at]!;
      const known = numel(sizes.filter((s) => s !== -1));
      const holes = sizes.filter((s) => s === -1).length;
      let out = sizes;
      if (typeof have === 'number' && known !== null) {
        if (holes === 0 ? known !== have : holes > 1 || known === 0 || have % known !== 0) {
          return ok(null, 0, 0, [{ severity: 'error', code: 'shape/unflatten', message: `unflatten: Provided sizes [${sizes.join(', ')}] don't multiply up to the size of dim ${d} (${have}) in the input tensor` }]);
        }
        out = sizes.map((s) => (s === -1 ? have / known : s));
      } else out = sizes.map((s) => (s === -1 ? null : s));
      return ok([...x.slice(0, at), ...out, ...x.slice(at + 1)]);
    },
    torch: { modules: [module('Unflatten', ['dim', 'unflattened_size'], 2)], functions: [{ name: 'Tensor.unflatten', params: ['self', 'dim', 'sizes'], required: 3, rename: { sizes: 'unflattened_size' } }] },
    keras: noKeras('Reshape is read as reshape'),
    tfjs: noTfjs('Unflatten is not lowered; write a view'),
    pytorch: asModule,
  },
  Dropout: {
    defaults: { p: 0.5, inplace: false },
    arity: 1,
    infer: sameShape,
    torch: { modules: [module('Dropout', ['p', 'inplace'])], functions: [{ name: 'F.dropout', params: ['input', 'p', 'training', 'inplace'] }] },
    keras: kerasSimple(
      'Dropout',
      (c) => ({ attrs: { p: Number(c['rate'] ?? 0.5) } }),
      (a) => ({ rate: a['p'] }),
    ),
    tfjs: tfAct('dropout', (a) => ({ rate: num(a['p']) ?? 0.5 })),
    pytorch: asModule,
  },
  /** Zeroes whole channels; the shape is Dropout's. */
  Dropout2d: {
    defaults: { p: 0.5, inplace: false },
    arity: 1,
    infer: sameShape,
    torch: { modules: [module('Dropout2d', ['p', 'inplace'])], functions: [{ name: 'F.dropout2d', params: ['input', 'p', 'training', 'inplace'] }] },
    keras: kerasSimple(
      'SpatialDropout2D',
      (c) => ({ attrs: { p: Number(c['rate'] ?? 0.5) } }),
      (a) => ({ rate: a['p'] }),
    ),
    tfjs: noTfjs('spatial dropout is not lowered'),
    pytorch: asModule,
  },
  /** `nn.ZeroPad2d(padding)`: an int, or (left, right, top, bottom) on the last two dimensions. */
  ZeroPad2d: padLayer('ZeroPad2d', ['padding'], { padding: 0 }),
  /** `nn.ConstantPad2d(padding, value)`: as ZeroPad2d, with a fill value. */
  ConstantPad2d: padLayer('ConstantPad2d', ['padding', 'value'], { padding: 0, value: 0 }),
  Identity: {
    defaults: {},
    arity: 1,
    infer: sameShape,
    torch: { modules: [{ name: 'Identity', params: [], required: 0, anyArgs: true }] },
    kerasActivation: 'linear',
    keras: {
      // Keras's augmentation layers inside a model change the data in training only: at inference, and for
      // shapes and counts, each is the identity (no weights). The writer never needs to emit one.
      classes: ['RandomFlip', 'RandomRotation', 'RandomZoom', 'RandomContrast', 'RandomTranslation', 'RandomBrightness'],
      read: () => ({ attrs: {} }),
      // An nn.Identity (a replaced head, say) is written as a linear activation, which passes its input on.
      write: (_a, ctx) => [{ className: 'Activation', config: { name: ctx.name, activation: 'linear' } }],
    },
    tfjs: { lower: 'identity' },
    pytorch: asModule,
  },
  /** `nn.Upsample` and `F.interpolate`: each spatial size is `size`, or floor(size * scale_factor). */
  interpolate: {
    defaults: { size: null, scale_factor: null, mode: 'nearest', align_corners: null, recompute_scale_factor: null },
    arity: 1,
    infer: interpolateRule,
    torch: {
      modules: [
        module('Upsample', ['size', 'scale_factor', 'mode', 'align_corners', 'recompute_scale_factor']),
        module('UpsamplingNearest2d', ['size', 'scale_factor'], 0, { mode: 'nearest' }),
        module('UpsamplingBilinear2d', ['size', 'scale_factor'], 0, { mode: 'bilinear', align_corners: true }),
      ],
      functions: [
        { name: 'F.interpolate', params: ['input', 'size', 'scale_factor', 'mode', 'align_corners', 'recompute_scale_factor', 'antialias'] },
        { name: 'F.upsample', params: ['input', 'size', 'scale_factor', 'mode', 'align_corners'] },
      ],
    },
    keras: {
      classes: ['UpSampling2D'],
      read: (c) => {
        const mode = String(c['interpolation'] ?? 'nearest');
        if (mode !== 'nearest' && mode !== 'bilinear') return unsupported(`UpSampling2D interpolation '${mode}'`);
        // Keras's bilinear upsampling samples at half-pixel centres without corner alignment, as PyTorch's default.
        return { attrs: { scale_factor: kerasPair(c['size'], 2), mode } };
      },
      write: (a, ctx) => {
        const x = ctx.inputs[0];
        const y = ctx.output;
        if (!x || !y || x.length !== 4 || y.length !== 4) return noKeras('UpSampling2D takes images');
        const f = [2, 3].map((i) => (typeof x[i] === 'number' && typeof y[i] === 'number' && (y[i] as number) % (x[i] as number) === 0 ? (y[i] as number) / (x[i] as number) : null));
        if (f.some((v) => v === null)) return noKeras('UpSampling2D scales by whole factors only');
        const mode = String(a['mode']);
        if (mode !== 'nearest' && !(mode === 'bilinear' && a['align_corners'] !== true)) return noKeras(`interpolation mode '${mode}'${a['align_corners'] === true ? ' with align_corners' : ''}`);
        return [{ className: 'UpSampling2D', config: { name: ctx.name, size: f as number[], interpolation: mode, data_format: 'channels_last' } }];
      },
    },
    tfjs: {
      lower: 'imageLayer',
      factory: 'upSampling2d',
      config: (a, input, output) => {
        const f = [2, 3].map((i) => (output[i]! % input[i]! === 0 ? output[i]! / input[i]! : null));
        if (f.some((v) => v === null)) return unsupported('upsampling by a fraction has no TF.js layer');
        // TF.js's bilinear UpSampling2D aligns corners differently from PyTorch, so only nearest gives the same function.
        if (a['mode'] !== 'nearest') return unsupported(`TF.js's '${String(a['mode'])}' upsampling samples differently from PyTorch's`);
        return { size: f as number[], interpolation: 'nearest' };
      },
    },
    pytorch: asModule,
  },
  add: {
    defaults: {},
    arity: -1,
    infer: addRule,
    torch: {},
    keras: {
      classes: ['Add'],
      read: () => ({ attrs: {} }),
      write: (_a, ctx) => [{ className: 'Add', config: { name: ctx.name } }],
    },
    tfjs: { lower: 'add' },
    pytorch: expr((ins) => ins.join(' + ')),
  },
  /** Elementwise product, difference or quotient of two tensors with broadcasting (squeeze-and-excitation gates). */
  mul: binary('mul', '*', 'Multiply'),
  sub: binary('sub', '-', 'Subtract'),
  div: binary('div', '/', null),
  concat: {
    defaults: { dim: 1 },
    arity: -1,
    infer: concatRule,
    torch: {},
    keras: {
      classes: ['Concatenate'],
      read: (c, ctx) => ({ attrs: { dim: irAxisOfKeras(Number(c['axis'] ?? -1), ctx.inputs[0]?.length ?? 4, ctx.channelsFirst) } }),
      write: (a, ctx) => [{ className: 'Concatenate', config: { name: ctx.name, axis: kerasAxisOfIr(num(a['dim']) ?? 1, ctx.inputs[0]?.length ?? 4) } }],
    },
    tfjs: { lower: 'concat' },
    pytorch: expr((ins, a) => `torch.cat([${ins.join(', ')}], dim=${pyLiteral(a['dim'])})`),
  },
  /** `F.pad`: `pad` lists (before, after) pairs starting from the last dimension, as PyTorch does. */
  pad: {
    defaults: { pad: [], value: 0, mode: 'constant' },
    arity: 1,
    infer: padRule,
    torch: { functions: [{ name: 'F.pad', params: ['input', 'pad', 'mode', 'value'], required: 2 }] },
    keras: {
      classes: ['ZeroPadding2D'],
      read: (c) => {
        const p = c['padding'];
        let tb: [number, number];
        let lr: [number, number];
        if (Array.isArray(p) && Array.isArray(p[0])) {
          tb = kerasPair(p[0], 0);
          lr = kerasPair(p[1], 0);
        } else {
          const [ph, pw] = kerasPair(p, 1);
          tb = [ph, ph];
          lr = [pw, pw];
        }
        return { attrs: { pad: [lr[0], lr[1], tb[0], tb[1]] } };
      },
      write: (a, ctx) => {
        const p = (Array.isArray(a['pad']) ? a['pad'] : []).map(Number);
        if ((a['mode'] ?? 'constant') !== 'constant' || (a['value'] ?? 0) !== 0) return noKeras('ZeroPadding2D pads with zeros only');
        if (p.length !== 4 || p.some((v) => !Number.isInteger(v) || v < 0)) return noKeras('ZeroPadding2D pads the two spatial axes by known amounts');
        return [{ className: 'ZeroPadding2D', config: { name: ctx.name, padding: [[p[2]!, p[3]!], [p[0]!, p[1]!]], data_format: 'channels_last' } }];
      },
    },
    tfjs: { lower: 'pad' },
    pytorch: expr(([x], a) => `F.pad(${x}, ${pyLiteral(a['pad'])}${(a['mode'] ?? 'constant') !== 'constant' ? `, mode=${pyLiteral(a['mode'])}` : ''}${(a['value'] ?? 0) !== 0 ? `, value=${pyLiteral(a['value'])}` : ''})`),
  },
  /** Basic slicing: `slices[i]` is `[start, stop, step]` (null = default) for dimension i; missing dims are kept. */
  slice: {
    defaults: { slices: [] },
    arity: 1,
    infer: sliceRule,
    torch: {},
    keras: noKeras('Keras has no general slicing layer'),
    tfjs: { lower: 'slice' },
    pytorch: expr(([x], a) => {
      const part = (v: AttrValue | undefined) => (typeof v === 'number' ? String(v) : '');
      const sl = (Array.isArray(a['slices']) ? a['slices'] : []).map((s) => {
        const [st, en, step] = Array.isArray(s) ? s : [];
        return `${part(st)}:${part(en)}${typeof step === 'number' && step !== 1 ? `:${step}` : ''}`;
      });
      return `${x}[${sl.join(', ')}]`;
    }),
  },
  /** `view`/`reshape`: `shape` may hold one -1. */
  reshape: {
    defaults: { shape: [] },
    arity: 1,
    infer: reshapeRule,
    torch: {},
    keras: {
      classes: ['Reshape'],
      // Keras's target leaves out the batch and is channels-last: [H, W, C] is the IR's [C, H, W].
      read: (c, ctx) => {
        const t = Array.isArray(c['target_shape']) ? (c['target_shape'] as unknown[]).map(Number) : null;
        if (!t || t.some((d) => !Number.isInteger(d))) return unsupported('target_shape must be a list of integers');
        const ir = !ctx.channelsFirst && t.length >= 2 ? [t[t.length - 1]!, ...t.slice(0, -1)] : t;
        return { attrs: { shape: [asDim(ctx.inputs[0]?.[0] ?? null) ?? -1, ...ir] } };
      },
      write: (a, ctx) => {
        const s = Array.isArray(a['shape']) ? a['shape'].map(Number) : [];
        if (s.length < 2 || s.some((d) => !Number.isInteger(d)) || s[0] !== ctx.inputs[0]?.[0]) return noKeras('Reshape keeps the batch axis and takes known sizes');
        const rest = s.slice(1);
        return [{ className: 'Reshape', config: { name: ctx.name, target_shape: rest.length >= 2 ? [...rest.slice(1), rest[0]!] : rest } }];
      },
    },
    tfjs: { lower: 'reshape' },
    pytorch: expr(([x], a, [s]) => {
      const target = Array.isArray(a['shape']) ? a['shape'] : [];
      const rest = target.slice(1).map(pyLiteral);
      return s && s[0] === target[0] ? `${x}.reshape(${[`${x}.size(0)`, ...rest].join(', ')})` : `${x}.reshape(${target.map(pyLiteral).join(', ')})`;
    }),
  },
  /** Mean over `dim` (list of axes, null for all), optionally keeping them. */
  mean: reduction(
    'mean',
    [
      { name: 'torch.mean', params: ['input', 'dim', 'keepdim', 'dtype'], defaults: { dim: null } },
      { name: 'Tensor.mean', params: ['self', 'dim', 'keepdim', 'dtype'], defaults: { dim: null } },
    ],
    globalPool('GlobalAveragePooling2D'),
    { lower: 'mean' },
  ),
  /** `torch.sum`, `torch.max`/`amax` and `torch.min`/`amin` over dimensions: the same shape rule as `mean`. */
  sum: reduction(
    'sum',
    [
      { name: 'torch.sum', params: ['input', 'dim', 'keepdim', 'dtype'], defaults: { dim: null } },
      { name: 'Tensor.sum', params: ['self', 'dim', 'keepdim', 'dtype'], defaults: { dim: null } },
    ],
    noKeras('Keras has no sum layer'),
    noTfjs('sum is not lowered'),
  ),
  max: reduction('max', [], globalPool('GlobalMaxPooling2D'), noTfjs('max over dimensions is not lowered')),
  min: reduction('min', [], noKeras('Keras has no min layer'), noTfjs('min over dimensions is not lowered')),
  /**
   * `torch.matmul` / `mm` / `bmm` / `@`, with PyTorch's rules for 1-D operands and broadcast batch dimensions.
   * Like torchinfo, the MAC total counts layers (Conv2d, Linear), not functional products, so this adds none.
   */
  matmul: {
    defaults: {},
    arity: 2,
    infer: matmulRule,
    torch: {},
    keras: noKeras('Dot is not mapped yet'),
    tfjs: noTfjs('matrix products of activations are not lowered'),
    pytorch: expr(([a, b]) => `${a} @ ${b}`),
  },
  /** `F.normalize(x, p, dim)`: unit `p`-norm along `dim`; the shape is unchanged. */
  normalize: {
    defaults: { p: 2, dim: 1 },
    arity: 1,
    infer: sameShape,
    torch: { functions: [{ name: 'F.normalize', params: ['input', 'p', 'dim', 'eps', 'out'] }] },
    keras: noKeras('UnitNormalization is not mapped yet'),
    tfjs: noTfjs('normalize is not lowered'),
    pytorch: expr(([x], a) => `F.normalize(${x}, p=${pyLiteral(a['p'])}, dim=${pyLiteral(a['dim'])})`),
  },
  /** `a < b`, `a == b`, ... on two tensors: a boolean tensor, with broadcasting. */
  compare: {
    defaults: { op: '<' },
    arity: 2,
    infer: elementwiseRule('compare'),
    torch: {},
    keras: noKeras('comparisons are not layers'),
    tfjs: noTfjs('comparisons are not differentiable'),
    pytorch: expr(([a, b], attrs) => `${a} ${String(attrs['op'])} ${b}`),
  },
  /** A tensor compared with a number: a boolean tensor of the same shape. */
  compare_scalar: {
    defaults: { op: '<', value: null },
    arity: 1,
    infer: sameShape,
    torch: {},
    keras: noKeras('comparisons are not layers'),
    tfjs: noTfjs('comparisons are not differentiable'),
    pytorch: unsupported('the compared value is not kept'),
  },
  /** A shape-keeping elementwise function (`clamp`, `abs`, `exp`, `masked_fill`, ...); `fn` names it. */
  pointwise: {
    defaults: { fn: '' },
    arity: 1,
    infer: sameShape,
    torch: {},
    keras: {
      // Keras's preprocessing layers inside a model: x * scale + offset, and (x - mean) / sqrt(variance),
      // whose mean and variance are weights but not learnable ones.
      classes: ['Rescaling', 'Normalization'],
      read: (c): KerasRead => {
        if (!('scale' in c)) return { attrs: { fn: 'standardize' } };
        // A scale or offset may be one number or one per channel (Keras 3's EfficientNet).
        const value = (v: unknown): AttrValue => (Array.isArray(v) ? v.map(Number) : Number(v ?? 0));
        return { attrs: { fn: 'rescale', scale: value(c['scale'] ?? 1), offset: value(c['offset']) } };
      },
      write: (a, ctx) => (a['fn'] === 'rescale' ? [{ className: 'Rescaling', config: { name: ctx.name, scale: a['scale'] ?? 1, offset: a['offset'] ?? 0 } }] : noKeras(`the pointwise function '${String(a['fn'])}'`)),
    },
    tfjs: noTfjs('pointwise functions are not lowered'),
    pytorch: expr(([x], a) =>
      a['fn'] === 'rescale' && typeof a['scale'] === 'number' && typeof a['offset'] === 'number'
        ? `${x} * ${pyLiteral(a['scale'])}${a['offset'] === 0 ? '' : ` + ${pyLiteral(a['offset'])}`}`
        : unsupported(`the arguments of the pointwise function '${String(a['fn'])}' are not kept`),
    ),
  },
  /** `torch.where(cond, a, b)`: the broadcast shape of its three tensors. */
  where: {
    defaults: {},
    arity: -1,
    infer: whereRule,
    torch: {},
    keras: noKeras('Keras has no where layer'),
    tfjs: noTfjs('where is not lowered'),
    pytorch: expr((ins) => `torch.where(${ins.join(', ')})`),
  },
  /** `unsqueeze(dim)`: a new axis of size 1 at `dim` (counted on the output, so -1 appends). */
  unsqueeze: {
    defaults: { dim: 0 },
    arity: 1,
    infer: unsqueezeRule,
    torch: { functions: [{ name: 'torch.unsqueeze', params: ['input', 'dim'], required: 2 }, { name: 'Tensor.unsqueeze', params: ['self', 'dim'], required: 2 }] },
    keras: noKeras('Reshape is not mapped yet'),
    tfjs: noTfjs('unsqueeze is not lowered'),
    pytorch: expr(([x], a) => `${x}.unsqueeze(${pyLiteral(a['dim'])})`),
  },
  /** `squeeze()` drops every axis of size 1; `squeeze(dim)` drops that axis if its size is 1. */
  squeeze: {
    defaults: { dim: null },
    arity: 1,
    infer: squeezeRule,
    torch: { functions: [{ name: 'torch.squeeze', params: ['input', 'dim'] }, { name: 'Tensor.squeeze', params: ['self', 'dim'] }] },
    keras: noKeras('Reshape is not mapped yet'),
    tfjs: noTfjs('squeeze is not lowered'),
    pytorch: expr(([x], a) => `${x}.squeeze(${a['dim'] === null ? '' : pyLiteral(a['dim'])})`),
  },
  /** `permute(dims)` reorders every axis; `transpose(d0, d1)` swaps two (given as `dims` of length 2). */
  permute: {
    defaults: { dims: [], swap: false },
    arity: 1,
    infer: permuteRule,
    torch: {},
    keras: noKeras('Permute is not mapped yet'),
    tfjs: noTfjs('permute is not lowered'),
    pytorch: expr(([x], a) => {
      const d = (Array.isArray(a['dims']) ? a['dims'] : []).map(pyLiteral);
      return a['swap'] === true ? `${x}.transpose(${d.join(', ')})` : `${x}.permute(${d.join(', ')})`;
    }),
  },
  /**
   * `torch.einsum(equation, *operands)` without `...`: each letter names one size, equal wherever it appears;
   * the output has the letters after `->` (or, implicitly, those used once, in alphabetical order).
   */
  einsum: {
    defaults: { equation: '' },
    arity: -1,
    infer: einsumRule,
    torch: {},
    keras: noKeras('Keras has no einsum layer in its core set'),
    tfjs: noTfjs('einsum is not lowered'),
    pytorch: expr((ins, a) => `torch.einsum(${pyLiteral(a['equation'])}, ${ins.join(', ')})`),
  },
  /** `torch.maximum(a, b)` / `torch.max(a, b)`: elementwise, with broadcasting. */
  maximum: {
    defaults: {},
    arity: 2,
    infer: elementwiseRule('maximum'),
    torch: {},
    keras: { classes: ['Maximum'], read: () => ({ attrs: {} }), write: (_a, ctx) => [{ className: 'Maximum', config: { name: ctx.name } }] },
    tfjs: noTfjs('maximum with broadcasting is not lowered'),
    pytorch: expr((ins) => `torch.maximum(${ins.join(', ')})`),
  },
  minimum: {
    defaults: {},
    arity: 2,
    infer: elementwiseRule('minimum'),
    torch: {},
    keras: { classes: ['Minimum'], read: () => ({ attrs: {} }), write: (_a, ctx) => [{ className: 'Minimum', config: { name: ctx.name } }] },
    tfjs: noTfjs('minimum with broadcasting is not lowered'),
    pytorch: expr((ins) => `torch.minimum(${ins.join(', ')})`),
  },
  /** `Tensor.expand(*sizes)`: broadcasts size-1 axes to the given sizes (-1 keeps one); new axes go in front. */
  expand: {
    defaults: { sizes: [] },
    arity: 1,
    infer: (a, [x]) => (x ? expandTo(x, sizesOf(a['sizes'])) : ok(null)),
    torch: { functions: [{ name: 'Tensor.expand', params: ['self', '*sizes'] }] },
    keras: noKeras('Keras has no expand layer'),
    tfjs: noTfjs('expand is not lowered'),
    pytorch: expr(([x], a) => `${x}.expand(${sizesOf(a['sizes']).map((d) => pyLiteral(d)).join(', ')})`),
  },
  /** `a.expand_as(b)`: `a.expand(b.size())`; `b` is only read for its shape. */
  expand_as: {
    defaults: {},
    arity: 2,
    infer: (_a, [x, y]) => (x && y ? expandTo(x, y) : ok(null)),
    torch: { functions: [{ name: 'Tensor.expand_as', params: ['self', 'other'], tensors: 2 }] },
    keras: noKeras('Keras has no expand layer'),
    tfjs: noTfjs('expand_as is not lowered'),
    pytorch: expr(([x, y]) => `${x}.expand_as(${y})`),
  },
  /**
   * `torch.index_select(x, dim, index)` / `x.index_select(dim, index)`: the index is the second input, and
   * `dim` takes its length (a 0-d index is one entry; a 0-d `x` stays 0-d). Its values are not known, so an
   * index out of bounds is not reported. No parameters, no MACs.
   */
  index_select: {
    defaults: { dim: null },
    arity: 2,
    infer(a, [x, index]) {
      const fail = (message: string, code = 'shape/index-select') => ok(null, 0, 0, [{ severity: 'error', code, message }]);
      if (index && index.length > 1) return fail('index_select(): Index is supposed to be a vector');
      const d = num(a['dim']);
      if (!x || d === null) return ok(null);
      const bad = dimRangeIssue('index_select', d, x.length);
      if (bad) return ok(null, 0, 0, [bad]);
      if (x.length === 0) return ok([]);
      const at = axis(d, x.length);
      const len: Dim = !index ? null : index.length === 0 ? 1 : index[0]!;
      return ok([...x.slice(0, at), len, ...x.slice(at + 1)]);
    },
    torch: {},
    keras: noKeras('Keras has no index_select layer'),
    tfjs: noTfjs('index_select is not lowered'),
    pytorch: expr(([x, index], a) => `torch.index_select(${x}, ${pyLiteral(a['dim'])}, ${index})`),
  },
  /** `Tensor.repeat(*sizes)`: tiles the tensor; leading sizes add new axes. */
  repeat: {
    defaults: { sizes: [] },
    arity: 1,
    infer(a, [x]) {
      if (!x) return ok(null);
      const sizes = sizesOf(a['sizes']);
      if (sizes.length < x.length) {
        return ok(null, 0, 0, [{ severity: 'error', code: 'shape/repeat', message: 'Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor' }]);
      }
      const padded: Dim[] = [...Array<Dim>(sizes.length - x.length).fill(1), ...x];
      const out = padded.map((d, i) => dimMul(d, sizes[i]!));
      const issues: OpIssue[] = [];
      if (!positive('repeat', out.map((d) => (d === 0 ? 1 : d)), x, issues)) return ok(null, 0, 0, issues);
      return ok(out);
    },
    torch: { functions: [{ name: 'Tensor.repeat', params: ['self', '*sizes'] }] },
    keras: noKeras('Keras has no tile layer'),
    tfjs: noTfjs('repeat is not lowered'),
    pytorch: expr(([x], a) => `${x}.repeat(${sizesOf(a['sizes']).map((d) => pyLiteral(d)).join(', ')})`),
  },
  /** A value the front end could not interpret; its shape is unknown and analysis continues. */
  opaque: {
    defaults: { reason: '' },
    arity: -1,
    infer: () => ok(null, null, null),
    torch: {},
    keras: noKeras('the analysis could not interpret this operation'),
    tfjs: noTfjs('the analyser could not interpret this operation'),
    pytorch: unsupported('the analysis could not interpret this operation'),
  },
} satisfies Record<string, OpSpec>;

/** The name of a catalogue op. */
export type OpName = keyof typeof OPS;

/** The catalogue as a map from each op name to its spec (for code that iterates over every op). */
export const OP_SPECS: Readonly<Record<OpName, OpSpec>> = OPS;

export const OP_NAMES = Object.keys(OPS) as OpName[];

export function isOpName(op: string): op is OpName {
  return Object.prototype.hasOwnProperty.call(OPS, op);
}

export function opSpec(op: string): OpSpec | undefined {
  return isOpName(op) ? OP_SPECS[op] : undefined;
}

/** How PyTorch code spells the op, for messages and descriptions: `nn.Conv2d`, `F.pad`, or the op's own name. */
export function torchSpelling(op: OpName): string {
  const t = OP_SPECS[op].torch;
  const m = t.modules?.[0];
  return m ? `nn.${m.name}` : (t.functions?.[0]?.name ?? op);
}

/**
 * The op's omitted input-derived attributes (`in_channels`, `in_features`) filled from the first input's
 * shape, as PyTorch's lazy modules would; attributes given are kept, so the rule still checks them.
 */
export function withInferred(op: OpName, attrs: Attrs, input: Shape | undefined): Attrs {
  const inferred = OP_SPECS[op].inferred;
  if (!inferred) return attrs;
  const out = { ...attrs };
  const rank = input?.length ?? 0;
  for (const [k, from] of Object.entries(inferred)) {
    if (out[k] !== undefined && out[k] !== null) continue;
    const d = !input ? null : from === 'features' ? input[rank - 1] : rank >= 3 ? input[rank - 3] : rank === 2 ? input[1] : null;
    out[k] = d ?? null;
  }
  return out;
}

/** Attributes with catalogue defaults filled in. */
export function withDefaults(op: string, attrs: Attrs): Attrs {
  const spec = opSpec(op);
  return spec ? { ...spec.defaults, ...attrs } : attrs;
}

/**
 * `nn` layers whose constructor PyTorch code commonly calls but whose rule the catalogue does not have yet:
 * their arguments are checked as PyTorch checks them, and their shapes and parameters stay unknown.
 */
export const UNMODELLED_MODULES: readonly TorchModule[] = [
  module('Conv1d', CONV, 3),
  module('Conv3d', CONV, 3),
  module('BatchNorm3d', NORM, 1),
];

/** Every `nn` class the catalogue knows, with the op it builds (null for {@link UNMODELLED_MODULES}). */
export const TORCH_MODULES: ReadonlyMap<string, { op: OpName | null; module: TorchModule }> = new Map([
  ...OP_NAMES.flatMap((op) => (OP_SPECS[op].torch.modules ?? []).map((m) => [m.name, { op: op as OpName | null, module: m }] as const)),
  ...UNMODELLED_MODULES.map((m) => [m.name, { op: null, module: m }] as const),
]);

/** Every functional spelling, by its name (`F.relu`), with the op it builds. */
export const TORCH_FUNCTIONS: ReadonlyMap<string, { op: OpName; fn: TorchFunction }> = new Map(
  OP_NAMES.flatMap((op) => (OP_SPECS[op].torch.functions ?? []).map((fn) => [fn.name, { op, fn }] as const)),
);

/** The op a Keras class reads as. Each class belongs to one op, which may redirect per layer (`KerasRead.op`). */
export const KERAS_CLASSES: ReadonlyMap<string, OpName> = new Map(
  OP_NAMES.flatMap((op) => {
    const k = OP_SPECS[op].keras;
    return 'classes' in k ? k.classes.map((c) => [c, op] as const) : [];
  }),
);

/** The op a Keras activation name (`relu`, `swish`) is. */
export const KERAS_ACTIVATIONS: ReadonlyMap<string, OpName> = new Map(
  OP_NAMES.flatMap((op) => {
    const a = OP_SPECS[op].kerasActivation;
    return a ? [[a, op] as const] : [];
  }),
);
