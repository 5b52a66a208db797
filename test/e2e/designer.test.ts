// Editing a design in the graph, in a real workbench (code-server + Chromium, see workbench.ts): an edit made in
// the graph page changes the design's text as one undoable step (Ctrl+Z in the text editor restores it), the
// "ResNet Studio Designer" custom editor (Open With…) edits the same TextDocument a text editor beside it shows,
// Export to PyTorch writes a file whose analysis has the design's params, and an edit that breaks the design is
// still made, its error shown in the graph and in Problems. Each step leaves a screenshot
// under test-artifacts/e2e/. `npm run package` builds dist/resnet-studio.vsix first.
// E2E_STEPS=1,2 runs only the steps whose names start with those numbers.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { fmtCompact } from '../../src/core/report';
import { analyzeText } from '../../src/frontends';
import { REPO_ROOT, Workbench, copyWorkspace, e2eSkip } from './workbench';

const VSIX = join(REPO_ROOT, 'dist', 'resnet-studio.vsix');
const FIXTURE = 'designs/small-cifar.resnet.json';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ONLY = process.env.E2E_STEPS?.split(',').map((s) => s.trim());

/** The tails of the extension host's log and of our own output channel, for a failure's report. */
function extensionLogs(dir: string): string {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/exthost\.log$|ResNet Studio\.log$/.test(n)) found.push(`--- ${n} ---\n${readFileSync(p, 'utf8').slice(-3000)}`);
    }
  };
  if (existsSync(dir)) walk(dir);
  return found.join('\n');
}

/** The graph page's status line once it matches `text`. */
async function graphStatus(wb: Workbench, text: RegExp, timeoutMs = 45_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    const status = await wb.findInWebviews('#status', Math.max(1, deadline - Date.now()));
    seen = (await status.textContent().catch(() => '')) ?? '';
    if (text.test(seen)) return seen;
    await sleep(200);
  }
  throw new Error(`the graph status never showed ${String(text)}; it was "${seen}"`);
}

/** The text of the (only) text editor on screen, line by line in line order (Monaco reuses its line elements). */
async function editorText(wb: Workbench): Promise<string> {
  const lines = await wb.page.locator('.editor-instance .monaco-editor .view-lines').first().evaluate((el) =>
    [...el.querySelectorAll<HTMLElement>('.view-line')]
      .map((l) => ({ top: parseFloat(l.style.top || '0'), text: (l.textContent ?? '').replace(/\u00a0/g, ' ') }))
      .sort((a, b) => a.top - b.top)
      .map((l) => l.text),
  );
  // The file's final newline shows as an empty last line.
  return lines.join('\n').trimEnd();
}

/** Polls the text editor until `ok` holds for its text; fails with what it showed. */
async function waitForText(wb: Workbench, what: string, ok: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = await editorText(wb).catch(() => '');
    if (ok(text)) return text;
    await sleep(150);
  }
  throw new Error(`the text editor never showed ${what}; it showed:\n${text}`);
}

const stageLine = (text: string, stage: string): string => text.split('\n').find((l) => l.includes(`"stage": "${stage}"`)) ?? '';
/** Everything but `stage`'s line, to check that an edit touched nothing else. */
const otherLines = (text: string, stage: string): string[] => text.split('\n').filter((l) => !l.includes(`"stage": "${stage}"`));
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The status line's params, as the page prints them for `params`. */
const paramsPart = (params: number | null): RegExp => new RegExp(` · ${escapeRegExp(fmtCompact(params))} params · `);

/** Milliseconds from `since` to the first change of the page's status line that matches `text`. */
async function statusChangedAfter(wb: Workbench, since: number, text: RegExp): Promise<number | undefined> {
  const log = await (await graphFrame(wb)).evaluate(() => (window as unknown as { e2eStatusLog?: { t: number; text: string }[] }).e2eStatusLog ?? []);
  const hit = log.find((e) => e.t >= since && text.test(e.text));
  return hit && hit.t - since;
}

