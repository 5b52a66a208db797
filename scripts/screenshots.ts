/**
 * `npm run screenshots`: the README's pictures, taken from the packaged extension in a real workbench (the
 * end-to-end harness, test/e2e/workbench.ts), so they show what the extension does today and are retaken
 * with one command whenever it changes:
 *
 * - `media/screenshots/graph-beside-code.png`: the tutorial ResNetBlock (the e2e fixture) with its squiggle
 *   and hover on `x += identity`, and its graph beside the code;
 * - `media/screenshots/training-metrics.png`: the live metrics panel while a tiny TF.js run trains.
 *
 * Each is reduced to a 256-colour palette PNG (upng-js, pure JavaScript) so the repository and the
 * Marketplace page stay light; the script fails when a picture comes out larger than {@link MAX_BYTES}.
 * `npm run screenshots` packages dist/resnet-studio.vsix first.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import UPNG from 'upng-js';
import { REPO_ROOT, Workbench, copyWorkspace, missingE2eTools } from '../test/e2e/workbench';

const VSIX = join(REPO_ROOT, 'dist', 'resnet-studio.vsix');
const OUT_DIR = join(REPO_ROOT, 'media', 'screenshots');
/** Colours in the palette: text and the graph's few hues survive; gradients band a little, which is fine here. */
const COLOURS = 256;
/** A picture larger than this means something unexpected is on screen (or the palette failed). */
const MAX_BYTES = 250 * 1024;
/** The Marketplace shows README images at most about this wide; a larger window only shrinks the text. */
const VIEWPORT = { width: 1280, height: 820 };
const SETTINGS = {
  'workbench.colorTheme': 'Default Dark Modern',
  'editor.minimap.enabled': false,
  'editor.fontSize': 14,
  // The hover opens below the line, so the block it explains stays in view; no sticky header over the code.
  'editor.hover.above': false,
  'editor.stickyScroll.enabled': false,
  'breadcrumbs.enabled': false,
  'workbench.editor.enablePreview': false,
  'window.commandCenter': false,
  'workbench.layoutControl.enabled': false,
  'chat.commandCenter.enabled': false,
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value, or throws with `what` after `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** The text of the first element matching `selector` in any webview, once `ok` holds for it. */
async function webviewText(wb: Workbench, selector: string, ok: (text: string) => boolean, what: string, timeoutMs = 60_000): Promise<string> {
  return until(
    what,
    async () => {
      const el = await wb.findInWebviews(selector, 2_000);
      const text = (await el.first().textContent({ timeout: 1_000 })) ?? '';
      return ok(text) ? text : undefined;
    },
    timeoutMs,
  );
}

/** Writes the page as a palette PNG under media/screenshots and returns its size in bytes. */
async function save(wb: Workbench, name: string): Promise<number> {
  const raw = await wb.page.screenshot({ timeout: 15_000 });
  const img = UPNG.decode(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer);
  const rgba = UPNG.toRGBA8(img);
  const png = Buffer.from(UPNG.encode(rgba, img.width, img.height, COLOURS));
  mkdirSync(OUT_DIR, { recursive: true });
  const path = join(OUT_DIR, `${name}.png`);
  writeFileSync(path, png);
  console.log(`${path}: ${img.width}×${img.height}, ${(raw.length / 1024).toFixed(0)} kB as taken, ${(png.length / 1024).toFixed(0)} kB with ${COLOURS} colours`);
  if (png.length > MAX_BYTES) throw new Error(`${name}.png is ${(png.length / 1024).toFixed(0)} kB, over the ${MAX_BYTES / 1024} kB limit`);
  return png.length;
}

/** Moves the pointer to the empty end of the tab bar, where it raises no tooltip and hides no hover. */
async function parkMouse(wb: Workbench): Promise<void> {
  await wb.page.mouse.move(VIEWPORT.width * 0.6, 17);
}

/** Puts the cursor on the `+` of `x += identity` and opens the hover there (the diagnostic and the layer's shapes). */
async function hoverOnAdd(wb: Workbench, rel: string): Promise<void> {
  const lines = readFileSync(join(wb.folder, rel), 'utf8').split('\n');
  const line = lines.findIndex((l) => l.trim() === 'x += identity') + 1;
  if (line === 0) throw new Error(`${rel} has no \`x += identity\` line`);
  await wb.runCommand('Go to Line/Column...');
  await wb.page.keyboard.type(`${line}:${lines[line - 1]!.indexOf('+') + 1}`);
  await wb.page.keyboard.press('Enter');
  // Go to Line centres the line; scrolling back up (the cursor stays) shows the block from its class line.
  for (let i = 0; i < 20; i++) await wb.page.keyboard.press('Control+ArrowUp');
  const hover = wb.page.locator('.monaco-hover:not(.hidden)').first();
  await until('the hover with the residual-add error and the add layer', async () => {
    if (!(await hover.isVisible())) {
      await wb.runCommand('Show or Focus Hover');
      await hover.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => undefined);
    }
    const text = await hover.innerText({ timeout: 1_000 });
    return /residual add/.test(text) && /→ output/.test(text) ? text : undefined;
  });
}

