/**
 * Front end for Keras / TF.js `model.json` topologies (Sequential and functional with `inbound_nodes`, in
 * the Keras 2 and Keras 3 spellings). Keras is channels-last; the IR is channels-first like PyTorch, so
 * shapes are converted on the way in.
 */
import type { JSONPath } from 'jsonc-parser';
import { GraphBuilder, type Tensor } from '../core/graph';
import { type Analysis, type AttrValue, type Attrs, DEFAULT_INPUT, type SourceRange } from '../core/ir';
import { JsonSource } from '../core/jsonSource';
import type { FrontEndOptions } from './options';

type Json = Record<string, unknown>;

interface KerasLayer {
  className: string;
  name: string;
  config: Json;
  inbound: string[];
  path: JSONPath;
}

/** Finds the `{class_name, config}` topology inside the various wrappers TF.js and Keras write. */
function findTopology(v: unknown): { topo: Json; path: JSONPath } | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Json;
  if (typeof o['class_name'] === 'string' && typeof o['config'] === 'object') return { topo: o, path: [] };
  for (const key of ['modelTopology', 'model_config']) {
    const inner = findTopology(o[key]);
    if (inner) return { topo: inner.topo, path: [key, ...inner.path] };
  }
  return null;
}

export function isKerasModel(value: unknown): boolean {
  return findTopology(value) !== null;
}

const ACTIVATIONS: Record<string, string> = {
  relu: 'ReLU',
  relu6: 'ReLU6',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  swish: 'SiLU',
  silu: 'SiLU',
  gelu: 'GELU',
  hard_swish: 'Hardswish',
  softmax: 'Softmax',
  linear: 'Identity',
};

/** Keras inbound references, Keras 2 (`[[["conv1", 0, 0, {}]]]`) or Keras 3 (`[{args: [{config: {keras_history}}]}]`). */
function inboundNames(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0) return [];
  const node = raw[0];
  const names: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      if (typeof v[0] === 'string' && typeof v[1] === 'number') names.push(v[0]);
      else v.forEach(visit);
    } else if (v && typeof v === 'object') {
      const o = v as Json;
      const hist = (o['config'] as Json | undefined)?.['keras_history'];
      if (Array.isArray(hist) && typeof hist[0] === 'string') names.push(hist[0]);
      else if (o['args']) visit(o['args']);
    }
  };
  visit(node);
  return names;
}

const pairOf = (v: unknown, d: number): [number, number] =>
  Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : typeof v === 'number' ? [v, v] : [d, d];

