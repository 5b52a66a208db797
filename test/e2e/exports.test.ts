// The export commands and the template wizard in a real workbench (code-server + Chromium, see workbench.ts).
// Their writers run in the analysis worker, out of the extension's bundle: each written file must be the
// text the writers give in process for the same analysis, and a format that cannot hold an op must still be
// refused with the writer's message and a Go to Line button that reaches the op. `npm run package` first.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { type ExportFormat, exportText } from '../../src/codegen/exportText';
import { newDesignText } from '../../src/codegen/newDesign';
import { analyzeText } from '../../src/frontends';
import { REPO_ROOT, Workbench, copyWorkspace, e2eSkip } from './workbench';

const VSIX = join(REPO_ROOT, 'dist', 'resnet-studio.vsix');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Accepts the save dialog (a quick input in code-server) once it proposes a path ending in `name`. */
async function acceptSaveDialog(wb: Workbench, name: string): Promise<void> {
  const input = wb.page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  // The dialog shows the folder first and fills in the proposed name a moment later.
  const deadline = Date.now() + 15_000;
  while (!(await input.inputValue()).endsWith(`/${name}`) && Date.now() < deadline) await sleep(100);
  assert.ok((await input.inputValue()).endsWith(`/${name}`), `the save dialog proposes ${name}, not ${await input.inputValue()}`);
  await wb.page.keyboard.press('Enter');
}

async function waitForFile(path: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path) && Date.now() < deadline) await sleep(200);
  assert.ok(existsSync(path), `${path} was not written`);
  return readFileSync(path, 'utf8');
}

/** Opens a design and waits until its CodeLens shows it analysed (the export commands use that analysis). */
async function openAnalysed(wb: Workbench, rel: string, model: string): Promise<void> {
  await wb.runCommand('View: Close All Editors');
  await wb.openFile(rel);
  await wb.page.locator('.monaco-editor .codelens-decoration', { hasText: new RegExp(`^${model} · `) }).first().waitFor({ state: 'visible', timeout: 60_000 });
}

test('exports and new designs are written by the worker, as the writers write them', { skip: e2eSkip(), timeout: 420_000 }, async (t) => {
  assert.ok(existsSync(VSIX), `${VSIX} is missing: run \`npm run package\``);
  const folder = copyWorkspace();
  copyFileSync(join(REPO_ROOT, 'examples/tiny-resnet.resnet.json'), join(folder, 'designs/tiny.resnet.json'));
  copyFileSync(join(REPO_ROOT, 'examples/cifar-resnet20.resnet.json'), join(folder, 'designs/cifar20.resnet.json'));
  const wb = await Workbench.start({ folder, vsix: [VSIX] });
  const failed: string[] = [];
  const step = async (name: string, fn: (st: TestContext) => Promise<void>): Promise<void> => {
    await t.test(name, async (st) => {
      try {
        await fn(st);
      } catch (err) {
        failed.push(name);
        await wb.screenshot(`failure-exports-${name.replace(/\W+/g, '-')}`).catch(() => undefined);
        throw err;
      }
    });
  };
  const expected = (rel: string, format: ExportFormat): string => {
    const file = join(folder, rel);
    return exportText(analyzeText(file, readFileSync(file, 'utf8')).graph!, format, file);
  };
  try {
    await step('Export to PyTorch writes the module next to the design', async () => {
      await openAnalysed(wb, 'designs/tiny.resnet.json', 'Tiny ResNet');
      await wb.runCommand('ResNet Studio: Export to PyTorch');
      await acceptSaveDialog(wb, 'tiny.py');
      const written = await waitForFile(join(folder, 'designs/tiny.py'));
      assert.equal(written, expected('designs/tiny.resnet.json', 'pytorch'));
      assert.match(written, /class /);
      await wb.page.locator('.tabs-container .tab.active', { hasText: 'tiny.py' }).first().waitFor({ state: 'visible', timeout: 15_000 });
      await wb.screenshot('exports-pytorch');
    });

    await step('Export Summary as CSV', async () => {
      await openAnalysed(wb, 'designs/tiny.resnet.json', 'Tiny ResNet');
      await wb.runCommand('ResNet Studio: Export Summary (Markdown or CSV)…');
      const csv = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'CSV' }).first();
      await csv.waitFor({ state: 'visible', timeout: 15_000 });
      await csv.click();
      await acceptSaveDialog(wb, 'tiny.summary.csv');
      assert.equal(await waitForFile(join(folder, 'designs/tiny.summary.csv')), expected('designs/tiny.resnet.json', 'csv'));
    });

    await step('TF.js refuses the option-A shortcut with the writer message, and Go to Line reaches it', async () => {
      const rel = 'designs/cifar20.resnet.json';
      await openAnalysed(wb, rel, 'CIFAR ResNet-20');
      const file = join(folder, rel);
      const shortcut = analyzeText(file, readFileSync(file, 'utf8')).graph!.nodes.find((n) => n.name === 'layer2.0.shortcut')!;
      await wb.runCommand('ResNet Studio: Export to TF.js model.json');
      const toast = wb.page.locator('.notifications-toasts .notification-list-item', { hasText: "cannot write slice 'layer2.0.shortcut'" }).first();
      await toast.waitFor({ state: 'visible', timeout: 30_000 });
      // The command's title, then the writer's first line; the other refused ops are counted, not listed.
      assert.match(await toast.innerText(), /^Export to TF\.js model\.json: cannot write slice 'layer2\.0\.shortcut' at cifar20\.resnet\.json:\d+ .*\(and \d+ more\)$/m);
      await wb.screenshot('exports-tfjs-refused');
      await toast.locator('.monaco-button', { hasText: 'Go to Line' }).first().click();
      await wb.page.locator('.statusbar-item', { hasText: `Ln ${shortcut.source!.line}, Col ${shortcut.source!.column}` }).first().waitFor({ state: 'visible', timeout: 15_000 });
      assert.equal(existsSync(join(folder, 'designs/cifar20.model.json')), false, 'nothing is written');
    });

    await step('New ResNet from Template writes the template design', async () => {
      await wb.runCommand('View: Close All Editors');
      await wb.runCommand('ResNet Studio: New ResNet from Template…');
      const row = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Tiny ResNet (16x16' }).first();
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      await row.click();
      await acceptSaveDialog(wb, 'tiny-resnet.resnet.json');
      assert.equal(await waitForFile(join(folder, 'tiny-resnet.resnet.json')), newDesignText('tiny-resnet'));
    });
  } finally {
    if (failed.length) t.diagnostic(`--- code-server log (tail) ---\n${wb.serverLog()}`);
    await wb.stop();
    rmSync(join(folder, '..'), { recursive: true, force: true });
  }
});
