// The packaged extension in a real workbench (code-server + Chromium, see workbench.ts): problems appear at
// the right line, a quick fix removes them (and undo brings them back), and "Show Graph" draws the model.
// `npm run test:e2e` packages dist/resnet-studio.vsix before running this file.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { IrGraph } from '../../src/core/ir';
import { analyzeText } from '../../src/frontends';
import { applyEdits } from '../../src/host/quickFixes';
import { toZeroBased } from '../../src/host/ranges';
import { REPO_ROOT, type ProblemEntry, Workbench, copyWorkspace, e2eSkip } from './workbench';

const VSIX = join(REPO_ROOT, 'dist', 'resnet-studio.vsix');
const SOURCE = 'ResNet Studio';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The expected problems of a fixture, from the same analysis the extension runs. */
function expectedErrors(folder: string, rel: string) {
  const file = join(folder, rel);
  const a = analyzeText(file, readFileSync(file, 'utf8'));
  return { analysis: a, errors: a.diagnostics.filter((d) => d.severity === 'error') };
}

async function ours(wb: Workbench, file: string): Promise<ProblemEntry[]> {
  return (await wb.problems()).filter((p) => p.source === SOURCE && p.file === file);
}

/** Polls until the Problems panel shows no error of ours for `file`. */
async function waitForNoErrors(wb: Workbench, file: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen: ProblemEntry[] = [];
  while (Date.now() < deadline) {
    seen = (await ours(wb, file)).filter((p) => p.severity === 'Error');
    if (seen.length === 0) return;
    await sleep(250);
  }
  throw new Error(`errors still shown for ${file}: ${JSON.stringify(seen)}`);
}

/** Clicks the problem's row (which puts the cursor on it), opens Quick Fix and picks the action titled `title`. */
async function applyQuickFix(wb: Workbench, problem: ProblemEntry, title: string): Promise<void> {
  const row = wb.page.locator('.markers-panel .monaco-list-row', { hasText: problem.message.slice(0, 40) }).first();
  await row.click({ timeout: 10_000 });
  await wb.page.keyboard.press('Enter');
  await wb.page.locator('.monaco-editor.focused').first().waitFor({ state: 'visible', timeout: 10_000 });
  await wb.page.keyboard.press('Control+Period');
  const action = wb.page.locator('.action-widget').getByText(title, { exact: true }).first();
  await action.waitFor({ state: 'visible', timeout: 15_000 });
  // The menu blocks pointer events while it opens; choose with the keyboard like a user would.
  const focused = wb.page.locator('.action-widget .monaco-list-row.focused');
  for (let i = 0; i < 10; i++) {
    if ((await focused.textContent({ timeout: 2_000 }).catch(() => ''))?.includes(title)) {
      await wb.page.keyboard.press('Enter');
      return;
    }
    await wb.page.keyboard.press('ArrowDown');
  }
  throw new Error(`the quick fix "${title}" could not be selected`);
}

/** The status line of the graph webview once it shows a model with `layers` (e.g. ` 22 layers `) in it. */
async function graphStatus(wb: Workbench, layers: string, timeoutMs = 45_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    // Frames come and go as panels open and close: look the status up again on every poll.
    const status = await wb.findInWebviews('#status', Math.max(1, deadline - Date.now())).catch(async (err: unknown) => {
      // Say what the page shows instead (the host renders a message when the page cannot be built).
      const shown = await Promise.all(wb.page.frames().filter((f) => f !== wb.page.mainFrame()).map((f) => f.locator('body').innerText({ timeout: 1_000 }).catch(() => '')));
      const why = shown.find((t) => /could not be built/.test(t));
      throw why ? new Error(`the graph webview shows: ${why.trim()}`, { cause: err }) : err;
    });
    text = (await status.textContent().catch(() => '')) ?? '';
    if (text.includes(layers)) return text;
    await sleep(200);
  }
  throw new Error(`the graph never showed "${layers.trim()}"; its status was "${text}"`);
}

/** How the graph's status line counts shortcuts, e.g. `1 identity + 1 projection shortcuts` (`+ 2 pad` for option A). */
function shortcutText(g: IrGraph): string {
  const n = (kind: string) => g.skips.filter((k) => k.kind === kind).length;
  return `${n('identity')} identity + ${n('projection')} projection${n('pad') ? ` + ${n('pad')} pad` : ''} shortcuts`;
}

interface Case {
  /** File inside the fixture workspace. */
  rel: string;
  /** Also undo the fix and see the error return. */
  undo: boolean;
}

/**
 * One model file through the whole loop: its error in Problems at the right line and column, "Show Graph"
 * with the analysed layer count, the quick fix clearing the error (and the graph following the edit).
 */
