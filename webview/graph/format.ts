/** Short text for graph labels: shapes without the batch dimension, layer hyper-parameters, costs. */
import { type Dim, type IrNode, type Shape, fmtCompact } from '../../src/protocol/graphProtocol';

const dim = (d: Dim | undefined): string => (d === null || d === undefined ? '?' : String(d));

/** `[1, 256, 56, 56]` -> `256×56²`; `[1, 1000]` -> `1000`. The batch dimension is the same everywhere, so it is dropped. */
export function shortShape(s: Shape): string {
  if (s === null) return '?';
  const rest = s.length > 1 ? s.slice(1) : s;
  if (rest.length === 3 && rest[1] === rest[2] && rest[1] !== null) return `${dim(rest[0])}×${dim(rest[1])}²`;
  return rest.map(dim).join('×');
}

/** Channels of an NCHW (or NC) tensor. */
export function channels(s: Shape): Dim | undefined {
  return s && s.length >= 2 ? s[1] : undefined;
}

/** `28²`, `28×14`, or undefined for tensors without spatial dimensions. */
export function spatial(s: Shape): string | undefined {
  if (!s || s.length < 4) return undefined;
  const h = s[2];
  const w = s[3];
  return h === w && h !== null ? `${dim(h)}²` : `${dim(h)}×${dim(w)}`;
}

/** `a→b`, or just `a` when nothing changes. */
export function arrow(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined && b === undefined) return undefined;
  if (a === undefined || b === undefined || a === b) return b ?? a;
  return `${a}→${b}`;
}

function num(v: unknown): string {
  if (Array.isArray(v)) return v.length === 2 && v[0] === v[1] ? String(v[0]) : v.map(String).join('×');
  return String(v);
}

function kernel(v: unknown): string {
  if (Array.isArray(v)) return v.length === 2 && v[0] === v[1] ? `${v[0]}×${v[0]}` : v.map(String).join('×');
  return `${String(v)}×${String(v)}`;
}

function strided(v: unknown): boolean {
  return v !== undefined && v !== null && num(v) !== '1';
}

/** The hyper-parameters a reader scans for: kernel, stride, channel change. */
export function opDetail(n: IrNode): string {
  const a = n.attrs;
  const cin = channels(n.inputShapes[0] ?? null);
  const cout = channels(n.outputShape);
  // Always both ends: `64→64` says "no change" where a lone `64` reads like a kernel count.
  const io = cin === undefined || cout === undefined ? undefined : `${dim(cin)}→${dim(cout)}`;
  switch (n.op) {
    case 'Conv2d': {
      const parts = [kernel(a['kernel_size'])];
      if (strided(a['stride'])) parts.push(`/${num(a['stride'])}`);
      if (a['groups'] !== undefined && a['groups'] !== 1) parts.push(`g${num(a['groups'])}`);
      return `${parts.join(' ')} ${io ?? ''}`.trim();
    }
    case 'MaxPool2d':
    case 'AvgPool2d':
      return `${kernel(a['kernel_size'])}${strided(a['stride'] ?? a['kernel_size']) ? ` /${num(a['stride'] ?? a['kernel_size'])}` : ''}`;
    case 'Linear':
      return io ?? '';
    default:
      return '';
  }
}

/** `9.41 k params · 118 M MACs`, leaving out zero terms. */
export function costText(params: number | null, macs: number | null): string {
  const parts: string[] = [];
  if (params === null || params > 0) parts.push(`${fmtCompact(params)} params`);
  if (macs === null || macs > 0) parts.push(`${fmtCompact(macs)} MACs`);
  return parts.join(' · ');
}

export { fmtCompact };
