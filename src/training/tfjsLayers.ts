/**
 * Layers that PyTorch has and `tf.layers` lacks: constant/reflect padding on any axis (CIFAR option-A
 * shortcuts pad channels), strided slicing (their `x[:, :, ::2, ::2]`), grouped convolution (ResNeXt),
 * reductions and a few activations. They are defined against the `tf` namespace the runner loaded, because
 * a native backend brings its own copy of tfjs and a layer class must extend that copy's `Layer`. Each is
 * registered for serialisation so checkpoints (`model.json`) load back.
 */
import type * as tfTypes from '@tensorflow/tfjs';

export type TF = typeof tfTypes;
type Tensor = tfTypes.Tensor;
type Shape = (number | null)[];

/** `[start, stop, step]` per axis after the batch axis; null keeps the axis whole. */
export type SliceSpec = ([number | null, number | null, number] | null)[];

/** Arguments of the grouped convolution layer (TF.js has no `groups` on `conv2d`). */
export interface GroupConv2dArgs {
  filters: number;
  kernelSize: [number, number];
  strides: [number, number];
  groups: number;
  useBias: boolean;
  seed?: number;
  name?: string;
}

export interface CustomLayers {
  pad(args: { paddings: [number, number][]; value?: number; mode?: 'constant' | 'reflect'; name?: string }): tfTypes.layers.Layer;
  slice(args: { slices: SliceSpec; name?: string }): tfTypes.layers.Layer;
  groupConv2d(args: GroupConv2dArgs): tfTypes.layers.Layer;
  mean(args: { axes: number[]; keepDims: boolean; name?: string }): tfTypes.layers.Layer;
  activation(args: { kind: CustomActivation; name?: string }): tfTypes.layers.Layer;
}

export type CustomActivation = 'gelu' | 'gelu_tanh' | 'silu' | 'hardswish';

/** The indices a Python slice `[start:stop:step]` selects from an axis of `size`. */
export function sliceIndices(size: number, start: number | null, stop: number | null, step: number): number[] {
  if (step <= 0) throw new Error(`slice step must be positive, got ${step}`);
  const norm = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const lo = start === null ? 0 : norm(start);
  const hi = stop === null ? size : norm(stop);
  const out: number[] = [];
  for (let i = lo; i < hi; i += step) out.push(i);
  return out;
}

const cache = new WeakMap<object, CustomLayers>();

