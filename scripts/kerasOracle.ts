/**
 * TensorFlow.js as the judge of Keras / TF.js model files: builds a `model.json` (TF.js layers-model) or a
 * Keras `model.to_json()` file with `tf.models.modelFromJSON` from the `@tensorflow/tfjs` we already ship,
 * and reports its learnable parameter count (every layer unfrozen, so the count is PyTorch's "parameters")
 * and its output shapes in channels-first order, the IR's convention. The Keras reader's tests and the
 * differential runner (scripts/kerasDiff.ts) compare our analysis with it.
 *
 * TF.js 4.22 reads only the Keras 2 spelling, so Keras 3 files are rewritten first (see `normalizeKeras`);
 * every rewrite keeps the parameter count and the output shapes as Keras computes them. TF.js never
 * returns on a reference to a layer that does not exist, so references are checked before building, and
 * each build runs in a child process that is killed after a timeout.
 *
 * Usage: node --import tsx scripts/kerasOracle.ts [--timeout SECONDS] FILE...   (prints a JSON array)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Json = Record<string, unknown>;
type Shape = (number | null)[];

export interface OracleResult {
  file: string;
  /** Learnable parameters with every layer unfrozen (Keras's trainable count); null when it did not build. */
  params: number | null;
  /** Of those, the ones Keras trains with the file's own `trainable: false` flags kept (frozen layers left out). */
  trainable: number | null;
  /** Every model output, channels-first, batch 1; null dimensions are ones Keras leaves open. */
  outputs: Shape[] | null;
  /** Why TF.js could not build it (our checks, TF.js's own error, or the timeout). */
  error: string | null;
  /** Each rewrite applied before building, so a reader can judge the comparison. */
  notes: string[];
}

/** Element-wise activations TF.js lacks, replaced by one it has: neither has weights or changes shapes. */
const ACTIVATION_STANDINS: Record<string, string> = { silu: 'swish', hard_silu: 'linear', hard_swish: 'linear', leaky_relu: 'linear', exponential: 'linear' };

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `{class_name, config}` topology inside the wrappers TF.js and Keras write. */
export function findTopology(v: unknown): Json | null {
  if (!isObj(v)) return null;
  if (typeof v['class_name'] === 'string' && (isObj(v['config']) || Array.isArray(v['config']))) return v;
  for (const key of ['modelTopology', 'model_config']) {
    const inner = findTopology(v[key]);
    if (inner) return inner;
  }
  return null;
}

