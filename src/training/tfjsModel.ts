/**
 * Builds a `tf.LayersModel` from the network IR with the functional API. The IR is NCHW (PyTorch); TF.js
 * convolutions are NHWC. Image tensors therefore flow through the model as NHWC, and each value remembers
 * its layout: ops that only make sense in the IR's own order (flatten, reshape, a Linear on an image) get
 * an explicit permute first, so a flattened feature vector has PyTorch's C·H·W order and the model is
 * the same function of its weights as the PyTorch module. Axis arguments (concat, softmax, mean, pad,
 * slice) are mapped instead of permuting.
 *
 * Learnable parameter counts equal the IR's: BatchNorm's moving statistics are non-trainable weights in
 * TF.js and buffers in PyTorch, and a module the IR marks as shared (called twice) is one layer called twice.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Dim } from '../core/dims';
import { formatShape } from '../core/dims';
import type { AttrValue, IrGraph, IrNode } from '../core/ir';
import { OP_SPECS, pair } from '../core/ops';
import { type TfjsLowering, isUnsupported } from '../core/opTypes';
import { type CustomActivation, type SliceSpec, type TF, customLayers } from './tfjsLayers';

type SymbolicTensor = tfTypes.SymbolicTensor;

export class TfjsModelError extends Error {
  constructor(
    message: string,
    readonly node?: string,
  ) {
    super(message);
    this.name = 'TfjsModelError';
  }
}

/** A value in the TF.js graph: rank-4 image tensors are `nhwc` (TF order) or `ir` (NCHW, as the IR). */
interface Value {
  t: SymbolicTensor;
  layout: 'nhwc' | 'ir';
  /** The IR shape, batch first. */
  shape: number[];
}

export interface BuildOptions {
  /** Seeds the initialisers, so two builds with the same seed start from the same weights. */
  seed?: number;
}

export interface BuiltModel {
  model: tfTypes.LayersModel;
  /** [H, W, C]: what the model takes per image. */
  inputShape: [number, number, number];
  /** Size of the last axis of the output: the number of classes. */
  outputSize: number;
  trainableParams: number;
}

/** IR axis (NCHW) -> axis of the NHWC tensor that holds it. */
const NHWC_AXIS = [0, 3, 1, 2];

export function trainableParamCount(model: tfTypes.LayersModel): number {
  let n = 0;
  for (const w of model.trainableWeights) n += w.shape.reduce<number>((p, d) => p * (d ?? 0), 1);
  return n;
}

function concreteShape(node: IrNode, shape: readonly Dim[] | null, what: string): number[] {
  if (shape === null || shape.some((d) => typeof d !== 'number')) {
    throw new TfjsModelError(
      `${node.name} (${node.op}): the ${what} shape ${formatShape(shape as Dim[] | null)} is not fully known; training needs concrete sizes (pass --input and --args)`,
      node.id,
    );
  }
  return shape as number[];
}

function layerName(name: string, used: Set<string>): string {
  const base = name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^_+/, '') || 'layer';
  let n = base;
  for (let i = 1; used.has(n); i++) n = `${base}_${i}`;
  used.add(n);
  return n;
}

/** A `tf.layers` factory by name, as the catalogue names it; a name TF.js lacks is an error naming the node. */
function makeLayerWith(tf: TF, node: IrNode, factory: string, config: Record<string, unknown>): tfTypes.layers.Layer {
  const make = (tf.layers as unknown as Record<string, unknown>)[factory];
  if (typeof make !== 'function') throw new TfjsModelError(`${node.name} (${node.op}): TF.js has no layer '${factory}'`, node.id);
  return (make as (c: Record<string, unknown>) => tfTypes.layers.Layer)(config);
}

function num(v: AttrValue | undefined, fallback: number): number {
  return typeof v === 'number' ? v : fallback;
}

/**
 * Builds the model. Throws {@link TfjsModelError} naming the node when the IR holds something the runner
 * cannot train (an op the analyser could not interpret, unknown sizes, grouped pooling options TF lacks).
 */
