/**
 * The shape, parameter and MAC rules of the layer catalogue's operators, and the helpers they share. Rules are
 * pure functions of an op's attributes and input shapes; the catalogue (`ops.ts`) names which rule each op uses.
 * Counts follow PyTorch exactly (BatchNorm: 2·C learnable, running statistics are buffers) and MACs follow
 * torchvision (Conv2d and Linear only, per sample).
 */
import {
  type Dim,
  type Shape,
  dimAdd,
  dimCeilDiv,
  dimEq,
  dimFloorDiv,
  dimMul,
  dimSub,
  formatShape,
  numel,
} from './dims';
import type { AttrValue, Attrs } from './ir';
import type { OpIssue, OpResult } from './opTypes';

export const ok = (shape: Shape, params: number | null = 0, macs: number | null = 0, issues: OpIssue[] = []): OpResult => ({
  shape,
  params,
  macs,
  issues,
});

/** An int or a pair attribute as a pair (`3` -> `[3, 3]`). */
export function pair(v: AttrValue | undefined, fallback: number): [Dim, Dim] {
  if (Array.isArray(v)) return [asDim(v[0]), asDim(v.length > 1 ? v[1] : v[0])];
  const d = v === undefined ? fallback : asDim(v);
  return [d, d];
}

export function asDim(v: AttrValue | undefined): Dim {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v;
  return null;
}

export const num = (v: AttrValue | undefined): number | null => (typeof v === 'number' ? v : null);

/** Require a 4-D (or unbatched 3-D) image tensor; returns [N, C, H, W] with N = null for 3-D. */
export function image(op: string, s: Shape, issues: OpIssue[]): [Dim, Dim, Dim, Dim] | null {
  if (s === null) return null;
  if (s.length === 4) return [s[0]!, s[1]!, s[2]!, s[3]!];
  if (s.length === 3) return [null, s[0]!, s[1]!, s[2]!];
  issues.push({
    severity: 'error',
    code: 'shape/rank',
    message: `${op}: expected a 3-D or 4-D input, got ${formatShape(s)}`,
  });
  return null;
}

export function withBatch(n: Dim, rest: Dim[], unbatched: boolean): Dim[] {
  return unbatched ? rest : [n, ...rest];
}

export function channelCheck(op: string, attr: string, expected: Dim, got: Dim, s: Shape, issues: OpIssue[]): void {
  const eq = dimEq(expected, got);
  if (eq === false) {
    issues.push({
      severity: 'error',
      code: 'shape/channels',
      message: `${op}: expected input with ${attr}=${expected} channels, got ${formatShape(s)} (${got} channels)`,
      fix: { attr, value: got },
    });
  } else if (eq === 'unknown' && expected !== null && got !== null) {
    issues.push({
      severity: 'warning',
      code: 'shape/channels-condition',
      message: `${op} requires ${got} == ${expected}`,
      fix: { attr, value: got },
    });
  }
}

/**
 * Records PyTorch's error for an output size below 1 and returns false then: the caller's output is unknown,
 * as PyTorch stops there, so the impossible size does not flow on into later layers.
 */
export function positive(op: string, dims: Dim[], inShape: Shape, issues: OpIssue[]): boolean {
  if (dims.some((d) => typeof d === 'number' && d <= 0)) {
    issues.push({
      severity: 'error',
      code: 'shape/non-positive',
      message: `${op}: output spatial size ${dims.join('x')} is not positive for input ${formatShape(inShape)} (the input is too small for the kernel)`,
    });
    return false;
  }
  return true;
}

/** The attributes a (transposed) convolution shares, after PyTorch's checks that its channels divide into groups. */
export function convAttrs(a: Attrs, issues: OpIssue[]) {
  const cin = asDim(a['in_channels']);
  const cout = asDim(a['out_channels']);
  const g = asDim(a['groups'] ?? 1);
  groupIssues(cin, cout, g, issues);
  return { cin, cout, g, k: pair(a['kernel_size'], 1), st: pair(a['stride'], 1), dl: pair(a['dilation'], 1), bias: a['bias'] !== false };
}