const MERGE_CLASSES = new Set(['Add', 'Subtract', 'Multiply', 'Maximum', 'Minimum', 'Average']);
/** Keras augmentation layers TF.js lacks; at inference each is the identity, with no weights. */
const AUGMENTATION_CLASSES = new Set(['RandomFlip', 'RandomRotation', 'RandomZoom', 'RandomContrast', 'RandomTranslation', 'RandomBrightness']);
const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);
/** Config keys that only affect training or serialisation; TF.js rejects several Keras 3 spellings of them. */
const DROPPED_KEYS = ['kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'depthwise_regularizer', 'pointwise_regularizer', 'beta_regularizer', 'gamma_regularizer', 'embeddings_regularizer', 'kernel_constraint', 'bias_constraint', 'depthwise_constraint', 'pointwise_constraint', 'beta_constraint', 'gamma_constraint'];

/** Keras 3 tensor references (`{class_name: '__keras_tensor__', config: {keras_history}}`) found in call arguments, in order. */
function kerasTensors(v: unknown, out: [string, number, number][] = []): [string, number, number][] {
  if (Array.isArray(v)) v.forEach((x) => kerasTensors(x, out));
  else if (isObj(v)) {
    const hist = isObj(v['config']) ? v['config']['keras_history'] : undefined;
    if (v['class_name'] === '__keras_tensor__' && Array.isArray(hist)) out.push([String(hist[0]), Number(hist[1] ?? 0), Number(hist[2] ?? 0)]);
    else Object.values(v).forEach((x) => kerasTensors(x, out));
  }
  return out;
}

/**
 * Keras 3 `inbound_nodes` (`[{args, kwargs}]`) to Keras 2's `[[[name, node, tensor, kwargs], ...]]`. Keras 3
 * numbers a nested model's calls from 0; Keras 2 and TF.js count its construction as node 0, so those move up one.
 */
function normalizeInbound(raw: unknown, models: ReadonlySet<string>): unknown {
  if (!Array.isArray(raw)) return raw;
  return raw.map((node) => {
    if (!isObj(node)) return node;
    const kwargs = isObj(node['kwargs']) ? Object.fromEntries(Object.entries(node['kwargs']).filter(([, v]) => kerasTensors(v).length === 0 && (typeof v !== 'object' || v === null))) : {};
    return kerasTensors(node['args']).map(([n, i, t]) => [n, models.has(n) ? i + 1 : i, t, kwargs]);
  });
}

/** Keras 3 writes `["fc", 0, 0]` for a single input or output; Keras 2 always a list of them. */
function normalizeEnds(v: unknown, models: ReadonlySet<string>, keras3: boolean): unknown {
  const list = Array.isArray(v) && typeof v[0] === 'string' ? [v] : v;
  if (!keras3 || !Array.isArray(list)) return list;
  return list.map((r) => (Array.isArray(r) && typeof r[0] === 'string' && models.has(r[0]) ? [r[0], Number(r[1] ?? 0) + 1, ...r.slice(2)] : r));
}

function dtypeName(v: unknown): unknown {
  if (isObj(v)) {
    const name = isObj(v['config']) ? v['config']['name'] : undefined;
    v = typeof name === 'string' ? name : 'float32';
  }
  // Mixed-precision policies build the same weights; TF.js knows only plain dtypes.
  return typeof v === 'string' && v.startsWith('mixed_') ? 'float32' : v;
}

function normalizeLayerConfig(cls: string, cfg: Json, notes: Set<string>): void {
  if ('batch_shape' in cfg && !('batch_input_shape' in cfg)) {
    cfg['batch_input_shape'] = cfg['batch_shape'];
    delete cfg['batch_shape'];
    notes.add('batch_shape -> batch_input_shape');
  }
  if (isObj(cfg['batch_input_shape'])) cfg['batch_input_shape'] = (cfg['batch_input_shape'] as Json)['items'];
  if ('dtype' in cfg) {
    const d = dtypeName(cfg['dtype']);
    if (d !== cfg['dtype']) notes.add('dtype object -> string');
    cfg['dtype'] = d;
  }
  if (isObj(cfg['activation'])) {
    const a = cfg['activation'];
    cfg['activation'] = typeof a['config'] === 'string' ? a['config'] : String(a['class_name'] ?? 'linear').toLowerCase();
  }
  const act = cfg['activation'];
  if (typeof act === 'string' && act in ACTIVATION_STANDINS) {
    cfg['activation'] = ACTIVATION_STANDINS[act];
    notes.add(`activation ${act} -> ${ACTIVATION_STANDINS[act]} (same shape, no weights)`);
  }
  if (cls === 'SeparableConv2D') {
    // Keras writes the plain conv's keys too; TF.js rejects them on a separable conv.
    for (const k of ['kernel_initializer', 'kernel_regularizer', 'kernel_constraint']) delete cfg[k];
  }
  for (const k of DROPPED_KEYS) if (cfg[k] != null) {
    cfg[k] = null;
    notes.add('regularizers and constraints dropped');
  }
  for (const [k, v] of Object.entries(cfg)) {
    // Keras 3 serialises tuples as `{class_name: '__tuple__', items}` in some exports.
    if (isObj(v) && v['class_name'] === '__tuple__' && Array.isArray(v['items'])) cfg[k] = v['items'];
  }
  if (cls === 'LeakyReLU' && 'negative_slope' in cfg && !('alpha' in cfg)) cfg['alpha'] = cfg['negative_slope'];
  if (cfg['trainable'] === false) notes.add('frozen layers unfrozen');
  cfg['trainable'] = true;
}

/**
 * Rewrites a topology in place into the Keras 2 spelling TF.js 4.22 reads, with every layer trainable.
 * Layers TF.js lacks but whose counts are known are replaced by ones with the same shapes and learnable
 * parameters (Normalization: an identity, its mean and variance are not learnable).
 */
export function normalizeKeras(topo: Json, notes: Set<string> = new Set()): Set<string> {
  const cfgRaw = topo['config'];
  if (Array.isArray(cfgRaw)) {
    // Keras 2.0-2.1 Sequential: the config is the list of layers itself.
    topo['config'] = { name: 'sequential', layers: cfgRaw };
    notes.add('Sequential layer list wrapped in a config');
  }
  const cfg = topo['config'] as Json;
  const layers = Array.isArray(cfg['layers']) ? (cfg['layers'] as unknown[]) : [];
  const sequential = topo['class_name'] === 'Sequential';
  const out: unknown[] = [];
  const models = new Set(layers.filter((l): l is Json => isObj(l) && MODEL_CLASSES.has(String(l['class_name']))).map((l) => String(l['name'] ?? (isObj(l['config']) ? l['config']['name'] : ''))));
  const keras3 = layers.some((l) => isObj(l) && Array.isArray(l['inbound_nodes']) && (l['inbound_nodes'] as unknown[]).some(isObj));
  for (const l of layers) {
    if (!isObj(l)) continue;
    const cls = String(l['class_name']);
    const lc = isObj(l['config']) ? l['config'] : {};
    l['config'] = lc;
    for (const k of ['module', 'registered_name', 'build_config', 'compile_config']) delete l[k];
    if (MODEL_CLASSES.has(cls)) {
      normalizeKeras(l, notes);
      lc['trainable'] = true;
    } else normalizeLayerConfig(cls, lc, notes);
    if ('inbound_nodes' in l) {
      const raw = l['inbound_nodes'];
      l['inbound_nodes'] = normalizeInbound(raw, models);
      // Keras 3 records `x + 3.0` as an Add called with one tensor and a number: elementwise with a
      // scalar, so the same shape and no weights. TF.js merge layers need two tensors; an identity stands in.
      const first = Array.isArray(raw) && isObj(raw[0]) ? raw[0]['args'] : undefined;
      if (MERGE_CLASSES.has(cls) && Array.isArray(first) && first.some((a) => typeof a === 'number') && kerasTensors(first).length === 1) {
        l['class_name'] = 'Activation';
        l['config'] = { name: lc['name'], activation: 'linear', trainable: true };
        notes.add(`${cls} of a tensor and a number -> identity`);
      }
    }
    if (AUGMENTATION_CLASSES.has(cls)) {
      l['class_name'] = 'Activation';
      l['config'] = { name: lc['name'], activation: 'linear', trainable: true, ...(lc['batch_input_shape'] ? { batch_input_shape: lc['batch_input_shape'] } : {}) };
      notes.add(`${cls} -> identity (augmentation, no weights)`);
    }
    if (cls === 'Normalization') {
      l['class_name'] = 'Activation';
      l['config'] = { name: lc['name'], activation: 'linear', trainable: true, ...(lc['batch_input_shape'] ? { batch_input_shape: lc['batch_input_shape'] } : {}) };
      notes.add('Normalization -> identity (no learnable weights)');
    }
    out.push(l);
    const keep = lc['keepdims'] === true && (cls === 'GlobalAveragePooling2D' || cls === 'GlobalMaxPooling2D');
    if (keep) {
      // TF.js ignores keepdims, and its Reshape loses every size when the batch is open, so the two unit
      // axes come back through RepeatVector(1), then TimeDistributed(RepeatVector(1)): [B, C] -> [B, 1, 1, C].
      const name = String(l['name'] ?? lc['name']);
      const pooled = `${name}__pooled`;
      const row = `${name}__row`;
      l['name'] = pooled;
      lc['name'] = pooled;
      const chain: Json[] = [
        { class_name: 'RepeatVector', name: row, config: { name: row, n: 1, trainable: true } },
        { class_name: 'TimeDistributed', name, config: { name, trainable: true, layer: { class_name: 'RepeatVector', config: { name: `${name}__col`, n: 1 } } } },
      ];
      if (lc['data_format'] === 'channels_first') {
        chain[1]!['name'] = (chain[1]!['config'] as Json)['name'] = `${name}__last`;
        chain.push({ class_name: 'Permute', name, config: { name, dims: [3, 1, 2], trainable: true } });
      }
      if (!sequential) chain.forEach((c, i) => (c['inbound_nodes'] = [[[i === 0 ? pooled : String(chain[i - 1]!['name']), 0, 0, {}]]]));
      out.push(...chain);
      notes.add('GlobalPooling2D keepdims -> pooling + two RepeatVector(1)');
    }
  }
  cfg['layers'] = out;
  for (const k of ['input_layers', 'output_layers']) if (k in cfg) cfg[k] = normalizeEnds(cfg[k], models, keras3);
  for (const k of ['build_input_shape', 'trainable']) delete cfg[k];
  return notes;
}

/** Names referenced but not defined, and layers on a cycle, per model config (nested ones included); TF.js never returns on these. */
export function danglingReferences(topo: Json, where = 'model'): string[] {
  const cfg = topo['config'];
  if (!isObj(cfg) || !Array.isArray(cfg['layers'])) return [];
  const layers = (cfg['layers'] as unknown[]).filter(isObj);
  const names = new Set(layers.map((l) => String(l['name'] ?? (isObj(l['config']) ? l['config']['name'] : ''))));
  const problems: string[] = [];
  const refs = (v: unknown): string[] => {
    const found: string[] = [];
    const visit = (x: unknown): void => {
      if (Array.isArray(x)) {
        if (typeof x[0] === 'string' && typeof x[1] === 'number') found.push(x[0]);
        else x.forEach(visit);
      }
    };
    visit(v);
    return found;
  };
  const deps = new Map<string, string[]>();
  for (const l of layers) {
    const lname = String(l['name'] ?? '');
    deps.set(lname, refs(l['inbound_nodes']));
    for (const n of refs(l['inbound_nodes'])) if (!names.has(n)) problems.push(`${where}: layer '${lname}' takes input from unknown layer '${n}'`);
    if (MODEL_CLASSES.has(String(l['class_name']))) problems.push(...danglingReferences(l, `${where}/${lname}`));
  }
  // TF.js never returns on a cycle either.
  const reaches = (from: string, to: string, seen: Set<string>): boolean =>
    (deps.get(from) ?? []).some((n) => n === to || (!seen.has(n) && (seen.add(n), reaches(n, to, seen))));
  for (const name of deps.keys()) if (reaches(name, name, new Set())) problems.push(`${where}: cycle through layer '${name}'`);
  for (const k of ['input_layers', 'output_layers']) for (const n of refs(cfg[k])) if (!names.has(n)) problems.push(`${where}: ${k} names unknown layer '${n}'`);
  return problems;
}

/** Any layer declared channels-first: its outputs are already in the IR's order. */
function channelsFirst(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(channelsFirst);
  if (!isObj(v)) return false;
  return v['data_format'] === 'channels_first' || Object.values(v).some(channelsFirst);
}

/** Channels-last to channels-first: the last axis moves to position 1, as the Keras reader converts. */
export function toChannelsFirst(shape: Shape, first: boolean): Shape {
  const s = shape.map((d, i) => (i === 0 ? 1 : d));
  if (first || s.length < 3) return s;
  return [s[0]!, s[s.length - 1]!, ...s.slice(1, -1)];
}

/** Reads and normalises one file; throws with a message when TF.js could not be asked at all. */
/** The file's frozen layers, as paths of layer names through nested models (`base/conv1`); a frozen model freezes all of its own. */
export function frozenPaths(topo: Json, prefix = '', out: Set<string> = new Set()): Set<string> {
  const cfg = topo['config'];
  const layers = Array.isArray(cfg) ? cfg : isObj(cfg) && Array.isArray(cfg['layers']) ? (cfg['layers'] as unknown[]) : [];
  if (isObj(cfg) && cfg['trainable'] === false) out.add(prefix.replace(/\/$/, ''));
  for (const l of layers) {
    if (!isObj(l)) continue;
    const lc = isObj(l['config']) ? l['config'] : {};
    const name = String(l['name'] ?? lc['name'] ?? '');
    if (lc['trainable'] === false) out.add(prefix + name);
    if (MODEL_CLASSES.has(String(l['class_name']))) frozenPaths(l, `${prefix}${name}/`, out);
  }
  return out;
}

export function prepare(file: string): { modelTopology: Json; notes: string[]; first: boolean; frozen: Set<string> } {
  let value: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const notes = new Set<string>();
  if (typeof value === 'string') {
    value = JSON.parse(value);
    notes.add('JSON string unwrapped');
  }
  const topo = findTopology(value);
  if (!topo) throw new Error('no Keras topology ({class_name, config}) in the file');
  const copy = structuredClone(topo);
  const frozen = frozenPaths(topo);
  normalizeKeras(copy, notes);
  const dangling = danglingReferences(copy);
  if (dangling.length) throw new Error(`${dangling.some((d) => d.includes('unknown layer')) ? 'dangling reference' : 'cycle'}: ${dangling.join('; ')}`);
  return { modelTopology: copy, notes: [...notes], first: channelsFirst(copy), frozen };
}

async function buildInThisProcess(files: string[]): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  for (const file of files) {
    process.stdout.write(`@@start ${JSON.stringify(file)}\n`);
    const result: OracleResult = { file, params: null, trainable: null, outputs: null, error: null, notes: [] };
    try {
      const { modelTopology, notes, first, frozen } = prepare(file);
      result.notes = notes;
      const model = await tf.models.modelFromJSON({ modelTopology: modelTopology as never });
      const count = (): number => model.trainableWeights.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
      result.params = count();
      result.outputs = model.outputs.map((o) => toChannelsFirst(o.shape, first));
      // Then the file's own flags: TF.js leaves a frozen layer's weights out of the trainable ones.
      const freeze = (layers: { name: string; trainable: boolean; layers?: unknown }[], prefix: string): void => {
        for (const layer of layers) {
          if (frozen.has(prefix + layer.name)) layer.trainable = false;
          if (Array.isArray(layer.layers)) freeze(layer.layers as typeof layers, `${prefix}${layer.name}/`);
        }
      };
      freeze(model.layers, '');
      result.trainable = count();
      model.dispose();
    } catch (e) {
      result.error = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    }
    process.stdout.write(`@@result ${JSON.stringify(result)}\n`);
  }
}

