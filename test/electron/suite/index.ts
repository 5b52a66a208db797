// Runs inside the VS Code extension host (loaded by @vscode/test-electron as `extensionTestsPath`): the
// extension's diagnostics, hovers, inlay hints, CodeLens, quick fixes and commands, through the public API
// only. The workspace is a copy of test/e2e/workspace; expectations come from the same pure analysis.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Diagnostic as CoreDiagnostic } from '../../../src/core/ir';
import { analyzeText } from '../../../src/frontends';

const SOURCE = 'ResNet Studio';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function workspaceFile(rel: string): vscode.Uri {
  const root = process.env['RESNET_STUDIO_TEST_WORKSPACE'] ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(root, 'the suite needs a workspace folder');
  return vscode.Uri.file(join(root, rel));
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function ourDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
    .join('\n');
}

const tests: [string, () => Promise<void>][] = [];
const test = (name: string, fn: () => Promise<void>): void => void tests.push([name, fn]);

const DESIGN = 'resnet/wrong-fc.resnet.json';

function expected(uri: vscode.Uri): { error: CoreDiagnostic; layers: number } {
  const a = analyzeText(uri.fsPath, readFileSync(uri.fsPath, 'utf8'));
  const errors = a.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errors.length, 1);
  return { error: errors[0]!, layers: a.graph!.nodes.length - 1 };
}

test('every contributed command is registered', async () => {
  const manifest = vscode.extensions.getExtension('resnet-studio.resnet-studio')?.packageJSON as { contributes: { commands: { command: string }[] } };
  assert.ok(manifest, 'the extension is installed');
  await vscode.extensions.getExtension('resnet-studio.resnet-studio')!.activate();
  const all = new Set(await vscode.commands.getCommands(true));
  for (const c of manifest.contributes.commands) assert.ok(all.has(c.command), `${c.command} is registered`);
});

test('diagnostics: the design error at its line, with its code', async () => {
  const uri = workspaceFile(DESIGN);
  const { error } = expected(uri);
  await vscode.window.showTextDocument(uri);
  const diags = await until('diagnostics', () => {
    const d = ourDiagnostics(uri);
    return d.length ? d : undefined;
  });
  assert.equal(diags.length, 1);
  const d = diags[0]!;
  assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
  assert.equal(d.range.start.line, error.line - 1);
  assert.equal(d.range.start.character, error.column - 1);
  assert.equal(d.code, error.code);
  assert.equal(d.message, error.message);
});

test('hover: shapes, params and module path of a layer', async () => {
  const uri = workspaceFile(DESIGN);
  const doc = await vscode.workspace.openTextDocument(uri);
  const line = doc.getText().split('\n').findIndex((l) => l.includes('"conv1"'));
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(line, 10));
  const text = hoverText(hovers);
  assert.match(text, /\*\*Conv2d\*\* `conv1`/);
  assert.match(text, /Input \[1, 3, 32, 32\] → output \[1, 16, 32, 32\]/);
  assert.match(text, /Params 432/);
});

test('inlay hints: the shape at the end of each layer line', async () => {
  const uri = workspaceFile(DESIGN);
  const doc = await vscode.workspace.openTextDocument(uri);
  const hints = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', uri, new vscode.Range(0, 0, doc.lineCount, 0));
  const byLine = new Map(hints.map((h) => [h.position.line, typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('')]));
  const fcLine = doc.getText().split('\n').findIndex((l) => l.includes('"fc"'));
  assert.equal(byLine.get(fcLine), '[1, 10]');
  assert.equal(hints.find((h) => h.position.line === fcLine)!.position.character, doc.lineAt(fcLine).text.length);
  await vscode.workspace.getConfiguration('resnetStudio').update('editor.inlayHints.enabled', false, vscode.ConfigurationTarget.Global);
  try {
    const none = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', uri, new vscode.Range(0, 0, doc.lineCount, 0));
    assert.equal(none.length, 0, 'the setting turns hints off');
  } finally {
    await vscode.workspace.getConfiguration('resnetStudio').update('editor.inlayHints.enabled', undefined, vscode.ConfigurationTarget.Global);
  }
});

