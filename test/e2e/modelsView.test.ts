// The Models view in a real workbench (code-server + Chromium, see workbench.ts): every model of the
// workspace listed by file with its params, MACs, output shape and error count, environments and packages
// skipped, blocks under the models that use them, a click opening the graph, and the list following files
// created, changed and deleted on disk. `npm run test:e2e` packages dist/resnet-studio.vsix first.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { Locator } from 'playwright-core';
import { analyzeText } from '../../src/frontends';
import { indexWorkspace } from '../../src/frontends/workspaceIndex';
import { buildModelsTree } from '../../src/host/modelsTree';
import { REPO_ROOT, Workbench, copyWorkspace, e2eSkip } from './workbench';

const VSIX = join(REPO_ROOT, 'dist', 'resnet-studio.vsix');
const CHECK_FIXTURES = join(REPO_ROOT, 'test/fixtures/check');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The fixture project, a broken model beside it, and broken copies where no model may be looked for. */
function workspace(): string {
  const folder = copyWorkspace(join(CHECK_FIXTURES, 'project'));
  cpSync(join(CHECK_FIXTURES, 'broken'), join(folder, 'broken'), { recursive: true });
  for (const rel of ['.venv/lib/python3.11/site-packages/pkg', 'node_modules/pkg', 'env/lib']) {
    mkdirSync(join(folder, rel), { recursive: true });
    cpSync(join(CHECK_FIXTURES, 'broken/net.py'), join(folder, rel, 'hidden.py'));
  }
  writeFileSync(join(folder, 'env/pyvenv.cfg'), 'home = /usr/bin\n');
  // A model importing a package at the workspace root (a search root of the editor's index).
  cpSync(join(CHECK_FIXTURES, 'imports/vendor/shapes'), join(folder, 'shapes'), { recursive: true });
  mkdirSync(join(folder, 'app'));
  cpSync(join(CHECK_FIXTURES, 'imports/app/net.py'), join(folder, 'app/imported.py'));
  return folder;
}

/** The Models pane's rows as rendered: label and description of each. */
async function rows(wb: Workbench): Promise<{ label: string; description: string }[]> {
  const pane = modelsPane(wb);
  return pane.locator('.monaco-list-row').evaluateAll((els) =>
    els.map((e) => ({
      label: e.querySelector('.label-name')?.textContent?.trim() ?? '',
      description: e.querySelector('.label-description')?.textContent?.trim() ?? '',
    })),
  );
}

function modelsPane(wb: Workbench): Locator {
  return wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: /^Models/ }) });
}

/** Polls the rows until `ok` holds; fails with what was shown. */
async function waitForRows(wb: Workbench, what: string, ok: (r: { label: string; description: string }[]) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let seen: { label: string; description: string }[] = [];
  while (Date.now() < deadline) {
    seen = await rows(wb).catch(() => []);
    if (ok(seen)) return seen;
    await sleep(300);
  }
  throw new Error(`the Models view never showed ${what}; it showed ${JSON.stringify(seen)}`);
}

function row(wb: Workbench, label: string): Locator {
  return modelsPane(wb).locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: new RegExp(`^\\s*${label}\\s*$`) }) }).first();
}

