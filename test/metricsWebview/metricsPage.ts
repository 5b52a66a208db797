/**
 * Loads the built metrics panel (`dist/webview/metrics.js`) in Chromium, in a page whose HTML and CSP come
 * from the same `metricsHtml()` the host serves, with a stand-in for `acquireVsCodeApi` that records every
 * posted message and the persisted state, and a recorder of CSP violations.
 */
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { metricsHtml } from '../../src/host/training/metricsHtml';
import type { FromMetricsWebview, MetricsWebviewState, ToMetricsWebview } from '../../src/protocol/metricsProtocol';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'metrics');
export const CHROMIUM_PATH = process.env['RESNET_STUDIO_CHROMIUM'] ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const BUNDLE = join(REPO_ROOT, 'dist', 'webview', 'metrics.js');
const STYLE = join(REPO_ROOT, 'dist', 'webview', 'metrics.css');

/** Why the tests cannot run, or undefined; under CI=true a missing tool is an error, never a skip. */
export function skipReason(): string | undefined {
  const missing: string[] = [];
  if (!existsSync(CHROMIUM_PATH)) missing.push(`Chromium not found at ${CHROMIUM_PATH} (set RESNET_STUDIO_CHROMIUM)`);
  if (!existsSync(BUNDLE) || !existsSync(STYLE)) missing.push(`${BUNDLE} or its stylesheet is missing (run npm run build)`);
  if (!missing.length) return undefined;
  if (process.env['CI'] === 'true') throw new Error(`metrics webview tests cannot run under CI=true: ${missing.join('; ')}`);
  return missing.join('; ');
}

export class PageServer {
  private constructor(private readonly server: Server, readonly origin: string) {}

  static async start(): Promise<PageServer> {
    let origin = '';
    const files: Record<string, [string, string]> = {
      '/metrics.js': [BUNDLE, 'text/javascript'],
      '/metrics.css': [STYLE, 'text/css'],
      '/metrics.js.map': [`${BUNDLE}.map`, 'application/json'],
    };
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(metricsHtml({ cspSource: origin, nonce: randomBytes(18).toString('base64'), scriptUri: `${origin}/metrics.js`, styleUri: `${origin}/metrics.css` }));
        return;
      }
      const f = files[path];
      if (!f || !existsSync(f[0])) {
        res.writeHead(path === '/favicon.ico' ? 204 : 404);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': f[1] });
      res.end(readFileSync(f[0]));
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

const DARK: Record<string, string> = {
  '--vscode-editor-background': '#1f1f1f',
  '--vscode-foreground': '#cccccc',
  '--vscode-descriptionForeground': '#9d9d9d',
  '--vscode-editorWidget-background': '#202020',
  '--vscode-editorWidget-border': '#454545',
  '--vscode-panel-border': '#2b2b2b',
  '--vscode-charts-blue': '#3794ff',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-green': '#89d185',
  '--vscode-charts-red': '#f14c4c',
  '--vscode-button-background': '#0078d4',
  '--vscode-button-foreground': '#ffffff',
  '--vscode-textLink-foreground': '#4daafc',
  '--vscode-editorError-foreground': '#f14c4c',
  '--vscode-font-family': 'system-ui, sans-serif',
  '--vscode-font-size': '13px',
};

function initScript(state: MetricsWebviewState | null): string {
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
  const vars = ${JSON.stringify(DARK)};
  const apply = () => {
    if (document.documentElement) for (const k of Object.keys(vars)) document.documentElement.style.setProperty(k, vars[k]);
    if (document.body) { document.body.classList.add('vscode-dark'); observer.disconnect(); }
  };
  const observer = new MutationObserver(apply);
  observer.observe(document, { childList: true, subtree: true });
  apply();
})();`;
}

interface Recorder {
  posted: FromMetricsWebview[];
  state: MetricsWebviewState | undefined;
  csp: string[];
}

interface Probe {
  renderCount: number;
  busy: boolean;
  counts(): Record<string, number>;
}

export class MetricsPage {
  readonly consoleErrors: string[] = [];
  private constructor(readonly page: Page) {
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') this.consoleErrors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.consoleErrors.push(`pageerror: ${e.message}`));
  }

  static async open(browser: Browser, server: PageServer, state: MetricsWebviewState | null = null): Promise<MetricsPage> {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    const mp = new MetricsPage(page);
    await page.addInitScript({ content: initScript(state) });
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => (window as unknown as { __rec: Recorder }).__rec.posted.length > 0);
    return mp;
  }

  posted(): Promise<FromMetricsWebview[]> {
    return this.page.evaluate(() => (window as unknown as { __rec: Recorder }).__rec.posted);
  }

  state(): Promise<MetricsWebviewState | undefined> {
    return this.page.evaluate(() => (window as unknown as { __rec: Recorder }).__rec.state);
  }

  cspViolations(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { __rec: Recorder }).__rec.csp);
  }

  counts(): Promise<Record<string, number>> {
    return this.page.evaluate(() => (window as unknown as { resnetStudioMetrics: Probe }).resnetStudioMetrics.counts());
  }

  /** Posts a host message and waits until the page has drawn after it. */
  async send(msg: ToMetricsWebview, waitForRender = true): Promise<void> {
    const before = await this.renderCount();
    await this.page.evaluate((json) => window.postMessage(JSON.parse(json), '*'), JSON.stringify(msg));
    if (waitForRender) await this.waitForRender(before);
    else await this.page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
  }

  renderCount(): Promise<number> {
    return this.page.evaluate(() => (window as unknown as { resnetStudioMetrics: Probe }).resnetStudioMetrics.renderCount);
  }

  async waitForRender(before: number): Promise<void> {
    await this.page.waitForFunction(
      (b) => {
        const p = (window as unknown as { resnetStudioMetrics: Probe }).resnetStudioMetrics;
        return p.renderCount > b && !p.busy;
      },
      before,
      { timeout: 10_000 },
    );
  }

  text(selector: string): Promise<string> {
    return this.page.locator(selector).innerText();
  }
}
