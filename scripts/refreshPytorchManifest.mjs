// Rewrites what PyTorch said ("torch") on every oracle row of test/fixtures/manifest.json, from real
// PyTorch (scripts/torchOracle.py --batch). Rows of the other front ends, and every row's "expect", are
// left as they are. To add a PyTorch case, append a row with its file, model, args and input,
// "torch": null and "expect": {"diagnostics": [...]}, run this, and review the diff before committing it.
//   node scripts/refreshPytorchManifest.mjs [--check]
// --check writes nothing and exits 1 when any oracle row disagrees with PyTorch.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const manifestPath = 'test/fixtures/manifest.json';
const check = process.argv.includes('--check');

function python() {
  const exe = process.env.RESNET_STUDIO_PYTHON || (existsSync('/usr/bin/python3.11') ? '/usr/bin/python3.11' : 'python3');
  if (spawnSync(exe, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return exe;
  console.error(`${exe} cannot import torch; set RESNET_STUDIO_PYTHON to a Python that can`);
  process.exit(2);
}

const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
// The same selection torchOracle.py makes from the manifest, in the same order.
const oracleRows = manifest.rows.filter((row) => 'torch' in row);
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
if (results.length !== oracleRows.length) {
  console.error(`oracle answered ${results.length} cases for ${oracleRows.length} oracle rows`);
  process.exit(1);
}

let changed = 0;
oracleRows.forEach((row, i) => {
  const res = results[i];
  const torch = {
    output: res.output,
    params: res.params,
    macs: res.macs,
    raises: res.error ? { type: res.error.type, line: res.error.line } : null,
  };
  if (JSON.stringify(torch) === JSON.stringify(row.torch)) return;
  changed++;
  const label = `${row.file} ${row.model}(${row.args ?? ''}) ${JSON.stringify(row.input)}`;
  console.log(`${check ? 'differs' : 'updated'}: ${label}\n  was ${JSON.stringify(row.torch)}\n  now ${JSON.stringify(torch)}` +
    (res.error ? `\n  error: ${res.error.type}: ${res.error.message}` : ''));
  row.torch = torch;
});

if (check) {
  console.log(`${oracleRows.length} oracle rows, ${changed} differ`);
  process.exit(changed ? 1 : 0);
}
// One row per line keeps diffs of the manifest reviewable.
writeFileSync(
  manifestPath,
  `{\n  "description": ${JSON.stringify(manifest.description)},\n  "rows": [\n` +
    manifest.rows.map((row) => '    ' + JSON.stringify(row)).join(',\n') +
    '\n  ]\n}\n',
);
console.log(`${oracleRows.length} oracle rows, ${changed} updated`);
