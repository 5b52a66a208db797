// The README is the Marketplace page: it opens with the pictures `npm run screenshots` takes, each a small
// palette PNG in the repository; the .vsix does not carry them, and packaging turns their relative links into
// links to the repository named in package.json, which is where the Marketplace page loads them from.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';

const README = readFileSync('README.md', 'utf8');
const PICTURES = ['media/screenshots/graph-beside-code.png', 'media/screenshots/training-metrics.png'];
const images = [...README.matchAll(/!\[([^\]]*)\]\(([^)\s]+)\)/g)].map((m) => ({ alt: m[1]!, src: m[2]!, at: m.index }));

test('the README opens with the two screenshots, before its first section', () => {
  const firstSection = README.indexOf('\n## ');
  assert.deepEqual(images.filter((i) => i.at < firstSection).map((i) => i.src), PICTURES);
  for (const i of images) assert.ok(i.alt.length > 20, `${i.src} has alt text that says what it shows`);
});

test('each screenshot is a small palette PNG', () => {
  for (const file of PICTURES) {
    assert.ok(existsSync(file), `${file} is missing: run npm run screenshots`);
    const png = readFileSync(file);
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', file);
    // IHDR: width, height, bit depth, colour type (3 = indexed colour, what the optimiser writes).
    const [width, height, colourType] = [png.readUInt32BE(16), png.readUInt32BE(20), png[25]];
    assert.equal(colourType, 3, `${file} is written with a palette`);
    assert.ok(width >= 1000 && width <= 1600 && height >= 600, `${file} is ${width}×${height}`);
    assert.ok(statSync(file).size < 250 * 1024, `${file} is ${statSync(file).size} bytes`);
  }
});

test('image links are relative to committed files or https, and packaging rewrites the relative ones', () => {
  for (const { src } of images) {
    if (/^https:\/\//.test(src)) continue;
    assert.ok(!/^[a-z]+:/i.test(src), `${src}: only https images show on the Marketplace`);
    assert.ok(existsSync(src), `${src} does not exist`);
  }
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { repository?: { type: string; url: string }; scripts: Record<string, string> };
  assert.deepEqual(pkg.repository, { type: 'git', url: 'https://github.com/resnet-studio/resnet-studio' });
  assert.doesNotMatch(pkg.scripts['package']!, /--no-rewrite-relative-links/);
  assert.match(pkg.scripts['screenshots']!, /npm run package .*scripts\/screenshots\.ts/);
});

test('the .vsix leaves the screenshots out', () => {
  const listed = spawnSync(process.execPath, ['node_modules/@vscode/vsce/vsce', 'ls'], { encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  const shipped = listed.stdout.split('\n').map((l) => l.trim());
  assert.ok(shipped.includes('README.md'));
  assert.deepEqual(shipped.filter((f) => f.startsWith('media/screenshots/')), []);
});
