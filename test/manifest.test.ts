/**
 * Data-driven: every row of test/fixtures/manifest.json, whatever its front end, through the analysis, which
 * must report the row's output shape, parameters, MACs, skips and diagnostics (and no other error or
 * warning). Oracle rows expect what real PyTorch said (test/torchOracle.test.ts keeps those honest). The
 * manifest itself is checked first: its JSON Schema, one row for every fixture file, and oracle rows whose
 * diagnostics agree with whether PyTorch raised.
 */
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import Ajv from 'ajv';
import {
  MANIFEST_SCHEMA_PATH,
  analyseRow,
  expectationOf,
  frontEndOf,
  knownButUnknown,
  labelOf,
  manifest,
  matchesDiagnostic,
  oracleRows,
  rows,
  textOf,
} from './fixturesManifest';

/** Folders whose every model file is a fixture the manifest must cover. */
const FIXTURE_DIRS = ['test/fixtures/json', 'test/fixtures/keras', 'test/fixtures/pytorch'];
const PYTORCH_DIR = 'test/fixtures/pytorch';

const fixtureFiles = (): string[] =>
  FIXTURE_DIRS.flatMap((dir) => readdirSync(dir).filter((f) => /\.(py|json)$/.test(f)).map((f) => `${dir}/${f}`));

describe('the manifest', () => {
  const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(JSON.parse(readFileSync(MANIFEST_SCHEMA_PATH, 'utf8')) as object);

  it('follows its JSON Schema', () => {
    assert.ok(validate(manifest), JSON.stringify(validate.errors, null, 1));
  });

  it('the schema rejects an oracle row without its case, or with numbers of its own beside what PyTorch said', () => {
    const oracle = oracleRows[0]!;
    const { model: _model, ...noModel } = oracle;
    assert.equal(validate({ ...manifest, rows: [noModel] }), false);
    assert.equal(validate({ ...manifest, rows: [{ ...oracle, expect: { ...oracle.expect, params: 1 } }] }), false);
    assert.equal(validate({ ...manifest, rows: [{ ...oracle, torch: { ...oracle.torch, raises: { type: 'RuntimeError' } } }] }), false);
  });

  it('has a row for every fixture file, and a file for every row', () => {
    const covered = new Set(rows.map((r) => r.file));
    for (const f of fixtureFiles()) assert.ok(covered.has(f), `${f} has no manifest row`);
    for (const r of rows) assert.ok(existsSync(r.file), `${r.file} does not exist`);
  });

  it('has one row per distinct case', () => {
    const keys = rows.map((r) => JSON.stringify([r.file, r.model, r.args, r.input]));
    assert.equal(new Set(keys).size, keys.length);
  });

  it('names, where a row names one, the front end that reads the file', () => {
    for (const r of rows) {
      const id = frontEndOf(r);
      assert.ok(id, `${r.file}: no front end reads it`);
      if (r.frontEnd !== undefined) assert.equal(r.frontEnd, id, r.file);
    }
  });

  it('lists the error on the line where PyTorch raised, and no error where PyTorch ran', () => {
    for (const r of oracleRows) {
      const errors = r.expect.diagnostics.filter((d) => d.severity === 'error');
      const { raises, output, params, macs } = r.torch;
      if (raises === null) {
        assert.deepEqual(errors, [], `${labelOf(r)}: PyTorch runs it`);
        assert.ok(output !== null && params !== null && macs !== null, `${labelOf(r)}: PyTorch ran it, so it has numbers`);
      } else {
        assert.ok(errors.some((d) => d.line === raises.line), `${labelOf(r)}: PyTorch raised ${raises.type} at line ${raises.line}`);
        assert.ok(output === null && macs === null, `${labelOf(r)}: PyTorch raised, so there is no output`);
      }
    }
  });

  it('says what stays unknown exactly for the rows whose model reaches code only PyTorch may read', () => {
    for (const r of rows) {
      if (r.torchPath === undefined) continue;
      assert.ok(r.torch !== undefined, `${labelOf(r)}: a torchPath row is an oracle row`);
      assert.ok(existsSync(r.torchPath), `${labelOf(r)}: ${r.torchPath} does not exist`);
      assert.ok((r.expect.unknown ?? []).length > 0, `${labelOf(r)}: the analysis cannot read the import, so something is unknown`);
    }
  });

  it("has a row for the case each PyTorch file's # resnet-studio: comment selects", () => {
    for (const f of readdirSync(PYTORCH_DIR).filter((n) => n.endsWith('.py'))) {
      const file = `${PYTORCH_DIR}/${f}`;
      const directive = /^# resnet-studio:(.*)$/m.exec(textOf(file))?.[1];
      assert.ok(directive !== undefined, `${f} has no # resnet-studio: comment`);
      const model = /model=(\w+)/.exec(directive)?.[1];
      const input = /input=\(([\d,\s]+)\)/.exec(directive)?.[1]?.split(',').map((d) => Number(d.trim()));
      assert.ok(input !== undefined, `${f}: the comment gives no input=(N, C, H, W)`);
      const match = rows.find(
        (r) => r.file === file && (model === undefined || r.model === model) && (r.args ?? null) === null && JSON.stringify(r.input) === JSON.stringify(input),
      );
      assert.ok(match, `${f}: no row for ${model ?? 'any model'} at ${JSON.stringify(input)}`);
    }
  });
});

