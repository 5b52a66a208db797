/**
 * Front end for Keras / TF.js `model.json` topologies: Sequential and functional models in the Keras 2 and
 * Keras 3 spellings, with models nested as layers (a transfer-learning base, Teachable Machine's two
 * Sequentials) read into IR groups. Each layer is read through the catalogue's Keras mapping of its class.
 * Keras is channels-last unless a layer says `channels_first`; the IR is channels-first like PyTorch, so
 * shapes are converted on the way in.
 */
import { type JSONPath, findNodeAtLocation } from 'jsonc-parser';
import { GraphBuilder, type Tensor } from '../core/graph';
import { type Analysis, DEFAULT_INPUT, type SourceRange } from '../core/ir';
import { KERAS_ACTIVATIONS, KERAS_CLASSES, OP_SPECS, type OpName, isOpName, withInferred } from '../core/ops';
import { isUnsupported } from '../core/opTypes';
import { JsonSource } from '../core/jsonSource';
import type { FrontEndOptions } from './options';

type Json = Record<string, unknown>;
type KerasShape = (number | null)[];

/** One tensor a layer call reads: the producing layer, which of its calls, which of its outputs. */
interface Ref {
  name: string;
  node: number;
  tensor: number;
}

/** One call of a layer (one entry of its `inbound_nodes`). */
interface Call {
  refs: Ref[];
  /** Plain numbers among the call's arguments (Keras 3 records `x + 3.0` as an Add of a tensor and 3.0). */
  constants: number[];
}

interface KerasLayer {
  className: string;
  name: string;
  config: Json;
  calls: Call[];
  path: JSONPath;
  raw: Json;
}

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);
const MERGE_CLASSES = new Set(['Add', 'Subtract', 'Multiply', 'Maximum', 'Minimum', 'Average', 'Concatenate']);
/** Keras 3 names of activations Keras 2 spelled otherwise: the same functions. */
const ACTIVATION_ALIASES: Record<string, string> = { silu: 'swish', hard_silu: 'hard_swish' };
/** Activations the catalogue knows under another op than a Keras activation name. */
const ACTIVATION_OPS: Record<string, OpName> = { relu6: 'ReLU6', hard_sigmoid: 'Hardsigmoid', mish: 'Mish' };

/** Config fields only Keras 1 wrote (`Convolution2D(nb_filter, nb_row, nb_col, border_mode=...)`). */
const KERAS1_KEYS = ['nb_filter', 'nb_row', 'nb_col', 'border_mode', 'subsample', 'dim_ordering', 'output_dim', 'W_regularizer'];

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Finds the `{class_name, config}` topology inside the various wrappers TF.js and Keras write. */
function findTopology(v: unknown): { topo: Json; path: JSONPath } | null {
  if (!isObj(v)) return null;
  if (typeof v['class_name'] === 'string' && typeof v['config'] === 'object' && v['config'] !== null) return { topo: v, path: [] };
  for (const key of ['modelTopology', 'model_config']) {
    const inner = findTopology(v[key]);
    if (inner) return { topo: inner.topo, path: [key, ...inner.path] };
  }
  return null;
}

export function isKerasModel(value: unknown): boolean {
  return findTopology(value) !== null;
}

/** Keras 3 tensor references (`{class_name: '__keras_tensor__', config: {keras_history}}`) in call arguments, in order. */
function kerasTensors(v: unknown, out: Ref[] = []): Ref[] {
  if (Array.isArray(v)) v.forEach((x) => kerasTensors(x, out));
  else if (isObj(v)) {
    const hist = isObj(v['config']) ? v['config']['keras_history'] : undefined;
    if (Array.isArray(hist) && typeof hist[0] === 'string') out.push({ name: hist[0], node: Number(hist[1] ?? 0), tensor: Number(hist[2] ?? 0) });
    else if (v['class_name'] !== '__keras_tensor__') Object.values(v).forEach((x) => kerasTensors(x, out));
  }
  return out;
}

/** Keras 2 references: `[name, node, tensor, kwargs]` lists, however deeply nested. */
function nestedRefs(v: unknown, out: Ref[] = []): Ref[] {
  if (Array.isArray(v)) {
    if (typeof v[0] === 'string' && typeof v[1] === 'number') out.push({ name: v[0], node: v[1], tensor: typeof v[2] === 'number' ? v[2] : 0 });
    else v.forEach((x) => nestedRefs(x, out));
  }
  return out;
}

