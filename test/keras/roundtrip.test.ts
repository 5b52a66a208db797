/**
 * The catalogue's Keras mappings both ways: every Keras fixture the reader builds is written back as a TF.js
 * layers model (src/codegen/kerasWriter.ts), and that file must read back with the same parameters and
 * output, and build in TensorFlow.js (scripts/kerasOracle.ts) with the same numbers. An op Keras cannot
 * express may be refused, but only with the catalogue's reason, and only for the cases listed here.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKeras } from '../../src/codegen/kerasWriter';
import { analyzeKeras } from '../../src/frontends/kerasJson';
import { runOracle, type OracleResult } from '../../scripts/kerasOracle';

const DIR = 'test/fixtures/keras';

/** Fixtures the writer refuses, and the words of the catalogue reason it must give. */
const REFUSED: Record<string, RegExp> = {
  'decoder.keras2.model.json': /image inputs/,
  'decoder.keras3.json': /image inputs/,
  'hard-swish.keras3.json': /pointwise function 'add'/,
  'preprocessing.keras2.model.json': /pointwise function 'standardize'/,
  'preprocessing.keras3.json': /pointwise function 'standardize'/,
};

describe('Keras fixtures written back by the Keras writer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-keras-rt-'));
  const written = new Map<string, { file: string; params: number | null; output: unknown }>();
  const refused = new Map<string, string>();
  let oracle = new Map<string, OracleResult>();

  before(async () => {
    for (const name of readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()) {
      const file = join(DIR, name);
      const g = analyzeKeras(file, readFileSync(file, 'utf8')).graph;
      if (!g || g.output === null) continue;
      try {
        const out = join(dir, name);
        writeFileSync(out, JSON.stringify(writeKeras(g)));
        written.set(name, { file: out, params: g.params, output: g.outputs ?? g.output });
      } catch (e) {
        refused.set(name, (e as Error).message);
      }
    }
    const results = await runOracle([...written.values()].map((w) => w.file), 120_000);
    oracle = new Map(results.map((r) => [r.file, r]));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  });

  it('refuses only the listed fixtures, each with its catalogue reason', () => {
    assert.deepEqual([...refused.keys()].sort(), Object.keys(REFUSED).sort());
    for (const [name, message] of refused) assert.match(message, REFUSED[name]!, name);
    assert.ok(written.size >= 25, `${written.size} written`);
  });

  it('reads every written file back with the same parameters and output', () => {
    for (const [name, w] of written) {
      const g = analyzeKeras(w.file, readFileSync(w.file, 'utf8')).graph;
      assert.equal(g?.params, w.params, `${name}: params`);
      assert.deepEqual(g?.outputs ?? g?.output, w.output, `${name}: output`);
    }
  });

  it('TF.js builds every written file with the same parameters and output', () => {
    for (const [name, w] of written) {
      const o = oracle.get(w.file)!;
      assert.equal(o.error, null, `${name}: ${o.error}`);
      assert.equal(o.params, w.params, `${name}: params`);
      const outs = o.outputs!.length === 1 ? o.outputs![0] : o.outputs;
      assert.deepEqual(outs, w.output, `${name}: output`);
    }
  });
});
