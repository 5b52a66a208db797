// Runs every *.test.ts under the given folders (default: test/, excluding test/e2e and test/electron)
// with Node's own test runner; tsx compiles TypeScript on the fly.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['test'];
const excluded = process.argv.slice(2).length ? [] : ['test/e2e', 'test/electron'];
const files = [];
const walk = (dir) => {
  if (excluded.includes(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { if (name !== 'fixtures') walk(p); }
    else if (name.endsWith('.test.ts')) files.push(p);
  }
};
roots.forEach(walk);
if (files.length === 0) { console.error('no test files found under', roots.join(', ')); process.exit(1); }
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
