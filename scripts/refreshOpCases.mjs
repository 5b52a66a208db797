// Writes what real PyTorch says ("expected") into every case of test/fixtures/ops/cases.json that has a
// PyTorch counterpart (scripts/opCases.py). To add a case, append it without "expected", run this, and review
// the diff.   node scripts/refreshOpCases.mjs [--check]   (--check writes nothing and exits 1 on a difference)
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const path = 'test/fixtures/ops/cases.json';
const check = process.argv.includes('--check');
const python = process.env.RESNET_STUDIO_PYTHON || 'python3';
const r = spawnSync(python, ['scripts/opCases.py', path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] });
if (r.status !== 0) {
  console.error(`${python} scripts/opCases.py failed (status ${r.status}); set RESNET_STUDIO_PYTHON to a Python with torch`);
  process.exit(2);
}
const results = JSON.parse(r.stdout);
const doc = JSON.parse(readFileSync(path, 'utf8'));
let differ = 0;
doc.cases.forEach((c, i) => {
  const res = results[i];
  if (res === null) return;
  if (JSON.stringify(c.expected) !== JSON.stringify(res)) {
    differ++;
    console.log(`${c.op} ${c.module ?? c.expr}: ${JSON.stringify(c.expected)} -> ${JSON.stringify(res)}`);
    c.expected = res;
  }
});
const text = `{\n  "$comment": ${JSON.stringify(doc.$comment)},\n  "cases": [\n${doc.cases.map((c) => `    ${JSON.stringify(c)}`).join(',\n')}\n  ]\n}\n`;
console.log(`${doc.cases.length} cases, ${differ} ${check ? 'differ' : 'updated'}`);
if (check) process.exit(differ ? 1 : 0);
writeFileSync(path, text);