/** A layer's calls, from Keras 2's `[[[name, node, tensor, kwargs], ...], ...]` or Keras 3's `[{args, kwargs}, ...]`. */
function callsOf(raw: unknown): Call[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((node) => {
    if (isObj(node)) {
      const args = Array.isArray(node['args']) ? node['args'] : [];
      return { refs: kerasTensors(args), constants: args.filter((a): a is number => typeof a === 'number') };
    }
    return { refs: nestedRefs(node), constants: [] };
  });
}

/** Keras 2's `input_layers` / `output_layers` list of references, or Keras 3's single flat one. */
function endsOf(v: unknown): Ref[] {
  if (Array.isArray(v) && typeof v[0] === 'string') return nestedRefs([v]);
  return nestedRefs(v);
}

/** The declared input shape of a layer, in either spelling (`batch_input_shape` or Keras 3's `batch_shape`). */
function batchShapeOf(cfg: Json): KerasShape | undefined {
  const s = cfg['batch_input_shape'] ?? cfg['batch_shape'];
  if (isObj(s) && Array.isArray(s['items'])) return s['items'] as KerasShape;
  return Array.isArray(s) ? (s as KerasShape) : undefined;
}

/** The input size a model declares (its InputLayer, its first layer's shape, or its own first nested model's). */
function nestedInputShape(topo: Json): KerasShape | undefined {
  const cfg = topo['config'];
  const layers = (Array.isArray(cfg) ? cfg : isObj(cfg) && Array.isArray(cfg['layers']) ? cfg['layers'] : []).filter(isObj);
  const first = layers[0];
  for (const l of layers) {
    const s = isObj(l['config']) ? batchShapeOf(l['config']) : undefined;
    if (s) return s;
  }
  return first && MODEL_CLASSES.has(String(first['class_name'])) ? nestedInputShape(first) : undefined;
}

/** Any layer, at any depth, declared channels-first: then the whole model's tensors are in the IR's order. */
function declaresChannelsFirst(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(declaresChannelsFirst);
  if (!isObj(v)) return false;
  return v['data_format'] === 'channels_first' || Object.values(v).some(declaresChannelsFirst);
}

export function analyzeKeras(file: string, text: string, opts: FrontEndOptions = {}): Analysis {
  const src = new JsonSource(file, text);
  if (src.parseErrors.length) return { file, models: [], graph: null, diagnostics: src.parseErrors };
  let value = src.value;
  if (typeof value === 'string') {
    // Some exports json.dump() the to_json() string itself; positions then point at the string.
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      value = undefined;
    }
  }
  const found = findTopology(value);
  if (!found) {
    return {
      file,
      models: [],
      graph: null,
      diagnostics: [{ severity: 'error', ...src.at([]), code: 'keras/format', message: 'not a Keras/TF.js model: no modelTopology or {class_name, config} found' }],
    };
  }
  const { topo, path: topoPath } = found;
  const config = topo['config'];
  const name = String((isObj(config) ? config['name'] : undefined) ?? 'model');
  const b = new GraphBuilder(name, file);
  const reader = new KerasReader(b, src, opts, declaresChannelsFirst(topo));
  const outputs = reader.model(topo, topoPath, null, '', false);
  const out = outputs?.[0] ?? null;
  const candidates = [{ name, kind: 'design' as const, source: src.at(topoPath) }];
  return { file, models: [name], candidates, graph: b.finish(out, outputs?.slice(1) ?? []), diagnostics: b.diagnostics };
}

class KerasReader {
  private firstInput = true;

  constructor(
    private readonly b: GraphBuilder,
    private readonly src: JsonSource,
    private readonly opts: FrontEndOptions,
    private readonly channelsFirst: boolean,
  ) {}

  /** The whole JSON object of a layer, so a diagnostic on a one-line export still points at its layer. */
  range(path: JSONPath): SourceRange {
    const n = this.src.root ? findNodeAtLocation(this.src.root, path) : undefined;
    return n ? this.src.range(n.offset, n.length) : this.src.at(path);
  }

