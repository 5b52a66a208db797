/**
 * End-to-end harness: a real VS Code workbench (code-server, built by `scripts/setupE2e.sh`)
 * driven in Debian's Chromium through playwright-core.
 *
 * Every wait here is bounded, and every process started here is stopped by its PID (its whole
 * process group, since code-server and Chromium both fork helpers). A process-exit hook kills
 * whatever a crashed test left behind, so a failing suite never leaves servers on the machine.
 *
 * Typical use:
 * ```ts
 * const skip = e2eSkip();
 * test('my extension', { skip, timeout: 120_000 }, async () => {
 *   const wb = await Workbench.start({ folder: copyWorkspace(), vsix: [vsixPath] });
 *   try {
 *     await wb.runCommand('My Extension: Do Thing');
 *     const el = await wb.findInWebviews('#my-element');
 *     assert.equal(await el.textContent(), 'hello');
 *   } finally {
 *     await wb.stop();
 *   }
 * });
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserServer, type Frame, type Locator, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../webviewHarness';

/** The code-server release the suite is pinned to (VS Code 1.100; runs on Node 20). */
export const CODE_SERVER_VERSION = '4.100.3';

/** Repository root, used for artifact paths so they do not depend on the caller's cwd. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/** Where screenshots go; the folder is git-ignored. */
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts', 'e2e');

/** The fixture workspace that end-to-end tests open (copy it first with {@link copyWorkspace}). */
export const WORKSPACE_FIXTURE = join(__dirname, 'workspace');

export { CHROMIUM_ARGS, CHROMIUM_PATH };

/** Folder holding the cached code-server build (same default as `scripts/setupE2e.sh`). */
export function codeServerDir(): string {
  const root = process.env['RESNET_STUDIO_E2E_CACHE'] ?? join(homedir(), '.cache', 'resnet-studio-e2e');
  return join(root, `code-server-${CODE_SERVER_VERSION}`);
}

/** code-server's CLI entry point inside the cache. */
export function codeServerEntry(): string {
  return join(codeServerDir(), 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

/** True when the environment asks for missing tools to be failures rather than skips. */
export function isCi(): boolean {
  const ci = process.env['CI'];
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

/** What is missing for the suite to run, as human-readable lines; empty when all is there. */
export function missingE2eTools(): string[] {
  const missing: string[] = [];
  const marker = join(codeServerDir(), '.complete');
  if (!existsSync(marker) || !existsSync(codeServerEntry())) {
    missing.push(`code-server ${CODE_SERVER_VERSION} is not built at ${codeServerDir()}`);
  }
  if (!existsSync(CHROMIUM_PATH)) missing.push(`Chromium is not installed at ${CHROMIUM_PATH}`);
  return missing;
}

function missingToolsMessage(missing: readonly string[]): string {
  return `${missing.join('; ')}. Run \`bash scripts/setupE2e.sh\` to install them.`;
}

/**
 * The `skip` option for an end-to-end test: a message when tools are missing outside CI, `false`
 * otherwise. Under CI the test is not skipped, so {@link Workbench.start} fails it with the same
 * message instead: missing tools in CI are an error, never a silent pass.
 */
export function e2eSkip(): string | false {
  const missing = missingE2eTools();
  if (missing.length === 0 || isCi()) return false;
  return `${missingToolsMessage(missing)} (With CI=true this is a failure.)`;
}

/** A free TCP port on 127.0.0.1, found by letting the OS pick one and releasing it. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('could not read the port of a probe socket'));
      });
    });
  });
}

/** Copies the fixture workspace (or `source`) to a fresh temp folder, so tests never write into the clone. */
export function copyWorkspace(source: string = WORKSPACE_FIXTURE): string {
  const target = join(mkdtempSync(join(tmpdir(), 'resnet-studio-e2e-ws-')), basename(source));
  cpSync(source, target, { recursive: true });
  return target;
}

/** Result of {@link runBounded}. */
export interface BoundedRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  readonly timedOut: boolean;
}

/** Runs a command to completion with a hard time limit, killing its process group on overrun. */
export async function runBounded(
  command: string,
  args: readonly string[],
  options: { cwd?: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<BoundedRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    liveGroups.add(child.pid ?? -1);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGKILL');
    }, options.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      liveGroups.delete(child.pid ?? -1);
      resolveRun({ code, signal, output, timedOut });
    });
  });
}

/** One row of the Problems panel. */
export interface ProblemEntry {
  readonly severity: 'Error' | 'Warning' | 'Info' | 'Problem';
  readonly message: string;
  /** 1-based, as the panel shows it. */
  readonly line: number;
  /** 1-based, as the panel shows it. */
  readonly column: number;
  /** The `source` of the diagnostic, when it has one. */
  readonly source: string | undefined;
  /** The file name of the resource row the problem sits under. */
  readonly file: string | undefined;
}

