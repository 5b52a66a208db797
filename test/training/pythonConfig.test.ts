/**
 * The Python runner reads its config through `python/resnet_studio/config_schema.py`, a validator for the
 * subset of JSON Schema the generator emits (the user's Python may lack the `jsonschema` package). Here it
 * must reach the TypeScript validator's verdict on every shared case, in the same words, and fill in the
 * same defaults. Plain `python3` suffices: the config is read before torch is imported.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunConfigError, validateRunConfig } from '../../src/protocol/trainingProtocol';
import { CONFIG_CASES, base } from './configCases';
import { tempRoot } from './torchTestEnv';

const PYTHON_DIR = path.resolve(__dirname, '../../python');

/** Runs `code` with the runner's package importable; its stdout, parsed as JSON. */
function python(t: TestContext, code: string, input: unknown): unknown {
  const exe = process.env['RESNET_STUDIO_PYTHON'] ?? 'python3';
  const r = spawnSync(exe, ['-B', '-c', code], { input: JSON.stringify(input), encoding: 'utf8', env: { ...process.env, PYTHONPATH: PYTHON_DIR } });
  if (r.error) {
    if (process.env['CI'] === 'true') throw r.error;
    t.skip(`no Python: ${r.error.message}`);
    return undefined;
  }
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const tsProblems = (config: unknown): string[] => {
  try {
    validateRunConfig(config, '/run');
    return [];
  } catch (e) {
    if (e instanceof RunConfigError) return [...e.problems];
    throw e;
  }
};

test('the Python validator refuses exactly what the TypeScript one refuses, in the same words', (t) => {
  const got = python(
    t,
    `
import json, sys
from resnet_studio.config_schema import load_schema, validate_object
schema = load_schema()
out = []
for c in json.load(sys.stdin):
    if isinstance(c, dict):
        c = {k: v for k, v in c.items() if v is not None}
    out.append(validate_object(schema, c))
print(json.dumps(out))
`,
    CONFIG_CASES.map((c) => c.config),
  ) as string[][] | undefined;
  if (!got) return;
  CONFIG_CASES.forEach((c, i) => {
    assert.deepEqual(got[i], tsProblems(c.config), c.name);
    assert.equal(got[i]!.length === 0, c.valid, c.name);
  });
});

test('load_config fills the same defaults as validateRunConfig, and reads a float epoch count as an int', (t) => {
  const dir = tempRoot('pyconfig');
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify({ ...base, epochs: 3.0, maxSteps: null }));
  const got = python(
    t,
    `
import json, sys
from resnet_studio.config import load_config
cfg = load_config(json.load(sys.stdin), False)
assert isinstance(cfg["epochs"], int)
print(json.dumps(cfg))
`,
    file,
  );
  if (!got) return;
  assert.deepEqual(got, validateRunConfig({ ...base, epochs: 3 }, dir));
});
