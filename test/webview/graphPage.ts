/**
 * Loads the built graph webview (`dist/webview/graph.js`) in Debian's Chromium, in a page whose HTML and CSP
 * come from the same `graphHtml()` the extension host serves, with a stand-in for `acquireVsCodeApi` that
 * records every posted message and the persisted state. Shared by the webview tests and the benchmark.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { graphHtml } from '../../src/host/graphHtml';
import type { FromGraphWebview, GraphWebviewState, ToGraphWebview } from '../../src/protocol/graphProtocol';
import { PageServer, REPO_ROOT, launch, skipReasonFor, vscodeStubScript } from '../webviewHarness';

export { PageServer, REPO_ROOT, launch };
export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'webview');
const BUNDLE = join(REPO_ROOT, 'dist', 'webview', 'graph.js');
const CODICONS = join(REPO_ROOT, 'node_modules', '@vscode', 'codicons', 'dist');

/** Why the graph webview tests cannot run here (undefined when they can; throws under CI=true). */
export function webviewSkipReason(): string | undefined {
  return skipReasonFor('webview tests', [BUNDLE]);
}

/**
 * For the tests of one `describe`: a page server and a Chromium started before them and closed after them, and
 * `open` for a fresh page on them (the options of {@link GraphPage.open}).
 */
export function graphPages(): { open(opts?: Parameters<typeof GraphPage.open>[2]): Promise<GraphPage> } {
  let browser: Browser | undefined;
  let server: PageServer | undefined;
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startGraphServer();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  return {
    open: (opts) => {
      if (!browser || !server) throw new Error('graphPages().open is for tests, after its before() hook has run');
      return GraphPage.open(browser, server, opts);
    },
  };
}

/** Serves the graph page as the host builds it, with its bundle, stylesheet and codicon font. */
export function startGraphServer(): Promise<PageServer> {
  return PageServer.start(
    (origin, nonce) =>
      graphHtml({ cspSource: origin, nonce, scriptUri: `${origin}/graph.js`, styleUri: `${origin}/graph.css`, codiconsUri: `${origin}/codicons/codicon.css` }),
    {
      '/graph.js': BUNDLE,
      '/graph.js.map': `${BUNDLE}.map`,
      '/graph-elk.js': join(REPO_ROOT, 'dist', 'webview', 'graph-elk.js'),
      '/graph-controls.js': join(REPO_ROOT, 'dist', 'webview', 'graph-controls.js'),
      '/graph.css': join(REPO_ROOT, 'dist', 'webview', 'graph.css'),
      '/codicons/codicon.css': join(CODICONS, 'codicon.css'),
      '/codicons/codicon.ttf': join(CODICONS, 'codicon.ttf'),
    },
  );
}

export type ThemeKind = 'dark' | 'light' | 'high-contrast';