async function graphBesideCode(wb: Workbench): Promise<void> {
  const rel = 'editor/tutorial_block.py';
  await wb.openFile(rel);
  await wb.page.locator('.monaco-editor .squiggly-error').first().waitFor({ state: 'visible', timeout: 60_000 });
  await wb.runCommand('ResNet Studio: Show Graph');
  await webviewText(wb, '#status', (t) => /ResNetBlock/.test(t) && /error/.test(t), 'the graph of ResNetBlock with its error');
  // The graph opens beside the code; the code's group gets more room, since its lines are long and the hover
  // sits there, and the graph of one block is narrow.
  await wb.page.locator('.tabs-container .tab', { hasText: 'tutorial_block.py' }).first().click();
  for (let i = 0; i < 3; i++) await wb.runCommand('Increase Editor Width');
  await parkMouse(wb);
  await hoverOnAdd(wb, rel);
  await sleep(500);
  await save(wb, 'graph-beside-code');
  await wb.page.keyboard.press('Escape');
}

/**
 * Starts a short TF.js run of the tiny design on synthetic data: every question of Train Model… is answered
 * with its first (default) choice, except the hyperparameters, which are set small enough to finish in
 * well under a minute with the pure-JavaScript backend.
 */
async function startTinyRun(wb: Workbench, rel: string): Promise<void> {
  await wb.openFile(rel);
  await wb.runCommand('ResNet Studio: Train Model…');
  const widget = wb.page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  const title = widget.locator('.quick-input-title');
  let answered = 0;
  await until(
    'Train Model… to start the run',
    async () => {
      if (await wb.findInWebviews('#progress', 500).then(() => true, () => false)) return true;
      if (!(await widget.isVisible())) return undefined;
      const heading = (await title.textContent({ timeout: 1_000 })) ?? '';
      if (/hyperparameters/i.test(heading)) await input.fill('epochs=8 batch=16 lr=0.05 optimizer=sgd schedule=cosine val=0.2 size=256 detach=false');
      await wb.page.keyboard.press('Enter');
      answered++;
      await sleep(400);
      return undefined;
    },
    120_000,
  );
  console.log(`Train Model… answered ${answered} questions`);
}

async function trainingMetrics(wb: Workbench): Promise<void> {
  const rel = 'designs/tiny-resnet.resnet.json';
  copyFileSync(join(REPO_ROOT, 'examples', 'tiny-resnet.resnet.json'), join(wb.folder, rel));
  await wb.runCommand('View: Close All Editors');
  await startTinyRun(wb, rel);
  // The panel alone fills the window: the design is not what this picture is about. (Commands run from the
  // design's editor: keys typed while the webview has focus go to the webview.)
  await wb.page.locator('.tabs-container .tab', { hasText: 'tiny-resnet.resnet.json' }).first().click();
  await wb.runCommand('View: Close Editor');
  await wb.page.locator('.tabs-container .tab', { hasText: 'tiny-resnet.resnet.json' }).first().waitFor({ state: 'detached', timeout: 10_000 });
  await parkMouse(wb);
  // Live: well into the run, with a few epochs on every chart; a run that finishes first is taken finished.
  await until(
    'the run two-thirds through or done',
    async () => {
      const bar = await wb.findInWebviews('#progress', 2_000);
      const done = Number((await bar.first().getAttribute('aria-valuenow', { timeout: 1_000 })) ?? 0);
      const status = ((await (await wb.findInWebviews('#run-status', 2_000)).first().textContent({ timeout: 1_000 })) ?? '').trim();
      return done >= 65 || /complet|finish|fail|stop/i.test(status) ? true : undefined;
    },
    240_000,
  );
  await sleep(800);
  await save(wb, 'training-metrics');
}

async function main(): Promise<void> {
  const missing = missingE2eTools();
  if (missing.length) throw new Error(`${missing.join('; ')}. Run \`bash scripts/setupE2e.sh\` first.`);
  if (!existsSync(VSIX)) throw new Error(`${VSIX} is missing: run \`npm run package\` (npm run screenshots does it first)`);
  const folder = copyWorkspace();
  const wb = await Workbench.start({ folder, vsix: [VSIX], settings: SETTINGS, viewport: VIEWPORT });
  try {
    // The sidebar only takes room from the two pictures' subjects (the panel starts hidden).
    await wb.runCommand('View: Close Primary Side Bar');
    await graphBesideCode(wb);
    await trainingMetrics(wb);
  } catch (err) {
    await wb.screenshot('screenshots-failure').catch(() => undefined);
    console.error(`--- code-server log (tail) ---\n${wb.serverLog()}`);
    throw err;
  } finally {
    await wb.stop();
    rmSync(join(folder, '..'), { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
