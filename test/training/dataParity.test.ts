/**
 * The two runners read data alike: the TF.js runner's readers (`src/training/data*.ts`) and the PyTorch
 * runner's (`python/resnet_studio/data*.py`) turn the same synthetic spec, CIFAR-10 batch files and ImageFolder
 * of PNGs into the same images (byte for byte), the same labels, the same train/validation split and the same
 * normalisation statistics, so a run means the same thing whichever backend trains it. The Python side runs
 * twice for image folders: through Pillow when it is installed, and through the runner's own PNG decoder.
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import { loadDataset } from '../../src/training/data';
import { CIFAR_RECORD } from '../../src/training/dataCifar';
import { type ImageSet, channelStats, splitSet, statsSampleSize } from '../../src/training/dataCore';
import { tempRoot, torchPython } from './torchTestEnv';

const PACKAGE_ROOT = path.resolve(__dirname, '../../python');

/**
 * Loads one data set with the Python package and writes what it got: `<split>.bin` (uint8 NHWC, the TF.js
 * order) and a JSON summary. `noPil` hides Pillow so that the built-in decoders run.
 */
const DUMP = `
import json, os, sys
spec = json.loads(sys.argv[2])
if spec.pop("noPil", False):
    sys.modules["PIL"] = None
sys.path.insert(0, sys.argv[1])
import torch
from resnet_studio.data import check_data_path, load_dataset
from resnet_studio.data_core import channel_stats
out = spec.pop("out")
cfg = dict(spec)
cfg["dataKind"] = check_data_path(cfg)
train, val, desc, classes = load_dataset(torch, cfg, spec["numClasses"], torch.device("cpu"), False)
summary = {"classes": classes}
for name, ds in (("train", train), ("val", val)):
    if ds is None:
        summary[name] = None
        continue
    if hasattr(ds, "take"):
        images, labels = ds.take(torch, list(range(len(ds))))
    else:
        items = [ds[i] for i in range(len(ds))]
        images = torch.stack([x for x, _ in items])
        labels = torch.tensor([y for _, y in items])
    with open(os.path.join(out, name + ".bin"), "wb") as f:
        f.write(images.permute(0, 2, 3, 1).contiguous().numpy().tobytes())
    summary[name] = {"shape": list(images.shape), "labels": labels.tolist()}
mean, std = channel_stats(torch, train)
summary["mean"], summary["std"] = mean.tolist(), std.tolist()
print(json.dumps(summary))
`;

interface PythonSplit {
  shape: [number, number, number, number];
  labels: number[];
}

interface PythonDump {
  classes: number;
  train: PythonSplit | null;
  val: PythonSplit | null;
  mean: number[];
  std: number[];
}

interface Spec {
  data: string;
  inputShape: [number, number, number, number];
  numClasses: number;
  valSplit: number;
  seed: number;
  syntheticSize?: number;
  preloadLimit?: number;
}