/** A few of the variables VS Code sets on the webview's root, per theme (values from its default themes). */
export const THEME_VARS: Record<ThemeKind, Record<string, string>> = {
  dark: {
    '--vscode-editor-background': '#1f1f1f',
    '--vscode-editor-foreground': '#cccccc',
    '--vscode-foreground': '#cccccc',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-editorWidget-background': '#202020',
    '--vscode-editorWidget-border': '#454545',
    '--vscode-panel-border': '#2b2b2b',
    '--vscode-editorLineNumber-foreground': '#6e7681',
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-editorError-foreground': '#f14c4c',
    '--vscode-inputValidation-errorBackground': '#5a1d1d',
    '--vscode-focusBorder': '#0078d4',
    '--vscode-editor-findMatchHighlightBackground': '#9e6a03',
    '--vscode-input-background': '#313131',
    '--vscode-input-foreground': '#cccccc',
    '--vscode-input-border': '#3c3c3c',
    '--vscode-dropdown-background': '#313131',
    '--vscode-dropdown-foreground': '#cccccc',
    '--vscode-dropdown-border': '#3c3c3c',
    '--vscode-icon-foreground': '#cccccc',
    '--vscode-settings-textInputBackground': '#313131',
    '--vscode-settings-textInputForeground': '#cccccc',
    '--vscode-settings-textInputBorder': '#3c3c3c',
    '--vscode-settings-dropdownBackground': '#313131',
    '--vscode-settings-dropdownForeground': '#cccccc',
    '--vscode-settings-dropdownBorder': '#3c3c3c',
    '--vscode-font-family': 'system-ui, sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-editor-font-size': '14px',
  },
  light: {
    '--vscode-editor-background': '#ffffff',
    '--vscode-editor-foreground': '#3b3b3b',
    '--vscode-foreground': '#3b3b3b',
    '--vscode-descriptionForeground': '#717171',
    '--vscode-editorWidget-background': '#f8f8f8',
    '--vscode-editorWidget-border': '#c8c8c8',
    '--vscode-panel-border': '#e5e5e5',
    '--vscode-editorLineNumber-foreground': '#6e7681',
    '--vscode-charts-blue': '#1a85ff',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-red': '#e51400',
    '--vscode-editorError-foreground': '#e51400',
    '--vscode-inputValidation-errorBackground': '#f2dede',
    '--vscode-focusBorder': '#005fb8',
    '--vscode-editor-findMatchHighlightBackground': '#ea5c0055',
    '--vscode-input-background': '#ffffff',
    '--vscode-input-foreground': '#3b3b3b',
    '--vscode-input-border': '#cecece',
    '--vscode-dropdown-background': '#ffffff',
    '--vscode-dropdown-foreground': '#3b3b3b',
    '--vscode-dropdown-border': '#cecece',
    '--vscode-icon-foreground': '#3b3b3b',
    '--vscode-settings-textInputBackground': '#ffffff',
    '--vscode-settings-textInputForeground': '#3b3b3b',
    '--vscode-settings-textInputBorder': '#cecece',
    '--vscode-settings-dropdownBackground': '#ffffff',
    '--vscode-settings-dropdownForeground': '#3b3b3b',
    '--vscode-settings-dropdownBorder': '#cecece',
    '--vscode-font-family': 'system-ui, sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-editor-font-size': '14px',
  },
  'high-contrast': {
    '--vscode-editor-background': '#000000',
    '--vscode-editor-foreground': '#ffffff',
    '--vscode-foreground': '#ffffff',
    '--vscode-descriptionForeground': '#ffffffb3',
    '--vscode-editorWidget-background': '#0c141f',
    '--vscode-contrastBorder': '#6fc3df',
    '--vscode-editorLineNumber-foreground': '#ffffff',
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-editorError-foreground': '#f48771',
    '--vscode-focusBorder': '#f38518',
    '--vscode-input-background': '#000000',
    '--vscode-input-foreground': '#ffffff',
    '--vscode-input-border': '#6fc3df',
    '--vscode-dropdown-background': '#000000',
    '--vscode-dropdown-foreground': '#ffffff',
    '--vscode-dropdown-border': '#6fc3df',
    '--vscode-icon-foreground': '#ffffff',
    '--vscode-settings-textInputBackground': '#000000',
    '--vscode-settings-textInputForeground': '#ffffff',
    '--vscode-settings-textInputBorder': '#6fc3df',
    '--vscode-settings-dropdownBackground': '#000000',
    '--vscode-settings-dropdownForeground': '#ffffff',
    '--vscode-settings-dropdownBorder': '#6fc3df',
    '--vscode-font-family': 'system-ui, sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-editor-font-size': '14px',
  },
};

interface Recorder {
  posted: FromGraphWebview[];
  state: GraphWebviewState | undefined;
  csp: string[];
}

/** One loaded graph page and what it has said. */
export class GraphPage {
  readonly consoleErrors: string[] = [];
  private constructor(readonly page: Page) {
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') this.consoleErrors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.consoleErrors.push(`pageerror: ${e.message} ${e.stack ?? ''}`));
  }

