// "Compare with HEAD" in a real workbench (code-server + Chromium, see workbench.ts) over a real Git
// repository: a design committed, then given one more block in layer3 in the working tree. The comparison panel
// shows layer3 as the changed stage with its params delta, the other stages unchanged, and the added block in
// the graph; it follows an edit in the editor; a file HEAD does not have gets a plain message instead.
// "Compare with File…" is driven through its open dialog. `npm run package` builds the .vsix first.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { diffGraphs } from '../../src/core/diff';
import { analyzeText } from '../../src/frontends';
import { REPO_ROOT, Workbench, copyWorkspace, e2eSkip } from './workbench';

const VSIX = join(REPO_ROOT, 'dist', 'resnet-studio.vsix');
const REL = 'resnet/resnet18.resnet.json';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
}

/** The tails of the extension host's log and of our own output channel, for a failure's report. */
function extensionLogs(dir: string): string {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/exthost\.log$|ResNet Studio\.log$|Git\.log$/.test(n)) found.push(`--- ${n} ---\n${readFileSync(p, 'utf8').slice(-3000)}`);
    }
  };
  if (existsSync(dir)) walk(dir);
  return found.join('\n');
}

/** The same `+1.18 M` the page prints for a delta. */
function signedCompact(n: number): string {
  const a = Math.abs(n);
  const units: [number, string][] = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  const u = units.find(([v]) => a >= v);
  return `${n > 0 ? '+' : '−'}${u ? `${(a / u[0]).toPrecision(3)} ${u[1]}` : a}`;
}