export function customLayers(tf: TF): CustomLayers {
  const hit = cache.get(tf);
  if (hit) return hit;
  const one = (x: Tensor | Tensor[]): Tensor => (Array.isArray(x) ? x[0]! : x);
  const shapeOf = (s: tfTypes.Shape | tfTypes.Shape[]): Shape => (Array.isArray(s[0]) ? (s[0] as Shape) : (s as Shape));

  class RsPad extends tf.layers.Layer {
    static className = 'RsPad';
    readonly paddings: [number, number][];
    readonly value: number;
    readonly mode: 'constant' | 'reflect';
    constructor(args: { paddings: [number, number][]; value?: number; mode?: 'constant' | 'reflect'; name?: string }) {
      super(args.name ? { name: args.name } : {});
      this.paddings = args.paddings;
      this.value = args.value ?? 0;
      this.mode = args.mode ?? 'constant';
    }
    override computeOutputShape(input: tfTypes.Shape | tfTypes.Shape[]): Shape {
      const s = shapeOf(input);
      return s.map((d, i) => {
        const p = i === 0 ? undefined : this.paddings[i - 1];
        return d === null || !p ? d : d + p[0] + p[1];
      });
    }
    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = one(inputs);
        const pads: [number, number][] = [[0, 0], ...this.paddings];
        while (pads.length < x.rank) pads.push([0, 0]);
        return this.mode === 'reflect' ? tf.mirrorPad(x, pads, 'reflect') : tf.pad(x, pads, this.value);
      });
    }
    override getConfig(): tfTypes.serialization.ConfigDict {
      return { ...super.getConfig(), paddings: this.paddings, value: this.value, mode: this.mode };
    }
  }

  class RsSlice extends tf.layers.Layer {
    static className = 'RsSlice';
    readonly slices: SliceSpec;
    constructor(args: { slices: SliceSpec; name?: string }) {
      super(args.name ? { name: args.name } : {});
      this.slices = args.slices;
    }
    override computeOutputShape(input: tfTypes.Shape | tfTypes.Shape[]): Shape {
      const s = shapeOf(input);
      return s.map((d, i) => {
        const sl = i === 0 ? null : this.slices[i - 1];
        return d === null || !sl ? d : sliceIndices(d, sl[0], sl[1], sl[2]).length;
      });
    }
    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        let x = one(inputs);
        // gather has a gradient in every backend; stridedSlice has none in tfjs.
        this.slices.forEach((sl, i) => {
          if (!sl) return;
          const axis = i + 1;
          const idx = sliceIndices(x.shape[axis]!, sl[0], sl[1], sl[2]);
          if (idx.length === x.shape[axis]) return;
          x = tf.gather(x, tf.tensor1d(idx, 'int32'), axis);
        });
        return x;
      });
    }
    override getConfig(): tfTypes.serialization.ConfigDict {
      return { ...super.getConfig(), slices: this.slices as unknown as tfTypes.serialization.ConfigDictValue };
    }
  }

  class RsGroupConv2D extends tf.layers.Layer {
    static className = 'RsGroupConv2D';
    readonly filters: number;
    readonly kernelSize: [number, number];
    readonly strides: [number, number];
    readonly groups: number;
    readonly useBias: boolean;
    readonly seed: number | undefined;
    private kernel: tfTypes.LayerVariable | undefined;
    private bias: tfTypes.LayerVariable | undefined;
    constructor(args: GroupConv2dArgs) {
      super(args.name ? { name: args.name } : {});
      this.filters = args.filters;
      this.kernelSize = args.kernelSize;
      this.strides = args.strides;
      this.groups = args.groups;
      this.useBias = args.useBias;
      this.seed = args.seed;
    }
    override build(input: tfTypes.Shape | tfTypes.Shape[]): void {
      const s = shapeOf(input);
      const cin = s[3];
      if (typeof cin !== 'number' || cin % this.groups !== 0 || this.filters % this.groups !== 0) {
        throw new Error(`${this.name}: channels (${cin} in, ${this.filters} out) must be divisible by groups (${this.groups})`);
      }
      const init = tf.initializers.heNormal(this.seed === undefined ? {} : { seed: this.seed });
      this.kernel = this.addWeight('kernel', [...this.kernelSize, cin / this.groups, this.filters], 'float32', init);
      if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
      this.built = true;
    }
    override computeOutputShape(input: tfTypes.Shape | tfTypes.Shape[]): Shape {
      const s = shapeOf(input);
      const out = (d: number | null, k: number, st: number) => (d === null ? null : Math.floor((d - k) / st) + 1);
      return [s[0] ?? null, out(s[1] ?? null, this.kernelSize[0], this.strides[0]), out(s[2] ?? null, this.kernelSize[1], this.strides[1]), this.filters];
    }
    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = one(inputs) as tfTypes.Tensor4D;
        const k = this.kernel!.read() as tfTypes.Tensor4D;
        const xs = tf.split(x, this.groups, 3) as tfTypes.Tensor4D[];
        const ks = tf.split(k, this.groups, 3) as tfTypes.Tensor4D[];
        const ys = xs.map((xi, g) => tf.conv2d(xi, ks[g]!, this.strides, 'valid'));
        const y = ys.length === 1 ? ys[0]! : tf.concat(ys, 3);
        return this.bias ? tf.add(y, this.bias.read()) : y;
      });
    }
    override getConfig(): tfTypes.serialization.ConfigDict {
      return {
        ...super.getConfig(),
        filters: this.filters,
        kernelSize: this.kernelSize,
        strides: this.strides,
        groups: this.groups,
        useBias: this.useBias,
        ...(this.seed === undefined ? {} : { seed: this.seed }),
      };
    }
  }

  class RsMean extends tf.layers.Layer {
    static className = 'RsMean';
    readonly axes: number[];
    readonly keepDims: boolean;
    constructor(args: { axes: number[]; keepDims: boolean; name?: string }) {
      super(args.name ? { name: args.name } : {});
      this.axes = args.axes;
      this.keepDims = args.keepDims;
    }
    override computeOutputShape(input: tfTypes.Shape | tfTypes.Shape[]): Shape {
      const s = shapeOf(input);
      const out: Shape = [];
      s.forEach((d, i) => {
        if (!this.axes.includes(i)) out.push(d);
        else if (this.keepDims) out.push(1);
      });
      return out;
    }
    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => tf.mean(one(inputs), this.axes, this.keepDims));
    }
    override getConfig(): tfTypes.serialization.ConfigDict {
      return { ...super.getConfig(), axes: this.axes, keepDims: this.keepDims };
    }
  }

  class RsActivation extends tf.layers.Layer {
    static className = 'RsActivation';
    readonly kind: CustomActivation;
    constructor(args: { kind: CustomActivation; name?: string }) {
      super(args.name ? { name: args.name } : {});
      this.kind = args.kind;
    }
    override computeOutputShape(input: tfTypes.Shape | tfTypes.Shape[]): Shape {
      return shapeOf(input);
    }
    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = one(inputs);
        switch (this.kind) {
          case 'gelu':
            return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
          case 'gelu_tanh': {
            const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
            return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
          }
          case 'silu':
            return tf.mul(x, tf.sigmoid(x));
          case 'hardswish':
            return tf.div(tf.mul(x, tf.clipByValue(tf.add(x, 3), 0, 6)), 6);
        }
      });
    }
    override getConfig(): tfTypes.serialization.ConfigDict {
      return { ...super.getConfig(), kind: this.kind };
    }
  }

  for (const cls of [RsPad, RsSlice, RsGroupConv2D, RsMean, RsActivation]) {
    tf.serialization.registerClass(cls as unknown as tfTypes.serialization.SerializableConstructor<tfTypes.serialization.Serializable>);
  }
  const made: CustomLayers = {
    pad: (a) => new RsPad(a),
    slice: (a) => new RsSlice(a),
    groupConv2d: (a) => new RsGroupConv2D(a),
    mean: (a) => new RsMean(a),
    activation: (a) => new RsActivation(a),
  };
  cache.set(tf, made);
  return made;
}