export function groupIssues(cin: Dim, cout: Dim, g: Dim, issues: OpIssue[]): void {
  if (typeof cin === 'number' && typeof g === 'number' && cin % g !== 0) {
    issues.push({ severity: 'error', code: 'attr/groups', message: `in_channels (${cin}) must be divisible by groups (${g})` });
  }
  if (typeof cout === 'number' && typeof g === 'number' && cout % g !== 0) {
    issues.push({ severity: 'error', code: 'attr/groups', message: `out_channels (${cout}) must be divisible by groups (${g})` });
  }
}

/** Output length of a sliding window, as PyTorch computes it (with ceil_mode's last-window rule). */
export function windowOut(size: Dim, k: Dim, s: Dim, p: Dim, d: Dim, ceil: boolean): Dim {
  // floor_or_ceil((size + 2p - d*(k-1) - 1) / s) + 1
  const span = dimSub(dimSub(dimAdd(size, dimMul(2, p)), dimMul(d, dimSub(k, 1))), 1);
  if (!ceil) return dimAdd(dimFloorDiv(span, s), 1);
  let out = dimAdd(dimCeilDiv(span, s), 1);
  if (typeof out === 'number' && typeof s === 'number' && typeof size === 'number' && typeof p === 'number') {
    if ((out - 1) * s >= size + p) out -= 1;
  }
  return out;
}

export function poolRule(kind: 'max' | 'avg') {
  return (a: Attrs, [x]: Shape[]): OpResult => {
    const issues: OpIssue[] = [];
    const s = x ?? null;
    const img = image(kind === 'max' ? 'MaxPool2d' : 'AvgPool2d', s, issues);
    if (!img) return ok(s === null || issues.length === 0 ? null : s, 0, 0, issues);
    const [n, c, h, w] = img;
    const k = pair(a['kernel_size'], 1);
    const st = a['stride'] === null || a['stride'] === undefined ? k : pair(a['stride'], 1);
    const p = a['padding'] === 'same' ? ([0, 0] as [Dim, Dim]) : pair(a['padding'], 0);
    const d = kind === 'max' ? pair(a['dilation'], 1) : ([1, 1] as [Dim, Dim]);
    const ceil = a['ceil_mode'] === true;
    for (let i = 0; i < 2; i++) {
      const pi = p[i];
      const ki = k[i];
      if (typeof pi === 'number' && typeof ki === 'number' && pi > ki / 2) {
        issues.push({
          severity: 'error',
          code: 'attr/padding',
          message: `pad should be at most half of effective kernel size, but got pad=${pi}, kernel_size=${ki}`,
        });
      }
    }
    // 'same' comes from Keras/TF.js: output = ceil(size / stride), padding split as TF does.
    const same = a['padding'] === 'same';
    const oh = same ? dimCeilDiv(h, st[0]) : windowOut(h, k[0], st[0], p[0], d[0], ceil);
    const ow = same ? dimCeilDiv(w, st[1]) : windowOut(w, k[1], st[1], p[1], d[1], ceil);
    if (!positive(kind === 'max' ? 'MaxPool2d' : 'AvgPool2d', [oh, ow], s, issues)) return ok(null, 0, 0, issues);
    return ok(withBatch(n, [c, oh, ow], s!.length === 3), 0, 0, issues);
  };
}

export function adaptiveRule(a: Attrs, [x]: Shape[]): OpResult {
  const issues: OpIssue[] = [];
  const s = x ?? null;
  const img = image('AdaptivePool2d', s, issues);
  if (!img) return ok(null, 0, 0, issues);
  const [n, c, h, w] = img;
  const o = a['output_size'];
  let oh: Dim;
  let ow: Dim;
  if (Array.isArray(o)) {
    oh = o[0] === null || o[0] === undefined ? h : asDim(o[0]);
    ow = o[1] === null || o[1] === undefined ? w : asDim(o[1]);
  } else {
    oh = asDim(o);
    ow = oh;
  }
  return ok(withBatch(n, [c, oh, ow], s!.length === 3), 0, 0, issues);
}

