/**
 * The extension trains where the workspace is (Remote-SSH, Dev Containers, code-server): the manifest's
 * extensionKind and the README's promise must say the same thing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../..');

test('extensionKind is workspace, as the README says, so training runs on the remote machine', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { extensionKind?: string[] };
  assert.deepEqual(manifest.extensionKind, ['workspace']);
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  assert.match(readme, /"extensionKind": \["workspace"\]/);
  for (const remote of ['Remote-SSH', 'Dev Containers', 'code-server']) assert.ok(readme.includes(remote), remote);
});