test('the file comment picks the model and input when nothing is given', () => {
  for (const f of readdirSync(PYTORCH_DIR).filter((n) => n.endsWith('.py'))) {
    const file = `${PYTORCH_DIR}/${f}`;
    const graph = analyseRow({ file, expect: { diagnostics: [] } }).graph;
    assert.ok(graph, f);
    // The default case is one of the rows written for the comment (no args, the comment's input).
    const match = rows.find(
      (r) => r.file === file && (r.args ?? null) === null && r.model === graph.name && JSON.stringify(r.input) === JSON.stringify(graph.input),
    );
    assert.ok(match, `${f}: default ${graph.name} @ ${JSON.stringify(graph.input)} is not a comment row`);
    const output = expectationOf(match).output;
    if (output) assert.deepEqual(graph.outputs ?? graph.output, output);
  }
});

for (const row of rows) {
  test(`${frontEndOf(row) ?? '?'}: ${labelOf(row)}`, row.todo ? { todo: row.todo } : {}, () => {
    const a = analyseRow(row);
    const ex = expectationOf(row);
    assert.ok(!a.diagnostics.some((d) => d.code === 'pytorch/internal' || d.code === 'pytorch/budget'), JSON.stringify(a.diagnostics));
    // A model returning several tensors is judged on all of them, as PyTorch returns them.
    if (ex.output !== undefined) assert.deepEqual(a.graph?.outputs ?? a.graph?.output ?? null, ex.output, 'output shape');
    if (ex.params === null) assert.equal(a.graph, null, 'no graph: the model cannot be built');
    else if (ex.params !== undefined) assert.equal(a.graph?.params, ex.params, 'params');
    if (ex.macs !== undefined) assert.equal(a.graph?.macs, ex.macs, 'MACs');
    assert.deepEqual(knownButUnknown(a, ex), [], 'numbers the row says cannot be known here');
    if (ex.skips) {
      const kinds = a.graph!.skips.map((s) => s.kind);
      // `pad` (option A) is counted only where a row names it, so rows of models without one stay short.
      const counts: Record<string, number> = { identity: kinds.filter((k) => k === 'identity').length, projection: kinds.filter((k) => k === 'projection').length };
      const pads = kinds.filter((k) => k === 'pad').length;
      if (pads || 'pad' in ex.skips) counts['pad'] = pads;
      assert.deepEqual(counts, ex.skips);
    }
    // Every expected diagnostic is present, and there are no other errors or warnings.
    for (const e of ex.diagnostics) {
      assert.ok(a.diagnostics.some((d) => matchesDiagnostic(d, e)), `expected ${JSON.stringify(e)}; got ${JSON.stringify(a.diagnostics, null, 1)}`);
    }
    const unexpected = a.diagnostics.filter((d) => d.severity !== 'information' && !ex.diagnostics.some((e) => matchesDiagnostic(d, e)));
    assert.deepEqual(unexpected, []);
    for (const d of a.diagnostics) {
      assert.equal(d.file, row.file);
      assert.ok(d.line >= 1 && d.column >= 1 && d.endLine >= d.line, `1-based range: ${JSON.stringify(d)}`);
    }
  });
}
