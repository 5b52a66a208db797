// Proves the end-to-end harness on a real extension: a throwaway "probe" extension is written and
// packaged with vsce at test time, installed into code-server, and driven through the workbench.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { copyWorkspace, e2eSkip, runBounded, Workbench, WORKSPACE_FIXTURE } from './workbench';

const TOKEN = 'FLAGME';
const REPLY = 'hello from the extension host';

const PROBE_MANIFEST = {
  name: 'harness-probe',
  displayName: 'Harness Probe',
  publisher: 'resnet-studio-test',
  version: '0.0.1',
  license: 'MIT',
  engines: { vscode: '^1.90.0' },
  main: './extension.js',
  activationEvents: ['onStartupFinished'],
  contributes: { commands: [{ command: 'harnessProbe.openPanel', title: 'Open Panel', category: 'Harness Probe' }] },
};

// The webview answers "ready" and shows what the host sends back, so the test sees a real
// host-to-webview round trip rather than static HTML.
const PROBE_SOURCE = `
const vscode = require('vscode');
const crypto = require('crypto');
const TOKEN = ${JSON.stringify(TOKEN)};

exports.activate = (context) => {
  const diagnostics = vscode.languages.createDiagnosticCollection('harness-probe');
  const scan = (doc) => {
    if (doc.uri.scheme !== 'file') return;
    const found = [];
    for (let i = 0; i < doc.lineCount; i++) {
      const col = doc.lineAt(i).text.indexOf(TOKEN);
      if (col < 0) continue;
      const d = new vscode.Diagnostic(new vscode.Range(i, col, i, col + TOKEN.length), 'probe: flagged token', vscode.DiagnosticSeverity.Warning);
      d.source = 'harness-probe';
      found.push(d);
    }
    diagnostics.set(doc.uri, found);
  };
  vscode.workspace.textDocuments.forEach(scan);
  context.subscriptions.push(
    diagnostics,
    vscode.workspace.onDidOpenTextDocument(scan),
    vscode.workspace.onDidChangeTextDocument((e) => scan(e.document)),
    vscode.commands.registerCommand('harnessProbe.openPanel', () => {
      const panel = vscode.window.createWebviewPanel('harnessProbe', 'Harness Probe', vscode.ViewColumn.One, { enableScripts: true });
      const nonce = crypto.randomBytes(16).toString('base64');
      panel.webview.onDidReceiveMessage((m) => {
        if (m && m.type === 'ready') panel.webview.postMessage({ type: 'reply', text: ${JSON.stringify(REPLY)} });
      });
      panel.webview.html = \`<!DOCTYPE html><html><head>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-\${nonce}';">
</head><body><h1 id="probe-title">Harness probe</h1><p id="probe-reply">waiting</p>
<script nonce="\${nonce}">
const api = acquireVsCodeApi();
window.addEventListener('message', (e) => { if (e.data.type === 'reply') document.getElementById('probe-reply').textContent = e.data.text; });
api.postMessage({ type: 'ready' });
</script></body></html>\`;
    }),
  );
};
exports.deactivate = () => {};
`;

/** Writes the probe extension to a temp folder and packages it; returns the .vsix path. */
async function packageProbe(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'resnet-studio-e2e-probe-'));
  const src = join(dir, 'src');
  mkdirSync(src);
  writeFileSync(join(src, 'package.json'), JSON.stringify(PROBE_MANIFEST, null, 2));
  writeFileSync(join(src, 'extension.js'), PROBE_SOURCE);
  writeFileSync(join(src, 'README.md'), '# Harness probe\n\nThrowaway extension used by the end-to-end harness test.\n');
  const out = join(dir, 'harness-probe.vsix');
  const vsce = require.resolve('@vscode/vsce/vsce');
  const run = await runBounded(
    process.execPath,
    [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', out],
    { cwd: src, timeoutMs: 60_000 },
  );
  assert.equal(run.code, 0, `vsce package failed:\n${run.output}`);
  return out;
}

/** 1-based positions of the token in `text`, found the way the probe finds them. */
function tokenPositions(text: string): { line: number; column: number }[] {
  return text.split('\n').flatMap((line, i) => (line.includes(TOKEN) ? [{ line: i + 1, column: line.indexOf(TOKEN) + 1 }] : []));
}

test('missing tools skip outside CI and fail under CI', async () => {
  const saved = { cache: process.env['RESNET_STUDIO_E2E_CACHE'], ci: process.env['CI'] };
  const empty = mkdtempSync(join(tmpdir(), 'resnet-studio-e2e-empty-'));
  try {
    process.env['RESNET_STUDIO_E2E_CACHE'] = empty;
    delete process.env['CI'];
    const skip = e2eSkip();
    assert.ok(typeof skip === 'string' && skip.includes('scripts/setupE2e.sh'), `expected a skip message, got ${String(skip)}`);
    process.env['CI'] = 'true';
    assert.equal(e2eSkip(), false);
    await assert.rejects(Workbench.start({ folder: empty }), /is not built at .*scripts\/setupE2e\.sh/s);
  } finally {
    for (const [key, value] of [['RESNET_STUDIO_E2E_CACHE', saved.cache], ['CI', saved.ci]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    rmSync(empty, { recursive: true, force: true });
  }
});

test('harness drives a packaged extension in a real workbench', { skip: e2eSkip(), timeout: 240_000 }, async (t) => {
  const started = Date.now();
  const vsix = await packageProbe();
  const packagedMs = Date.now() - started;
  const folder = copyWorkspace();
  const wb = await Workbench.start({ folder, vsix: [vsix] });
  try {
    t.diagnostic(`vsce package ${packagedMs} ms; ${JSON.stringify(wb.timings)}`);

    await wb.runCommand('Harness Probe: Open Panel');
    const title = await wb.findInWebviews('#probe-title');
    assert.equal((await title.textContent())?.trim(), 'Harness probe');
    const reply = await wb.findInWebviews('#probe-reply');
    const deadline = Date.now() + 15_000;
    let text = await reply.textContent();
    while (text !== REPLY && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      text = await reply.textContent();
    }
    assert.equal(text, REPLY, 'the webview never received the host reply');

    const flagged = 'harness/flagged.txt';
    const expected = tokenPositions(readFileSync(join(WORKSPACE_FIXTURE, flagged), 'utf8'));
    assert.ok(expected.length > 0, `the fixture ${flagged} must hold the token`);
    await wb.openFile(flagged);
    await wb.openFile('harness/clean.txt');
    await wb.waitForProblem((p) => p.source === 'harness-probe' && p.line === expected[0]?.line);
    const probeProblems = (await wb.problems()).filter((p) => p.source === 'harness-probe');
    assert.deepEqual(
      probeProblems.map(({ severity, message, line, column, file }) => ({ severity, message, line, column, file })),
      expected.map(({ line, column }) => ({ severity: 'Warning', message: 'probe: flagged token', line, column, file: 'flagged.txt' })),
    );
    await wb.screenshot('harness');
    t.diagnostic(`total ${Date.now() - started} ms`);
  } catch (err) {
    await wb.screenshot('harness-failure').catch(() => undefined);
    if (err instanceof Error) err.message += `\n--- code-server log (tail) ---\n${wb.serverLog()}`;
    throw err;
  } finally {
    await wb.stop();
    rmSync(join(folder, '..'), { recursive: true, force: true });
    rmSync(join(vsix, '..'), { recursive: true, force: true });
  }
});