export function analyzeKeras(file: string, text: string, opts: FrontEndOptions = {}): Analysis {
  const src = new JsonSource(file, text);
  if (src.parseErrors.length) return { file, models: [], graph: null, diagnostics: src.parseErrors };
  const found = findTopology(src.value);
  if (!found) {
    return {
      file,
      models: [],
      graph: null,
      diagnostics: [{ severity: 'error', ...src.at([]), code: 'keras/format', message: 'not a Keras/TF.js model: no modelTopology or {class_name, config} found' }],
    };
  }
  const { topo, path: topoPath } = found;
  const config = topo['config'] as Json | unknown[];
  const name = String((Array.isArray(config) ? undefined : config['name']) ?? 'model');
  const b = new GraphBuilder(name, file);
  const layersRaw = (Array.isArray(config) ? config : config['layers']) as unknown;
  const layersPath: JSONPath = Array.isArray(config) ? [...topoPath, 'config'] : [...topoPath, 'config', 'layers'];
  if (!Array.isArray(layersRaw)) {
    b.diag('error', 'keras/format', 'model config has no layers list', src.at([...topoPath, 'config']));
    return { file, models: [name], graph: null, diagnostics: b.diagnostics };
  }
  const sequential = topo['class_name'] === 'Sequential';
  const layers: KerasLayer[] = layersRaw.map((l: unknown, i: number) => {
    const o = (l ?? {}) as Json;
    const cfg = (o['config'] ?? {}) as Json;
    return {
      className: String(o['class_name'] ?? '?'),
      name: String(o['name'] ?? cfg['name'] ?? `layer_${i}`),
      config: cfg,
      inbound: sequential ? [] : inboundNames(o['inbound_nodes']),
      path: [...layersPath, i],
    };
  });

  const tensors = new Map<string, Tensor>();
  const at = (l: KerasLayer): SourceRange => src.at(l.path);
  let prev: Tensor | null = null;
  const firstShape = layers.map((l) => l.config['batch_input_shape'] ?? l.config['batch_shape']).find(Array.isArray) as (number | null)[] | undefined;
  const makeInput = (shape: (number | null)[] | undefined, l?: KerasLayer): Tensor => {
    let s: number[];
    if (opts.input) s = opts.input;
    else if (shape && shape.length === 4) s = [shape[0] ?? 1, shape[3] ?? 1, shape[1] ?? 1, shape[2] ?? 1];
    else if (shape) s = shape.map((d) => d ?? 1);
    else s = opts.defaultInput ?? [...DEFAULT_INPUT];
    return b.input(s, l?.name ?? 'input', l ? at(l) : src.at([]));
  };

  if (sequential) prev = makeInput(firstShape, layers[0]);
  const order = sequential ? layers : orderFunctional(layers, b, src);
  for (const l of order) {
    let inputs: Tensor[];
    if (l.className === 'InputLayer') {
      const t = sequential ? prev! : makeInput((l.config['batch_input_shape'] ?? l.config['batch_shape']) as (number | null)[] | undefined, l);
      tensors.set(l.name, t);
      prev = t;
      continue;
    }
    if (sequential) inputs = prev ? [prev] : [];
    else {
      inputs = l.inbound.map((n) => tensors.get(n)).filter((t): t is Tensor => !!t);
      if (inputs.length !== l.inbound.length) continue;
    }
    const t = convertLayer(b, l, inputs, at(l));
    tensors.set(l.name, t);
    prev = t;
  }
  let output: Tensor | null = prev;
  if (!sequential && !Array.isArray(config)) {
    const outs = inboundNames([config['output_layers']]);
    if (outs.length) output = tensors.get(outs[0]!) ?? null;
  }
  const candidates = [{ name, kind: 'design' as const, source: src.at(topoPath) }];
  return { file, models: [name], candidates, graph: b.finish(output), diagnostics: b.diagnostics };
}

/** Functional models list layers in any order; order them by their inbound references, reporting bad ones. */
function orderFunctional(layers: KerasLayer[], b: GraphBuilder, src: JsonSource): KerasLayer[] {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const state = new Map<string, 'visiting' | 'done'>();
  const out: KerasLayer[] = [];
  const visit = (l: KerasLayer): boolean => {
    const st = state.get(l.name);
    if (st === 'done') return true;
    if (st === 'visiting') {
      b.diag('error', 'keras/cycle', `cycle through layer '${l.name}'`, src.at(l.path));
      return false;
    }
    state.set(l.name, 'visiting');
    let okAll = true;
    for (const n of l.inbound) {
      const dep = byName.get(n);
      if (!dep) {
        b.diag('error', 'keras/unknown-ref', `layer '${l.name}' takes input from unknown layer '${n}'`, src.at([...l.path, 'inbound_nodes']));
        okAll = false;
      } else if (!visit(dep)) okAll = false;
    }
    state.set(l.name, 'done');
    if (okAll) out.push(l);
    return okAll;
  };
  layers.forEach(visit);
  return out;
}