async function modelFileLoop(wb: Workbench, t: TestContext, c: Case): Promise<void> {
  const name = basename(c.rel);
  const tag = name.replace(/\..*$/, '');
  const { analysis, errors } = expectedErrors(wb.folder, c.rel);
  assert.equal(errors.length, 1, `${c.rel} has exactly one error`);
  const expected = errors[0]!;
  assert.ok(expected.fixes?.length, `${c.rel}: the error has a quick fix`);

  await wb.runCommand('View: Close All Editors');
  await wb.openFile(c.rel);
  const problem = await wb.waitForProblem((p) => p.source === SOURCE && p.file === name && p.severity === 'Error', 45_000);
  assert.equal(problem.line, expected.line);
  assert.equal(problem.column, expected.column);
  assert.equal(problem.message, expected.message);
  await wb.screenshot(`${tag}-problem`);

  await wb.runCommand('ResNet Studio: Show Graph');
  const layers = analysis.graph!.nodes.filter((n) => n.op !== 'input').length;
  const status = await graphStatus(wb, ` ${layers} layers `);
  assert.ok(status.includes(shortcutText(analysis.graph!)), `${status} should count ${shortcutText(analysis.graph!)}`);
  assert.match(status, /1 error/, status);
  await wb.screenshot(`${tag}-graph`);

  await applyQuickFix(wb, problem, expected.fixes![0]!.title);
  await waitForNoErrors(wb, name);
  const fixedText = applyEdits(readFileSync(join(wb.folder, c.rel), 'utf8'), expected.fixes![0]!.edits.map((e) => ({ range: toZeroBased(e.range), newText: e.newText })));
  const fixed = analyzeText(join(wb.folder, c.rel), fixedText);
  assert.deepEqual(fixed.diagnostics.filter((d) => d.severity !== 'information'), [], 'the fixed text analyses clean');
  const fixedLayers = fixed.graph!.nodes.filter((n) => n.op !== 'input').length;
  const after = await graphStatus(wb, ` ${fixedLayers} layers `);
  assert.doesNotMatch(after, /error/, after);
  assert.ok(after.includes(shortcutText(fixed.graph!)), `${after} should count ${shortcutText(fixed.graph!)}`);
  await wb.screenshot(`${tag}-fixed`);
  t.diagnostic(`${c.rel}: ${layers} layers with the error, ${fixedLayers} after the fix`);

  if (c.undo) {
    // The fix was one WorkspaceEdit: a single undo restores the error.
    await wb.page.locator('.monaco-editor .view-lines').first().click();
    await wb.page.keyboard.press('Control+Z');
    await wb.waitForProblem((p) => p.source === SOURCE && p.file === name && p.line === expected.line && p.severity === 'Error', 20_000);
  }
}

/** Clicking a node reveals its source; moving the cursor selects the node built on that line. */
async function revealAndHighlight(wb: Workbench, rel: string): Promise<void> {
  const { analysis } = expectedErrors(wb.folder, rel);
  const page = await wb.findInWebviews('#status');
  const fc = analysis.graph!.nodes.find((n) => n.name === 'fc')!;
  await page.evaluate((_el, id) => {
    const g = (globalThis as unknown as { resnetStudioGraph: { view: { cy: { nodes(): { filter(f: (n: { data(k: string): unknown }) => boolean): { emit(e: string): void } } } } } }).resnetStudioGraph;
    g.view.cy.nodes().filter((n) => n.data('irId') === id).emit('tap');
  }, fc.id);
  await wb.page.locator('.statusbar-item', { hasText: `Ln ${fc.source!.line}, Col ${fc.source!.column}` }).first().waitFor({ state: 'visible', timeout: 15_000 });

  const conv1 = analysis.graph!.nodes.find((n) => n.name === 'conv1')!;
  await wb.runCommand('Go to Line/Column...');
  await wb.page.keyboard.type(String(conv1.source!.line));
  await wb.page.keyboard.press('Enter');
  const deadline = Date.now() + 15_000;
  let selected: string[] = [];
  while (Date.now() < deadline) {
    selected = await page.evaluate(() => {
      const g = (globalThis as unknown as { resnetStudioGraph: { view: { cy: { $(s: string): { map<T>(f: (n: { data(k: string): unknown }) => T): T[] } } } } }).resnetStudioGraph;
      return g.view.cy.$(':selected').map((n) => String(n.data('irId')));
    });
    if (selected.includes(conv1.id)) break;
    await sleep(200);
  }
  assert.deepEqual(selected, [conv1.id], 'the cursor on the conv1 line selects conv1 in the graph');
  await wb.screenshot('highlight');
}