/** Broadcast shapes as `torch.add` does; returns the result and the first incompatible axis (or -1). */
export function broadcast(a: Dim[], b: Dim[]): { shape: Dim[]; bad: number; condition: string | null } {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  let bad = -1;
  let condition: string | null = null;
  for (let i = 0; i < rank; i++) {
    const da = i - (rank - a.length) >= 0 ? a[i - (rank - a.length)]! : 1;
    const db = i - (rank - b.length) >= 0 ? b[i - (rank - b.length)]! : 1;
    if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else {
      const eq = dimEq(da, db);
      if (eq === false && bad < 0) bad = i;
      if (eq === 'unknown' && da !== null && db !== null && condition === null) condition = `${da} == ${db}`;
      out.push(typeof da === 'number' ? da : db ?? da);
    }
  }
  return { shape: out, bad, condition };
}

const AXIS_NAMES = ['batch', 'channels', 'height', 'width'];

export function addRule(_a: Attrs, inputs: Shape[]): OpResult {
  const issues: OpIssue[] = [];
  const [first, ...rest] = inputs;
  if (first === null || first === undefined) return ok(null);
  let shape: Dim[] = first;
  // Known operands that cannot be added are an error whatever the unknown ones are; the sum of an unknown
  // operand has an unknown shape (broadcasting may grow it).
  let unknown = false;
  for (const other of rest) {
    if (other === null || other === undefined) {
      unknown = true;
      continue;
    }
    const r = broadcast(shape, other);
    if (r.bad >= 0) {
      const axis = r.bad - (r.shape.length - 4);
      const what = first.length === 4 && other.length === 4 && axis >= 0 ? AXIS_NAMES[axis] : `dimension ${r.bad}`;
      const reason = what === 'height' || what === 'width' ? 'spatial size differs' : `${what} differ`;
      issues.push({
        severity: 'error',
        code: 'shape/residual-add',
        message: `residual add: main path ${formatShape(shape)} vs shortcut ${formatShape(other)} (${reason})`,
        fix: { kind: 'projection' },
      });
      continue;
    }
    if (r.condition) {
      issues.push({
        severity: 'warning',
        code: 'shape/residual-add-condition',
        message: `residual add requires ${r.condition}`,
        fix: { kind: 'projection' },
      });
    }
    shape = r.shape;
  }
  return ok(unknown ? null : shape, 0, 0, issues);
}

/** Resolve a possibly negative axis against a rank. */
export function axis(d: number, rank: number): number {
  return d < 0 ? d + rank : d;
}

/** PyTorch's error for a dimension index outside [-rank, rank - 1], or null when `d` is in range. */
export function dimRangeIssue(what: string, d: number, rank: number): OpIssue | null {
  const lo = -Math.max(rank, 1);
  const hi = Math.max(rank, 1) - 1;
  if (Number.isInteger(d) && d >= lo && d <= hi) return null;
  return { severity: 'error', code: 'shape/dim', message: `${what}: Dimension out of range (expected to be in range of [${lo}, ${hi}], but got ${d})` };
}

/** A reduction over `dim` (one axis, a list, or null for all), keeping reduced axes as 1 with `keepdim`. */
export function reductionRule(name: string) {
  return (a: Attrs, [x]: Shape[]): OpResult => {
    const s = x ?? null;
    if (s === null) return ok(null);
    const raw = a['dim'];
    const given = (Array.isArray(raw) ? raw : raw === null ? s.map((_d, i) => i) : [raw]).map(Number);
    for (const d of given) {
      const bad = dimRangeIssue(name, d, s.length);
      if (bad) return ok(null, 0, 0, [bad]);
    }
    const dims = given.map((d) => axis(d, s.length));
    const keep = a['keepdim'] === true;
    const out: Dim[] = [];
    s.forEach((d, i) => {
      if (!dims.includes(i)) out.push(d);
      else if (keep) out.push(1);
    });
    return ok(out);
  };
}

/** An elementwise function of two tensors with broadcasting (`mul`, `maximum`, comparisons). */
export function elementwiseRule(name: string) {
  return (_a: Attrs, [x, y]: Shape[]): OpResult => {
    // With one operand unknown the broadcast result is unknown too (it may be larger than the known one).
    if (!x || !y) return ok(null);
    const r = broadcast(x, y);
    if (r.bad >= 0) {
      return ok(null, 0, 0, [
        { severity: 'error', code: 'shape/broadcast', message: `${name}: shapes ${formatShape(x)} and ${formatShape(y)} cannot be broadcast (dimension ${r.bad})` },
      ]);
    }
    return ok(r.shape);
  };
}

