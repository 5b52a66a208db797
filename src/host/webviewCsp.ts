/**
 * The one strict Content-Security-Policy every ResNet Studio webview uses (STYLE.md rule 5): the one nonce
 * generator, the policy, and the checks on what goes into it. Pure: no `vscode` import, so pages are built
 * identically by the host and by tests.
 */
import { randomBytes } from 'node:crypto';

/** A fresh CSP nonce, for each render of any page: 144 random bits, URL-safe base64 (24 characters). */
export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

/** What every page template needs from its host: where the page's own files are and this render's nonce. */
export interface PageParts {
  /** `webview.cspSource`. */
  cspSource: string;
  /** A fresh nonce from {@link newNonce}, for this render only. */
  nonce: string;
  /** The page's bundle (`dist/webview/<page>.js`) as a webview URI. */
  scriptUri: string;
  /** The page's stylesheet (`dist/webview/<page>.css`) as a webview URI. */
  styleUri: string;
}

export function escapeAttr(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** No inline styles or scripts, no eval, nothing from the network: scripts by nonce, the rest from the extension. */
export function strictCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

/**
 * Refuses inputs that could widen the policy. VS Code's `webview.cspSource` is a list of sources with quoted
 * keywords (`'self' https://*.vscode-cdn.net`), so quotes and spaces are allowed; what would end or escape
 * the directive (a semicolon, a double quote, a line break, markup) is not.
 */
export function checkCspInputs(page: string, cspSource: string, nonce: string): void {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(nonce)) throw new Error(`${page}: the nonce must be at least 16 base64/hex characters`);
  if (/[;"<>\r\n]/.test(cspSource) || !cspSource.trim()) throw new Error(`${page}: invalid cspSource`);
}
