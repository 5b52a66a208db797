// Data-driven: every row of test/fixtures/manifest.json is one JSON model file with its expected analysis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyzeText } from '../src/frontends';
import type { Diagnostic, Severity } from '../src/core/ir';

interface ExpectedDiagnostic {
  severity: Severity;
  code: string;
  line: number;
  column?: number;
  messageIncludes?: string;
}
interface Row {
  file: string;
  input?: number[];
  expect: {
    output?: (number | null)[] | null;
    params?: number;
    macs?: number;
    skips?: { identity: number; projection: number };
    diagnostics: ExpectedDiagnostic[];
  };
}

const manifest = JSON.parse(readFileSync('test/fixtures/manifest.json', 'utf8')) as { rows: Row[] };

function matches(d: Diagnostic, e: ExpectedDiagnostic): boolean {
  return (
    d.severity === e.severity &&
    d.code === e.code &&
    d.line === e.line &&
    (e.column === undefined || d.column === e.column) &&
    (e.messageIncludes === undefined || d.message.includes(e.messageIncludes))
  );
}

for (const row of manifest.rows) {
  test(`${row.file}${row.input ? ` @ ${row.input.join('x')}` : ''}`, () => {
    const a = analyzeText(row.file, readFileSync(row.file, 'utf8'), row.input ? { input: row.input } : {});
    const ex = row.expect;
    if (ex.output !== undefined) assert.deepEqual(a.graph?.output ?? null, ex.output);
    if (ex.params !== undefined) assert.equal(a.graph?.params, ex.params, 'params');
    if (ex.macs !== undefined) assert.equal(a.graph?.macs, ex.macs, 'MACs');
    if (ex.skips) {
      const kinds = a.graph!.skips.map((s) => s.kind);
      assert.deepEqual(
        { identity: kinds.filter((k) => k === 'identity').length, projection: kinds.filter((k) => k === 'projection').length },
        ex.skips,
      );
    }
    // Every expected diagnostic is present, and there are no other errors or warnings.
    for (const e of ex.diagnostics) {
      assert.ok(a.diagnostics.some((d) => matches(d, e)), `expected ${JSON.stringify(e)}; got ${JSON.stringify(a.diagnostics, null, 1)}`);
    }
    const unexpected = a.diagnostics.filter((d) => d.severity !== 'information' && !ex.diagnostics.some((e) => matches(d, e)));
    assert.deepEqual(unexpected, []);
    for (const d of a.diagnostics) {
      assert.equal(d.file, row.file);
      assert.ok(d.line >= 1 && d.column >= 1 && d.endLine >= d.line, `1-based range: ${JSON.stringify(d)}`);
    }
  });
}
