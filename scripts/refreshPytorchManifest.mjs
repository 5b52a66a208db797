// Rewrites the "expect" of every row in test/fixtures/pytorch/manifest.json from
// real PyTorch (scripts/torchOracle.py --batch). To add a case, append a row with
// "expect": null and run this; review the diff before committing it.
//   node scripts/refreshPytorchManifest.mjs [--check]
// --check writes nothing and exits 1 when any row disagrees with PyTorch.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const manifestPath = 'test/fixtures/pytorch/manifest.json';
const check = process.argv.includes('--check');

function python() {
  const exe = process.env.RESNET_STUDIO_PYTHON || (existsSync('/usr/bin/python3.11') ? '/usr/bin/python3.11' : 'python3');
  if (spawnSync(exe, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return exe;
  console.error(`${exe} cannot import torch; set RESNET_STUDIO_PYTHON to a Python that can`);
  process.exit(2);
}

const rows = JSON.parse(readFileSync(manifestPath, 'utf8'));
const r = spawnSync(python(), ['scripts/torchOracle.py', '--batch', manifestPath], {
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
  stdio: ['ignore', 'pipe', 'inherit'],
});
if (r.status !== 0) {
  console.error('oracle failed with status', r.status);
  process.exit(1);
}
const results = JSON.parse(r.stdout);

let changed = 0;
const out = rows.map((row, i) => {
  const res = results[i];
  const expect = { output: res.output, params: res.params, macs: res.macs, errorLine: res.error ? res.error.line : null };
  if (JSON.stringify(expect) !== JSON.stringify(row.expect)) {
    changed++;
    const label = `${row.file} ${row.model}(${row.args ?? ''}) ${JSON.stringify(row.input)}`;
    console.log(`${check ? 'differs' : 'updated'}: ${label}\n  was ${JSON.stringify(row.expect)}\n  now ${JSON.stringify(expect)}` +
      (res.error ? `\n  error: ${res.error.type}: ${res.error.message}` : ''));
  }
  return { file: row.file, model: row.model, args: row.args ?? null, input: row.input, expect };
});

if (check) {
  console.log(`${rows.length} rows, ${changed} differ`);
  process.exit(changed ? 1 : 0);
}
// One row per line keeps diffs of the manifest reviewable.
writeFileSync(manifestPath, '[\n' + out.map((row) => '  ' + JSON.stringify(row)).join(',\n') + '\n]\n');
console.log(`${rows.length} rows, ${changed} updated`);