/** The output is the input, unchanged (activations, dropout, identity, normalisations without checks). */
export const sameShape = (_a: Attrs, [x]: Shape[]): OpResult => ok(x ?? null);

export function conv2dRule(a: Attrs, [x]: Shape[]): OpResult {
  const issues: OpIssue[] = [];
  const s = x ?? null;
  const { cin, cout, g, k, st, dl, bias } = convAttrs(a, issues);
  const kk = dimMul(k[0], k[1]);
  const perOut = dimMul(dimFloorDiv(cin, g), kk);
  const w = dimMul(cout, perOut);
  const params = typeof w === 'number' && typeof cout === 'number' ? w + (bias ? cout : 0) : null;
  const img = image('Conv2d', s, issues);
  if (!img) return ok(null, params, null, issues);
  const [n, c, h, wd] = img;
  channelCheck('Conv2d', 'in_channels', cin, c, s, issues);
  let oh: Dim;
  let ow: Dim;
  const pad = a['padding'];
  if (pad === 'same') {
    oh = dimCeilDiv(h, st[0]);
    ow = dimCeilDiv(wd, st[1]);
  } else {
    const p = pad === 'valid' ? ([0, 0] as [Dim, Dim]) : pair(pad, 0);
    oh = windowOut(h, k[0], st[0], p[0], dl[0], false);
    ow = windowOut(wd, k[1], st[1], p[1], dl[1], false);
  }
  if (!positive('Conv2d', [oh, ow], s, issues)) return ok(null, params, null, issues);
  const out = withBatch(n, [cout, oh, ow], s!.length === 3);
  const spatial = numel([oh, ow]);
  const macs = typeof w === 'number' && spatial !== null ? w * spatial : null;
  return ok(out, params, macs, issues);
}

export function convTranspose2dRule(a: Attrs, [x]: Shape[]): OpResult {
  const issues: OpIssue[] = [];
  const s = x ?? null;
  const { cin, cout, g, k, st, dl, bias } = convAttrs(a, issues);
  const p = pair(a['padding'], 0);
  const op = pair(a['output_padding'], 0);
  for (let i = 0; i < 2; i++) {
    const [o, sv, d] = [op[i], st[i], dl[i]];
    if (typeof o === 'number' && typeof sv === 'number' && typeof d === 'number' && o >= sv && o >= d) {
      issues.push({ severity: 'error', code: 'attr/output_padding', message: `output padding must be smaller than either stride or dilation, but got output_padding=${o}, stride=${sv}, dilation=${d}` });
    }
  }
  const perIn = dimMul(dimFloorDiv(cout, g), dimMul(k[0], k[1]));
  const w = dimMul(cin, perIn);
  const params = typeof w === 'number' && typeof cout === 'number' ? w + (bias ? cout : 0) : null;
  const img = image('ConvTranspose2d', s, issues);
  if (!img) return ok(null, params, null, issues);
  const [n, c, h, wd] = img;
  channelCheck('ConvTranspose2d', 'in_channels', cin, c, s, issues);
  const size = (len: Dim, i: 0 | 1): Dim =>
    dimAdd(dimAdd(dimSub(dimMul(dimSub(len, 1), st[i]), dimMul(2, p[i])), dimMul(dl[i], dimSub(k[i], 1))), dimAdd(op[i], 1));
  const oh = size(h, 0);
  const ow = size(wd, 1);
  if (!positive('ConvTranspose2d', [oh, ow], s, issues)) return ok(null, params, null, issues);
  const inSpatial = numel([h, wd]);
  const macs = typeof perIn === 'number' && typeof cin === 'number' && inSpatial !== null ? cin * perIn * inSpatial : null;
  return ok(withBatch(n, [cout, oh, ow], s!.length === 3), params, macs, issues);
}

