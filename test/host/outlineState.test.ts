/**
 * The Model Outline after a file stops parsing: the last good tree of the same file, or the error alone,
 * never a tree beside an error; and an unchanged outline has the same fingerprint (it is not sent again).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeText } from '../../src/frontends';
import { fingerprint, outlineState } from '../../src/host/outline';

const FILE = join(__dirname, '..', 'e2e', 'workspace', 'editor', 'tutorial_block.py');
const good = analyzeText(FILE, readFileSync(FILE, 'utf8'));
const broken = analyzeText(FILE, readFileSync(FILE, 'utf8').replace('def forward(self, x):', 'def forward(self, x)'));

test('a syntax error shows the last good tree of the file, or the error alone', () => {
  assert.ok(good.graph && broken.graph, 'the front end still builds what parses');
  assert.ok(broken.diagnostics.some((d) => d.code === 'syntax/error'));
  const fresh = outlineState({ uri: 'file:///a.py', analysis: good }, undefined);
  assert.equal(fresh.message, undefined);
  assert.ok(fresh.roots.length > 0);
  const kept = outlineState({ uri: 'file:///a.py', analysis: broken }, { uri: 'file:///a.py', graph: good.graph! });
  assert.equal(kept.message, undefined);
  assert.deepEqual(kept.roots, fresh.roots, 'the last good tree, not the tree of what still parses');
  assert.match(kept.description, /last good version \(syntax error on line \d+\)/);
  // After a reload there is no earlier tree: the error alone.
  const reloaded = outlineState({ uri: 'file:///a.py', analysis: broken }, undefined);
  assert.deepEqual(reloaded.roots, []);
  assert.match(reloaded.message ?? '', /^No outline: syntax error on line \d+: /);
  // Another file's tree is never shown for this one.
  assert.deepEqual(outlineState({ uri: 'file:///b.py', analysis: broken }, { uri: 'file:///a.py', graph: good.graph! }).roots, []);
  for (const s of [fresh, kept, reloaded]) assert.ok(!(s.roots.length && s.message), 'never both');
});

test('the fingerprint changes with the tree and the message, and only then', () => {
  const a = outlineState({ uri: 'u', analysis: good }, undefined);
  const b = outlineState({ uri: 'u', analysis: analyzeText(FILE, readFileSync(FILE, 'utf8')) }, undefined);
  assert.equal(fingerprint(a, 'u'), fingerprint(b, 'u'));
  assert.notEqual(fingerprint(a, 'u'), fingerprint(outlineState({ uri: 'u', analysis: broken }, undefined), 'u'));
});
