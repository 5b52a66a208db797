/**
 * IR -> a Keras functional model topology in TF.js's layers format (`model.json`, no weights), which
 * `tf.loadLayersModel` / `tf.models.modelFromJSON` build and our Keras reader reads back. Each op's layers
 * come from its catalogue entry (`keras.write`); an op Keras cannot express is refused with the
 * catalogue's reason and the node's source line, never left out.
 */
import type { IrGraph, IrNode } from '../core/ir';
import { OP_SPECS } from '../core/ops';
import { type KerasWritten, isUnsupported } from '../core/opTypes';
import { CodegenError, describeNode } from './moduleTree';

type Ref = [string, number, number, Record<string, never>];

interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: Ref[][];
}

export interface KerasModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: {
    class_name: 'Model';
    config: { name: string; layers: KerasLayer[]; input_layers: [string, number, number][]; output_layers: [string, number, number][] };
    keras_version: string;
    backend: 'tensorflow';
  };
  weightsManifest: [];
}

/** A Keras layer name from a module path: `layer1.0.conv1` -> `layer1_0_conv1`. */
function kerasName(name: string): string {
  const n = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z]/.test(n) ? n : `l_${n}`;
}

/**
 * Writes the model's topology; throws {@link CodegenError} listing every op Keras cannot express. For `tfjs`, layer
 * settings TF.js's layers do not implement (grouped convolutions) are refused as well.
 */
export function writeKeras(g: IrGraph, target: 'keras' | 'tfjs' = 'keras'): KerasModelJson {
  const refused: string[] = [];
  let firstRefused: IrNode | undefined;
  const layers: KerasLayer[] = [];
  const byName = new Map<string, KerasLayer>();
  /** The layers written for each module path, so a module called again calls the same layers. */
  const written = new Map<string, KerasLayer[]>();
  const outputs = new Map<string, [string, number, number]>();
  const used = new Set<string>();
  const unique = (base: string) => {
    let n = base;
    for (let k = 1; used.has(n); k++) n = `${base}_${k}`;
    used.add(n);
    return n;
  };
  const inputs: [string, number, number][] = [];
  for (const n of g.nodes) {
    const spec = OP_SPECS[n.op];
    const refuse = (why: string) => {
      refused.push(`cannot write ${describeNode(n)} as Keras: ${why}`);
      firstRefused ??= n;
    };
    if (isUnsupported(spec.keras)) {
      refuse(spec.keras.unsupported);
      continue;
    }
    const ins = n.inputs.map((id) => outputs.get(id));
    if (ins.some((r) => !r)) continue;
    // A module called again calls the same Keras layers when they hold weights; a weightless one (torchvision's
    // single `relu`) gets layers of its own, as Keras models are written, so the layer graph has no cycle.
    const again = n.shared && (n.params ?? 0) > 0 ? written.get(n.name) : undefined;
    let chain: KerasLayer[];
    if (again) chain = again;
    else {
      let name = kerasName(n.name);
      for (let k = 1; used.has(name); k++) name = `${kerasName(n.name)}_${k}`;
      const out = spec.keras.write(n.attrs, { name, inputs: n.inputShapes, output: n.outputShape });
      if (isUnsupported(out)) {
        refuse(out.unsupported);
        continue;
      }
      const grouped = target === 'tfjs' ? out.find((w) => typeof w.config['groups'] === 'number' && w.config['groups'] !== 1) : undefined;
      if (grouped) {
        refuse(`TF.js's ${grouped.className} has no groups (it would build an ungrouped convolution); export to Keras instead`);
        continue;
      }
      chain = out.map((w: KerasWritten) => {
        const layerName = typeof w.config['name'] === 'string' && !used.has(w.config['name']) ? w.config['name'] : unique(`${name}_${w.className.toLowerCase()}`);
        used.add(layerName);
        const layer: KerasLayer = { class_name: w.className, name: layerName, config: { ...w.config, name: layerName, trainable: true }, inbound_nodes: [] };
        return layer;
      });
      written.set(n.name, chain);
    }
    if (chain.length === 0) {
      // A layer that writes nothing (zero padding of zero) hands its input on.
      if (ins[0]) outputs.set(n.id, ins[0]);
      continue;
    }
    let prev: [string, number, number][] = ins as [string, number, number][];
    for (const layer of chain) {
      if (!byName.has(layer.name)) {
        byName.set(layer.name, layer);
        layers.push(layer);
      }
      const index = layer.inbound_nodes.length;
      if (layer.class_name !== 'InputLayer') layer.inbound_nodes.push(prev.map(([l, i, t]) => [l, i, t, {}]));
      prev = [[layer.name, index, 0]];
    }
    outputs.set(n.id, prev[0]!);
    if (n.op === 'input') inputs.push(prev[0]!);
  }
  if (refused.length) throw new CodegenError(refused.join('\n'), firstRefused?.source);
  const consumed = new Set(g.nodes.flatMap((n) => n.inputs));
  const sinks = g.nodes.filter((n) => n.op !== 'input' && !consumed.has(n.id));
  const last = sinks[sinks.length - 1];
  if (!last || !outputs.get(last.id)) throw new CodegenError(`${g.name}: the model has no output to write`);
  return {
    format: 'layers-model',
    generatedBy: 'ResNet Studio',
    convertedBy: null,
    modelTopology: {
      class_name: 'Model',
      config: { name: kerasName(g.name), layers, input_layers: inputs, output_layers: [outputs.get(last.id)!] },
      keras_version: '2.13.1',
      backend: 'tensorflow',
    },
    weightsManifest: [],
  };
}