export function batchNorm2dRule(a: Attrs, [x]: Shape[]): OpResult {
  const issues: OpIssue[] = [];
  const s = x ?? null;
  const cf = asDim(a['num_features']);
  const params = a['affine'] === false ? 0 : typeof cf === 'number' ? 2 * cf : null;
  if (s !== null && (s.length === 4 || s.length === 3)) {
    channelCheck('BatchNorm2d', 'num_features', cf, s[s.length - 3]!, s, issues);
  } else if (s !== null) {
    issues.push({ severity: 'error', code: 'shape/rank', message: `BatchNorm2d: expected 4D input (got ${s.length}D input)` });
  }
  return ok(s, params, 0, issues);
}

export function batchNorm1dRule(a: Attrs, [x]: Shape[]): OpResult {
  const issues: OpIssue[] = [];
  const c = asDim(a['num_features']);
  const params = a['affine'] === false ? 0 : typeof c === 'number' ? 2 * c : null;
  if (x && x.length !== 2 && x.length !== 3) {
    return ok(null, params, 0, [{ severity: 'error', code: 'shape/rank', message: `BatchNorm1d: expected 2D or 3D input (got ${x.length}D input)` }]);
  }
  if (x) channelCheck('BatchNorm1d', 'num_features', c, x[1]!, x, issues);
  return ok(x ?? null, params, 0, issues);
}

export function instanceNorm2dRule(a: Attrs, [x]: Shape[]): OpResult {
  const issues: OpIssue[] = [];
  const c = asDim(a['num_features']);
  const img = image('InstanceNorm2d', x ?? null, issues);
  const affine = a['affine'] === true;
  if (img && affine) channelCheck('InstanceNorm2d', 'num_features', c, img[1], x ?? null, issues);
  return ok(img ? x! : null, affine ? (typeof c === 'number' ? 2 * c : null) : 0, 0, issues);
}

export function groupNormRule(a: Attrs, [x]: Shape[]): OpResult {
  const issues: OpIssue[] = [];
  const s = x ?? null;
  const c = asDim(a['num_channels']);
  const g = asDim(a['num_groups']);
  if (typeof c === 'number' && typeof g === 'number' && (g <= 0 || c % g !== 0)) {
    issues.push({ severity: 'error', code: 'attr/groups', message: `num_channels (${c}) must be divisible by num_groups (${g})` });
  }
  if (s !== null && s.length >= 2) channelCheck('GroupNorm', 'num_channels', c, s[1]!, s, issues);
  const params = a['affine'] === false ? 0 : typeof c === 'number' ? 2 * c : null;
  return ok(s, params, 0, issues);
}

export function preluRule(a: Attrs, [x]: Shape[]): OpResult {
  const issues: OpIssue[] = [];
  if (Array.isArray(a['slope_shape'])) return slopesPerPosition(a['slope_shape'].map(asDim), x ?? null);
  const n = asDim(a['num_parameters'] ?? 1);
  if (x && n !== 1 && x.length >= 2) channelCheck('PReLU', 'num_parameters', n, x[1]!, x, issues);
  return ok(issues.some((i) => i.severity === 'error') ? null : (x ?? null), typeof n === 'number' ? n : null, 0, issues);
}

/**
 * A Keras PReLU that learns a slope per position: its weight has the input's shape less the batch, with 1 on
 * each shared axis, fixed when the layer is built; an input it does not broadcast to is refused, as Keras's
 * input spec refuses it. Like every activation it counts no MACs.
 */
function slopesPerPosition(slopes: Dim[], x: Shape): OpResult {
  const issues: OpIssue[] = [];
  const params = numel(slopes);
  if (x === null) return ok(null, params, 0, issues);
  const fits = x.length === slopes.length + 1 && slopes.every((d, i) => d === 1 || dimEq(d, x[i + 1]!) !== false);
  if (!fits) {
    issues.push({ severity: 'error', code: 'shape/broadcast', message: `PReLU: its slopes of shape ${formatShape(slopes)} do not fit an input of shape ${formatShape(x)}` });
    return ok(null, params, 0, issues);
  }
  return ok(x, params, 0, issues);
}

