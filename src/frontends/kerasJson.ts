/**
 * Front end for Keras / TF.js `model.json` topologies (Sequential and functional with `inbound_nodes`, in
 * the Keras 2 and Keras 3 spellings). Keras is channels-last; the IR is channels-first like PyTorch, so
 * shapes are converted on the way in.
 */
import type { JSONPath } from 'jsonc-parser';
import { GraphBuilder, type Tensor } from '../core/graph';
import { type Analysis, DEFAULT_INPUT, type SourceRange } from '../core/ir';
import { KERAS_ACTIVATIONS, KERAS_CLASSES, OP_SPECS, isOpName, withInferred } from '../core/ops';
import { isUnsupported } from '../core/opTypes';
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

/**
 * One Keras layer as catalogue ops: the op that claims its class reads the config (`KERAS_CLASSES`), and a
 * fused `activation` becomes the activation op of that name. A class or a configuration that the catalogue
 * does not map is an opaque node with an information diagnostic, so its shapes stay unknown, never wrong.
 */
function convertLayer(b: GraphBuilder, l: KerasLayer, inputs: Tensor[], source: SourceRange): Tensor {
  const c = l.config;
  const meta = { name: l.name, source };
  const opaque = (why: string): Tensor => {
    b.diag('information', 'keras/unsupported', `layer '${l.name}': ${why}; its output shape is unknown`, source);
    return b.op('opaque', { reason: l.className }, inputs, meta);
  };
  const activation = (t: Tensor, name: unknown, m: { name: string; source: SourceRange }): Tensor => {
    if (typeof name !== 'string') return opaque(`activation ${JSON.stringify(name)} is not understood`);
    const op = KERAS_ACTIVATIONS.get(name);
    if (!op) return opaque(`Keras activation '${name}' is not understood`);
    return op === 'Identity' && m.name !== l.name ? t : b.op(op, {}, [t], m);
  };
  if (l.className === 'Activation') return activation(inputs[0]!, c['activation'], meta);
  const op = KERAS_CLASSES.get(l.className);
  if (!op) return opaque(`Keras layer type ${l.className} is not understood`);
  const mapping = OP_SPECS[op].keras;
  if (isUnsupported(mapping)) return opaque(mapping.unsupported);
  const channelsFirst = c['data_format'] === 'channels_first';
  const r = mapping.read(c, { inputs: inputs.map((t) => t.shape), channelsFirst });
  if (isUnsupported(r)) return opaque(`${l.className}: ${r.unsupported}`);
  const target = r.op !== undefined && isOpName(r.op) ? r.op : op;
  const t = b.op(target, withInferred(target, r.attrs, inputs[0]?.shape), inputs, meta);
  const act = c['activation'];
  if (act === undefined || act === null || act === 'linear') return t;
  return activation(t, act, { name: `${l.name}/${String(act)}`, source });
}
