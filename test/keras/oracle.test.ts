/**
 * TensorFlow.js as the judge of the Keras reader: every file under test/fixtures/keras/ is built with
 * `tf.models.modelFromJSON` (scripts/kerasOracle.ts: Keras 3 spellings normalised, every layer unfrozen, one
 * child process with a timeout), and our analysis must report the same learnable parameters and output
 * shapes (channels-first), and, with the file's frozen layers kept frozen, the same trainable count. A file TF.js cannot build because a reference is dangling must give us an error
 * that names the missing layer. The manifest rows of these files hold TF.js's numbers, checked here to be
 * TF.js's still; a row's `todo` (a case the reader does not handle yet) makes its test a todo here too.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeText } from '../../src/frontends';
import { runOracle, type OracleResult } from '../../scripts/kerasOracle';
import { classify } from '../../scripts/kerasDiff';
import { rows } from '../fixturesManifest';
import { frozenParams } from '../../src/core/report';

const DIR = 'test/fixtures/keras';
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort().map((f) => join(DIR, f));

/** Fixtures TF.js cannot build for its own reasons: we must report them unknown, with no error. */
const NO_ORACLE: Record<string, string> = {
  'keras1-sequential.keras1.json': 'TF.js reads Keras 2 and later only',
};

/** Each fixture's manifest row: its todo (a known bug, issue 14) and the numbers stored from TF.js. */
const rowOf = new Map(rows.filter((r) => r.file.startsWith(`${DIR}/`)).map((r) => [r.file, r]));

describe('TF.js agrees with the Keras reader on every Keras fixture', () => {
  let oracle = new Map<string, OracleResult>();

  before(async () => {
    const results = await runOracle(files, 120_000);
    oracle = new Map(results.map((r) => [r.file, r]));
  });

  it('finds the fixtures, each with a manifest row holding what TF.js says', () => {
    assert.ok(files.length >= 30, `${files.length} Keras fixtures`);
    for (const file of files) {
      const row = rowOf.get(file);
      assert.ok(row, `${file} has no manifest row`);
      const o = oracle.get(file)!;
      if (NO_ORACLE[file.slice(DIR.length + 1)]) assert.ok(o.error, `${file}: TF.js now builds it`);
      if (o.error) assert.equal(row.expect.output, null, file);
      else {
        assert.deepEqual(row.expect.output, o.outputs!.length === 1 ? o.outputs![0] : o.outputs, `${file}: output`);
        assert.equal(row.expect.params, o.params, `${file}: params`);
      }
    }
  });

  for (const file of files) {
    const name = file.slice(DIR.length + 1);
    const todo = rowOf.get(file)?.todo;
    it(name, todo ? { todo } : {}, () => {
      const o = oracle.get(file)!;
      const a = analyzeText(file, readFileSync(file, 'utf8'));
      if (NO_ORACLE[name]) {
        // Nothing to compare with: the honest answer is unknown, never an error or a made-up number.
        assert.equal(a.graph?.params ?? null, null, `${name}: params`);
        assert.equal(a.graph?.output ?? null, null, `${name}: output`);
        assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
        return;
      }
      // A file TF.js cannot build for its own reasons would prove nothing here.
      assert.ok(!o.error || o.error.startsWith('dangling reference') || o.error.startsWith('cycle'), `TF.js could not build ${name}: ${o.error}`);
      const g = a.graph;
      const frozen = g ? frozenParams(g) : null;
      const ours = {
        params: g?.params ?? null,
        trainable: g?.params === null || g?.params === undefined || frozen === null ? null : g.params - frozen,
        // A symbolic dimension is one we could not pin to a number: as unknown as a missing one.
        outputs: g?.output ? (g.outputs ?? [g.output]).map((s) => (s ?? []).map((d) => (typeof d === 'number' ? d : null))) : null,
        errors: a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`),
        crashed: null,
      };
      const { verdict, why } = classify(ours, o);
      assert.equal(verdict, 'exact', why);
    });
  }
});
