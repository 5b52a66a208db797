/**
 * Keeps the oracle rows of test/fixtures/manifest.json honest: every one is re-run through real PyTorch
 * (scripts/torchOracle.py) and must match what its "torch" entry says PyTorch did, the exception it raised
 * and the line it blamed included. The static reader is judged against these rows (test/manifest.test.ts),
 * so a row that drifted from PyTorch would silently judge it wrongly.
 *
 * All rows run in one Python process (--batch) because importing torch and building the 224x224 ImageNet
 * models dominates the cost.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { MANIFEST_PATH, type OracleRow, oracleRows as rows } from './fixturesManifest';

const oracle = 'scripts/torchOracle.py';

interface OracleLayer {
  name: string;
  type: string;
  line: number | null;
  outputShape: unknown;
  params: number;
  macs: number;
}

interface OracleResult {
  model: string;
  input: number[];
  output: number[] | number[][] | null;
  params: number | null;
  macs: number | null;
  layers: OracleLayer[];
  error: null | { line: number | null; lineFrom: string | null; message: string; type: string; module: string | null };
}

/** An explicit RESNET_STUDIO_PYTHON is used as given, never silently replaced by another interpreter. */
function chosenPython(): string {
  const fromEnv = process.env['RESNET_STUDIO_PYTHON'];
  if (fromEnv) return fromEnv;
  return existsSync('/usr/bin/python3.11') ? '/usr/bin/python3.11' : 'python3';
}

function findPython(exe: string): string | undefined {
  const probe = spawnSync(exe, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
  return probe.status === 0 ? exe : undefined;
}

const interpreter = chosenPython();
const python = findPython(interpreter);
const missing = `${interpreter} cannot import torch (set RESNET_STUDIO_PYTHON to a Python that can)`;
const skip = python === undefined && process.env['CI'] !== 'true' ? missing : false;

const label = (row: OracleRow): string =>
  `${row.file.replace(/^.*\//, '')} ${row.model}(${row.args ?? ''}) ${JSON.stringify(row.input)}`;

const runOracle = async (args: string[]): Promise<string> => {
  if (python === undefined) throw new Error(`${missing}; CI=true requires it`);
  const { stdout } = await promisify(execFile)(python, [oracle, ...args], {
    maxBuffer: 256 * 1024 * 1024,
    timeout: 180_000,
  });
  return stdout;
};

describe('manifest rows agree with real PyTorch', { skip }, () => {
  let results: OracleResult[] = [];

  before(async () => {
    results = JSON.parse(await runOracle(['--batch', MANIFEST_PATH])) as OracleResult[];
    assert.equal(results.length, rows.length, 'one oracle result per row');
  });

  for (const [i, row] of rows.entries()) {
    it(label(row), () => {
      const res = results[i];
      assert.ok(res, 'oracle result missing');
      const actual = {
        output: res.output,
        params: res.params,
        macs: res.macs,
        raises: res.error ? { type: res.error.type, line: res.error.line } : null,
      };
      assert.deepEqual(actual, row.torch, res.error ? `${res.error.type}: ${res.error.message}` : undefined);
    });
  }

  it('reports per-layer numbers that add up to the model totals', () => {
    for (const [i, row] of rows.entries()) {
      const res = results[i];
      if (!res || res.error !== null) continue;
      const top = res.layers.filter((l) => !l.name.includes('.'));
      const topParams = top.reduce((s, l) => s + l.params, 0);
      const topMacs = top.reduce((s, l) => s + l.macs, 0);
      // Direct parameters of the root module (none in these fixtures) would be the only gap.
      assert.equal(topParams, res.params, `${label(row)}: top-level params`);
      assert.equal(topMacs, res.macs, `${label(row)}: top-level MACs`);
      for (const l of res.layers) {
        if (l.type === 'Conv2d' || l.type === 'Linear') {
          assert.ok(l.line !== null, `${label(row)}: ${l.name} has no construction line`);
        }
      }
    }
  });

  it('the single-case command line gives the same answer as --batch', async () => {
    const picks = [
      rows.findIndex((r) => r.model === 'resnet20'),
      rows.findIndex((r) => r.torch.raises !== null && r.torch.params !== null),
    ];
    for (const i of picks) {
      const row = rows[i];
      assert.ok(row, 'expected rows for resnet20 and a failing forward');
      const args = [row.file, '--model', row.model, '--input', row.input.join(',')];
      if (row.args !== null) args.push('--args', row.args);
      const single = JSON.parse(await runOracle(args)) as OracleResult;
      assert.deepEqual(single, results[i]);
    }
  });

  it('blames the failing layer when no fixture frame is on the stack', () => {
    const i = rows.findIndex((r) => r.model === 'tiny_vgg_features');
    const res = results[i];
    assert.ok(res?.error, 'tiny_vgg_features must fail');
    assert.equal(res.error.lineFrom, 'module');
    assert.equal(res.error.module, '2');
    const conv = res.layers.find((l) => l.name === '2');
    assert.equal(res.error.line, conv?.line);
  });
});