/**
 * Builds every file with TF.js in child processes, one file at a time per child; a file that runs past the
 * timeout is reported as such and the rest go on in a fresh child.
 */
export async function runOracle(files: string[], timeoutMs = 60_000): Promise<OracleResult[]> {
  const results = new Map<string, OracleResult>();
  let pending = [...files];
  const self = fileURLToPath(import.meta.url);
  while (pending.length) {
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', self, '--child', ...pending], { stdio: ['ignore', 'pipe', 'pipe'] });
      let current: string | null = null;
      let buf = '';
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          if (current) results.set(current, { file: current, params: null, trainable: null, outputs: null, error: `TF.js did not finish within ${timeoutMs / 1000} s`, notes: [] });
          child.kill('SIGKILL');
        }, timeoutMs);
      };
      arm();
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.startsWith('@@start ')) {
            current = JSON.parse(line.slice(8)) as string;
            arm();
          } else if (line.startsWith('@@result ')) {
            const r = JSON.parse(line.slice(9)) as OracleResult;
            results.set(r.file, r);
            current = null;
          }
        }
      });
      child.stderr.resume();
      child.on('close', () => {
        clearTimeout(timer);
        // A child that died without a result for its current file (a crash, not the timeout) fails that file.
        if (current && !results.has(current)) results.set(current, { file: current, params: null, trainable: null, outputs: null, error: 'TF.js process exited without a result', notes: [] });
        resolve();
      });
    });
    pending = pending.filter((f) => !results.has(f));
  }
  return files.map((f) => results.get(f)!);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    void buildInThisProcess(args.slice(1));
  } else {
    let timeout = 60;
    if (args[0] === '--timeout') {
      timeout = Number(args[1]);
      args.splice(0, 2);
    }
    if (args.length === 0) {
      process.stderr.write('usage: node --import tsx scripts/kerasOracle.ts [--timeout SECONDS] FILE...\n');
      process.exit(2);
    }
    void runOracle(args, timeout * 1000).then((r) => process.stdout.write(JSON.stringify(r, null, 1) + '\n'));
  }
}