/** The frame of the (only) graph page on screen. */
async function graphFrame(wb: Workbench, timeoutMs = 30_000): Promise<Frame> {
  await wb.findInWebviews('#graph', timeoutMs);
  for (const f of wb.page.frames()) {
    if (!f.isDetached() && f !== wb.page.mainFrame() && (await f.$('#graph').catch(() => null))) return f;
  }
  throw new Error('the graph page went away');
}

/** Starts logging, in the graph page, each change of its status line (the model's totals) with its time. */
async function watchStatus(frame: Frame): Promise<void> {
  await frame.evaluate(() => {
    const w = window as unknown as { e2eStatusLog?: { t: number; text: string }[] };
    if (w.e2eStatusLog) return;
    const log: { t: number; text: string }[] = [];
    w.e2eStatusLog = log;
    const status = document.getElementById('status')!;
    new MutationObserver(() => log.push({ t: Date.now(), text: status.textContent ?? '' })).observe(status, { childList: true, characterData: true, subtree: true });
  });
}

/**
 * Collapses the stages with the page's own toolbar button, centres the stage or layer named `name` at zoom 1
 * and returns where it is drawn, relative to the graph's container (a collapsed stage is one node, so a click
 * at its centre is on the stage, not on one of its layers).
 */
async function stagePoint(frame: Frame, name: string): Promise<{ x: number; y: number }> {
  await frame.locator('#collapse-all').click();
  await sleep(300);
  const p = await frame.evaluate((n) => {
    const cy = (globalThis as unknown as {
      resnetStudioGraph: { view: { cy: { zoom(z: number): void; center(e: unknown): void; nodes(): { filter(f: (x: { data(k: string): unknown }) => boolean): { empty(): boolean; first(): { renderedPosition(): { x: number; y: number } } } } } } };
    }).resnetStudioGraph.view.cy;
    const found = cy.nodes().filter((x) => x.data('name') === n);
    if (found.empty()) return null;
    cy.zoom(1);
    cy.center(found.first());
    return found.first().renderedPosition();
  }, name);
  assert.ok(p, `${name} is drawn`);
  await frame.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return p;
}

/** The page's own line for the host's answer to its last edit, once it matches `text`. */
async function editStatus(frame: Frame, text: RegExp, timeoutMs = 15_000): Promise<string> {
  const el = frame.locator('#edit-status');
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    seen = (await el.textContent().catch(() => '')) ?? '';
    if (text.test(seen)) return seen;
    await sleep(100);
  }
  throw new Error(`the page's edit status never showed ${String(text)}; it was "${seen}"`);
}