export function linearRule(a: Attrs, [x]: Shape[]): OpResult {
  const issues: OpIssue[] = [];
  const s = x ?? null;
  const fin = asDim(a['in_features']);
  const fout = asDim(a['out_features']);
  const w = dimMul(fin, fout);
  const params = typeof w === 'number' && typeof fout === 'number' ? w + (a['bias'] === false ? 0 : fout) : null;
  if (s === null) return ok(null, params, null, issues);
  if (s.length === 0) {
    issues.push({ severity: 'error', code: 'shape/rank', message: 'Linear: input must have at least one dimension' });
    return ok(null, params, null, issues);
  }
  const last = s[s.length - 1]!;
  const eq = dimEq(fin, last);
  if (eq === false) {
    const rows = numel(s.slice(0, -1));
    issues.push({
      severity: 'error',
      code: 'shape/in-features',
      message: `Linear: mat1 and mat2 shapes cannot be multiplied (${rows ?? '?'}x${last} and ${fin}x${fout}): input ${formatShape(s)} has ${last} features, in_features is ${fin}`,
      fix: { attr: 'in_features', value: last },
    });
  } else if (eq === 'unknown' && fin !== null && last !== null) {
    issues.push({
      severity: 'warning',
      code: 'shape/in-features-condition',
      message: `Linear requires ${last} == ${fin}`,
      fix: { attr: 'in_features', value: last },
    });
  }
  const rows = numel(s.slice(1, -1));
  const macs = typeof w === 'number' && rows !== null ? w * (s.length === 1 ? 1 : rows) : null;
  return ok([...s.slice(0, -1), fout], params, macs, issues);
}

export function flattenRule(a: Attrs, [x]: Shape[]): OpResult {
  const s = x ?? null;
  if (s === null) return ok(null);
  const r = s.length;
  const st = axis(num(a['start_dim']) ?? 1, r);
  const en = axis(num(a['end_dim']) ?? -1, r);
  if (st < 0 || en >= r || st > en) {
    if (r === 0) return ok([1]);
    return ok(null, 0, 0, [
      { severity: 'error', code: 'shape/flatten', message: `flatten: dimensions ${st}..${en} out of range for ${formatShape(s)}` },
    ]);
  }
  const mid = s.slice(st, en + 1).reduce<Dim>((p, d) => dimMul(p, d), 1);
  return ok([...s.slice(0, st), mid, ...s.slice(en + 1)]);
}

export function concatRule(a: Attrs, inputs: Shape[]): OpResult {
  const issues: OpIssue[] = [];
  if (inputs.some((s) => s === null)) return ok(null);
  const shapes = inputs as Dim[][];
  const r = shapes[0]!.length;
  const bad = dimRangeIssue('cat', num(a['dim']) ?? 1, r);
  if (bad) return ok(null, 0, 0, [bad]);
  const d = axis(num(a['dim']) ?? 1, r);
  let total: Dim = 0;
  for (const s of shapes) {
    if (s.length !== r) {
      issues.push({ severity: 'error', code: 'shape/concat', message: `cat: tensors must have the same rank, got ${shapes.map(formatShape).join(' and ')}` });
      return ok(null, 0, 0, issues);
    }
    for (let i = 0; i < r; i++) {
      if (i !== d && dimEq(s[i]!, shapes[0]![i]!) === false) {
        issues.push({
          severity: 'error',
          code: 'shape/concat',
          message: `cat: sizes must match except in dimension ${d}, got ${shapes.map(formatShape).join(' and ')}`,
        });
        return ok(null, 0, 0, issues);
      }
    }
    total = dimAdd(total, s[d]!);
  }
  const out = [...shapes[0]!];
  out[d] = total;
  return ok(out);
}