  /**
   * Reads one model's layers. `inputs` null: the top-level model, whose InputLayers (or first layer's
   * declared shape) make the graph's inputs; else a nested model applied to these tensors. Returns the
   * model's outputs, or null when they cannot be built.
   */
  model(topo: Json, path: JSONPath, inputs: Tensor[] | null, prefix: string, frozen: boolean): Tensor[] | null {
    const config = topo['config'];
    // A model set `trainable = False` (a transfer-learning base) freezes every layer in it.
    const frozenHere = frozen || (isObj(config) && config['trainable'] === false);
    // Keras 2.0-2.1 wrote a Sequential's config as the list of layers itself.
    const layersRaw = Array.isArray(config) ? config : isObj(config) ? config['layers'] : undefined;
    const layersPath: JSONPath = Array.isArray(config) ? [...path, 'config'] : [...path, 'config', 'layers'];
    if (!Array.isArray(layersRaw)) {
      this.b.diag('error', 'keras/format', 'model config has no layers list', this.src.at([...path, 'config']));
      return null;
    }
    const sequential = topo['class_name'] === 'Sequential';
    const layers: KerasLayer[] = layersRaw.map((l: unknown, i: number) => {
      const o = isObj(l) ? l : {};
      const cfg = isObj(o['config']) ? o['config'] : {};
      return {
        className: String(o['class_name'] ?? '?'),
        name: String(o['name'] ?? cfg['name'] ?? `layer_${i}`),
        config: cfg,
        calls: sequential ? [] : callsOf(o['inbound_nodes']),
        path: [...layersPath, i],
        raw: o,
      };
    });
    return sequential ? this.sequential(layers, path, inputs, prefix, frozenHere) : this.functional(layers, topo, path, inputs, prefix, frozenHere);
  }

  private sequential(layers: KerasLayer[], path: JSONPath, inputs: Tensor[] | null, prefix: string, frozen: boolean): Tensor[] | null {
    let x: Tensor | null = inputs?.[0] ?? null;
    if (!inputs) {
      const declared = layers.find((l) => l.className === 'InputLayer') ?? layers.find((l) => batchShapeOf(l.config));
      const first = layers[0];
      // Keras names the input it makes for a Sequential without an InputLayer `<first layer>_input`.
      const inputName = declared?.className === 'InputLayer' ? declared.name : `${first?.name ?? 'sequential'}_input`;
      // Teachable Machine's outer Sequential declares nothing: its first layer, a nested model, gives the size.
      const shape = declared ? batchShapeOf(declared.config) : first && MODEL_CLASSES.has(first.className) ? nestedInputShape(first.raw) : undefined;
      x = this.makeInput(shape, prefix + inputName, declared ? this.range(declared.path) : this.src.at(path));
    }
    for (const l of layers) {
      if (l.className === 'InputLayer' || !x) continue;
      x = this.layer(l, { refs: [], constants: [] }, [x], prefix, frozen)?.[0] ?? null;
    }
    return x ? [x] : null;
  }

