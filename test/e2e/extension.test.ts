// The packaged extension in a real workbench (code-server + Chromium, see workbench.ts): problems appear at
// the right line, a quick fix removes them (and undo brings them back), and "Show Graph" draws the model.
// `npm run test:e2e` packages dist/resnet-studio.vsix before running this file.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeText } from '../../src/frontends';
import { REPO_ROOT, type ProblemEntry, Workbench, copyWorkspace, e2eSkip } from './workbench';

const VSIX = join(REPO_ROOT, 'dist', 'resnet-studio.vsix');
const SOURCE = 'ResNet Studio';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The expected problems of a fixture, from the same analysis the extension runs. */
function expectedErrors(folder: string, rel: string, options = {}) {
  const file = join(folder, rel);
  const a = analyzeText(file, readFileSync(file, 'utf8'), options);
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

/** The status line of the graph webview once it shows a model (`name · params · MACs · N layers · …`). */
async function graphStatus(wb: Workbench, timeoutMs = 45_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const status = await wb.findInWebviews('#status', timeoutMs);
  let text = '';
  while (Date.now() < deadline) {
    text = (await status.textContent().catch(() => '')) ?? '';
    if (/\d+ layers/.test(text)) return text;
    await sleep(200);
  }
  throw new Error(`the graph never showed a model; status was "${text}"`);
}

test('extension: problems, quick fix and undo, graph (JSON design)', { skip: e2eSkip(), timeout: 300_000 }, async (t) => {
  assert.ok(existsSync(VSIX), `${VSIX} is missing: run \`npm run package\` (npm run test:e2e does it first)`);
  const folder = copyWorkspace();
  const rel = 'resnet/wrong-fc.resnet.json';
  const { analysis, errors } = expectedErrors(folder, rel);
  assert.equal(errors.length, 1, 'the fixture has exactly one error');
  const expected = errors[0]!;
  assert.ok(expected.fixes?.length, 'the fixture error has a quick fix');
  const wb = await Workbench.start({ folder, vsix: [VSIX] });
  try {
    t.diagnostic(JSON.stringify(wb.timings));
    await wb.openFile(rel);
    const problem = await wb.waitForProblem((p) => p.source === SOURCE && p.file === 'wrong-fc.resnet.json' && p.severity === 'Error', 45_000);
    assert.equal(problem.line, expected.line);
    assert.equal(problem.column, expected.column);
    assert.equal(problem.message, expected.message);
    await wb.screenshot('json-problem');

    await applyQuickFix(wb, problem, expected.fixes![0]!.title);
    await waitForNoErrors(wb, 'wrong-fc.resnet.json');
    await wb.screenshot('json-fixed');

    // The fix was one WorkspaceEdit: a single undo restores the error.
    await wb.page.locator('.monaco-editor .view-lines').first().click();
    await wb.page.keyboard.press('Control+Z');
    await wb.waitForProblem((p) => p.source === SOURCE && p.line === expected.line && p.severity === 'Error', 20_000);

    await wb.runCommand('ResNet Studio: Show Graph');
    const status = await graphStatus(wb);
    const layers = analysis.graph!.nodes.filter((n) => n.op !== 'input').length;
    assert.match(status, new RegExp(`· ${layers} layers ·`), status);
    assert.match(status, /1 identity \+ 1 projection shortcuts/, status);
    await wb.screenshot('json-graph');

    // Clicking a node reveals its source: the cursor lands where the layer is written.
    const fc = analysis.graph!.nodes.find((n) => n.name === 'fc')!;
    const page = await wb.findInWebviews('#status');
    await page.evaluate((_el, id) => {
      const g = (globalThis as unknown as { resnetStudioGraph: { view: { cy: { nodes(): { filter(f: (n: { data(k: string): unknown }) => boolean): { emit(e: string): void } } } } } }).resnetStudioGraph;
      g.view.cy.nodes().filter((n) => n.data('irId') === id).emit('tap');
    }, fc.id);
    await wb.page.locator('.statusbar-item', { hasText: `Ln ${fc.source!.line}, Col ${fc.source!.column}` }).first().waitFor({ state: 'visible', timeout: 15_000 });

    // Moving the cursor highlights the node(s) built from that line.
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
    await wb.screenshot('json-highlight');
  } catch (err) {
    await wb.screenshot('json-failure').catch(() => undefined);
    if (err instanceof Error) err.message += `\n--- code-server log (tail) ---\n${wb.serverLog()}`;
    throw err;
  } finally {
    await wb.stop();
    rmSync(join(folder, '..'), { recursive: true, force: true });
  }
});