test('designing in the graph in a real workbench', { skip: e2eSkip(), timeout: 600_000 }, async (t) => {
  assert.ok(existsSync(VSIX), `${VSIX} is missing: run \`npm run package\``);
  const folder = copyWorkspace();
  // One copy per step, so that each starts from an unedited document (version 1) whatever the others did.
  copyFileSync(join(folder, FIXTURE), join(folder, 'designs/in-graph.resnet.json'));
  copyFileSync(join(folder, FIXTURE), join(folder, 'designs/in-designer.resnet.json'));
  const original = readFileSync(join(folder, FIXTURE), 'utf8').trimEnd();
  // Inlay hints (each layer's output shape) would be read as part of the text.
  const wb = await Workbench.start({ folder, vsix: [VSIX], settings: { 'editor.inlayHints.enabled': 'off' } });
  let failed = false;
  const step = async (name: string, fn: (st: TestContext) => Promise<void>): Promise<void> => {
    if (ONLY && !ONLY.some((n) => name.startsWith(`${n}:`))) return;
    await t.test(name, async (st) => {
      try {
        await fn(st);
      } catch (err) {
        failed = true;
        await wb.screenshot(`failure-designer-${name.replace(/\W+/g, '-')}`).catch(() => undefined);
        throw err;
      }
    });
  };
  try {
    await step('1: an edit made in the graph changes the text, the graph follows, and Ctrl+Z in the editor restores it', async (st) => {
      await wb.openFile('designs/in-graph.resnet.json');
      assert.equal(await waitForText(wb, 'the design', (x) => x === original), original);
      await wb.runCommand('ResNet Studio: Show Graph');
      // layer1 and layer2 have two blocks each: 3 identity shortcuts and layer2's first block's projection.
      await graphStatus(wb, /^small_cifar · .* · 3 identity \+ 1 projection shortcuts$/);
      await graphStatus(wb, paramsPart(analyzeText(join(wb.folder, FIXTURE), original).graph!.params));
      await wb.screenshot('designer-1-before');
      // The page's context menu on the stage: Add block.
      const frame = await graphFrame(wb);
      await watchStatus(frame);
      const at = await stagePoint(frame, 'layer1');
      await frame.locator('#graph').click({ button: 'right', position: at });
      const clickedAt = Date.now();
      await frame.getByRole('menuitem', { name: 'Add block' }).click();
      const answer = await editStatus(frame, /layer1/);
      assert.match(answer, /layer1: count 2 → 3/);
      const edited = await waitForText(wb, 'layer1 with three blocks', (x) => /"count": 3/.test(stageLine(x, 'layer1')));
      assert.deepEqual(otherLines(edited, 'layer1'), otherLines(original, 'layer1'), 'nothing else in the text changed');
      await graphStatus(wb, / · 4 identity \+ 1 projection shortcuts$/, 10_000);
      st.diagnostic(`${answer}: from the click on Add block to the repainted status line ${await statusChangedAfter(wb, clickedAt, / · 4 identity \+ 1 projection/)} ms`);
      await wb.screenshot('designer-1-edited');
      // The editor's own undo takes the whole edit back in one step.
      await wb.page.locator('.editor-instance .monaco-editor .view-lines').first().click();
      await wb.page.keyboard.press('Control+Z');
      // Only the lines in view are in the page: back to the top, where the whole design fits.
      await wb.page.keyboard.press('Control+Home');
      await waitForText(wb, 'the original design', (x) => x === original);
      await graphStatus(wb, / · 3 identity \+ 1 projection shortcuts$/, 10_000);
      await wb.screenshot('designer-1-undone');
    });

    await step('2: the Designer custom editor edits the document a text editor beside it shows, and Ctrl+Z restores it', async (st) => {
      await wb.runCommand('View: Close All Editors');
      await wb.openFile('designs/in-designer.resnet.json');
      // The text in two groups, then "Open With…" on the right one, as a user reaches the custom editor.
      await wb.runCommand('View: Split Editor Right');
      await wb.runCommand('View: Reopen Editor With...');
      const row = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'ResNet Studio Designer' }).first();
      await row.waitFor({ state: 'visible', timeout: 15_000 });
      await row.click();
      await graphStatus(wb, /^small_cifar · .* · 3 identity \+ 1 projection shortcuts$/);
      await waitForText(wb, 'the design beside the designer', (x) => x === original);
      assert.equal(await wb.page.locator('.editor-group-container').count(), 2, 'the designer and the text editor in two groups');
      await wb.screenshot('designer-2-beside');

      // The properties side bar: select the stage, type its new width, Enter.
      const frame = await graphFrame(wb);
      await watchStatus(frame);
      await frame.locator('#graph').click({ position: await stagePoint(frame, 'layer2') });
      const width = frame.locator('#prop-planes input');
      await width.waitFor({ state: 'visible', timeout: 10_000 });
      await width.fill('48');
      const committedAt = Date.now();
      await width.press('Enter');
      const answer = await editStatus(frame, /layer2/);
      assert.match(answer, /layer2: planes 32 → 48/);
      const edited = await waitForText(wb, 'layer2 48 wide', (x) => /"planes": 48/.test(stageLine(x, 'layer2')));
      assert.deepEqual(otherLines(edited, 'layer2'), otherLines(original, 'layer2'));
      // The page repaints with the params of the new text, as the front end counts them.
      const file = join(wb.folder, 'designs/in-designer.resnet.json');
      const wider = analyzeText(file, edited).graph!.params;
      assert.notEqual(fmtCompact(wider), fmtCompact(analyzeText(file, original).graph!.params));
      await graphStatus(wb, paramsPart(wider), 10_000);
      st.diagnostic(`${answer}: from Enter in the side bar to the repainted status line ${await statusChangedAfter(wb, committedAt, paramsPart(wider))} ms`);
      await wb.screenshot('designer-2-edited');
      // Ctrl+Z in the designer itself acts on the text document.
      await (await wb.findInWebviews('#graph')).click({ position: { x: 5, y: 5 } });
      await wb.page.keyboard.press('Control+Z');
      await waitForText(wb, 'the original design after undo in the designer', (x) => x === original);
      await graphStatus(wb, paramsPart(analyzeText(file, original).graph!.params), 10_000);
      await wb.screenshot('designer-2-undone');
    });

    await step('3: Export to PyTorch writes a file whose analysis has the design\'s params', async () => {
      await wb.runCommand('View: Close All Editors');
      await wb.openFile(FIXTURE);
      await wb.runCommand('ResNet Studio: Export to PyTorch');
      // The save dialog offers small_cifar.py next to the design; accept it.
      const input = wb.page.locator('.quick-input-widget .quick-input-box input');
      await input.waitFor({ state: 'visible', timeout: 15_000 });
      const offered = Date.now() + 10_000;
      while (!(await input.inputValue()).endsWith('small_cifar.py') && Date.now() < offered) await sleep(100);
      assert.match(await input.inputValue(), /\/designs\/small_cifar\.py$/);
      await wb.page.keyboard.press('Enter');
      const py = join(wb.folder, 'designs/small_cifar.py');
      const written = Date.now() + 20_000;
      while (!existsSync(py) && Date.now() < written) await sleep(200);
      assert.ok(existsSync(py), `${py} was written`);
      await wb.page.locator('.tabs-container .tab.active', { hasText: 'small_cifar.py' }).first().waitFor({ state: 'visible', timeout: 15_000 });
      const design = analyzeText(join(wb.folder, FIXTURE), original).graph!;
      const code = analyzeText(py, readFileSync(py, 'utf8')).graph!;
      assert.equal(code.params, design.params);
      assert.equal(code.macs, design.macs);
      assert.deepEqual(code.output, design.output);
      // And the workbench's own analysis of the new file says the same: its graph, for the model the file names.
      await wb.runCommand('ResNet Studio: Show Graph');
      const pick = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { has: wb.page.locator('.label-name', { hasText: /^\s*small_cifar\s*$/ }) }).first();
      if (await pick.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false)) await pick.click();
      await graphStatus(wb, new RegExp(`^small_cifar · .*${paramsPart(design.params).source}`));
      await wb.screenshot('designer-3-exported');
    });
    await step('4: Open in Designer from the editor title; a tap on a layer shows its line beside the designer, not over it', async () => {
      await wb.runCommand('View: Close All Editors');
      await wb.openFile(FIXTURE);
      const button = wb.page.locator('.editor-actions .action-label[aria-label^="Open in Designer"]').first();
      await button.waitFor({ state: 'visible', timeout: 15_000 });
      await button.click();
      await graphStatus(wb, /^small_cifar · /);
      await wb.page.locator('.tabs-container .tab.active', { hasText: 'small-cifar.resnet.json' }).first().waitFor({ state: 'visible', timeout: 10_000 });
      assert.equal(await wb.page.locator('.editor-group-container').count(), 1);
      await (await graphFrame(wb)).evaluate(() => {
        const cy = (globalThis as unknown as { resnetStudioGraph: { view: { cy: { nodes(): { filter(f: (n: { data(k: string): unknown }) => boolean): { emit(e: string): void } } } } } }).resnetStudioGraph.view.cy;
        cy.nodes().filter((n) => n.data('name') === 'fc').emit('tap');
      });
      // The text opens in a second group, on the tapped layer's line, and the designer stays on screen.
      await wb.page.locator('.editor-group-container').nth(1).waitFor({ state: 'visible', timeout: 15_000 });
      const fcLine = original.split('\n').findIndex((l) => l.includes('"name": "fc"')) + 1;
      const cursorLine = wb.page.locator('.editor-group-container').nth(1).locator('.line-numbers.active-line-number');
      await cursorLine.first().waitFor({ state: 'visible', timeout: 10_000 });
      assert.equal((await cursorLine.first().textContent())?.trim(), String(fcLine));
      assert.ok(await (await wb.findInWebviews('#graph')).isVisible(), 'the designer is still shown');
      await wb.screenshot('designer-4-reveal-beside');
      // The designer's title bar has the graph panel's heat and image-export buttons, and they act on it.
      await (await wb.findInWebviews('#graph')).click({ position: { x: 5, y: 5 } });
      const designerGroup = wb.page.locator('.editor-group-container').first();
      const heatButton = designerGroup.locator('.editor-actions .action-label[aria-label^="Graph Heat Overlay"]').first();
      await heatButton.waitFor({ state: 'visible', timeout: 15_000 });
      assert.ok(await designerGroup.locator('.editor-actions .action-label[aria-label^="Export Graph Image"]').first().isVisible(), 'the image export button');
      await heatButton.click();
      const macs = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'MACs' }).first();
      await macs.waitFor({ state: 'visible', timeout: 15_000 });
      await macs.click();
      const frame = await graphFrame(wb);
      await frame.waitForFunction(() => (globalThis as unknown as { resnetStudioGraph: { view: { heat: string } } }).resnetStudioGraph.view.heat === 'macs', undefined, { timeout: 10_000 });
      await wb.screenshot('designer-4-heat-from-title-bar');
    });


    await step('5: an edit that breaks the design is still made; the graph and Problems show the error, and Undo clears it', async () => {
      await wb.runCommand('View: Close All Editors');
      await wb.openFile('designs/in-graph.resnet.json');
      await waitForText(wb, 'the design', (x) => x === original);
      await wb.runCommand('ResNet Studio: Show Graph');
      await graphStatus(wb, /^small_cifar · .* shortcuts$/);
      const frame = await graphFrame(wb);
      const fcLine = original.split('\n').findIndex((l) => l.includes('"name": "fc"')) + 1;
      await frame.locator('#graph').click({ position: await stagePoint(frame, 'fc') });
      // The tap reveals fc's line in the text editor, which takes the focus (click to source); the user then
      // clicks into the side bar. Typing before the reveal lands would type into the text editor instead.
      await wb.page.locator('.statusbar-item', { hasText: new RegExp(`Ln ${fcLine}, Col`) }).first().waitFor({ state: 'visible', timeout: 15_000 });
      const inFeatures = frame.locator('#prop-attr-in_features input');
      await inFeatures.waitFor({ state: 'visible', timeout: 10_000 });
      await inFeatures.click();
      await inFeatures.fill('99');
      await inFeatures.press('Enter');
      assert.match(await editStatus(frame, /fc/), /in_features/);
      await wb.page.keyboard.press('Control+Home');
      await waitForText(wb, 'fc with in_features 99', (x) => /"in_features": 99/.test(x.split('\n')[fcLine - 1] ?? ''));
      await graphStatus(wb, / · 1 error$/, 10_000);
      const problem = await wb.waitForProblem((p) => p.severity === 'Error' && p.file === 'in-graph.resnet.json' && p.line === fcLine);
      assert.match(problem.message, /in_features|99|32/);
      await wb.screenshot('designer-5-invalid-edit');
      // Problems took the focus and half the editor's height: put both back before the editor's own undo.
      await wb.runCommand('View: Toggle Panel Visibility');
      await wb.page.locator('.editor-instance .monaco-editor .view-lines').first().click();
      await wb.page.keyboard.press('Control+Z');
      await wb.page.keyboard.press('Control+Home');
      await waitForText(wb, 'the original design', (x) => x === original);
      await graphStatus(wb, /shortcuts$/, 10_000);
    });
  } finally {
    if (failed) t.diagnostic(`--- code-server log (tail) ---\n${wb.serverLog()}\n${extensionLogs(join(wb.tempDir, 'user-data', 'logs'))}`);
    await wb.stop();
    rmSync(join(folder, '..'), { recursive: true, force: true });
  }
});