test('CodeLens: name, params and MACs above the model', async () => {
  const uri = workspaceFile(DESIGN);
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 10);
  const titles = lenses.map((l) => l.command?.title ?? '');
  assert.ok(titles.some((t) => /^Small CIFAR ResNet · 20\.3 k params · 8\.83 MMACs · 1 error$/.test(t)), JSON.stringify(titles));
  assert.ok(titles.includes('Show graph') && titles.includes('Train…'), JSON.stringify(titles));
});

test('quick fix: one WorkspaceEdit that clears the error, undone by one undo', async () => {
  const uri = workspaceFile(DESIGN);
  const { error } = expected(uri);
  const editor = await vscode.window.showTextDocument(uri);
  const diag = ourDiagnostics(uri)[0]!;
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diag.range, vscode.CodeActionKind.QuickFix.value);
  const fix = actions.find((a) => a.title === error.fixes![0]!.title);
  assert.ok(fix?.edit, `the fix "${error.fixes![0]!.title}" is offered: ${actions.map((a) => a.title).join(', ')}`);
  assert.ok(await vscode.workspace.applyEdit(fix.edit));
  await until('the error to clear', () => (ourDiagnostics(uri).length === 0 ? true : undefined));
  await vscode.commands.executeCommand('undo');
  assert.ok(editor.document.getText().includes('"in_features": 64'), 'undo restores the text');
  await until('the error to return', () => (ourDiagnostics(uri).length === 1 ? true : undefined));
  await editor.document.save();
});

/** Prints a line; also appends it to `$RESNET_STUDIO_SUITE_LOG` for runners that cannot see the host's console. */
function say(line: string): void {
  console.log(line);
  const log = process.env['RESNET_STUDIO_SUITE_LOG'];
  if (log) appendFileSync(log, `${line}\n`);
}

const TUTORIAL = 'pytorch/tutorial_block.py';

test('PyTorch: the tutorial block\'s error at `x += identity`, hovers on definition and forward lines, shape hints', async () => {
  const uri = workspaceFile(TUTORIAL);
  const text = readFileSync(uri.fsPath, 'utf8');
  const lines = text.split('\n');
  const a = analyzeText(uri.fsPath, text);
  const error = a.diagnostics.find((d) => d.severity === 'error')!;
  const addLine = lines.findIndex((l) => l.trim() === 'x += identity');
  assert.equal(error.line - 1, addLine, 'the fixture\'s error is on the x += identity line');
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc);
  const diags = await until('PyTorch diagnostics', () => {
    const d = ourDiagnostics(uri).filter((x) => x.severity === vscode.DiagnosticSeverity.Error);
    return d.length ? d : undefined;
  });
  assert.equal(diags[0]!.range.start.line, addLine);
  assert.equal(diags[0]!.message, error.message);

  const defLine = lines.findIndex((l) => l.includes('self.conv1 = nn.Conv2d('));
  const defHover = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(defLine, 12)));
  assert.match(defHover, /Conv2d\*\*, 2 instances/, defHover);
  assert.match(defHover, /`blocks\.0\.conv1`/, defHover);
  assert.match(defHover, /`blocks\.1\.conv1`/, defHover);

  const fwdLine = lines.findIndex((l) => l.includes('x = self.bn3(self.conv3(x))'));
  const fwdHover = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(fwdLine, 10)));
  assert.match(fwdHover, /over 2 calls → \[1, 256, 32, 32\]/, fwdHover);

  const hints = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', uri, new vscode.Range(0, 0, doc.lineCount, 0));
  const label = (h: vscode.InlayHint): string => (typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join(''));
  const fcLine = lines.findIndex((l) => l.includes('return self.fc(x)'));
  assert.equal(label(hints.find((h) => h.position.line === fcLine)!), '[1, 10]');
  assert.match(label(hints.find((h) => h.position.line === fwdLine)!), /^\[1, 256, 32, 32\] ×2$/);
});

export async function run(): Promise<void> {
  const failures: string[] = [];
  for (const [name, fn] of tests) {
    const t0 = Date.now();
    try {
      await fn();
      say(`ok - ${name} (${Date.now() - t0} ms)`);
    } catch (err) {
      failures.push(name);
      say(`not ok - ${name}\n  ${err instanceof Error ? (err.stack ?? err.message).replace(/\n/g, '\n  ') : String(err)}`);
    }
  }
  say(`${tests.length - failures.length}/${tests.length} passed`);
  if (failures.length) throw new Error(`${failures.length} integration test(s) failed: ${failures.join('; ')}`);
}