  static async open(browser: Browser, server: PageServer, opts: { theme?: ThemeKind; state?: GraphWebviewState; width?: number; height?: number } = {}): Promise<GraphPage> {
    const page = await browser.newPage({ viewport: { width: opts.width ?? 1200, height: opts.height ?? 900 } });
    const gp = new GraphPage(page);
    const theme = opts.theme ?? 'dark';
    await page.addInitScript({ content: vscodeStubScript(THEME_VARS[theme], `vscode-${theme}`, opts.state ?? null) });
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => (window as unknown as { __rec: Recorder }).__rec.posted.length > 0);
    return gp;
  }

  posted(): Promise<FromGraphWebview[]> {
    return this.page.evaluate(() => (window as unknown as { __rec: Recorder }).__rec.posted);
  }

  state(): Promise<GraphWebviewState | undefined> {
    return this.page.evaluate(() => (window as unknown as { __rec: Recorder }).__rec.state);
  }

  cspViolations(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { __rec: Recorder }).__rec.csp);
  }

  /** Posts a host message and, for messages that redraw, waits until the result is painted. */
  async send(msg: ToGraphWebview, waitForRender = msg.type === 'setGraph' || msg.type === 'highlight'): Promise<void> {
    const before = await this.renderCount();
    // As JSON: the IR's recursive attribute type is too deep for playwright's serialisable-argument typing.
    await this.page.evaluate((json) => window.postMessage(JSON.parse(json), '*'), JSON.stringify(msg));
    if (waitForRender) await this.waitForRender(before);
  }

  renderCount(): Promise<number> {
    return this.page.evaluate(() => (window as unknown as { resnetStudioGraph: { view: { renderCount: number } } }).resnetStudioGraph.view.renderCount);
  }

  /** Waits until the view has painted more than `before` renders and has no render queued. */
  async waitForRender(before: number, timeout = 30_000): Promise<void> {
    await this.page.waitForFunction(
      (b) => {
        const v = (window as unknown as { resnetStudioGraph: { view: { renderCount: number; busy: boolean } } }).resnetStudioGraph.view;
        return v.renderCount > b && !v.busy;
      },
      before,
      { timeout },
    );
  }

  stats(): Promise<{ layers: number; groups: number; collapsed: number; identityEdges: number; projectionEdges: number; padEdges: number; identitySkips: number; projectionSkips: number; padSkips: number }> {
    return this.page.evaluate(() => (window as unknown as { resnetStudioGraph: { view: { stats(): never } } }).resnetStudioGraph.view.stats());
  }

  /** Page coordinates of a drawn node's centre (by view id), or null when it is not drawn. */
  async nodePoint(viewId: string): Promise<{ x: number; y: number } | null> {
    return this.page.evaluate((id) => {
      const cy = (window as unknown as { resnetStudioGraph: { view: { cy: { getElementById(id: string): { empty(): boolean; renderedPosition(): { x: number; y: number } } } } } }).resnetStudioGraph.view.cy;
      const n = cy.getElementById(id);
      if (n.empty()) return null;
      const p = n.renderedPosition();
      const r = document.getElementById('graph')!.getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    }, viewId);
  }

  /** Centres a node in the viewport at a readable zoom, so a pointer event can reach it. */
  async bringIntoView(viewId: string): Promise<void> {
    await this.page.evaluate((id) => {
      const cy = (window as unknown as { resnetStudioGraph: { view: { cy: { getElementById(id: string): unknown; zoom(z: number): void; center(e: unknown): void } } } }).resnetStudioGraph.view.cy;
      cy.zoom(1);
      cy.center(cy.getElementById(id));
    }, viewId);
    await this.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  }

  /** The classes of drawn elements matching a cytoscape selector. */
  classesOf(selector: string): Promise<string[][]> {
    return this.page.evaluate((sel) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const cy = (window as any).resnetStudioGraph.view.cy;
      return cy.$(sel).map((e: { classes(): string[] }) => e.classes()) as string[][];
    }, selector);
  }

  close(): Promise<void> {
    return this.page.close();
  }
}