test('Models view in a real workbench', { skip: e2eSkip(), timeout: 300_000 }, async (t: TestContext) => {
  assert.ok(existsSync(VSIX), `${VSIX} is missing: run \`npm run package\` (npm run test:e2e does it first)`);
  const folder = workspace();
  // What the view must show, from the same index and tree code the extension runs (the default input setting).
  const expected = buildModelsTree(indexWorkspace([folder], { base: { defaultInput: [1, 3, 224, 224], searchRoots: [folder] } }).files, (f) => f.slice(folder.length + 1));
  const expectedTop = expected.flatMap((f) => [f, ...f.children]).map((n) => ({ label: n.label, description: n.description }));
  assert.ok(expectedTop.some((r) => r.label === 'CifarResNet'), 'the fixture project has CifarResNet');
  // Saving stays manual, so typed edits are unsaved ones.
  const wb = await Workbench.start({ folder, vsix: [VSIX], settings: { 'files.autoSave': 'off' } });
  t.diagnostic(JSON.stringify(wb.timings));
  try {
    await wb.runCommand('ResNet Studio: Focus on Models View');
    // The tree is a virtual list: collapse the panes above it so that every row is rendered.
    for (const title of ['Graph', 'Model Outline']) {
      const header = wb.page.locator('.pane-header.expanded', { hasText: new RegExp(`^${title}`) }).first();
      if (await header.isVisible().catch(() => false)) await header.click();
    }
    const shown = await waitForRows(wb, 'every model file', (r) => expectedTop.every((e) => r.some((x) => x.label === e.label && x.description === e.description)));
    assert.ok(!shown.some((r) => r.label === 'hidden.py'), 'nothing from .venv, node_modules or a pyvenv.cfg folder');
    assert.ok(!shown.some((r) => r.label === 'utils.py' || r.label === 'settings.json'), 'files without a model are not listed');
    const net = shown[shown.findIndex((r) => r.label === 'net.py') + 1]!;
    assert.equal(net.label, 'Net', 'broken/net.py lists Net (its Block is under Net)');
    assert.match(net.description, /· 1 error$/);
    assert.match(shown.find((r) => r.label === 'CifarResNet')!.description, /^20\.0 k params · 8\.83 M MACs → \[1, 10\]$/);
    assert.match(shown.find((r) => r.label === 'net.py')!.description, /^broken · 2 models · 1 error$/);
    // torch (the folder on sys.path): Net() in app/imported.py has 852 parameters, its block imported from shapes/.
    assert.ok(shown.some((r) => r.label === 'Net' && /^852 params · /.test(r.description)), 'the imported block is read');
    await wb.screenshot('models-view');

    // Blocks sit under the models that use them.
    await row(wb, 'CifarResNet').locator('.monaco-tl-twistie').click();
    await waitForRows(wb, 'BasicBlock under CifarResNet', (r) => r.some((x) => x.label === 'BasicBlock' && /^2× · /.test(x.description)));

    // A click opens that model's graph (the factory, whose output has 100 classes).
    const cifar = join(folder, 'models/cifar.py');
    const factory = analyzeText(cifar, readFileSync(cifar, 'utf8'), { model: 'cifar_resnet', defaultInput: [1, 3, 224, 224] }).graph!;
    await row(wb, 'cifar_resnet').click();
    const layers = ` ${factory.nodes.filter((n) => n.op !== 'input').length} layers `;
    // Both the side panel's graph view and the new panel have a status line: read every one.
    const deadline = Date.now() + 45_000;
    let status = '';
    while (Date.now() < deadline && !status.includes(layers)) {
      const texts = await Promise.all(wb.page.frames().filter((f) => !f.isDetached()).map((f) => f.locator('#status').first().textContent({ timeout: 500 }).catch(() => '')));
      status = texts.find((x) => x?.includes(layers)) ?? texts.filter(Boolean).join(' | ');
      if (!status.includes(layers)) await sleep(300);
    }
    assert.ok(status.includes(layers), `the graph shows cifar_resnet (${layers.trim()}); its status was "${status}"`);
    await wb.page.locator('.tabs-container .tab.active', { hasText: 'Graph: cifar.py' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await wb.screenshot('models-view-graph');

    // Files created, changed and deleted on disk are followed.
    const extra = join(folder, 'models/extra.py');
    writeFileSync(extra, readFileSync(join(CHECK_FIXTURES, 'broken/net.py'), 'utf8').replace('Block(16, 32)', 'Block(16, 16)').replace('nn.Linear(32, 10)', 'nn.Linear(16, 3)'));
    await waitForRows(wb, 'the new extra.py', (r) => r.some((x) => x.label === 'extra.py') && r.some((x) => x.label === 'Net' && / → \[1, 3\]$/.test(x.description)));
    writeFileSync(cifar, readFileSync(cifar, 'utf8').replace('def cifar_resnet(num_classes=100)', 'def cifar_resnet(num_classes=7)'));
    await waitForRows(wb, 'cifar_resnet with 7 classes', (r) => r.some((x) => x.label === 'cifar_resnet' && / → \[1, 7\]$/.test(x.description)));
    unlinkSync(extra);
    await waitForRows(wb, 'extra.py gone', (r) => r.length > 0 && !r.some((x) => x.label === 'extra.py'));
    // A change to an imported module re-indexes the files that import it: a conv bias adds 8 parameters.
    const blocks = join(folder, 'shapes/blocks.py');
    writeFileSync(blocks, readFileSync(blocks, 'utf8').replace('padding=1, bias=False', 'padding=1, bias=True'));
    await waitForRows(wb, 'Net with 860 parameters', (r) => r.some((x) => x.label === 'Net' && /^860 params · /.test(x.description)));
    // Unsaved edits in an editor are indexed too: a new factory typed at the end of cifar.py.
    await wb.openFile('models/cifar.py');
    const lastLine = readFileSync(cifar, 'utf8').split('\n').length;
    await wb.runCommand('Go to Line/Column...');
    await wb.page.keyboard.type(String(lastLine));
    await wb.page.keyboard.press('Enter');
    await wb.page.locator('.statusbar-item', { hasText: `Ln ${lastLine}, Col 1` }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await wb.page.keyboard.press('Enter');
    // The editor indents the line after the colon itself.
    await wb.page.keyboard.type('def tiny_head():');
    await wb.page.keyboard.press('Enter');
    await wb.page.keyboard.type('return CifarResNet(num_classes=3)');
    await waitForRows(wb, 'the typed factory tiny_head', (r) => r.some((x) => x.label === 'tiny_head' && / → \[1, 3\]$/.test(x.description)));
    assert.doesNotMatch(readFileSync(cifar, 'utf8'), /tiny_head/, 'the edit is not saved');
    await wb.screenshot('models-view-updated');
  } catch (err) {
    await wb.screenshot('models-view-failure').catch(() => undefined);
    t.diagnostic(`--- code-server log (tail) ---\n${wb.serverLog()}`);
    throw err;
  } finally {
    await wb.stop();
    rmSync(join(folder, '..'), { recursive: true, force: true });
  }
});