/** Options for {@link Workbench.start}. */
export interface WorkbenchOptions {
  /** Folder to open; copy fixtures first (see {@link copyWorkspace}) so tests do not edit the clone. */
  readonly folder: string;
  /** `.vsix` files to install before the workbench starts. They must declare no `extensionDependencies` (offline). */
  readonly vsix?: readonly string[];
  /** User settings, merged over quiet defaults (no welcome page, no update checks, no telemetry). */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Bound on each startup phase: extension install, server start, browser launch, workbench load. Default 60 s. */
  readonly timeoutMs?: number;
  /** Browser viewport. Default 1400×900. */
  readonly viewport?: { readonly width: number; readonly height: number };
}

/** How long startup took, for reports. */
export interface WorkbenchTimings {
  readonly installMs: number;
  readonly serverReadyMs: number;
  readonly browserLaunchMs: number;
  /** From navigation to `.monaco-workbench` being visible. */
  readonly workbenchLoadMs: number;
}

const QUIET_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
};

/** PIDs of process-group leaders started here and not yet stopped; killed on process exit. */
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
});

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined || pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves with `promise`, or rejects with `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM to the group, up to `graceMs` for it to go, then SIGKILL and another bounded wait. */
async function stopGroup(pid: number | undefined, graceMs: number): Promise<void> {
  if (pid === undefined) return;
  killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    killGroup(pid, 'SIGKILL');
    const hardDeadline = Date.now() + 2_000;
    while (isAlive(pid) && Date.now() < hardDeadline) await sleep(50);
  }
  liveGroups.delete(pid);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const MARKER_LABEL = /^(Error|Warning|Info|Problem): ([\s\S]*) at line (\d+) and character (\d+)\.[\s\S]*?(?: generated by ([\s\S]*))?$/;

/**
 * A running workbench: code-server on a free 127.0.0.1 port plus a headless Chromium page on it.
 * Create with {@link Workbench.start}; always {@link Workbench.stop} it in a `finally`.
 */
export class Workbench {
  /** The workbench page; use it directly for anything the helpers do not cover. */
  readonly page: Page;
  /** Base URL of the code-server instance. */
  readonly url: string;
  /** Folder the workbench has open. */
  readonly folder: string;
  /** Scratch folder holding user data, extensions and the server log; deleted by {@link stop}. */
  readonly tempDir: string;
  /** code-server's stdout and stderr, for diagnosing failures. */
  readonly serverLogPath: string;
  readonly timings: WorkbenchTimings;

  private stopped = false;

  private constructor(
    page: Page,
    url: string,
    folder: string,
    tempDir: string,
    timings: WorkbenchTimings,
    private readonly server: ChildProcess,
    private readonly browserServer: BrowserServer,
    private readonly browser: Browser,
  ) {
    this.page = page;
    this.url = url;
    this.folder = folder;
    this.tempDir = tempDir;
    this.serverLogPath = join(tempDir, 'server.log');
    this.timings = timings;
  }

  /**
   * Installs the given `.vsix` files into a fresh extensions folder, starts code-server with a
   * fresh user-data folder, opens `folder` in Chromium and waits for the workbench to render.
   * Throws (after cleaning up) if tools are missing or any phase exceeds `timeoutMs`.
   */
  static async start(options: WorkbenchOptions): Promise<Workbench> {
    const missing = missingE2eTools();
    if (missing.length > 0) throw new Error(missingToolsMessage(missing));
    const timeoutMs = options.timeoutMs ?? 60_000;
    const tempDir = mkdtempSync(join(tmpdir(), 'resnet-studio-e2e-'));
    const userData = join(tempDir, 'user-data');
    const extensions = join(tempDir, 'extensions');
    const config = join(tempDir, 'config.yaml');
    mkdirSync(join(userData, 'User'), { recursive: true });
    mkdirSync(extensions, { recursive: true });
    writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...options.settings }, null, 2));
    // An explicit empty config keeps code-server from creating one (with a password) in $HOME.
    writeFileSync(config, '');
    const common = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensions];

    let server: ChildProcess | undefined;
    let browserServer: BrowserServer | undefined;
    let browser: Browser | undefined;
    try {
      let t = Date.now();
      for (const vsix of options.vsix ?? []) {
        const run = await runBounded(process.execPath, [codeServerEntry(), ...common, '--force', '--install-extension', resolve(vsix)], {
          timeoutMs,
        });
        if (run.code !== 0 || !/successfully installed/i.test(run.output)) {
          throw new Error(`installing ${vsix} failed${run.timedOut ? ' (timed out)' : ''}:\n${run.output}`);
        }
      }
      const installMs = Date.now() - t;

      t = Date.now();
      const port = await findFreePort();
      const url = `http://127.0.0.1:${port}`;
      const logFd = openSync(join(tempDir, 'server.log'), 'a');
      server = spawn(
        process.execPath,
        [
          codeServerEntry(),
          ...common,
          '--auth', 'none',
          '--bind-addr', `127.0.0.1:${port}`,
          '--disable-telemetry',
          '--disable-update-check',
          '--disable-workspace-trust',
          '--disable-getting-started-override',
          '--ignore-last-opened',
          options.folder,
        ],
        { stdio: ['ignore', logFd, logFd], detached: true, env: { ...process.env, PASSWORD: undefined, HASHED_PASSWORD: undefined } },
      );
      closeSync(logFd);
      liveGroups.add(server.pid ?? -1);
      await waitForHealthy(url, server, timeoutMs, join(tempDir, 'server.log'));
      const serverReadyMs = Date.now() - t;

      t = Date.now();
      browserServer = await chromium.launchServer({
        executablePath: CHROMIUM_PATH,
        args: [...CHROMIUM_ARGS],
        headless: true,
        host: '127.0.0.1',
        timeout: timeoutMs,
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
      liveGroups.add(browserServer.process().pid ?? -1);
      browser = await chromium.connect(browserServer.wsEndpoint(), { timeout: timeoutMs });
      const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 900 } });
      context.setDefaultTimeout(timeoutMs);
      context.setDefaultNavigationTimeout(timeoutMs);
      const page = await context.newPage();
      const browserLaunchMs = Date.now() - t;

      t = Date.now();
      await page.goto(`${url}/?folder=${encodeURIComponent(options.folder)}`, { timeout: timeoutMs, waitUntil: 'domcontentloaded' });
      await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
      const workbenchLoadMs = Date.now() - t;

      return new Workbench(page, url, options.folder, tempDir, { installMs, serverReadyMs, browserLaunchMs, workbenchLoadMs }, server, browserServer, browser);
    } catch (err) {
      await shutdown(server, browserServer, browser);
      const log = readTail(join(tempDir, 'server.log'));
      rmSync(tempDir, { recursive: true, force: true });
      if (err instanceof Error && log) err.message += `\n--- code-server log (tail) ---\n${log}`;
      throw err;
    }
  }

  /**
   * Runs a command by its palette title (e.g. `'Harness Probe: Open Panel'`): F1, type the title,
   * Enter. Retries with a fresh palette until the title appears, because commands contributed by
   * an extension show up only once the extension host has registered them.
   */
  async runCommand(title: string, timeoutMs = 30_000): Promise<void> {
    const exact = new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`);
    const deadline = Date.now() + timeoutMs;
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    const row = this.page
      .locator('.quick-input-widget .quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: exact }) })
      .first();
    for (;;) {
      await this.page.keyboard.press('Escape');
      await this.page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: remaining(deadline, `command palette for "${title}"`) });
      await input.fill(`>${title}`);
      try {
        await row.waitFor({ state: 'visible', timeout: Math.min(3_000, remaining(deadline, `command "${title}" in the palette`)) });
        break;
      } catch (err) {
        if (Date.now() >= deadline) throw new Error(`command "${title}" never appeared in the palette within ${timeoutMs} ms`, { cause: err });
      }
    }
    if ((await row.getAttribute('class'))?.split(/\s+/).includes('focused')) await this.page.keyboard.press('Enter');
    else await row.click({ timeout: remaining(deadline, `clicking "${title}"`) });
    // Accepted once the palette closes or its text changes (a command may open a quick pick of its own).
    const widget = this.page.locator('.quick-input-widget');
    while ((await widget.isVisible()) && (await input.inputValue().catch(() => '')) === `>${title}`) {
      remaining(deadline, `the palette accepting "${title}"`);
      await sleep(50);
    }
  }

  /**
   * Opens a workspace file through Quick Open ("Go to File...") and waits for its editor tab to
   * be active. `relativePath` is relative to the open folder.
   */
  async openFile(relativePath: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const name = basename(relativePath);
    await this.runCommand('Go to File...', remaining(deadline, `Go to File for ${relativePath}`));
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: remaining(deadline, 'quick open input') });
    await input.fill(relativePath);
    const row = this.page
      .locator('.quick-input-widget .quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(name)}\\s*$`) }) })
      .first();
    await row.waitFor({ state: 'visible', timeout: remaining(deadline, `${relativePath} in quick open`) });
    await row.click({ timeout: remaining(deadline, `clicking ${relativePath}`) });
    await this.page
      .locator('.tabs-container .tab.active', { hasText: name })
      .first()
      .waitFor({ state: 'visible', timeout: remaining(deadline, `editor tab for ${relativePath}`) });
  }

  /**
   * Opens the Problems panel and reads the rows it currently renders. The panel is a virtual
   * list, so only rows in view are returned: keep fixtures small enough to fit.
   */
  async problems(timeoutMs = 15_000): Promise<ProblemEntry[]> {
    const deadline = Date.now() + timeoutMs;
    const panel = this.page.locator('.markers-panel');
    if (!(await panel.isVisible())) {
      await this.runCommand('Problems: Focus on Problems View', remaining(deadline, 'opening Problems'));
      await panel.waitFor({ state: 'visible', timeout: remaining(deadline, 'Problems panel') });
    }
    const rows = await panel.locator('.monaco-list-row').evaluateAll((elements) =>
      elements.map((e) => ({
        aria: e.getAttribute('aria-label') ?? '',
        resource: e.querySelector('.label-name')?.textContent ?? '',
        isMarker: e.querySelector('.marker-line') !== null,
      })),
    );
    const entries: ProblemEntry[] = [];
    let file: string | undefined;
    for (const r of rows) {
      if (!r.isMarker) {
        if (r.resource) file = r.resource.trim();
        continue;
      }
      const m = MARKER_LABEL.exec(r.aria.trim());
      if (!m) continue;
      entries.push({
        severity: m[1] as ProblemEntry['severity'],
        message: m[2] ?? '',
        line: Number(m[3]),
        column: Number(m[4]),
        source: m[5]?.trim() || undefined,
        file,
      });
    }
    return entries;
  }

  /** Polls {@link problems} until one entry satisfies `predicate`; throws with what was seen otherwise. */
  async waitForProblem(predicate: (p: ProblemEntry) => boolean, timeoutMs = 30_000): Promise<ProblemEntry> {
    const deadline = Date.now() + timeoutMs;
    let seen: ProblemEntry[] = [];
    while (Date.now() < deadline) {
      seen = await this.problems(Math.max(1, deadline - Date.now()));
      const hit = seen.find(predicate);
      if (hit) return hit;
      await sleep(250);
    }
    throw new Error(`no matching problem within ${timeoutMs} ms; Problems showed: ${JSON.stringify(seen)}`);
  }

  /**
   * Finds an element inside any webview. Webview content sits two iframes deep, and frames come
   * and go as panels open, so every frame of the page is searched until one has a match.
   * Returns a locator scoped to that frame.
   */
  async findInWebviews(selector: string, timeoutMs = 30_000): Promise<Locator> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const frame of this.page.frames()) {
        if (frame === this.page.mainFrame() || frame.isDetached()) continue;
        if (await frameHas(frame, selector)) return frame.locator(selector);
      }
      await sleep(200);
    }
    throw new Error(`no webview frame contained ${selector} within ${timeoutMs} ms (frames: ${this.page.frames().map((f) => f.url() || f.name()).join(', ')})`);
  }

  /** Saves a PNG of the page as `test-artifacts/e2e/<name>.png` and returns its path. */
  async screenshot(name: string): Promise<string> {
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const path = join(ARTIFACTS_DIR, `${name.replace(/[^\w.-]+/g, '_')}.png`);
    await this.page.screenshot({ path, timeout: 15_000 });
    return path;
  }

  /** Last lines of code-server's log, for failure messages. */
  serverLog(): string {
    return readTail(this.serverLogPath);
  }

  /** Closes the browser and stops code-server by PID (process groups, bounded waits), then deletes the scratch folder. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await shutdown(this.server, this.browserServer, this.browser);
    rmSync(this.tempDir, { recursive: true, force: true });
  }
}

function remaining(deadline: number, what: string): number {
  const left = deadline - Date.now();
  if (left <= 0) throw new Error(`timed out: ${what}`);
  return left;
}

async function frameHas(frame: Frame, selector: string): Promise<boolean> {
  try {
    return (await within(frame.$(selector), 2_000, `probing a frame for ${selector}`)) !== null;
  } catch {
    return false; // detached or navigating while probed
  }
}

async function waitForHealthy(url: string, server: ChildProcess, timeoutMs: number, logPath: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`code-server exited (${server.exitCode ?? server.signalCode}) before it was ready:\n${readTail(logPath)}`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs} ms`);
}

async function shutdown(server: ChildProcess | undefined, browserServer: BrowserServer | undefined, browser: Browser | undefined): Promise<void> {
  const browserPid = browserServer?.process().pid;
  if (browser) await within(browser.close(), 5_000, 'closing the browser').catch(() => undefined);
  if (browserServer) await within(browserServer.close(), 5_000, 'closing the browser server').catch(() => undefined);
  await stopGroup(browserPid, 3_000);
  await stopGroup(server?.pid, 5_000);
}

function readTail(path: string, lines = 40): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