function pythonRead(python: string, spec: Spec, noPil = false): { dump: PythonDump; images: Record<'train' | 'val', Buffer | null> } {
  const out = tempRoot('parity-py');
  const stdout = execFileSync(python, ['-c', DUMP, PACKAGE_ROOT, JSON.stringify({ ...spec, out, noPil })], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  const dump = JSON.parse(stdout.trim().split('\n').pop()!) as PythonDump;
  const read = (name: 'train' | 'val') => (dump[name] ? fs.readFileSync(path.join(out, `${name}.bin`)) : null);
  return { dump, images: { train: read('train'), val: read('val') } };
}

/** Asserts that both readers produced the same tensors, naming the first differing value when they did not. */
function assertSameData(python: string, spec: Spec, what: string, noPil = false): void {
  const ts = loadDataset(spec);
  const py = pythonRead(python, spec, noPil);
  assert.equal(py.dump.classes, ts.numClasses, `${what}: classes`);
  for (const split of ['train', 'val'] as const) {
    const a: ImageSet | null = ts[split];
    const b = py.dump[split];
    assert.equal(b === null, a === null, `${what}: ${split} set present in one reader only`);
    if (!a || !b) continue;
    const [n, c, h, w] = b.shape;
    assert.deepEqual([n, h, w, c], [a.n, a.h, a.w, a.c], `${what}: ${split} shape (N, H, W, C)`);
    assert.deepEqual(b.labels, Array.from(a.labels), `${what}: ${split} labels (and so the split)`);
    const bytes = py.images[split]!;
    let differing = 0;
    let first = -1;
    for (let i = 0; i < a.images.length; i++) {
      if (a.images[i] !== bytes[i]) {
        differing++;
        if (first < 0) first = i;
      }
    }
    if (differing) {
      const per = a.h * a.w * a.c;
      const at = (i: number) => `image ${Math.floor(i / per)}, y ${Math.floor((i % per) / (a.w * a.c))}, x ${Math.floor((i % (a.w * a.c)) / a.c)}, channel ${i % a.c}`;
      assert.fail(`${what}: ${split} images differ in ${differing} of ${a.images.length} values; first at ${at(first)}: TS ${a.images[first]}, Python ${bytes[first]}`);
    }
  }
  const stats = channelStats(ts.train);
  for (let k = 0; k < stats.mean.length; k++) {
    assert.ok(Math.abs(stats.mean[k]! - py.dump.mean[k]!) < 1e-6, `${what}: channel ${k} mean ${stats.mean[k]} vs ${py.dump.mean[k]}`);
    assert.ok(Math.abs(stats.std[k]! - py.dump.std[k]!) < 1e-6, `${what}: channel ${k} std ${stats.std[k]} vs ${py.dump.std[k]}`);
  }
}

/** A deterministic byte pattern with enough variety to exercise rounding in the resize. */
function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed * 2654435761 + 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

function cifarBatch(records: number, seed: number): Buffer {
  const out = Buffer.alloc(records * CIFAR_RECORD);
  const pixels = pattern(records * CIFAR_RECORD, seed);
  for (let r = 0; r < records; r++) {
    out[r * CIFAR_RECORD] = (r * 7 + seed) % 10;
    out.set(pixels.subarray(r * CIFAR_RECORD + 1, (r + 1) * CIFAR_RECORD), r * CIFAR_RECORD + 1);
  }
  return out;
}

interface PngSpec {
  width: number;
  height: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  ctype: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  interlace?: boolean;
  /** RGB triples, for ctype 3. */
  palette?: Uint8Array;
  trns?: Uint8Array;
  seed: number;
}

/** Encodes a PNG from a seeded pattern, cycling through the five row filters, optionally Adam7-interlaced. */
function makePng(s: PngSpec): Buffer {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[s.ctype];
  const max = (1 << s.depth) - 1;
  const levels = s.ctype === 3 ? s.palette!.length / 3 : max + 1;
  const noise = pattern(s.width * s.height * channels * 2, s.seed);
  const sample = (x: number, y: number, k: number) => {
    const i = ((y * s.width + x) * channels + k) * 2;
    return ((noise[i]! << 8) | noise[i + 1]!) % levels;
  };
  const bitsPerPixel = s.depth * channels;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const passes = s.interlace
    ? [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]]
    : [[0, 0, 1, 1]];
  const lines: Buffer[] = [];
  let row = 0;
  for (const [x0, y0, dx, dy] of passes as [number, number, number, number][]) {
    const pw = Math.ceil((s.width - x0) / dx);
    const ph = Math.ceil((s.height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const stride = Math.ceil((pw * bitsPerPixel) / 8);
    let prev = new Uint8Array(stride);
    for (let y = 0; y < ph; y++, row++) {
      const raw = new Uint8Array(stride);
      for (let x = 0; x < pw; x++) {
        for (let k = 0; k < channels; k++) {
          const v = sample(x0 + x * dx, y0 + y * dy, k);
          const si = x * channels + k;
          if (s.depth === 8) raw[si] = v;
          else if (s.depth === 16) {
            raw[2 * si] = v >> 8;
            raw[2 * si + 1] = v & 255;
          } else {
            const bit = si * s.depth;
            raw[bit >> 3]! |= v << (8 - s.depth - (bit & 7));
          }
        }
      }
      const filter = row % 5;
      const line = Buffer.alloc(stride + 1);
      line[0] = filter;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? raw[i - bpp]! : 0;
        const b = prev[i]!;
        const c = i >= bpp ? prev[i - bpp]! : 0;
        const p = a + b - c;
        const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
        const pred = [0, a, b, (a + b) >> 1, paeth][filter]!;
        line[i + 1] = (raw[i]! - pred) & 255;
      }
      lines.push(line);
      prev = raw;
    }
  }
  const chunk = (tag: string, body: Uint8Array) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const tb = Buffer.concat([Buffer.from(tag, 'latin1'), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(tb));
    return Buffer.concat([len, tb, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(s.width, 0);
  ihdr.writeUInt32BE(s.height, 4);
  ihdr[8] = s.depth;
  ihdr[9] = s.ctype;
  ihdr[12] = s.interlace ? 1 : 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(s.palette ? [chunk('PLTE', s.palette)] : []),
    ...(s.trns ? [chunk('tRNS', s.trns)] : []),
    chunk('IDAT', deflateSync(Buffer.concat(lines))),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * An ImageFolder of three classes whose PNGs differ in size, colour type, bit depth, filter and interlacing,
 * plus a PPM and a PGM.
 */
function imageFolder(root: string): string {
  const dir = path.join(root, 'folder');
  const palette = pattern(3 * 7, 99);
  const specs: PngSpec[] = [
    { width: 20, height: 12, ctype: 2, depth: 8, seed: 1 },
    { width: 7, height: 9, ctype: 0, depth: 8, seed: 2 },
    { width: 33, height: 17, ctype: 6, depth: 8, seed: 3 },
    { width: 16, height: 16, ctype: 4, depth: 8, seed: 4 },
    { width: 11, height: 23, ctype: 3, depth: 8, palette, seed: 5 },
    { width: 16, height: 12, ctype: 2, depth: 8, seed: 6 },
    { width: 13, height: 10, ctype: 2, depth: 8, interlace: true, seed: 7 },
    { width: 9, height: 14, ctype: 2, depth: 16, seed: 8 },
    { width: 10, height: 10, ctype: 0, depth: 4, seed: 9 },
    { width: 15, height: 6, ctype: 3, depth: 4, palette, trns: pattern(7, 5), seed: 10 },
    { width: 6, height: 6, ctype: 0, depth: 1, seed: 11 },
    { width: 17, height: 13, ctype: 6, depth: 16, interlace: true, seed: 12 },
  ];
  const classes = ['ant', 'bee', 'cow'];
  specs.forEach((s, i) => {
    const cls = path.join(dir, classes[i % 3]!, i % 2 ? 'nested' : '');
    fs.mkdirSync(cls, { recursive: true });
    fs.writeFileSync(path.join(cls, `${i}.png`), makePng(s));
  });
  // Binary PPM and PGM, with a comment in the header.
  const pnm = (magic: string, w: number, h: number, ch: number, seed: number) =>
    Buffer.concat([Buffer.from(`${magic}\n# made by a test\n${w} ${h}\n255\n`, 'latin1'), pattern(w * h * ch, seed)]);
  fs.writeFileSync(path.join(dir, 'ant', 'rgb.ppm'), pnm('P6', 14, 11, 3, 13));
  fs.writeFileSync(path.join(dir, 'bee', 'grey.pgm'), pnm('P5', 19, 8, 1, 14));
  return dir;
}

describe('data parity: the TF.js and PyTorch readers give the same tensors', () => {
  let python: string | null = null;
  const needsTorch = async (t: TestContext) => (python ??= await torchPython(t));

  test('synthetic data', async (t) => {
    const py = await needsTorch(t);
    if (!py) return;
    assertSameData(py, { data: 'synthetic', inputShape: [1, 3, 12, 10], numClasses: 4, valSplit: 0.25, seed: 3, syntheticSize: 40 }, 'synthetic RGB');
    assertSameData(py, { data: 'synthetic', inputShape: [1, 1, 8, 8], numClasses: 3, valSplit: 0, seed: 500, syntheticSize: 9 }, 'synthetic grey, no split');
  });

  test('CIFAR-10 binary batches, as stored and adapted to another size and to grey', async (t) => {
    const py = await needsTorch(t);
    if (!py) return;
    const root = tempRoot('parity-cifar');
    const split = path.join(root, 'split');
    fs.mkdirSync(split);
    fs.writeFileSync(path.join(split, 'data_batch_1.bin'), cifarBatch(7, 1));
    fs.writeFileSync(path.join(split, 'data_batch_2.bin'), cifarBatch(5, 2));
    assertSameData(py, { data: split, inputShape: [1, 3, 32, 32], numClasses: 10, valSplit: 0.25, seed: 0 }, 'CIFAR 32x32 split');
    assertSameData(py, { data: split, inputShape: [1, 3, 20, 24], numClasses: 10, valSplit: 0.25, seed: 7 }, 'CIFAR downscaled');
    assertSameData(py, { data: split, inputShape: [1, 1, 45, 40], numClasses: 10, valSplit: 0.25, seed: 7 }, 'CIFAR grey upscaled');
    const withTest = path.join(root, 'with-test', 'cifar-10-batches-bin');
    fs.mkdirSync(withTest, { recursive: true });
    fs.writeFileSync(path.join(withTest, 'data_batch_1.bin'), cifarBatch(6, 3));
    fs.writeFileSync(path.join(withTest, 'test_batch.bin'), cifarBatch(4, 4));
    assertSameData(py, { data: path.dirname(withTest), inputShape: [1, 3, 16, 16], numClasses: 10, valSplit: 0.25, seed: 0 }, 'CIFAR with test batch');
  });

  test('an ImageFolder of PNGs of different sizes and kinds, in memory and streamed', async (t) => {
    const py = await needsTorch(t);
    if (!py) return;
    const root = tempRoot('parity-folder');
    const all = imageFolder(root);
    for (const shape of [[1, 3, 16, 16], [1, 1, 12, 20], [1, 3, 40, 36]] as [number, number, number, number][]) {
      assertSameData(py, { data: all, inputShape: shape, numClasses: 3, valSplit: 0.25, seed: 1 }, `folder ${shape.join('x')}`);
    }
    assertSameData(py, { data: all, inputShape: [1, 3, 16, 16], numClasses: 3, valSplit: 0.25, seed: 1, preloadLimit: 0 }, 'folder streamed');
    assertSameData(py, { data: all, inputShape: [1, 3, 16, 16], numClasses: 3, valSplit: 0.25, seed: 2 }, 'folder, no Pillow', true);
    assertSameData(py, { data: all, inputShape: [1, 1, 9, 13], numClasses: 3, valSplit: 0, seed: 2 }, 'folder grey, no Pillow', true);
  });

  test('the split and the statistics sample agree at sizes too large to read here', async (t) => {
    const py = await needsTorch(t);
    if (!py) return;
    const shapes = [[50000, 3, 32, 32], [1281167, 3, 224, 224], [300, 1, 28, 28], [20, 3, 2048, 2048], [9, 3, 8, 8]];
    const splits = [[50000, 0.1, 0], [1000, 0.05, 123456], [7, 0.5, 2]];
    const out = execFileSync(py, ['-c', `
import json, sys
sys.path.insert(0, sys.argv[1])
import torch
from resnet_studio.data_core import split_indices, stats_sample_size
shapes, splits = json.loads(sys.argv[2])
print(json.dumps({"sizes": [stats_sample_size(*s) for s in shapes],
                  "val": [split_indices(torch, n, v, seed)[1].tolist() for n, v, seed in splits]}))
`, PACKAGE_ROOT, JSON.stringify([shapes, splits])], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    const py_ = JSON.parse(out) as { sizes: number[]; val: number[][] };
    assert.deepEqual(py_.sizes, shapes.map(([n, c, h, w]) => statsSampleSize(n!, c!, h!, w!)));
    assert.deepEqual(py_.sizes.slice(0, 2), [4096, 445], 'the sample shrinks as images grow');
    splits.forEach(([n, valSplit, seed], i) => {
      // Labels 0..n-1 name each image, so the validation labels are the held-out indices.
      const set: ImageSet = { images: new Uint8Array(n!), labels: Int32Array.from({ length: n! }, (_, j) => j), n: n!, h: 1, w: 1, c: 1 };
      const [, val] = splitSet(set, valSplit!, seed!);
      assert.deepEqual(py_.val[i], Array.from(val!.labels), `split of ${n} at ${valSplit}, seed ${seed}`);
    });
  });

  test('train/ and val/ folders', async (t) => {
    const py = await needsTorch(t);
    if (!py) return;
    const root = tempRoot('parity-trainval');
    for (const [split, seed] of [['train', 20], ['val', 30]] as const) {
      for (const [k, cls] of ['x', 'y'].entries()) {
        fs.mkdirSync(path.join(root, split, cls), { recursive: true });
        for (let i = 0; i < 3; i++) {
          fs.writeFileSync(path.join(root, split, cls, `${i}.png`), makePng({ width: 10 + i, height: 8 + k, ctype: 2, depth: 8, seed: seed + 3 * k + i }));
        }
      }
    }
    assertSameData(py, { data: root, inputShape: [1, 3, 8, 8], numClasses: 2, valSplit: 0.5, seed: 0 }, 'train/val folders');
  });
});
