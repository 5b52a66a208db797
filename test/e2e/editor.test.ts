// The editor experience a new user meets, in a real workbench (code-server + Chromium, see workbench.ts):
// Problems lists every model's errors, the tutorial block's bug has a fix that clears it, the input shape and
// the model are the ones a user means, and designs copied into a workspace behave. Each step leaves a
// screenshot under test-artifacts/e2e/. `npm run package` builds dist/resnet-studio.vsix first.
// E2E_STEPS=1,2 runs only the steps whose names start with those numbers (to iterate on one of them).
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
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

test('editor experience in a real workbench', { skip: e2eSkip(), timeout: 900_000 }, async (t) => {
  assert.ok(existsSync(VSIX), `${VSIX} is missing: run \`npm run package\``);
  const folder = copyWorkspace();
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
      await codeLens(wb, 'Show graph', 0).click({ timeout: 45_000 });
      await graphStatus(wb, 'WideHead');
      shown = await waitForProblems(wb, 'three_broken.py', 'three errors with WideHead shown', (p) => errorLines(p).join() === '15,25,31');
      assert.equal(shown.length, new Set(shown.map((p) => `${p.line}:${p.message}`)).size);
      await wb.screenshot('editor-1-every-model');
    });
  } finally {
    if (failed.length) t.diagnostic(`--- code-server log (tail) ---\n${wb.serverLog()}`);
    await wb.stop();
    rmSync(join(folder, '..'), { recursive: true, force: true });
  }
});