  private functional(layers: KerasLayer[], topo: Json, path: JSONPath, inputs: Tensor[] | null, prefix: string, frozen: boolean): Tensor[] | null {
    const config = isObj(topo['config']) ? topo['config'] : {};
    const byName = new Map(layers.map((l) => [l.name, l]));
    const produced = new Map<string, Tensor[][]>();
    let broken = false;
    for (const l of layers) {
      for (const c of l.calls) {
        for (const r of c.refs) {
          if (byName.has(r.name)) continue;
          this.b.diag('error', 'keras/unknown-ref', `layer '${l.name}' takes input from unknown layer '${r.name}'`, this.range(l.path));
          broken = true;
        }
      }
    }
    const inputRefs = endsOf(config['input_layers']);
    const outputRefs = endsOf(config['output_layers']);
    for (const [k, refs] of [['input_layers', inputRefs], ['output_layers', outputRefs]] as const) {
      for (const r of refs) {
        if (byName.has(r.name)) continue;
        this.b.diag('error', 'keras/unknown-ref', `${k} names unknown layer '${r.name}'`, this.src.at([...path, 'config', k]));
        broken = true;
      }
    }
    if (broken) return null;

    // The model's inputs: new graph inputs at the top level, the caller's tensors for a nested model.
    const inputLayers = layers.filter((l) => l.className === 'InputLayer');
    const ordered = inputRefs.length ? inputRefs.map((r) => byName.get(r.name)!).filter((l) => l.className === 'InputLayer') : inputLayers;
    for (const l of inputLayers) {
      const i = ordered.indexOf(l);
      const t = inputs ? inputs[i >= 0 ? i : 0] : this.makeInput(batchShapeOf(l.config), prefix + l.name, this.range(l.path));
      if (t) produced.set(l.name, [[t]]);
    }

    // In Keras 2 a nested model's node 0 is its own construction, so its first call here is node 1; Keras 3
    // (`keras_history`) numbers the calls from 0 like any layer's.
    const keras3 = layers.some((l) => Array.isArray(l.raw['inbound_nodes']) && (l.raw['inbound_nodes'] as unknown[]).some(isObj));
    const callIndex = (r: Ref): number => {
      const l = byName.get(r.name)!;
      const declared = l.className === 'InputLayer' ? 1 : l.calls.length;
      const i = MODEL_CLASSES.has(l.className) && !keras3 ? r.node - 1 : r.node;
      return Math.max(0, Math.min(i, declared - 1));
    };
    const resolve = (r: Ref): Tensor | undefined => {
      const outs = produced.get(r.name)?.[callIndex(r)];
      return outs?.[r.tensor] ?? (r.tensor === 0 ? undefined : outs?.[0]);
    };

    // Keras rebuilds a functional model by retrying each layer call until its inputs exist; so do we.
    const failed = new Set<string>();
    let pending = layers.filter((l) => l.className !== 'InputLayer').flatMap((l) => l.calls.map((c, i) => ({ l, c, i })));
    for (let progress = true; pending.length && progress; ) {
      progress = false;
      pending = pending.filter(({ l, c, i }) => {
        const ins = c.refs.map(resolve);
        if (ins.some((t) => !t)) return true;
        const outs = this.layer(l, c, ins as Tensor[], prefix, frozen);
        const calls = produced.get(l.name) ?? [];
        calls[i] = outs ?? [];
        if (!outs) failed.add(l.name);
        produced.set(l.name, calls);
        progress = true;
        return false;
      });
    }
    // What is left waits on a layer that could not be built (already reported, or unknown), or on itself.
    for (let grew = true; grew; ) {
      grew = false;
      for (const { l, c } of pending) {
        if (!failed.has(l.name) && c.refs.some((r) => failed.has(r.name))) {
          failed.add(l.name);
          grew = true;
        }
      }
    }
    const waiting = new Map<string, Set<string>>();
    for (const { l, c } of pending) if (!failed.has(l.name)) for (const r of c.refs) waiting.set(l.name, (waiting.get(l.name) ?? new Set()).add(r.name));
    const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
      [...(waiting.get(from) ?? [])].some((n) => n === to || (!seen.has(n) && (seen.add(n), reaches(n, to, seen))));
    for (const l of new Set(pending.map((p) => p.l))) {
      if (waiting.has(l.name) && reaches(l.name, l.name)) this.b.diag('error', 'keras/cycle', `layer '${l.name}' depends on its own output`, this.range(l.path));
    }
    const refs = outputRefs.length ? outputRefs : layers.length ? [{ name: layers[layers.length - 1]!.name, node: 0, tensor: 0 }] : [];
    const outs = refs.map(resolve);
    return outs.length && outs.every((t) => t) ? (outs as Tensor[]) : null;
  }

  /** A graph input from a Keras batch shape: channels moved to dimension 1, open sizes from the default input. */
  private makeInput(shape: KerasShape | undefined, name: string, source: SourceRange): Tensor {
    const fallback = this.opts.defaultInput ?? [...DEFAULT_INPUT];
    let s: number[];
    if (this.firstInput && this.opts.input) s = this.opts.input;
    else if (!shape) s = fallback;
    else {
      const ir = !this.channelsFirst && shape.length >= 3 ? [shape[0]!, shape[shape.length - 1]!, ...shape.slice(1, -1)] : [...shape];
      // An open image size (a model for any resolution) takes the default input's, as PyTorch files do.
      s = ir.map((d, i) => d ?? (i === 0 ? 1 : ir.length === fallback.length && i >= 2 ? fallback[i]! : 1));
    }
    this.firstInput = false;
    return this.b.input(s, name, source);
  }

  /** One layer call: a nested model as a group, or the layer's ops. Null when it cannot be built. */
  private layer(l: KerasLayer, call: Call, inputs: Tensor[], prefix: string, frozen: boolean): Tensor[] | null {
    const source = this.range(l.path);
    const isFrozen = frozen || l.config['trainable'] === false;
    if (MODEL_CLASSES.has(l.className)) {
      this.b.beginGroup(prefix + l.name, l.className, source);
      const outs = this.model(l.raw, l.path, inputs, `${prefix}${l.name}/`, isFrozen);
      this.b.endGroup();
      return outs;
    }
    const first = this.b.nodes.length;
    const out = this.ops(l, call, inputs, prefix, source);
    if (isFrozen) for (const n of this.b.nodes.slice(first)) n.frozen = true;
    return [out];
  }