export function padRule(a: Attrs, [x]: Shape[]): OpResult {
  const s = x ?? null;
  if (s === null) return ok(null);
  const pads = Array.isArray(a['pad']) ? (a['pad'] as AttrValue[]).map(asDim) : [];
  const out = [...s];
  for (let i = 0; i * 2 < pads.length; i++) {
    const dim = s.length - 1 - i;
    if (dim < 0) {
      return ok(null, 0, 0, [{ severity: 'error', code: 'shape/pad', message: `pad: padding length ${pads.length} too large for ${formatShape(s)}` }]);
    }
    out[dim] = dimAdd(dimAdd(out[dim]!, pads[2 * i] ?? 0), pads[2 * i + 1] ?? 0);
  }
  const issues: OpIssue[] = [];
  if (!positive('pad', out, s, issues)) return ok(null, 0, 0, issues);
  return ok(out, 0, 0, issues);
}

export function sliceRule(a: Attrs, [x]: Shape[]): OpResult {
  const s = x ?? null;
  if (s === null) return ok(null);
  const slices = Array.isArray(a['slices']) ? (a['slices'] as AttrValue[]) : [];
  const out = [...s];
  slices.forEach((sl, i) => {
    if (!Array.isArray(sl) || i >= s.length) return;
    const size = s[i]!;
    const [st, en, step] = [num(sl[0]), num(sl[1]), num(sl[2]) ?? 1];
    if (st === null && en === null) {
      out[i] = step === 1 ? size : dimCeilDiv(size, step);
      return;
    }
    if (typeof size !== 'number') {
      out[i] = null;
      return;
    }
    const norm = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
    const lo = st === null ? 0 : norm(st);
    const hi = en === null ? size : norm(en);
    out[i] = Math.max(0, Math.ceil((hi - lo) / step));
  });
  return ok(out);
}

export function reshapeRule(a: Attrs, [x]: Shape[]): OpResult {
  const s = x ?? null;
  const target = Array.isArray(a['shape']) ? (a['shape'] as AttrValue[]).map(asDim) : [];
  const total = s === null ? null : numel(s);
  const known = numel(target.filter((d) => d !== -1));
  const holes = target.filter((d) => d === -1).length;
  if (holes > 1) {
    return ok(null, 0, 0, [{ severity: 'error', code: 'shape/reshape', message: 'view: only one dimension can be inferred' }]);
  }
  if (total !== null && known !== null) {
    if (holes === 1 ? known === 0 || total % known !== 0 : known !== total) {
      return ok(null, 0, 0, [
        { severity: 'error', code: 'shape/reshape', message: `view: shape '[${target.join(', ')}]' is invalid for input of size ${total} (${formatShape(s)})` },
      ]);
    }
    return ok(target.map((d) => (d === -1 ? total / known : d)));
  }
  return ok(target.map((d) => (d === -1 ? null : d)));
}

export function matmulRule(_a: Attrs, [x, y]: Shape[]): OpResult {
  if (!x || !y) return ok(null);
  if (x.length === 0 || y.length === 0) {
    return ok(null, 0, 0, [{ severity: 'error', code: 'shape/matmul', message: 'matmul: both arguments to matmul need to be at least 1D' }]);
  }
  const a = x.length === 1 ? [1, x[0]!] : x;
  const b = y.length === 1 ? [y[0]!, 1] : y;
  const k1 = a[a.length - 1]!;
  const k2 = b[b.length - 2]!;
  if (dimEq(k1, k2) === false) {
    const m1 = `${a[a.length - 2]}x${k1}`;
    const m2 = `${k2}x${b[b.length - 1]}`;
    return ok(null, 0, 0, [{ severity: 'error', code: 'shape/matmul', message: `matmul: mat1 and mat2 shapes cannot be multiplied (${m1} and ${m2})` }]);
  }
  const batch = broadcast(a.slice(0, -2), b.slice(0, -2));
  if (batch.bad >= 0) {
    return ok(null, 0, 0, [{ severity: 'error', code: 'shape/matmul', message: `matmul: batch dimensions of ${formatShape(x)} and ${formatShape(y)} cannot be broadcast` }]);
  }
  const out = [...batch.shape, ...(x.length === 1 ? [] : [a[a.length - 2]!]), ...(y.length === 1 ? [] : [b[b.length - 1]!])];
  return ok(out);
}