export function buildTfjsModel(tf: TF, graph: IrGraph, options: BuildOptions = {}): BuiltModel {
  const custom = customLayers(tf);
  const makeLayer = (node: IrNode, factory: string, config: Record<string, unknown>) => makeLayerWith(tf, node, factory, config);
  const values = new Map<string, Value>();
  const used = new Set<string>();
  /** Layers by module path, so a shared module (the same `nn.Conv2d` called twice) is one set of weights. */
  const modules = new Map<string, { op: string; layers: tfTypes.layers.Layer[] }>();
  let seedCounter = options.seed === undefined ? undefined : options.seed * 7919;
  const nextSeed = () => (seedCounter === undefined ? {} : { seed: seedCounter++ });
  let inputTensor: SymbolicTensor | undefined;
  let inputShape: [number, number, number] | undefined;

  const consumers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);

  const toLayout = (v: Value, layout: Value['layout'], node: IrNode): Value => {
    if (v.shape.length !== 4 || v.layout === layout) return v;
    const dims = layout === 'ir' ? [3, 1, 2] : [2, 3, 1];
    const t = tf.layers.permute({ dims, name: layerName(`${node.name}_to_${layout}`, used) }).apply(v.t) as SymbolicTensor;
    return { t, layout, shape: v.shape };
  };
  const mapAxis = (v: Value, irAxis: number): number => {
    const a = irAxis < 0 ? irAxis + v.shape.length : irAxis;
    if (a < 0 || a >= v.shape.length) throw new Error(`axis ${irAxis} out of range for rank ${v.shape.length}`);
    return v.shape.length === 4 && v.layout === 'nhwc' ? NHWC_AXIS[a]! : a;
  };

  /** Applies the node's layers (created once per module path) to `x`. */
  const apply = (node: IrNode, x: SymbolicTensor | SymbolicTensor[], make: () => tfTypes.layers.Layer[]): SymbolicTensor => {
    let entry = node.shared ? modules.get(node.name) : undefined;
    if (!entry || entry.op !== node.op) {
      entry = { op: node.op, layers: make() };
      if (!modules.has(node.name)) modules.set(node.name, entry);
    }
    let t: SymbolicTensor | SymbolicTensor[] = x;
    for (const l of entry.layers) t = l.apply(t) as SymbolicTensor;
    return t as SymbolicTensor;
  };
  const nameFor = (node: IrNode, suffix = '') => layerName(node.name + suffix, used);

  const build = (node: IrNode): Value => {
    const ins = node.inputs.map((id) => {
      const v = values.get(id);
      if (!v) throw new TfjsModelError(`${node.name}: input ${id} is not computed before it`, node.id);
      return v;
    });
    const x = ins[0];
    const lowering: TfjsLowering | { unsupported: string } = OP_SPECS[node.op].tfjs;
    if (isUnsupported(lowering)) {
      const why = typeof node.attrs['reason'] === 'string' && node.attrs['reason'] ? `, ${node.attrs['reason']}` : '';
      throw new TfjsModelError(`${node.name} (${node.op}${why}): ${lowering.unsupported}`, node.id);
    }
    const out = node.op === 'input' ? null : concreteShape(node, node.outputShape, 'output');
    const a = 'attrs' in lowering && lowering.attrs ? lowering.attrs(node.attrs) : node.attrs;
    const need = (): Value => {
      if (!x) throw new TfjsModelError(`${node.name} (${node.op}) has no input`, node.id);
      return x;
    };
    const image = (): Value => {
      const v = toLayout(need(), 'nhwc', node);
      if (v.shape.length !== 4) throw new TfjsModelError(`${node.name} (${node.op}) needs a 4-D image tensor, got ${formatShape(v.shape)}`, node.id);
      return v;
    };
    const same = (v: Value, t: SymbolicTensor): Value => ({ t, layout: v.layout, shape: out! });

    switch (lowering.lower) {
      case 'input': {
        const s = concreteShape(node, node.outputShape, 'input');
        if (s.length !== 4) throw new TfjsModelError(`the TF.js runner trains image models with an [N, C, H, W] input, got ${formatShape(s)}`, node.id);
        if (inputTensor) throw new TfjsModelError('the model has more than one input', node.id);
        inputShape = [s[2]!, s[3]!, s[1]!];
        inputTensor = tf.input({ shape: inputShape, name: nameFor(node) });
        return { t: inputTensor, layout: 'nhwc', shape: s };
      }
      case 'conv2d': {
        const v = image();
        const k = pair(a['kernel_size'], 1) as [number, number];
        const st = pair(a['stride'], 1) as [number, number];
        const dl = pair(a['dilation'], 1) as [number, number];
        const groups = num(a['groups'], 1);
        const cin = v.shape[1]!;
        const cout = out![1]!;
        if ((a['padding_mode'] ?? 'zeros') !== 'zeros') {
          throw new TfjsModelError(`${node.name}: padding_mode='${String(a['padding_mode'])}' is not supported by the TF.js runner (use zeros)`, node.id);
        }
        if ((dl[0] > 1 || dl[1] > 1) && (st[0] > 1 || st[1] > 1)) {
          throw new TfjsModelError(`${node.name}: TF.js cannot combine dilation ${dl.join('x')} with stride ${st.join('x')}`, node.id);
        }
        if (groups > 1 && (dl[0] > 1 || dl[1] > 1)) throw new TfjsModelError(`${node.name}: grouped convolution with dilation is not supported by the TF.js runner`, node.id);
        let padding: 'same' | 'valid' = 'valid';
        let pads: [number, number] = [0, 0];
        if (a['padding'] === 'same') padding = 'same';
        else if (a['padding'] !== 'valid') {
          pads = pair(a['padding'], 0) as [number, number];
          // 'same' in TF pads asymmetrically when the total is odd; only use it when it equals PyTorch's padding.
          const sameEq = [0, 1].every((i) => st[i] === 1 && (k[i]! - 1) * dl[i]! === 2 * pads[i]!);
          if (sameEq && (pads[0] > 0 || pads[1] > 0)) {
            padding = 'same';
            pads = [0, 0];
          }
        }
        const t = apply(node, v.t, () => {
          const layers: tfTypes.layers.Layer[] = [];
          if (pads[0] > 0 || pads[1] > 0) {
            layers.push(tf.layers.zeroPadding2d({ padding: [[pads[0], pads[0]], [pads[1], pads[1]]], name: nameFor(node, '_pad') }));
          }
          const useBias = a['bias'] !== false;
          if (groups === 1) {
            layers.push(
              tf.layers.conv2d({
                filters: cout,
                kernelSize: k,
                strides: st,
                dilationRate: dl,
                padding,
                useBias,
                kernelInitializer: tf.initializers.heNormal(nextSeed()),
                name: nameFor(node),
              }),
            );
          } else if (groups === cin && groups === cout) {
            layers.push(
              tf.layers.depthwiseConv2d({
                kernelSize: k,
                strides: st,
                padding,
                depthMultiplier: 1,
                useBias,
                depthwiseInitializer: tf.initializers.heNormal(nextSeed()),
                name: nameFor(node),
              }),
            );
          } else {
            if (padding === 'same') {
              const p = [0, 1].map((i) => ((k[i]! - 1) * dl[i]!) / 2);
              layers.push(tf.layers.zeroPadding2d({ padding: [[p[0]!, p[0]!], [p[1]!, p[1]!]], name: nameFor(node, '_pad') }));
            }
            layers.push(custom.groupConv2d({ filters: cout, kernelSize: k, strides: st, groups, useBias, ...nextSeed(), name: nameFor(node) }));
          }
          return layers;
        });
        return { t, layout: 'nhwc', shape: out! };
      }
      case 'batchNorm': {
        const v = image();
        const m = a['momentum'];
        const affine = a['affine'] !== false;
        const t = apply(node, v.t, () => [
          tf.layers.batchNormalization({
            axis: -1,
            epsilon: num(a['eps'], 1e-5),
            // PyTorch's momentum weighs the new batch; TF's weighs the running value. None (a cumulative average) ~ 0.99.
            momentum: typeof m === 'number' ? 1 - m : 0.99,
            center: affine,
            scale: affine,
            name: nameFor(node),
          }),
        ]);
        return same(v, t);
      }
      case 'activation': {
        const v = need();
        const { factory, config } = lowering.layer(a);
        const t = apply(node, v.t, () => [
          factory === 'customActivation'
            ? custom.activation({ kind: config['kind'] as CustomActivation, name: nameFor(node) })
            : makeLayer(node, factory, { ...config, name: nameFor(node) }),
        ]);
        return same(v, t);
      }
      case 'imageLayer': {
        const v = image();
        const config = lowering.config(a, v.shape, out!);
        if (isUnsupported(config)) throw new TfjsModelError(`${node.name} (${node.op}): ${config.unsupported}`, node.id);
        return { t: apply(node, v.t, () => [makeLayer(node, lowering.factory, { ...config, name: nameFor(node) })]), layout: 'nhwc', shape: out! };
      }
      case 'softmax': {
        const v = need();
        const axis = mapAxis(v, num(a['dim'], -1));
        return same(v, apply(node, v.t, () => [tf.layers.softmax({ axis, name: nameFor(node) })]));
      }
      case 'identity':
        return { ...need(), shape: out! };
      case 'pool': {
        const v = image();
        const isMax = node.op === 'MaxPool2d';
        const k = pair(a['kernel_size'], 1) as [number, number];
        const st = (a['stride'] === null || a['stride'] === undefined ? k : pair(a['stride'], 1)) as [number, number];
        if (isMax) {
          const dl = pair(a['dilation'], 1);
          if (dl[0] !== 1 || dl[1] !== 1) throw new TfjsModelError(`${node.name}: dilated max pooling is not supported by the TF.js runner`, node.id);
        }
        const t = apply(node, v.t, () => {
          const name = nameFor(node);
          if (a['padding'] === 'same') {
            return [isMax ? tf.layers.maxPooling2d({ poolSize: k, strides: st, padding: 'same', name }) : tf.layers.averagePooling2d({ poolSize: k, strides: st, padding: 'same', name })];
          }
          const p = pair(a['padding'], 0) as [number, number];
          // Pad so a 'valid' pool yields exactly the IR's size (ceil_mode adds a partial window at the end).
          const after = [0, 1].map((i) => Math.max(p[i]!, (out![i + 2]! - 1) * st[i]! + k[i]! - v.shape[i + 2]! - p[i]!));
          const extra = after.some((x, i) => x > p[i]!);
          if (!isMax && extra) throw new TfjsModelError(`${node.name}: AvgPool2d with ceil_mode adding a partial window is not supported by the TF.js runner`, node.id);
          if (!isMax && a['count_include_pad'] === false && (p[0] > 0 || p[1] > 0)) {
            throw new TfjsModelError(`${node.name}: AvgPool2d with count_include_pad=False and padding is not supported by the TF.js runner`, node.id);
          }
          const layers: tfTypes.layers.Layer[] = [];
          if (p[0] > 0 || p[1] > 0 || after[0]! > 0 || after[1]! > 0) {
            // Max pooling pads with the lowest float so a pad never wins, as PyTorch's implicit -inf padding.
            layers.push(custom.pad({ paddings: [[p[0], after[0]!], [p[1], after[1]!]], value: isMax ? -3.4e38 : 0, name: nameFor(node, '_pad') }));
          }
          layers.push(isMax ? tf.layers.maxPooling2d({ poolSize: k, strides: st, padding: 'valid', name }) : tf.layers.averagePooling2d({ poolSize: k, strides: st, padding: 'valid', name }));
          return layers;
        });
        return { t, layout: 'nhwc', shape: out! };
      }
      case 'adaptivePool': {
        const v = image();
        const isMax = node.op === 'AdaptiveMaxPool2d';
        const [h, w] = [v.shape[2]!, v.shape[3]!];
        const [oh, ow] = [out![2]!, out![3]!];
        const t = apply(node, v.t, () => {
          const name = nameFor(node);
          if (oh === 1 && ow === 1) {
            return [
              isMax ? tf.layers.globalMaxPooling2d({ name }) : tf.layers.globalAveragePooling2d({ name }),
              tf.layers.reshape({ targetShape: [1, 1, out![1]!], name: nameFor(node, '_keepdims') }),
            ];
          }
          if (h % oh !== 0 || w % ow !== 0) {
            throw new TfjsModelError(`${node.name}: adaptive pooling from ${h}x${w} to ${oh}x${ow} needs the input size to be a multiple of the output size in TF.js`, node.id);
          }
          const poolSize: [number, number] = [h / oh, w / ow];
          return [isMax ? tf.layers.maxPooling2d({ poolSize, strides: poolSize, name }) : tf.layers.averagePooling2d({ poolSize, strides: poolSize, name })];
        });
        return { t, layout: 'nhwc', shape: out! };
      }
      case 'linear': {
        const v = toLayout(need(), 'ir', node);
        const units = out![out!.length - 1]!;
        return same(v, apply(node, v.t, () => [tf.layers.dense({ units, useBias: a['bias'] !== false, kernelInitializer: tf.initializers.glorotUniform(nextSeed()), name: nameFor(node) })]));
      }
      case 'flatten': {
        let v = need();
        const spatial = v.shape.length === 4 ? v.shape[2]! * v.shape[3]! : 0;
        // With a 1x1 image the NHWC and NCHW orders coincide: no permute needed.
        if (!(v.shape.length === 4 && spatial === 1 && out!.length === 2)) v = toLayout(v, 'ir', node);
        const t =
          out!.length === 2
            ? apply(node, v.t, () => [tf.layers.flatten({ name: nameFor(node) })])
            : apply(node, v.t, () => [tf.layers.reshape({ targetShape: out!.slice(1), name: nameFor(node) })]);
        return { t, layout: 'ir', shape: out! };
      }
      case 'reshape': {
        const v = toLayout(need(), 'ir', node);
        if (out![0] !== v.shape[0]) throw new TfjsModelError(`${node.name}: a reshape that changes the batch axis (${formatShape(v.shape)} -> ${formatShape(out!)}) cannot be trained`, node.id);
        return { t: apply(node, v.t, () => [tf.layers.reshape({ targetShape: out!.slice(1), name: nameFor(node) })]), layout: 'ir', shape: out! };
      }
      case 'add': {
        const layout = ins[0]!.layout;
        const vs = ins.map((v) => toLayout(v, layout, node));
        const shapes = vs.map((v) => formatShape(v.shape));
        if (new Set(shapes).size > 1) throw new TfjsModelError(`${node.name}: the TF.js runner adds tensors of equal shape only, got ${shapes.join(' and ')}`, node.id);
        return { t: apply(node, vs.map((v) => v.t), () => [tf.layers.add({ name: nameFor(node) })]), layout, shape: out! };
      }
      case 'concat': {
        const layout = ins[0]!.layout;
        const vs = ins.map((v) => toLayout(v, layout, node));
        const axis = mapAxis(vs[0]!, num(a['dim'], 1));
        if (axis === 0) throw new TfjsModelError(`${node.name}: concatenating along the batch axis cannot be trained`, node.id);
        return { t: apply(node, vs.map((v) => v.t), () => [tf.layers.concatenate({ axis, name: nameFor(node) })]), layout, shape: out! };
      }
      case 'pad': {
        const v = need();
        const mode = a['mode'] ?? 'constant';
        if (mode !== 'constant' && mode !== 'reflect') throw new TfjsModelError(`${node.name}: pad mode '${String(mode)}' is not supported by the TF.js runner`, node.id);
        const raw = Array.isArray(a['pad']) ? (a['pad'] as AttrValue[]).map((p) => num(p, NaN)) : [];
        if (raw.some((p) => !Number.isInteger(p) || p < 0)) throw new TfjsModelError(`${node.name}: pad amounts must be known non-negative integers, got [${raw.join(', ')}]`, node.id);
        const rank = v.shape.length;
        const paddings: [number, number][] = Array.from({ length: rank - 1 }, () => [0, 0]);
        for (let i = 0; 2 * i < raw.length; i++) {
          const irAxis = rank - 1 - i;
          if (irAxis === 0) throw new TfjsModelError(`${node.name}: padding the batch axis cannot be trained`, node.id);
          paddings[mapAxis(v, irAxis) - 1] = [raw[2 * i]!, raw[2 * i + 1] ?? 0];
        }
        const value = num(a['value'], 0);
        return same(v, apply(node, v.t, () => [custom.pad({ paddings, value, mode: mode as 'constant' | 'reflect', name: nameFor(node) })]));
      }
      case 'slice': {
        const v = need();
        const slices: SliceSpec = Array.from({ length: v.shape.length - 1 }, () => null);
        const raw = Array.isArray(a['slices']) ? (a['slices'] as AttrValue[]) : [];
        raw.forEach((sl, i) => {
          if (!Array.isArray(sl) || i >= v.shape.length) return;
          const [st, en, step] = [sl[0], sl[1], sl[2]].map((x) => (typeof x === 'number' ? x : null));
          if (st === null && en === null && (step === null || step === 1)) return;
          if (i === 0) throw new TfjsModelError(`${node.name}: slicing the batch axis cannot be trained`, node.id);
          slices[mapAxis(v, i) - 1] = [st ?? null, en ?? null, step ?? 1];
        });
        return same(v, apply(node, v.t, () => [custom.slice({ slices, name: nameFor(node) })]));
      }
      case 'mean': {
        let v = need();
        const rawDim = a['dim'];
        const dims = (Array.isArray(rawDim) ? rawDim : rawDim === null || rawDim === undefined ? v.shape.map((_d, i) => i) : [rawDim]).map((d) =>
          Number(d) < 0 ? Number(d) + v.shape.length : Number(d),
        );
        if (dims.includes(0)) throw new TfjsModelError(`${node.name}: a mean over the batch axis cannot be trained`, node.id);
        const keepDims = a['keepdim'] === true;
        if (v.shape.length === 4 && v.layout === 'nhwc' && !keepDims) {
          // What is left of an NHWC tensor is in IR order only if the kept axes stay in the same order
          // (a spatial mean leaves [N, C] either way); otherwise reduce in IR order.
          const kept = [0, 1, 2, 3].filter((i) => !dims.includes(i)).map((i) => NHWC_AXIS[i]!);
          if (kept.some((x, i) => i > 0 && x < kept[i - 1]!)) v = toLayout(v, 'ir', node);
        }
        const src = v;
        const axes = dims.map((d) => mapAxis(src, d));
        const t = apply(node, v.t, () => [custom.mean({ axes, keepDims, name: nameFor(node) })]);
        return { t, layout: keepDims ? v.layout : 'ir', shape: out! };
      }
      default: {
        const unhandled: never = lowering;
        throw new TfjsModelError(`${node.name}: lowering ${JSON.stringify(unhandled)} is not implemented`, node.id);
      }
    }
  };

  for (const node of graph.nodes) {
    if (node.error) throw new TfjsModelError(`${node.name}: ${node.error}`, node.id);
    values.set(node.id, build(node));
  }
  if (!inputTensor || !inputShape) throw new TfjsModelError('the model has no input');
  const sinks = graph.nodes.filter((n) => !consumers.has(n.id) && n.op !== 'input');
  const last = sinks[sinks.length - 1];
  if (!last) throw new TfjsModelError('the model has no output');
  if (sinks.length > 1) throw new TfjsModelError(`the model has ${sinks.length} outputs (${sinks.map((n) => n.name).join(', ')}); the TF.js runner trains single-output classifiers`);
  const outValue = values.get(last.id)!;
  if (outValue.shape.length !== 2) {
    throw new TfjsModelError(`the model's output is ${formatShape(outValue.shape)}; a classifier's output is [N, classes]`, last.id);
  }
  const model = tf.model({ inputs: inputTensor, outputs: outValue.t, name: graph.name.replace(/[^A-Za-z0-9_]/g, '_') || 'model' });
  return { model, inputShape, outputSize: outValue.shape[1]!, trainableParams: trainableParamCount(model) };
}