function convertLayer(b: GraphBuilder, l: KerasLayer, inputs: Tensor[], source: SourceRange): Tensor {
  const c = l.config;
  const meta = { name: l.name, source };
  const x = inputs[0];
  const channels = x?.shape && x.shape.length === 4 ? x.shape[1]! : null;
  const act = (t: Tensor): Tensor => {
    const a = c['activation'];
    if (typeof a !== 'string' || a === 'linear') return t;
    const op = ACTIVATIONS[a];
    return b.op(op ?? `activation:${a}`, {}, [t], { name: `${l.name}/${a}`, source });
  };
  switch (l.className) {
    case 'Conv2D': {
      const attrs: Attrs = {
        in_channels: channels,
        out_channels: Number(c['filters']),
        kernel_size: pairOf(c['kernel_size'], 1),
        stride: pairOf(c['strides'], 1),
        padding: c['padding'] === 'same' ? 'same' : 0,
        dilation: pairOf(c['dilation_rate'], 1),
        groups: typeof c['groups'] === 'number' ? c['groups'] : 1,
        bias: c['use_bias'] !== false,
      };
      return act(b.op('Conv2d', attrs, inputs, meta));
    }
    case 'BatchNormalization':
      return b.op('BatchNorm2d', { num_features: channels, eps: Number(c['epsilon'] ?? 1e-3), affine: c['center'] !== false || c['scale'] !== false }, inputs, meta);
    case 'Activation':
      return b.op(ACTIVATIONS[String(c['activation'])] ?? `activation:${String(c['activation'])}`, {}, inputs, meta);
    case 'ReLU':
      return b.op(c['max_value'] === 6 ? 'ReLU6' : 'ReLU', {}, inputs, meta);
    case 'LeakyReLU':
      return b.op('LeakyReLU', { negative_slope: Number(c['alpha'] ?? c['negative_slope'] ?? 0.3) }, inputs, meta);
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const k = pairOf(c['pool_size'], 2);
      const attrs: Attrs = { kernel_size: k, stride: c['strides'] ? pairOf(c['strides'], 1) : k, padding: c['padding'] === 'same' ? 'same' : 0 };
      return b.op(l.className === 'MaxPooling2D' ? 'MaxPool2d' : 'AvgPool2d', attrs, inputs, meta);
    }
    case 'GlobalAveragePooling2D':
      return b.op('mean', { dim: [2, 3], keepdim: c['keepdims'] === true }, inputs, meta);
    case 'GlobalMaxPooling2D': {
      const p = b.op('AdaptiveMaxPool2d', { output_size: 1 }, inputs, meta);
      return c['keepdims'] === true ? p : b.op('Flatten', {}, [p], { name: `${l.name}/flatten`, source });
    }
    case 'Dense':
      return act(b.op('Linear', { in_features: x?.shape?.[x.shape.length - 1] ?? null, out_features: Number(c['units']), bias: c['use_bias'] !== false }, inputs, meta));
    case 'Flatten':
      return b.op('Flatten', {}, inputs, meta);
    case 'Dropout':
      return b.op('Dropout', { p: Number(c['rate'] ?? 0.5) }, inputs, meta);
    case 'Add':
      return b.op('add', {}, inputs, meta);
    case 'Concatenate': {
      const axis = Number(c['axis'] ?? -1);
      const rank = x?.shape?.length ?? 4;
      const nhwcToNchw = rank === 4 ? [0, 2, 3, 1] : [...Array(rank).keys()];
      return b.op('concat', { dim: nhwcToNchw[axis < 0 ? axis + rank : axis] ?? 1 }, inputs, meta);
    }
    case 'ZeroPadding2D': {
      const p = c['padding'];
      let tb: [number, number];
      let lr: [number, number];
      if (Array.isArray(p) && Array.isArray(p[0])) {
        tb = pairOf(p[0], 0);
        lr = pairOf(p[1], 0);
      } else {
        const [ph, pw] = pairOf(p, 1);
        tb = [ph, ph];
        lr = [pw, pw];
      }
      return b.op('pad', { pad: [lr[0], lr[1], tb[0], tb[1]] as AttrValue[] }, inputs, meta);
    }
    default:
      b.diag('information', 'keras/unsupported', `layer '${l.name}': Keras layer type ${l.className} is not understood; its output shape is unknown`, source);
      return b.op('opaque', { reason: l.className }, inputs, meta);
  }
}
