/**
 * Data sources of the TF.js runner: synthetic data is deterministic and balanced, image folders and CIFAR
 * batches read back what was written, bad paths fail fast with the reason, and batches are normalised and
 * augmented as the PyTorch runner does.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import { checkDataPath, loadDataset } from '../../src/training/data';
import { DataError, Rng, adaptImage, channelStats, makeBatch, splitSet, valCount } from '../../src/training/dataCore';
import { CIFAR_RECORD } from '../../src/training/dataCifar';
import { listImageFolder } from '../../src/training/dataImageFolder';
import { decodeImage, decodePng, encodePng } from '../../src/training/dataPng';
import { syntheticImages } from '../../src/training/dataSynthetic';

const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `rs-data-${name}-`));

test('synthetic data is deterministic by seed, balanced, and matched to the shape', () => {
  const a = syntheticImages(60, 3, 8, 10, 4, 1);
  const b = syntheticImages(60, 3, 8, 10, 4, 1);
  const c = syntheticImages(60, 3, 8, 10, 4, 2);
  assert.deepEqual(a.images, b.images);
  assert.deepEqual(a.labels, b.labels);
  assert.notDeepEqual(a.images, c.images);
  assert.equal(a.images.length, 60 * 8 * 10 * 3);
  const counts = [0, 0, 0, 0];
  for (const l of a.labels) counts[l]!++;
  assert.deepEqual(counts, [15, 15, 15, 15]);
  const grey = syntheticImages(10, 1, 4, 4, 3, 0);
  assert.equal(grey.c, 1);
  assert.equal(grey.images.length, 10 * 16);
});

test('synthetic classes differ more between classes than within', () => {
  const s = syntheticImages(400, 3, 8, 8, 4, 5);
  const per = 8 * 8 * 3;
  const mean = (k: number) => {
    const m = new Float64Array(per);
    let n = 0;
    for (let i = 0; i < s.n; i++) if (s.labels[i] === k) {
      n++;
      for (let j = 0; j < per; j++) m[j]! += s.images[i * per + j]!;
    }
    return m.map((v) => v / n);
  };
  const means = [0, 1, 2, 3].map(mean);
  const dist = (x: Float64Array, y: Float64Array) => Math.sqrt(x.reduce((acc, v, j) => acc + (v - y[j]!) ** 2, 0));
  const between = dist(means[0]!, means[1]!);
  assert.ok(between > 100, `class means are apart (${between.toFixed(1)})`);
});

test('the split is seeded, disjoint and sized like the PyTorch runner', () => {
  assert.equal(valCount(100, 0.1), 10);
  assert.equal(valCount(5, 0.05), 1);
  assert.equal(valCount(5, 0), 0);
  const s = syntheticImages(50, 1, 2, 2, 2, 0);
  const [tr, va] = splitSet(s, 0.2, 3);
  assert.equal(tr.n, 40);
  assert.equal(va!.n, 10);
  const [tr2] = splitSet(s, 0.2, 3);
  assert.deepEqual(tr.labels, tr2.labels);
});

test('a bad data path fails at once with the reason', () => {
  const t0 = performance.now();
  assert.throws(() => checkDataPath('/no/such/folder'), (e: unknown) => e instanceof DataError && /does not exist: \/no\/such\/folder/.test(e.message));
  const file = path.join(tmp('file'), 'x.txt');
  fs.writeFileSync(file, 'x');
  assert.throws(() => checkDataPath(file), /not a directory/);
  assert.throws(() => checkDataPath(tmp('empty')), /neither CIFAR-10 binary batches .* nor class subfolders/);
  assert.ok(performance.now() - t0 < 500);
});

function pngFixture(dir: string, name: string, w: number, h: number, c: 1 | 3 | 4, value: (x: number, y: number, k: number) => number): void {
  const data = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) data[(y * w + x) * c + k] = value(x, y, k);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), encodePng(w, h, c, data));
}

test('PNG round trip: grey, RGB and RGBA', () => {
  const dir = tmp('png');
  for (const c of [1, 3, 4] as const) {
    pngFixture(dir, `c${c}.png`, 5, 3, c, (x, y, k) => (x * 40 + y * 7 + k * 3) & 255);
    const img = decodeImage(path.join(dir, `c${c}.png`));
    assert.equal(img.width, 5);
    assert.equal(img.height, 3);
    assert.equal(img.channels, c);
    assert.equal(img.data[((2 * 5 + 4) * c)], (4 * 40 + 2 * 7) & 255);
  }
});

test('PNG filters (sub, up, average, paeth) and palettes decode', () => {
  // A 3x2 RGB image written with a different filter on each row by hand.
  const rows = [
    [10, 20, 30, 40, 50, 60, 70, 80, 90],
    [15, 25, 35, 45, 55, 65, 75, 85, 95],
  ];
  const enc = (filter: number, row: number[], prev: number[]) => {
    const out = [filter];
    row.forEach((v, i) => {
      const a = i >= 3 ? row[i - 3]! : 0;
      const b = prev[i] ?? 0;
      const c = i >= 3 ? prev[i - 3] ?? 0 : 0;
      const p = a + b - c;
      const pred = filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      out.push((v - pred + 256) & 255);
    });
    return out;
  };
  for (const [f0, f1] of [[1, 2], [3, 4], [4, 3]]) {
    const raw = Buffer.from([...enc(f0!, rows[0]!, []), ...enc(f1!, rows[1]!, rows[0]!)]);
    const png = rebuildPng(3, 2, 2, 8, deflateSync(raw));
    assert.deepEqual(Array.from(decodePng(png).data), [...rows[0]!, ...rows[1]!], `filters ${f0}/${f1}`);
  }
  // 2-bit palette, 4 pixels in one byte: indices 0,1,2,3.
  const pal = rebuildPng(4, 1, 3, 2, deflateSync(Buffer.from([0, 0b00011011])), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
  assert.deepEqual(Array.from(decodePng(pal).data), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
});

/** Wraps raw IDAT data in a PNG with the given header (the encoder under test is not used to make its input). */
function rebuildPng(w: number, h: number, ctype: number, depth: number, idat: Buffer, plte?: Buffer): Buffer {
  const base = encodePng(1, 1, 1, new Uint8Array([0]));
  const sig = base.subarray(0, 8);
  const chunk = (tag: string, body: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    return Buffer.concat([len, Buffer.from(tag, 'latin1'), body, Buffer.alloc(4)]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = depth;
  ihdr[9] = ctype;
  return Buffer.concat([sig, chunk('IHDR', ihdr), ...(plte ? [chunk('PLTE', plte)] : []), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

test('JPEG is refused with a clear message naming the alternative', () => {
  const dir = tmp('jpeg');
  const f = path.join(dir, 'a.jpg');
  fs.writeFileSync(f, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]));
  assert.throws(() => decodeImage(f), /JPEG .*convert them to PNG, or train with the PyTorch runner/);
});

test('an image folder loads, resizes and converts channels; unreadable images name the file', () => {
  const dir = tmp('folder');
  for (const [k, cls] of ['cats', 'dogs', 'owls'].entries()) {
    for (let i = 0; i < 4; i++) pngFixture(path.join(dir, cls), `${i}.png`, 12, 12, k === 2 ? 1 : 3, () => 60 * k + i);
  }
  fs.writeFileSync(path.join(dir, 'cats', 'notes.txt'), 'not an image');
  assert.equal(checkDataPath(dir), 'folder');
  const ds = loadDataset({ data: dir, inputShape: [1, 3, 6, 6], numClasses: 3, valSplit: 0.25, seed: 0 });
  assert.equal(ds.numClasses, 3);
  assert.equal(ds.train.n + ds.val!.n, 12);
  assert.equal(ds.val!.n, 3);
  assert.equal(ds.train.h, 6);
  assert.equal(ds.train.c, 3);
  for (let i = 0; i < ds.train.n; i++) {
    const label = ds.train.labels[i]!;
    const px = ds.train.images[i * 108]!;
    assert.equal(Math.floor(px / 60), label, 'pixel values follow the class folder');
  }
  assert.throws(() => loadDataset({ data: dir, inputShape: [1, 3, 6, 6], numClasses: 2, valSplit: 0, seed: 0 }), /3 classes but the model returns only 2/);
  fs.writeFileSync(path.join(dir, 'dogs', 'broken.png'), 'garbage');
  assert.throws(() => loadDataset({ data: dir, inputShape: [1, 3, 6, 6], numClasses: 3, valSplit: 0, seed: 0 }), (e: unknown) => e instanceof DataError && /broken\.png/.test(e.message));
});

test("a class folder's images are listed in torchvision's order: its own files by name, then each subfolder's", () => {
  const root = tmp('order');
  for (const f of ['z.png', 'a.png', 'm/b.png', 'm/n/c.PNG', 'b/readme.txt', 'b/d.ppm']) {
    fs.mkdirSync(path.dirname(path.join(root, 'cls', f)), { recursive: true });
    fs.writeFileSync(path.join(root, 'cls', f), '');
  }
  fs.mkdirSync(path.join(root, 'other'));
  const listing = listImageFolder(root);
  assert.deepEqual(listing.classes, ['cls', 'other']);
  assert.deepEqual(listing.files.map((f) => path.relative(path.join(root, 'cls'), f)), ['a.png', 'z.png', 'b/d.ppm', 'm/b.png', 'm/n/c.PNG']);
  assert.deepEqual(listing.labels, [0, 0, 0, 0, 0]);
});

test('train/ and val/ folders are used as given', () => {
  const dir = tmp('splits');
  for (const split of ['train', 'val']) for (const cls of ['a', 'b']) for (let i = 0; i < (split === 'train' ? 3 : 1); i++) pngFixture(path.join(dir, split, cls), `${i}.png`, 4, 4, 3, () => 9);
  const ds = loadDataset({ data: dir, inputShape: [1, 3, 4, 4], numClasses: 2, valSplit: 0.5, seed: 0 });
  assert.equal(ds.train.n, 6);
  assert.equal(ds.val!.n, 2);
});

test('CIFAR-10 binary batches: planar records become HWC, test_batch.bin validates', () => {
  const dir = path.join(tmp('cifar'), 'cifar-10-batches-bin');
  fs.mkdirSync(dir);
  const batch = (n: number, base: number) => {
    const b = Buffer.alloc(n * CIFAR_RECORD);
    for (let i = 0; i < n; i++) {
      b[i * CIFAR_RECORD] = (base + i) % 10;
      for (let ch = 0; ch < 3; ch++) b.fill(ch * 100 + i, i * CIFAR_RECORD + 1 + ch * 1024, i * CIFAR_RECORD + 1 + (ch + 1) * 1024);
    }
    return b;
  };
  fs.writeFileSync(path.join(dir, 'data_batch_1.bin'), batch(6, 0));
  fs.writeFileSync(path.join(dir, 'data_batch_2.bin'), batch(4, 6));
  assert.equal(checkDataPath(path.dirname(dir)), 'cifar');
  const split = loadDataset({ data: path.dirname(dir), inputShape: [1, 3, 32, 32], numClasses: 10, valSplit: 0.2, seed: 0 });
  assert.equal(split.train.n, 8);
  assert.equal(split.val!.n, 2);
  const img = split.train.images.subarray(0, 3);
  assert.equal(img[1]! - img[0]!, 100, 'channels interleaved (HWC)');
  fs.writeFileSync(path.join(dir, 'test_batch.bin'), batch(3, 0));
  const withTest = loadDataset({ data: dir, inputShape: [1, 1, 16, 16], numClasses: 10, valSplit: 0.2, seed: 0 });
  assert.equal(withTest.train.n, 10);
  assert.equal(withTest.val!.n, 3);
  assert.equal(withTest.train.c, 1);
  fs.writeFileSync(path.join(dir, 'data_batch_3.bin'), Buffer.alloc(100));
  assert.throws(() => loadDataset({ data: dir, inputShape: [1, 3, 32, 32], numClasses: 10, valSplit: 0, seed: 0 }), /not a CIFAR-10 binary batch: 100 bytes/);
});

test('adaptImage: bilinear resize matches the half-pixel rule, grey <-> RGB', () => {
  // 2x2 -> 4x4 of [0, 100; 100, 200] (one channel): corners keep their values.
  const up = adaptImage(new Uint8Array([0, 100, 100, 200]), 2, 2, 1, 4, 4, 1, 'x');
  assert.equal(up[0], 0);
  assert.equal(up[15], 200);
  assert.equal(up[1], 25);
  const rgb = adaptImage(new Uint8Array([7]), 1, 1, 1, 1, 1, 3, 'x');
  assert.deepEqual(Array.from(rgb), [7, 7, 7]);
  const grey = adaptImage(new Uint8Array([255, 0, 0]), 1, 1, 3, 1, 1, 1, 'x');
  assert.deepEqual(Array.from(grey), [76]);
});

test('batches are normalised; augmentation crops within the padding and flips', () => {
  const set = syntheticImages(8, 2, 8, 8, 2, 0);
  const norm = channelStats(set);
  const plain = makeBatch(set, [0, 1], norm, null);
  const v = set.images[0]! / 255;
  assert.ok(Math.abs(plain.x[0]! - (v - norm.mean[0]!) / norm.std[0]!) < 1e-5);
  assert.deepEqual(Array.from(plain.y), [set.labels[0], set.labels[1]]);
  // Every augmented pixel is either a shifted/flipped source pixel or the normalised zero of the padding.
  const rng = new Rng(1);
  let flips = 0;
  for (let t = 0; t < 20; t++) {
    const aug = makeBatch(set, [3], norm, rng);
    const src = makeBatch(set, [3], norm, null).x;
    let matched = false;
    for (let oy = -1; oy <= 1 && !matched; oy++) for (let ox = -1; ox <= 1 && !matched; ox++) for (const flip of [false, true]) {
      let ok = true;
      for (let r = 0; r < 8 && ok; r++) for (let col = 0; col < 8 && ok; col++) for (let k = 0; k < 2; k++) {
        const sr = r + oy;
        const sc = (flip ? 7 - col : col) + ox;
        const want = sr < 0 || sr > 7 || sc < 0 || sc > 7 ? -norm.mean[k]! / norm.std[k]! : src[(sr * 8 + sc) * 2 + k]!;
        if (Math.abs(aug.x[(r * 8 + col) * 2 + k]! - want) > 1e-5) ok = false;
      }
      if (ok) {
        matched = true;
        if (flip && !(oy === 0 && ox === 0)) flips++;
        break;
      }
    }
    assert.ok(matched, 'augmented image is a crop (and maybe a flip) of the source');
  }
  assert.ok(flips > 0, 'some crops were flipped');
});
