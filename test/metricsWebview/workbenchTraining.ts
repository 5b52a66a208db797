/**
 * Training from a real VS Code workbench (code-server, see test/e2e/workbench.ts): "Train Model…" on a
 * design, the TF.js runner, synthetic data; the status bar follows the job, the metrics panel fills and ends
 * "completed", the completion notification names the accuracy, and the run directory is in the workspace.
 * A script rather than a `*.test.ts`, because it needs the packaged extension:
 *
 *     npm run package && npx tsx test/metricsWebview/workbenchTraining.ts
 *
 * Exits 1 on failure (2 when the workbench tools are missing), leaving screenshots in test-artifacts/e2e/.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, Workbench, copyWorkspace, e2eSkip } from '../e2e/workbench';

async function main(): Promise<number> {
  const skip = e2eSkip();
  if (skip) {
    console.log(`cannot run: ${skip}`);
    return 2;
  }
  const vsix = join(REPO_ROOT, 'dist', 'resnet-studio.vsix');
  if (!existsSync(vsix)) {
    console.log('cannot run: dist/resnet-studio.vsix is missing (npm run package)');
    return 2;
  }
  const folder = copyWorkspace();
  copyFileSync(join(REPO_ROOT, 'examples/tiny-resnet.resnet.json'), join(folder, 'tiny.resnet.json'));
  const wb = await Workbench.start({ folder, vsix: [vsix], settings: { 'resnetStudio.training.backend': 'tfjs' } });
  try {
    await wb.openFile('tiny.resnet.json');
    await wb.runCommand('ResNet Studio: Train Model…');
    const pick = async (label: string) => {
      const row = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ hasText: label }).first();
      await row.waitFor({ state: 'visible', timeout: 20_000 });
      await row.click();
    };
    await pick('TF.js');
    await pick('Synthetic');
    const input = wb.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 20_000 });
    await wb.page.waitForTimeout(300);
    await input.fill('epochs=2 batch=32 lr=0.05 size=320 val=0.25');
    await wb.page.keyboard.press('Enter');

    const deadline = Date.now() + 180_000;
    let statusBar = '';
    const badge = await wb.findInWebviews('#run-status', 60_000);
    while (Date.now() < deadline && !/completed|failed/.test((await badge.textContent()) ?? '')) {
      const m = /Tiny ResNet: [^\n]*/.exec(await wb.page.locator('.statusbar').innerText().catch(() => ''));
      if (m && !statusBar) {
        statusBar = m[0];
        await wb.screenshot('training-running');
      }
      await wb.page.waitForTimeout(500);
    }
    await wb.page.waitForTimeout(1000);
    await wb.screenshot('training-done');
    assert.equal(await badge.textContent(), 'completed');
    assert.match(statusBar, /^Tiny ResNet: epoch \d\/2 · step \d+\/14/, 'the status bar followed the job');
    assert.match((await (await wb.findInWebviews('#backend')).textContent()) ?? '', /tfjs \(pure JavaScript CPU\)/);
    assert.match((await (await wb.findInWebviews('#progress-text')).textContent()) ?? '', /step 14\/14/);
    assert.match(await wb.page.locator('.notifications-toasts').innerText(), /Training Tiny ResNet \(.*\) completed, validation accuracy \d/);
    assert.equal(readdirSync(join(folder, '.resnet-studio', 'runs')).length, 1);
    console.log('training from the workbench: ok');
    return 0;
  } catch (err) {
    console.log(`training from the workbench FAILED: ${(err as Error).stack ?? String(err)}`);
    console.log(await wb.screenshot('training-failed'));
    return 1;
  } finally {
    await wb.stop();
  }
}

main().then((code) => process.exit(code));
