/**
 * Pure-JS image decoding for the TF.js runner: PNG (8- and 16-bit, grey/grey+alpha/RGB/RGBA/palette,
 * interlaced or not) through node's zlib, and binary PPM (P6) / PGM (P5). Other formats fail with a message
 * that says which runner can read them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';

export interface DecodedImage {
  width: number;
  height: number;
  /** 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
  channels: number;
  /** HWC, 8 bits per sample. */
  data: Uint8Array;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function decodeImage(file: string): DecodedImage {
  const ext = path.extname(file).toLowerCase();
  const raw = fs.readFileSync(file);
  if (raw.subarray(0, 8).equals(PNG_SIGNATURE)) return decodePng(raw);
  if (ext === '.ppm' || ext === '.pgm' || (raw[0] === 0x50 && (raw[1] === 0x35 || raw[1] === 0x36))) return decodePnm(raw);
  if (raw[0] === 0xff && raw[1] === 0xd8) {
    throw new Error('JPEG images cannot be decoded by the TF.js runner; convert them to PNG, or train with the PyTorch runner');
  }
  throw new Error(`unsupported image format (${ext || 'no extension'}); the TF.js runner reads PNG and binary PPM/PGM`);
}

export function decodePng(raw: Buffer): DecodedImage {
  if (!raw.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG file');
  let pos = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let ctype = -1;
  let interlace = 0;
  let palette: Buffer | undefined;
  let trns: Buffer | undefined;
  const idat: Buffer[] = [];
  while (pos + 8 <= raw.length) {
    const length = raw.readUInt32BE(pos);
    const tag = raw.toString('latin1', pos + 4, pos + 8);
    const body = raw.subarray(pos + 8, pos + 8 + length);
    if (body.length !== length) throw new Error('truncated PNG');
    pos += 12 + length;
    if (tag === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      depth = body[8]!;
      ctype = body[9]!;
      interlace = body[12]!;
    } else if (tag === 'PLTE') palette = body;
    else if (tag === 'tRNS') trns = body;
    else if (tag === 'IDAT') idat.push(body);
    else if (tag === 'IEND') break;
  }
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[ctype];
  if (!width || !height || channels === undefined) throw new Error('PNG without a valid IHDR');
  if (ctype === 3 ? ![1, 2, 4, 8].includes(depth) : ctype === 0 ? ![1, 2, 4, 8, 16].includes(depth) : depth !== 8 && depth !== 16) {
    throw new Error(`unsupported PNG bit depth ${depth} for colour type ${ctype}`);
  }
  const data = inflateSync(Buffer.concat(idat));
  const samples = new Uint16Array(width * height * channels);
  const bitsPerPixel = depth * channels;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  let offset = 0;
  // Adam7 passes (x0, y0, dx, dy); a non-interlaced image is one pass over everything.
  const passes = interlace
    ? [
        [0, 0, 8, 8],
        [4, 0, 8, 8],
        [0, 4, 4, 8],
        [2, 0, 4, 4],
        [0, 2, 2, 4],
        [1, 0, 2, 2],
        [0, 1, 1, 2],
      ]
    : [[0, 0, 1, 1]];
  for (const [x0, y0, dx, dy] of passes as [number, number, number, number][]) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const stride = Math.ceil((pw * bitsPerPixel) / 8);
    let prev = new Uint8Array(stride);
    for (let y = 0; y < ph; y++) {
      if (offset + 1 + stride > data.length) throw new Error('truncated PNG image data');
      const filter = data[offset]!;
      const line = new Uint8Array(data.subarray(offset + 1, offset + 1 + stride));
      offset += 1 + stride;
      unfilter(filter, line, prev, bpp);
      for (let x = 0; x < pw; x++) {
        const out = (((y0 + y * dy) * width + x0 + x * dx) * channels) | 0;
        for (let k = 0; k < channels; k++) {
          const s = x * channels + k;
          let v: number;
          if (depth === 8) v = line[s]!;
          else if (depth === 16) v = (line[2 * s]! << 8) | line[2 * s + 1]!;
          else {
            const bit = s * depth;
            v = (line[bit >> 3]! >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
          }
          samples[out + k] = v;
        }
      }
      prev = line;
    }
  }
  if (ctype === 3) {
    if (!palette) throw new Error('palette PNG without a PLTE chunk');
    const alpha = trns !== undefined;
    const ch = alpha ? 4 : 3;
    const rgb = new Uint8Array(width * height * ch);
    for (let i = 0; i < width * height; i++) {
      const p = samples[i]!;
      rgb[i * ch] = palette[3 * p] ?? 0;
      rgb[i * ch + 1] = palette[3 * p + 1] ?? 0;
      rgb[i * ch + 2] = palette[3 * p + 2] ?? 0;
      if (alpha) rgb[i * ch + 3] = trns![p] ?? 255;
    }
    return { width, height, channels: ch, data: rgb };
  }
  const out = new Uint8Array(samples.length);
  const max = (1 << depth) - 1;
  for (let i = 0; i < samples.length; i++) out[i] = depth === 8 ? samples[i]! : depth === 16 ? samples[i]! >> 8 : Math.round((samples[i]! * 255) / max);
  return { width, height, channels, data: out };
}

function unfilter(filter: number, line: Uint8Array, prev: Uint8Array, bpp: number): void {
  const n = line.length;
  switch (filter) {
    case 0:
      return;
    case 1:
      for (let i = bpp; i < n; i++) line[i] = (line[i]! + line[i - bpp]!) & 255;
      return;
    case 2:
      for (let i = 0; i < n; i++) line[i] = (line[i]! + prev[i]!) & 255;
      return;
    case 3:
      for (let i = 0; i < n; i++) line[i] = (line[i]! + (((i >= bpp ? line[i - bpp]! : 0) + prev[i]!) >> 1)) & 255;
      return;
    case 4:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? line[i - bpp]! : 0;
        const b = prev[i]!;
        const c = i >= bpp ? prev[i - bpp]! : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        line[i] = (line[i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
      }
      return;
    default:
      throw new Error(`bad PNG filter type ${filter}`);
  }
}

export function decodePnm(raw: Buffer): DecodedImage {
  const tokens: string[] = [];
  let pos = 0;
  while (tokens.length < 4 && pos < raw.length) {
    while (pos < raw.length && /\s/.test(String.fromCharCode(raw[pos]!))) pos++;
    if (raw[pos] === 0x23) {
      while (pos < raw.length && raw[pos] !== 0x0a) pos++;
      continue;
    }
    const start = pos;
    while (pos < raw.length && !/\s/.test(String.fromCharCode(raw[pos]!))) pos++;
    tokens.push(raw.toString('latin1', start, pos));
  }
  const [magic, ws, hs, ms] = tokens;
  const width = Number(ws);
  const height = Number(hs);
  if ((magic !== 'P5' && magic !== 'P6') || Number(ms) !== 255 || !(width > 0) || !(height > 0)) {
    throw new Error('only binary 8-bit PPM (P6) and PGM (P5) can be read');
  }
  const channels = magic === 'P6' ? 3 : 1;
  const data = new Uint8Array(raw.subarray(pos + 1, pos + 1 + width * height * channels));
  if (data.length !== width * height * channels) throw new Error('truncated PPM/PGM');
  return { width, height, channels, data };
}

/** Encodes an 8-bit PNG (no filtering); used by tests to make image folders, and small enough to keep here. */
export function encodePng(width: number, height: number, channels: 1 | 3 | 4, data: Uint8Array): Buffer {
  const ctype = channels === 1 ? 0 : channels === 3 ? 2 : 6;
  const stride = width * channels;
  const rawLines = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    rawLines[y * (stride + 1)] = 0;
    Buffer.from(data.buffer, data.byteOffset + y * stride, stride).copy(rawLines, y * (stride + 1) + 1);
  }
  const chunk = (tag: string, body: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const tb = Buffer.concat([Buffer.from(tag, 'latin1'), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(tb));
    return Buffer.concat([len, tb, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = ctype;
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rawLines)), chunk('IEND', Buffer.alloc(0))]);
}

let crcTable: Uint32Array | undefined;
function crc32(buf: Buffer): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = crcTable[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