export function whereRule(_a: Attrs, inputs: Shape[]): OpResult {
  if (inputs.some((s) => s === null)) return ok(null);
  let out: Shape = inputs[0]!;
  for (const s of inputs.slice(1)) {
    const r = broadcast(out!, s!);
    if (r.bad >= 0) return ok(null, 0, 0, [{ severity: 'error', code: 'shape/broadcast', message: `where: shapes ${inputs.map(formatShape).join(', ')} cannot be broadcast` }]);
    out = r.shape;
  }
  return ok(out);
}

export function unsqueezeRule(a: Attrs, [x]: Shape[]): OpResult {
  if (!x) return ok(null);
  const d = num(a['dim']) ?? 0;
  const bad = dimRangeIssue('unsqueeze', d, x.length + 1);
  if (bad) return ok(null, 0, 0, [bad]);
  const at = axis(d, x.length + 1);
  return ok([...x.slice(0, at), 1, ...x.slice(at)]);
}

export function squeezeRule(a: Attrs, [x]: Shape[]): OpResult {
  if (!x) return ok(null);
  const d = num(a['dim']);
  if (d === null) return x.some((s) => typeof s !== 'number') ? ok(null) : ok(x.filter((s) => s !== 1));
  const bad = dimRangeIssue('squeeze', d, x.length);
  if (bad) return ok(null, 0, 0, [bad]);
  const at = axis(d, x.length);
  return ok(x[at] === 1 ? [...x.slice(0, at), ...x.slice(at + 1)] : x[at] === null || typeof x[at] === 'string' ? null : x);
}

export function permuteRule(a: Attrs, [x]: Shape[]): OpResult {
  if (!x) return ok(null);
  const dims = (Array.isArray(a['dims']) ? a['dims'] : []).map((d) => num(d as AttrValue));
  if (dims.some((d) => d === null)) return ok(null);
  for (const d of dims) {
    const bad = dimRangeIssue(a['swap'] === true ? 'transpose' : 'permute', d!, x.length);
    if (bad) return ok(null, 0, 0, [bad]);
  }
  const ax = dims.map((d) => axis(d!, x.length));
  if (a['swap'] === true) {
    const out = [...x];
    [out[ax[0]!], out[ax[1]!]] = [x[ax[1]!]!, x[ax[0]!]!];
    return ok(out);
  }
  if (ax.length !== x.length || new Set(ax).size !== ax.length) {
    return ok(null, 0, 0, [{ severity: 'error', code: 'shape/permute', message: `permute: number of dims don't match in permute (input ${formatShape(x)}, dims ${JSON.stringify(dims)})` }]);
  }
  return ok(ax.map((i) => x[i]!));
}

export function einsumRule(a: Attrs, inputs: Shape[]): OpResult {
  const eq = String(a['equation'] ?? '').replace(/\s+/g, '');
  const [lhs, rhs] = eq.split('->') as [string, string | undefined];
  const terms = lhs.split(',');
  const bad = (message: string): OpResult => ok(null, 0, 0, [{ severity: 'error', code: 'shape/einsum', message: `einsum(): ${message}` }]);
  if (eq.includes('.') || terms.length !== inputs.length || !/^[a-zA-Z,]*$/.test(lhs) || (rhs !== undefined && !/^[a-zA-Z]*$/.test(rhs))) {
    return terms.length !== inputs.length && !eq.includes('.') ? bad(`${terms.length} operands in the equation, ${inputs.length} given`) : ok(null);
  }
  const size = new Map<string, Dim>();
  for (let i = 0; i < terms.length; i++) {
    const s = inputs[i];
    if (!s) return ok(null);
    if (s.length !== terms[i]!.length) return bad(`the number of subscripts in the equation (${terms[i]!.length}) does not match the number of dimensions (${s.length}) for operand ${i}`);
    for (let j = 0; j < s.length; j++) {
      const c = terms[i]![j]!;
      const known = size.get(c);
      const d = s[j]!;
      if (known === undefined || known === 1) size.set(c, d);
      else if (d !== 1 && dimEq(known, d) === false) return bad(`operands do not broadcast with remapped shapes (subscript ${c}: ${known} vs ${d})`);
    }
  }
  const letters = rhs ?? [...size.keys()].filter((c) => lhs.split(c).length === 2).sort().join('');
  return ok([...letters].map((c) => size.get(c) ?? null));
}
