/**
 * Host-side decoding of what the graph page sends back: an exported image arrives as SVG text or as a PNG
 * `data:` URL and is saved as bytes. Pure Node (no `vscode`), so it is tested directly. Checking the messages
 * themselves is the protocol's job (`checkFromGraphWebview` in `src/protocol/graphProtocol.ts`).
 */
import type { ImageFormat } from '../protocol/graphProtocol';

/** Bytes of an exported image: SVG text as is, PNG from its base64 data URL. */
export function imageBytes(format: ImageFormat, data: string): Uint8Array {
  if (format === 'svg') return Buffer.from(data, 'utf8');
  const comma = data.indexOf(',');
  return Buffer.from(data.startsWith('data:') ? data.slice(comma + 1) : data, 'base64');
}
