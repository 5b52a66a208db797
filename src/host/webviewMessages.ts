/**
 * Pure helpers for the graph webview host: nonces, validation of messages from the page (webview content is
 * not trusted to be well-formed), and decoding of exported images.
 */
import { randomBytes } from 'node:crypto';
import type { SourceRange } from '../core/ir';
import type { FromGraphWebview } from '../protocol/graphProtocol';

/** A fresh CSP nonce for each render of a page. */
export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

/** A shallow check of a message from the page; undefined for anything malformed. */
export function parseWebviewMessage(m: unknown): FromGraphWebview | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const o = m as Record<string, unknown>;
  switch (o['type']) {
    case 'ready':
      return { type: 'ready' };
    case 'reveal': {
      const s = o['source'] as Record<string, unknown> | undefined;
      const ok = s && typeof s['file'] === 'string' && ['line', 'column', 'endLine', 'endColumn'].every((k) => typeof s[k] === 'number');
      return ok && typeof o['nodeId'] === 'string' ? { type: 'reveal', nodeId: o['nodeId'], source: s as unknown as SourceRange } : undefined;
    }
    case 'exportedImage':
      return (o['format'] === 'svg' || o['format'] === 'png') && typeof o['data'] === 'string'
        ? { type: 'exportedImage', format: o['format'], data: o['data'] }
        : undefined;
    case 'error':
      return { type: 'error', message: String(o['message'] ?? 'unknown error') };
    default:
      return undefined;
  }
}

/** Bytes of an exported image: SVG text as is, PNG from its base64 data URL. */
export function imageBytes(format: 'svg' | 'png', data: string): Uint8Array {
  if (format === 'svg') return Buffer.from(data, 'utf8');
  const comma = data.indexOf(',');
  return Buffer.from(data.startsWith('data:') ? data.slice(comma + 1) : data, 'base64');
}