test('extension in a real workbench', { skip: e2eSkip(), timeout: 420_000 }, async (t) => {
  assert.ok(existsSync(VSIX), `${VSIX} is missing: run \`npm run package\` (npm run test:e2e does it first)`);
  const folder = copyWorkspace();
  // The tutorial-style block under test is the shared PyTorch fixture, so the e2e and unit tests judge the same file.
  mkdirSync(join(folder, 'pytorch'), { recursive: true });
  copyFileSync(join(REPO_ROOT, 'test/fixtures/pytorch/broken_missing_downsample.py'), join(folder, 'pytorch', 'tutorial_block.py'));
  const wb = await Workbench.start({ folder, vsix: [VSIX] });
  t.diagnostic(JSON.stringify(wb.timings));
  const failed: string[] = [];
  const step = async (name: string, fn: (st: TestContext) => Promise<void>): Promise<void> => {
    await t.test(name, async (st) => {
      try {
        await fn(st);
      } catch (err) {
        failed.push(name);
        await wb.screenshot(`failure-${name.replace(/\W+/g, '-')}`).catch(() => undefined);
        throw err;
      }
    });
  };
  try {
    await step('design: wrong in_features, quick fix, undo, reveal and highlight', async (st) => {
      await modelFileLoop(wb, st, { rel: 'resnet/wrong-fc.resnet.json', undo: true });
      await revealAndHighlight(wb, 'resnet/wrong-fc.resnet.json');
    });
    await step('graph: SVG export through the save dialog, panel restored after a reload', async () => {
      const layers = ` ${expectedErrors(wb.folder, 'resnet/wrong-fc.resnet.json').analysis.graph!.nodes.length - 1} layers `;
      const target = join(wb.folder, 'resnet', 'wrong-fc.graph.svg');
      await (await wb.findInWebviews('#export-svg')).click();
      // The save dialog proposes <model>.graph.svg next to the file; accept it.
      const input = wb.page.locator('.quick-input-widget .quick-input-box input');
      await input.waitFor({ state: 'visible', timeout: 15_000 });
      // The dialog shows the folder first and fills in the proposed name a moment later.
      const proposed = Date.now() + 10_000;
      while (!/\.svg$/.test(await input.inputValue()) && Date.now() < proposed) await sleep(100);
      assert.match(await input.inputValue(), /wrong-fc\.graph\.svg$/);
      await wb.page.keyboard.press('Enter');
      const deadline = Date.now() + 15_000;
      while (!existsSync(target) && Date.now() < deadline) await sleep(200);
      const svg = readFileSync(target, 'utf8');
      assert.match(svg, /^(<\?xml[^>]*>\s*)?<svg[\s>]/);

      await wb.runCommand('Developer: Reload Window');
      await wb.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
      await wb.page.locator('.tabs-container .tab', { hasText: 'Graph: wrong-fc.resnet.json' }).first().waitFor({ state: 'visible', timeout: 30_000 });
      await graphStatus(wb, layers, 60_000);
      await wb.screenshot('restored-graph');
    });
    await step('side panel: the graph view and the outline follow the active editor', async () => {
      await wb.runCommand('View: Close All Editors');
      await wb.openFile('resnet/wrong-fc.resnet.json');
      await wb.runCommand('ResNet Studio: Focus on Graph View');
      const design = expectedErrors(wb.folder, 'resnet/wrong-fc.resnet.json').analysis.graph!;
      await graphStatus(wb, ` ${design.nodes.length - 1} layers `);
      const outline = wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: 'Model Outline' }) });
      const outlineRow = (label: string) => outline.locator('.monaco-list-row', { hasText: new RegExp(`^${label}[A-Z]`) }).first();
      await outlineRow('layer2').waitFor({ state: 'visible', timeout: 15_000 });
      await wb.openFile('pytorch/tutorial_block.py');
      const net = expectedErrors(wb.folder, 'pytorch/tutorial_block.py').analysis.graph!;
      await graphStatus(wb, ` ${net.nodes.length - 1} layers `);
      await outlineRow('blocks').waitFor({ state: 'visible', timeout: 15_000 });
      assert.equal(await outlineRow('layer2').count(), 0, 'the outline no longer shows the design');
      await wb.screenshot('side-panel');
    });
    await step('PyTorch: tutorial block whose identity_downsample is never applied', async (st) => {
      await modelFileLoop(wb, st, { rel: 'pytorch/tutorial_block.py', undo: false });
    });
  } finally {
    if (failed.length) t.diagnostic(`--- code-server log (tail) ---\n${wb.serverLog()}`);
    await wb.stop();
    rmSync(join(folder, '..'), { recursive: true, force: true });
  }
});
