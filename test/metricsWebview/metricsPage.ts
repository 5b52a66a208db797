/**
 * Loads the built metrics panel (`dist/webview/metrics.js`) in Chromium, in a page whose HTML and CSP come
 * from the same `metricsHtml()` the host serves, with a stand-in for `acquireVsCodeApi` that records every
 * posted message and the persisted state, and a recorder of CSP violations.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { metricsHtml } from '../../src/host/training/metricsHtml';
import type { FromMetricsWebview, MetricsWebviewState, ToMetricsWebview } from '../../src/protocol/metricsProtocol';
import { PageServer, REPO_ROOT, launch, skipReasonFor, vscodeStubScript } from '../webviewHarness';

export { PageServer, REPO_ROOT, launch };
export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'metrics');
const BUNDLE = join(REPO_ROOT, 'dist', 'webview', 'metrics.js');
const STYLE = join(REPO_ROOT, 'dist', 'webview', 'metrics.css');

/** Why the tests cannot run, or undefined; under CI=true a missing tool is an error, never a skip. */
export function skipReason(): string | undefined {
  return skipReasonFor('metrics webview tests', [BUNDLE, STYLE]);
}

/** Serves the metrics page as the host builds it, with its bundle and stylesheet. */
export function startMetricsServer(): Promise<PageServer> {
  return PageServer.start((origin, nonce) => metricsHtml({ cspSource: origin, nonce, scriptUri: `${origin}/metrics.js`, styleUri: `${origin}/metrics.css` }), {
    '/metrics.js': BUNDLE,
    '/metrics.css': STYLE,
    '/metrics.js.map': `${BUNDLE}.map`,
  });
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
    await page.addInitScript({ content: vscodeStubScript(DARK, 'vscode-dark', state) });
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
