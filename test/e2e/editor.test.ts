// The editor experience a new user meets, in a real workbench (code-server + Chromium, see workbench.ts):
// Problems lists every model's errors, the tutorial block's bug has a fix that clears it, the input shape and
// the model are the ones a user means, and designs copied into a workspace behave. Each step leaves a
// screenshot under test-artifacts/e2e/. `npm run package` builds dist/resnet-studio.vsix first.
// E2E_STEPS=1,2 runs only the steps whose names start with those numbers (to iterate on one of them).
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { Locator } from 'playwright-core';
import { REPO_ROOT, type ProblemEntry, Workbench, copyWorkspace, e2eSkip } from './workbench';

const VSIX = join(REPO_ROOT, 'dist', 'resnet-studio.vsix');
const SOURCE = 'ResNet Studio';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ONLY = process.env.E2E_STEPS?.split(',').map((s) => s.trim());

/** Polls Problems until `ok` holds for our entries of `file`; fails with what was shown. */
async function waitForProblems(wb: Workbench, file: string, what: string, ok: (p: ProblemEntry[]) => boolean, timeoutMs = 45_000): Promise<ProblemEntry[]> {
  const deadline = Date.now() + timeoutMs;
  let seen: ProblemEntry[] = [];
  while (Date.now() < deadline) {
    seen = (await wb.problems().catch(() => [])).filter((p) => p.source === SOURCE && p.file === file);
    if (ok(seen)) return seen;
    await sleep(250);
  }
  throw new Error(`Problems never showed ${what} for ${file}; it showed ${JSON.stringify(seen)}`);
}

const errorLines = (p: ProblemEntry[]): number[] => p.filter((x) => x.severity === 'Error').map((x) => x.line).sort((a, b) => a - b);

/** The CodeLens of the editor whose text matches, e.g. `Show graph` (the n-th one in the file). */
function codeLens(wb: Workbench, text: string | RegExp, nth = 0): Locator {
  return wb.page.locator('.monaco-editor .codelens-decoration a', { hasText: text }).nth(nth);
}

/**
 * Clicks the "Show graph" CodeLens of the model whose lens row starts with `model` until the graph shows it: a
 * lens row is redrawn whenever an analysis lands, and a click on the row being replaced is lost.
 */
async function showGraphFromLens(wb: Workbench, model: string, rel: string): Promise<void> {
  const link = wb.page.locator('.monaco-editor .codelens-decoration', { hasText: new RegExp(`^${model} · `) }).first().locator('a', { hasText: 'Show graph' });
  // Known flake, not understood yet: now and then the workbench draws no CodeLens (nor inlay hints) for a file
  // opened while Problems is focused; opening the file again asks the providers again.
  if (!(await link.waitFor({ state: 'visible', timeout: 15_000 }).then(() => true, () => false))) {
    await wb.runCommand('View: Close All Editors');
    await wb.openFile(rel);
  }
  for (let i = 0; ; i++) {
    await link.click({ timeout: 45_000 });
    try {
      await graphStatus(wb, new RegExp(`^${model} · `), 10_000);
      return;
    } catch (err) {
      if (i === 2) throw err;
    }
  }
}

/** The graph page's status line once it contains `text`. */
async function graphStatus(wb: Workbench, text: string | RegExp, timeoutMs = 45_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    const status = await wb.findInWebviews('#status', Math.max(1, deadline - Date.now()));
    seen = (await status.textContent().catch(() => '')) ?? '';
    if (typeof text === 'string' ? seen.includes(text) : text.test(seen)) return seen;
    await sleep(200);
  }
  throw new Error(`the graph status never showed ${String(text)}; it was "${seen}"`);
}

/** Clicks the problem's row (which puts the cursor on it), opens Quick Fix and picks the action titled `title`. */
async function applyQuickFix(wb: Workbench, problem: ProblemEntry, title: string): Promise<string[]> {
  const row = wb.page.locator('.markers-panel .monaco-list-row', { hasText: problem.message.slice(0, 40) }).first();
  await row.click({ timeout: 10_000 });
  await wb.page.keyboard.press('Enter');
  await wb.page.locator('.monaco-editor.focused').first().waitFor({ state: 'visible', timeout: 10_000 });
  await wb.page.keyboard.press('Control+Period');
  const action = wb.page.locator('.action-widget').getByText(title, { exact: true }).first();
  await action.waitFor({ state: 'visible', timeout: 15_000 });
  const offered = (await wb.page.locator('.action-widget .monaco-list-row').allTextContents()).map((x) => x.trim());
  const focused = wb.page.locator('.action-widget .monaco-list-row.focused');
  for (let i = 0; i < 10; i++) {
    if ((await focused.textContent({ timeout: 2_000 }).catch(() => ''))?.includes(title)) {
      await wb.page.keyboard.press('Enter');
      return offered;
    }
    await wb.page.keyboard.press('ArrowDown');
  }
  throw new Error(`the quick fix "${title}" could not be selected among ${JSON.stringify(offered)}`);
}

