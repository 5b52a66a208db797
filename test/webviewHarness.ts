/**
 * What every webview test page needs, whichever webview it loads: Chromium and its flags, the skip/fail rule
 * for missing tools, a tiny static server that serves the page exactly as the host builds it, and the script
 * that stands in for VS Code inside the page (`acquireVsCodeApi`, theme variables, a CSP violation recorder).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { newNonce } from '../src/host/webviewCsp';

export const REPO_ROOT = resolve(__dirname, '..');
export const CHROMIUM_PATH = process.env['RESNET_STUDIO_CHROMIUM'] ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Why a webview suite cannot run here, or undefined when it can. Under `CI=true` a missing tool is an error
 * rather than a skip, so CI never passes by not testing.
 */
export function skipReasonFor(suite: string, requiredFiles: string[]): string | undefined {
  const missing: string[] = [];
  if (!existsSync(CHROMIUM_PATH)) missing.push(`Chromium not found at ${CHROMIUM_PATH} (set RESNET_STUDIO_CHROMIUM)`);
  for (const f of requiredFiles) if (!existsSync(f)) missing.push(`${f} is missing (run npm run build)`);
  if (!missing.length) return undefined;
  if (process.env['CI'] === 'true') throw new Error(`${suite} cannot run under CI=true: ${missing.join('; ')}`);
  return missing.join('; ');
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.map': 'application/json' };

/** Builds the page's HTML for an origin and a fresh nonce, as the host would for its webview. */
export type PageHtml = (origin: string, nonce: string) => string;

/** Serves `/` (the page) and the listed files (URL path -> file) on 127.0.0.1. */
export class PageServer {
  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(page: PageHtml, files: Record<string, string>): Promise<PageServer> {
    let origin = '';
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/' || path === '/index.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(page(origin, newNonce()));
        return;
      }
      const file = files[path];
      if (!file || !existsSync(file)) {
        res.writeHead(path === '/favicon.ico' ? 204 : 404);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return new PageServer(server, origin);
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/**
 * Runs before the page's own scripts: the `acquireVsCodeApi` stand-in recording posted messages and state
 * into `window.__rec`, a CSP violation recorder, and the theme variables and body class VS Code would set.
 * A string, so that no compiled helper leaks into the page.
 */
export function vscodeStubScript(vars: Record<string, string>, bodyClass: string, state: unknown): string {
  return `(() => {
  const rec = { posted: [], state: ${JSON.stringify(state)} ?? undefined, csp: [] };
  window.__rec = rec;
  let acquired = false;
  window.acquireVsCodeApi = function () {
    if (acquired) throw new Error('acquireVsCodeApi called twice');
    acquired = true;
    return {
      postMessage(m) { rec.posted.push(JSON.parse(JSON.stringify(m))); },
      getState() { return rec.state; },
      setState(s) { rec.state = JSON.parse(JSON.stringify(s)); },
    };
  };
  document.addEventListener('securitypolicyviolation', (e) => {
    rec.csp.push(e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + e.sourceFile + ':' + e.lineNumber);
  });
  // VS Code puts the variables on <html> and the theme class on <body> before any page script runs.
  const vars = ${JSON.stringify(vars)};
  let rootDone = false;
  const apply = () => {
    if (!rootDone && document.documentElement) {
      for (const k of Object.keys(vars)) document.documentElement.style.setProperty(k, vars[k]);
      rootDone = true;
    }
    if (document.body && !document.body.classList.contains(${JSON.stringify(bodyClass)})) {
      document.body.classList.add(${JSON.stringify(bodyClass)});
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(apply);
  observer.observe(document, { childList: true, subtree: true });
  apply();
})();`;
}