test('Compare with HEAD in a git repository shows the changed stage', { skip: e2eSkip(), timeout: 300_000 }, async (t) => {
  assert.ok(existsSync(VSIX), `${VSIX} is missing: run \`npm run package\``);
  const folder = copyWorkspace();
  const file = join(folder, REL);
  copyFileSync(join(REPO_ROOT, 'examples/resnet18.resnet.json'), file);
  git(folder, 'init', '-q');
  git(folder, 'add', REL);
  git(folder, 'commit', '-q', '-m', 'ResNet-18');
  const committed = readFileSync(file, 'utf8');
  const design = JSON.parse(committed) as { layers: Record<string, unknown>[] };
  design.layers.find((l) => l['stage'] === 'layer3')!['count'] = 3;
  writeFileSync(file, `${JSON.stringify(design, null, 2)}\n`);
  writeFileSync(join(folder, 'resnet', 'untracked.resnet.json'), committed);
  const diff = diffGraphs(analyzeText(file, committed).graph!, analyzeText(file, readFileSync(file, 'utf8')).graph!);
  const layer3 = diff.stages.find((s) => s.name === 'layer3')!;
  assert.equal(layer3.status, 'changed');

  // The harness turns Git off for quiet; this test is about Git.
  const wb = await Workbench.start({ folder, vsix: [VSIX], settings: { 'git.enabled': true } });
  try {
    await wb.openFile(REL);
    await wb.runCommand('ResNet Studio: Compare with HEAD');
    const row = await wb.findInWebviews('#diff-panel .stage-row[data-stage="layer3"]', 60_000);
    assert.match((await row.getAttribute('class')) ?? '', /status-changed/);
    const cells = await row.locator('td').allTextContents();
    assert.match(cells[0]!, /layer3\s*2× → 3× BasicBlock/);
    assert.equal(cells[1], signedCompact(layer3.params.delta!));
    assert.equal(cells[2], signedCompact(layer3.macs.delta!));
    const panel = row.locator('xpath=ancestor::aside[@id="diff-panel"]');
    assert.match((await panel.locator('h2').textContent()) ?? '', /HEAD → working tree/);
    for (const other of ['layer1', 'layer2', 'layer4', 'fc']) {
      assert.match((await panel.locator(`.stage-row[data-stage="${other}"]`).getAttribute('class')) ?? '', /status-same/, other);
    }
    assert.match((await panel.locator('.diff-facts').textContent()) ?? '', /Output\[1, 1000\] \(unchanged\)/);
    // The added block is drawn and marked in the graph itself.
    // Evaluated beside the row, in the page's own frame, where the graph view is.
    const added = await row.evaluate(() => {
      const cy = (globalThis as unknown as { resnetStudioGraph: { view: { cy: { $(s: string): { map<T>(f: (e: { data(k: string): unknown }) => T): T[] } } } } }).resnetStudioGraph.view.cy;
      return cy.$('node.diff-added').map((e) => String(e.data('name')));
    });
    assert.ok(added.includes('layer3.2'), `the added block is marked: ${added.join(', ')}`);
    assert.equal(added.filter((n) => n.startsWith('layer3.2.')).length, diff.counts.added);
    await wb.page.locator('.tabs-container .tab', { hasText: 'Diff: resnet18.resnet.json' }).first().waitFor({ state: 'visible', timeout: 10_000 });
    await wb.screenshot('compare-with-head');
    t.diagnostic(`layer3: ${cells.join(' | ')}`);

    // The panel follows edits of the current version: a fourth block in the editor, unsaved.
    const lines = readFileSync(file, 'utf8').split('\n');
    const stageLine = lines.findIndex((l) => l.includes('"stage": "layer3"'));
    const countLine = lines.findIndex((l, i) => i > stageLine && /"count": 3/.test(l));
    const column = lines[countLine]!.indexOf('3') + 1;
    await wb.page.locator('.monaco-editor .view-lines').first().click();
    await wb.runCommand('Go to Line/Column...');
    await wb.page.keyboard.type(`${countLine + 1}:${column}`);
    await wb.page.keyboard.press('Enter');
    await wb.page.keyboard.press('Shift+ArrowRight');
    await wb.page.keyboard.type('4');
    const deadline = Date.now() + 30_000;
    let text = '';
    while (Date.now() < deadline) {
      text = (await row.locator('td').first().textContent().catch(() => '')) ?? '';
      if (/2× → 4× BasicBlock/.test(text)) break;
      await sleep(250);
    }
    assert.match(text, /layer3\s*2× → 4× BasicBlock/, 'the comparison follows the edit');
    await wb.screenshot('compare-with-head-edited');

    // Compare with File…: the design against a copy with a narrower layer4, picked in the open dialog.
    const wide = JSON.parse(committed) as { layers: Record<string, unknown>[] };
    wide.layers.find((l) => l['stage'] === 'layer4')!['planes'] = 256;
    const otherFile = join(folder, 'resnet', 'narrow.resnet.json');
    writeFileSync(otherFile, JSON.stringify(wide, null, 2));
    await wb.runCommand('ResNet Studio: Compare with File…');
    const input = wb.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    // The dialog fills in the current file's folder a moment after it opens; type the path after that.
    const shown = Date.now() + 10_000;
    while (!(await input.inputValue()).endsWith('/resnet/') && Date.now() < shown) await sleep(100);
    await input.fill(otherFile);
    await sleep(300);
    await wb.page.keyboard.press('Enter');
    const fileRow = await wb.findInWebviews('#diff-panel h2:text("narrow.resnet.json → resnet18.resnet.json")', 60_000);
    const filePanel = fileRow.locator('xpath=ancestor::aside[@id="diff-panel"]');
    await filePanel.locator('.stage-row[data-stage="layer4"].status-changed').waitFor({ state: 'visible', timeout: 30_000 });
    assert.match((await filePanel.locator('.diff-changes').textContent()) ?? '', /layer4\.0\.conv1out_channels 256 → 512/);
    await wb.page.locator('.tabs-container .tab', { hasText: 'Diff: narrow.resnet.json ↔ resnet18.resnet.json' }).first().waitFor({ state: 'visible', timeout: 10_000 });
    await wb.screenshot('compare-with-file');

    // A file HEAD does not have: a message, no panel.
    await wb.openFile('resnet/untracked.resnet.json');
    await wb.runCommand('ResNet Studio: Compare with HEAD');
    const toast = wb.page.locator('.notifications-toasts .notification-list-item-message', { hasText: 'untracked.resnet.json is not in HEAD' }).first();
    await toast.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match((await toast.textContent()) ?? '', /it is new or untracked/);
    await sleep(300);
    await wb.screenshot('compare-with-head-untracked');
  } catch (err) {
    await wb.screenshot('failure-compare-with-head').catch(() => undefined);
    t.diagnostic(`--- code-server log (tail) ---\n${wb.serverLog()}\n${extensionLogs(join(wb.tempDir, 'user-data', 'logs'))}`);
    throw err;
  } finally {
    await wb.stop();
    rmSync(join(folder, '..'), { recursive: true, force: true });
  }
});