test('editor experience in a real workbench', { skip: e2eSkip(), timeout: 900_000 }, async (t) => {
  assert.ok(existsSync(VSIX), `${VSIX} is missing: run \`npm run package\``);
  const folder = copyWorkspace();
  // Two of the workspace's files are the PyTorch fixtures: torchvision's layout as it is, and the CIFAR ResNets
  // without the comment that names their input (so the analysis has to guess it).
  copyFileSync(join(REPO_ROOT, 'test/fixtures/pytorch/torchvision_style.py'), join(folder, 'editor/tv_resnet.py'));
  const cifar = readFileSync(join(REPO_ROOT, 'test/fixtures/pytorch/cifar_style.py'), 'utf8');
  writeFileSync(join(folder, 'editor/resnet_small.py'), cifar.split('\n').filter((l) => !l.startsWith('# resnet-studio: input=')).join('\n'));
  const wb = await Workbench.start({ folder, vsix: [VSIX] });
  const failed: string[] = [];
  const step = async (name: string, fn: (st: TestContext) => Promise<void>): Promise<void> => {
    if (ONLY && !ONLY.some((n) => name.startsWith(`${n} `) || name.startsWith(`${n}:`))) return;
    await t.test(name, async (st) => {
      try {
        await fn(st);
      } catch (err) {
        failed.push(name);
        await wb.screenshot(`failure-editor-${name.replace(/\W+/g, '-')}`).catch(() => undefined);
        throw err;
      }
    });
  };
  try {
    await step('1: Problems lists the errors of every model in the file, whichever the graph shows', async () => {
      await wb.openFile('editor/three_broken.py');
      // WideHead's Linear (15), BadBlock's add (25) and tiny's BatchNorm (31): one error each, each once.
      let shown = await waitForProblems(wb, 'three_broken.py', 'three errors', (p) => errorLines(p).join() === '15,25,31');
      assert.equal(new Set(shown.map((p) => `${p.line}:${p.column}:${p.message}`)).size, shown.length, 'each diagnostic once');
      await showGraphFromLens(wb, 'WideHead', 'editor/three_broken.py');
      shown = await waitForProblems(wb, 'three_broken.py', 'three errors with WideHead shown', (p) => errorLines(p).join() === '15,25,31');
      assert.equal(shown.length, new Set(shown.map((p) => `${p.line}:${p.message}`)).size);
      await wb.screenshot('editor-1-every-model');
      // The error of a model the graph does not show brings its fix, and the fix clears it from Problems.
      const tiny = shown.find((p) => p.line === 31)!;
      await applyQuickFix(wb, tiny, 'Set num_features to 8');
      await waitForProblems(wb, 'three_broken.py', 'the two other errors only', (p) => errorLines(p).join() === '15,25', 20_000);
      await wb.screenshot('editor-1-other-model-fixed');
    });

    await step('2: the tutorial block offers a projection shortcut that clears its error', async () => {
      await wb.runCommand('View: Close All Editors');
      await wb.openFile('editor/tutorial_block.py');
      const error = (await waitForProblems(wb, 'tutorial_block.py', 'the residual-add error', (p) => p.some((x) => x.severity === 'Error' && /residual add/.test(x.message)))).find((x) => x.severity === 'Error')!;
      await wb.screenshot('editor-2-tutorial-error');
      const offered = await applyQuickFix(wb, error, 'Insert a projection shortcut as identity_downsample (1x1 conv + BatchNorm)');
      assert.ok(!offered.some((o) => /^Apply identity_downsample/.test(o)), `only the fix that clears the error is offered for it: ${JSON.stringify(offered)}`);
      // Clean: no error, and the unused-argument warning is gone too since forward now applies the argument.
      await waitForProblems(wb, 'tutorial_block.py', 'no problems', (p) => p.filter((x) => x.severity !== 'Info').length === 0, 20_000);
      await wb.page.keyboard.press('Control+S');
      const saved = Date.now() + 10_000;
      let text = '';
      while (!/is None and/.test(text) && Date.now() < saved) {
        text = readFileSync(join(wb.folder, 'editor/tutorial_block.py'), 'utf8');
        await sleep(200);
      }
      assert.match(text, /if self\.identity_downsample is None and \(stride != 1 or in_channels != intermediate_channels \* self\.expansion\):/);
      await wb.screenshot('editor-2-tutorial-fixed');
    });

    await step('3: the input shape is shown, marked as a guess, and changed in one click', async () => {
      await wb.runCommand('View: Close All Editors');
      await wb.openFile('editor/resnet_small.py');
      // The CIFAR stem makes 32x32 the guess, not 224x224: the lens says so, and the MACs are CIFAR-sized.
      const statusItem = wb.page.locator('.statusbar-item', { hasText: '3×32² (guess)' }).first();
      await statusItem.waitFor({ state: 'visible', timeout: 45_000 });
      const line = readFileSync(join(wb.folder, 'editor/resnet_small.py'), 'utf8').split('\n').findIndex((l) => l.startsWith('def resnet20')) + 1;
      await wb.runCommand('Go to Line/Column...');
      await wb.page.keyboard.type(String(line + 10));
      await wb.page.keyboard.press('Enter');
      await codeLens(wb, '@ 3×32² (guess)', 0).waitFor({ state: 'visible', timeout: 20_000 });
      const lensTexts = await wb.page.locator('.monaco-editor .codelens-decoration').allInnerTexts();
      const r20 = lensTexts.find((x) => x.startsWith('resnet20'));
      assert.ok(r20, JSON.stringify(lensTexts));
      assert.match(r20, /^resnet20 · .* · 40\.\d MMACs/, r20);
      await showGraphFromLens(wb, 'resnet20', 'editor/resnet_small.py');
      await graphStatus(wb, '@ 3×32² (guess)');
      await wb.screenshot('editor-3-input-guess');
      // One click on the status bar item, a new shape, and everything follows.
      await statusItem.click();
      const input = wb.page.locator('.quick-input-widget .quick-input-box input');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      assert.match(await input.inputValue(), /^1, 3, 32, 32$/);
      await input.fill('1, 3, 64, 64');
      await wb.page.keyboard.press('Enter');
      await wb.page.locator('.statusbar-item', { hasText: /3×64²$/ }).first().waitFor({ state: 'visible', timeout: 20_000 });
      await graphStatus(wb, /@ 3×64² ·/);
      await codeLens(wb, /^@ 3×64²$/, 0).waitFor({ state: 'visible', timeout: 20_000 });
      await wb.screenshot('editor-3-input-changed');
    });

    await step('4: Show Graph asks which model, remembers it, names it in the title, and Reset says what it did', async () => {
      await wb.runCommand('View: Close All Editors');
      await wb.openFile('editor/tv_resnet.py');
      await wb.runCommand('ResNet Studio: Show Graph');
      const rows = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
      const r50 = rows.filter({ has: wb.page.locator('.label-name', { hasText: /^\s*resnet50\s*$/ }) }).first();
      await r50.waitFor({ state: 'visible', timeout: 45_000 });
      assert.match(await r50.innerText(), /25\.6 M params · 4\.09 GMACs · 3×224² → 1×1000/);
      await wb.screenshot('editor-4-model-pick');
      await r50.click();
      await graphStatus(wb, /^resnet50 · /);
      const tab = wb.page.locator('.tabs-container .tab', { hasText: 'Graph: tv_resnet.py · resnet50' }).first();
      await tab.waitFor({ state: 'visible', timeout: 15_000 });
      // Remembered: Show Graph again goes straight to the graph.
      await wb.openFile('editor/tv_resnet.py');
      await wb.runCommand('ResNet Studio: Show Graph');
      await sleep(1_500);
      assert.equal(await wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name', { hasText: /^\s*resnet101\s*$/ }).isVisible(), false, 'no second question');
      await tab.waitFor({ state: 'visible', timeout: 5_000 });
      // Reset is in the graph's title bar, and confirms what it forgot.
      await tab.click();
      const reset = wb.page.locator('.editor-actions .action-label[aria-label^="Reset Model Choice"]').first();
      await reset.waitFor({ state: 'visible', timeout: 10_000 });
      await reset.click();
      await wb.page.locator('.notifications-toasts', { hasText: /forgot the choice of resnet50 for tv_resnet\.py; it shows resnet18 again/ }).first().waitFor({ state: 'visible', timeout: 15_000 });
      await graphStatus(wb, /^resnet18 · /);
      await wb.screenshot('editor-4-model-reset');
    });

    await step('6: a design copied into a workspace loads its schema, and a shape error sits on the attribute with its fix', async () => {
      await wb.runCommand('View: Close All Editors');
      // A user copies a bundled example next to their code: its schema must still load (no relative $schema).
      copyFileSync(join(REPO_ROOT, 'examples/resnet18.resnet.json'), join(wb.folder, 'designs/resnet18.resnet.json'));
      await wb.openFile('designs/resnet18.resnet.json');
      await wb.openFile('designs/copied-bn.resnet.json');
      const error = (await waitForProblems(wb, 'copied-bn.resnet.json', 'the num_features error', (p) => p.some((x) => x.severity === 'Error'))).find((x) => x.severity === 'Error')!;
      // On the value of num_features (line 15, `"num_features": 32`), not on the layer's `{` (line 12).
      assert.equal(error.line, 15);
      assert.equal(error.column, 23);
      // The JSON language service has had the time it took us: no schema failed to load for either file.
      await sleep(2_000);
      const all = await wb.problems();
      assert.ok(!all.some((p) => /Unable to load schema|schema/i.test(p.message)), JSON.stringify(all));
      await wb.screenshot('editor-6-design-attribute');
      await applyQuickFix(wb, error, 'Set num_features to 16');
      await waitForProblems(wb, 'copied-bn.resnet.json', 'no error', (p) => !p.some((x) => x.severity === 'Error'), 20_000);
      await wb.screenshot('editor-6-design-fixed');
    });

    await step('5: graph polish: a heat scale that is not red, with its legend, and hovers that do not say "add add"', async () => {
      await wb.runCommand('View: Close All Editors');
      await wb.openFile('editor/tutorial_block.py');
      // Analysed once the status bar shows the block's input.
      await wb.page.locator('.statusbar-item', { hasText: '64×56²' }).first().waitFor({ state: 'visible', timeout: 45_000 });
      const lines = readFileSync(join(wb.folder, 'editor/tutorial_block.py'), 'utf8').split('\n');
      const addLine = lines.findIndex((l) => l.trim() === 'x += identity') + 1;
      await wb.runCommand('Go to Line/Column...');
      await wb.page.keyboard.type(`${addLine}:${lines[addLine - 1]!.indexOf('+') + 1}`);
      await wb.page.keyboard.press('Enter');
      const hover = wb.page.locator('.monaco-hover:not(.hidden) .monaco-hover-content').first();
      for (let i = 0; i < 3 && !(await hover.isVisible()); i++) {
        await wb.runCommand('Show or Focus Hover');
        await hover.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => undefined);
      }
      const deadline = Date.now() + 15_000;
      let text = '';
      const all = wb.page.locator('.monaco-hover:not(.hidden)').first();
      while (!/→ output/.test(text) && Date.now() < deadline) {
        text = await all.innerText();
        await sleep(200);
      }
      assert.match(text, /^add\s*\n+\s*Input /m, text);
      assert.doesNotMatch(text, /add\s+add/, text);
      await wb.screenshot('editor-5-hover');
      await wb.page.keyboard.press('Escape');

      await wb.runCommand('ResNet Studio: Show Graph');
      await graphStatus(wb, 'ResNetBlock');
      assert.equal(await (await wb.findInWebviews('#heat-key')).isVisible(), false, 'no heat legend while heat is off');
      const heat = await wb.findInWebviews('#heat');
      await heat.evaluate((el) => {
        (el as unknown as { value: string }).value = 'params';
        el.dispatchEvent(new Event('change'));
      });
      const key = await wb.findInWebviews('#heat-key');
      await key.waitFor({ state: 'visible', timeout: 10_000 });
      assert.match(await key.innerText(), /fewer → more params/);
      // The hottest layer's fill leans to the scale's colour, not to red (red marks errors).
      const fills = await key.evaluate(() => {
        const g = (globalThis as unknown as { resnetStudioGraph: { view: { cy: { nodes(): { map<T>(f: (n: { data(k: string): unknown }) => T): T[] } } } } }).resnetStudioGraph;
        return g.view.cy.nodes().map((n) => ({ heat: n.data('heat') as number | undefined, fill: String(n.data('fill') ?? '') }));
      });
      const hottest = fills.filter((f) => typeof f.heat === 'number').sort((a, b) => b.heat! - a.heat!)[0];
      assert.ok(hottest, JSON.stringify(fills));
      const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(hottest.fill);
      assert.ok(m, hottest.fill);
      const [r, , b] = [1, 2, 3].map((i) => parseInt(m[i]!, 16));
      assert.ok(b! >= r!, `the heat colour ${hottest.fill} is not red`);
      // The legend sits below the canvas, never over its nodes.
      const legendBox = await (await wb.findInWebviews('#legend')).boundingBox();
      const graphBox = await (await wb.findInWebviews('#graph')).boundingBox();
      assert.ok(legendBox && graphBox && legendBox.y >= graphBox.y + graphBox.height - 1, `legend ${JSON.stringify(legendBox)} graph ${JSON.stringify(graphBox)}`);
      await wb.screenshot('editor-5-heat');
    });
  } finally {
    if (failed.length) t.diagnostic(`--- code-server log (tail) ---\n${wb.serverLog()}`);
    await wb.stop();
    rmSync(join(folder, '..'), { recursive: true, force: true });
  }
});
