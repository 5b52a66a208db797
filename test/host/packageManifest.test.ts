// The manifest and the code agree: every contributed command is registered, every registered command is
// contributed, settings match the typed accessor's keys and defaults, and each category reads well.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_SETTINGS, SETTING_KEYS, SETTINGS_SECTION, parseSettings } from '../../src/host/settings';

interface Command {
  command: string;
  title: string;
  category?: string;
}
interface Category {
  title: string;
  properties: Record<string, { default?: unknown; markdownDescription?: string; description?: string }>;
}
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  main: string;
  icon: string;
  activationEvents: string[];
  contributes: {
    commands: Command[];
    configuration: Category[];
    views: Record<string, { id: string; type?: string }[]>;
    viewsContainers: { activitybar: { id: string; icon: string }[] };
    jsonValidation: { fileMatch: string; url: string }[];
  };
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const code = sources('src').map((f) => readFileSync(f, 'utf8')).join('\n');
const registered = new Set([...code.matchAll(/registerCommand\(\s*'(resnetStudio\.[\w.]+)'/g)].map((m) => m[1]!));
const trainingCommands = ['resnetStudio.train', 'resnetStudio.stopTraining', 'resnetStudio.showRuns'];

test('the issue\'s commands are contributed under the "ResNet Studio" category', () => {
  const ids = pkg.contributes.commands.map((c) => c.command);
  for (const id of [
    'resnetStudio.showGraph',
    'resnetStudio.analyzeModel',
    'resnetStudio.showSummary',
    'resnetStudio.newFromTemplate',
    'resnetStudio.exportPyTorch',
    'resnetStudio.exportTfjs',
    ...trainingCommands,
  ]) {
    assert.ok(ids.includes(id), `${id} is contributed`);
  }
  for (const c of pkg.contributes.commands) assert.equal(c.category, 'ResNet Studio', c.command);
  assert.equal(new Set(ids).size, ids.length, 'no command is contributed twice');
});

test('every contributed command is registered and every registered one contributed', () => {
  for (const c of pkg.contributes.commands) assert.ok(registered.has(c.command), `${c.command} is registered in src/`);
  for (const id of registered) assert.ok(pkg.contributes.commands.some((c) => c.command === id), `${id} is contributed`);
});

test('settings: one typed accessor, titled categories, markdown descriptions, same defaults', () => {
  const props = Object.assign({}, ...pkg.contributes.configuration.map((c) => c.properties)) as Category['properties'];
  const expected = Object.values(SETTING_KEYS).map((k) => `${SETTINGS_SECTION}.${k}`).sort();
  assert.deepEqual(Object.keys(props).sort(), expected);
  for (const cat of pkg.contributes.configuration) {
    assert.ok(cat.title.length > 0);
    for (const [key, p] of Object.entries(cat.properties)) assert.ok((p.markdownDescription ?? '').length > 20, `${key} has a markdownDescription`);
  }
  const defaults = parseSettings((k) => props[`${SETTINGS_SECTION}.${k}`]?.default);
  assert.deepEqual(defaults, DEFAULT_SETTINGS, 'package.json defaults equal the accessor defaults');
  for (const key of ['resnetStudio.training.runsDirectory', 'resnetStudio.training.pythonPath', 'resnetStudio.training.backend']) {
    assert.ok(key in props, key);
  }
});

test('views, activation, schema and icons point at things that exist', () => {
  const views = pkg.contributes.views['resnetStudio'] ?? [];
  assert.deepEqual(views.map((v) => v.id), ['resnetStudio.graphView', 'resnetStudio.outline', 'resnetStudio.models']);
  assert.equal(views[0]!.type, 'webview');
  assert.ok(code.includes(`'resnetStudio.graphView'`) && code.includes(`'resnetStudio.outline'`) && code.includes(`'resnetStudio.models'`));
  assert.ok(pkg.activationEvents.includes('onWebviewPanel:resnetStudio.graph'));
  assert.ok(code.includes(`'resnetStudio.graph'`));
  assert.equal(pkg.main, './dist/extension.js');
  for (const p of [pkg.icon, pkg.contributes.viewsContainers.activitybar[0]!.icon, pkg.contributes.jsonValidation[0]!.url]) {
    assert.ok(statSync(p).isFile(), p);
  }
  assert.deepEqual(pkg.contributes.jsonValidation, [{ fileMatch: '*.resnet.json', url: './schemas/resnet.schema.json' }]);
});