  /**
   * One Keras layer as catalogue ops: the op that claims its class reads the config (`KERAS_CLASSES`), and a
   * fused `activation` becomes the activation op of that name. A class or a configuration that the catalogue
   * does not map is an opaque node with an information diagnostic, so its shapes stay unknown, never wrong.
   */
  private ops(l: KerasLayer, call: Call, inputs: Tensor[], prefix: string, source: SourceRange): Tensor {
    const b = this.b;
    const c = l.config;
    const name = prefix + l.name;
    const meta = { name, source };
    const opaque = (why: string): Tensor => {
      b.diag('information', 'keras/unsupported', `layer '${l.name}': ${why}; its output shape is unknown`, source);
      return b.op('opaque', { reason: l.className }, inputs, meta);
    };
    const activation = (t: Tensor, act: unknown, m: { name: string; source: SourceRange }): Tensor => {
      const a = isObj(act) && typeof act['config'] === 'string' ? act['config'] : act;
      if (typeof a !== 'string') return opaque(`activation ${JSON.stringify(a)} is not understood`);
      const op = ACTIVATION_OPS[a] ?? KERAS_ACTIVATIONS.get(ACTIVATION_ALIASES[a] ?? a);
      if (!op) return opaque(`Keras activation '${a}' is not understood`);
      return op === 'Identity' && m.name !== name ? t : b.op(op, {}, [t], m);
    };
    /** Reads `config` as the catalogue op of `className` and adds it. */
    const read = (className: string, config: Json, ins: Tensor[], m: { name: string; source: SourceRange }): Tensor | string => {
      const op = KERAS_CLASSES.get(className);
      if (!op) return `Keras layer type ${className} is not understood`;
      const mapping = OP_SPECS[op].keras;
      if (isUnsupported(mapping)) return mapping.unsupported;
      const first = this.channelsFirst || config['data_format'] === 'channels_first';
      const r = mapping.read(config, { inputs: ins.map((t) => t.shape), channelsFirst: first });
      if (isUnsupported(r)) return `${className}: ${r.unsupported}`;
      // A field the mapping needed but the file lacks (another spelling) reads as NaN: unknown, not an error.
      const missing = Object.entries(r.attrs).filter(([, v]) => (Array.isArray(v) ? v : [v]).some((x) => typeof x === 'number' && Number.isNaN(x)));
      if (missing.length) return `${className}: no value for ${missing.map(([k]) => k).join(', ')} in its config`;
      const target = r.op !== undefined && isOpName(r.op) ? r.op : op;
      return b.op(target, withInferred(target, r.attrs, ins[0]?.shape), ins, m);
    };

    let t: Tensor | string;
    if (MERGE_CLASSES.has(l.className) && inputs.some((x) => x.shape === null)) {
      // A broadcast with an operand of unknown shape has an unknown shape too (the reason is reported upstream).
      return b.op('opaque', { reason: l.className }, inputs, meta);
    }
    const keras1 = KERAS1_KEYS.filter((k) => k in c);
    if (keras1.length) return opaque(`Keras 1 configuration (${keras1.join(', ')}) is not read`);
    if (l.className === 'Activation') return activation(inputs[0]!, c['activation'], meta);
    if (call.constants.length && inputs.length === 1 && ['Add', 'Subtract', 'Multiply'].includes(l.className)) {
      // Keras 3's `x + 3.0`: elementwise with a number, so the tensor's shape and no weights.
      t = b.op('pointwise', { fn: l.className.toLowerCase() }, inputs, meta);
    } else if (l.className === 'SeparableConv2D') {
      // A depthwise convolution, then a 1x1 convolution to `filters` channels; Keras's bias is the second's.
      const { filters: _filters, ...depthwise } = c;
      const dw = read('DepthwiseConv2D', { ...depthwise, use_bias: false }, inputs, { name: `${name}/depthwise`, source });
      if (typeof dw === 'string') return opaque(dw);
      t = read('Conv2D', { filters: c['filters'], kernel_size: [1, 1], strides: [1, 1], padding: 'valid', use_bias: c['use_bias'], data_format: c['data_format'] }, [dw], meta);
    } else t = read(l.className, c, inputs, meta);
    if (typeof t === 'string') return opaque(t);
    const n = b.node(t.node);
    if (n && (n.attrs['center'] === false) !== (n.attrs['scale'] === false) && typeof n.params === 'number') {
      // A BatchNormalization that learns the shift or the scale alone (the catalogue keeps Keras's flags).
      n.params /= 2;
    }
    const act = c['activation'];
    if (act === undefined || act === null || act === 'linear' || l.className === 'ReLU' || l.className === 'Softmax') return t;
    return activation(t, act, { name: `${name}/${typeof act === 'string' ? act : 'activation'}`, source });
  }
}
