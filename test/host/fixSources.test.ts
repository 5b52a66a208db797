// Quick fixes for another model's error in a file of several models, under the orderings the editor meets:
// Problems still lists the error from an index of older options or an older version while the index of the
// version in the editor is pending, scheduled or running. The fix must come from that index, never from an
// older one, and "no fix" must not be the answer while it is on its way.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Analysis, Diagnostic } from '../../src/core/ir';
import { analyzeText } from '../../src/frontends';
import { type IndexedDiagnostic, indexFile } from '../../src/frontends/workspaceIndex';
import { fileDiagnostics } from '../../src/host/fileDiagnostics';
import { type FixRequest, fixSources } from '../../src/host/fixSources';
import { OtherModels } from '../../src/host/otherModels';
import { type EditorDiagnostic, applyEdits, quickFixesFor } from '../../src/host/quickFixes';
import { toZeroBased } from '../../src/host/ranges';

const FILE = join(import.meta.dirname, '../e2e/workspace/editor/three_broken.py');
const TEXT = readFileSync(FILE, 'utf8');
const URI = `file://${FILE}`;
const FIX = 'Set num_features to 8';

interface Doc {
  version: number;
  text: string;
  model: string | undefined;
}
interface Analyzed {
  version: number;
  analysis: Analysis;
}

const analyse = (doc: Doc): Analyzed => ({ version: doc.version, analysis: analyzeText(FILE, doc.text, doc.model ? { model: doc.model } : {}) });
const indexOf = (text: string): IndexedDiagnostic[] => indexFile(FILE, text)!.diagnostics;
const asEditor = (d: Diagnostic): EditorDiagnostic => ({ code: d.code, message: d.message, range: toZeroBased(d) });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What Problems lists for the document now: its analysis plus the store's latest index of its other models. */
function problems(doc: Doc, others: OtherModels): Diagnostic[] {
  const a = analyse(doc);
  return fileDiagnostics(a.analysis.diagnostics, doc.model ?? a.analysis.graph?.name, others.listed(URI), (f) => f === FILE);
}

/** tiny's BatchNorm error (line 31) as the editor holds it, from Problems. */
function tinyError(doc: Doc, others: OtherModels): EditorDiagnostic {
  const d = problems(doc, others).find((p) => p.line === 31 && p.severity === 'error');
  assert.ok(d, 'Problems lists tiny’s error');
  return asEditor(d);
}

function request(doc: Doc, invoked: boolean, analyze: () => Promise<Analyzed | undefined> = async () => analyse(doc)): FixRequest<Analyzed> {
  return { uri: URI, version: () => doc.version, analyze, cancelled: () => false, invoked };
}

/** The fix titles offered for `wanted`, after checking that the preferred one repairs the text of `doc`. */
async function offered(doc: Doc, req: FixRequest<Analyzed>, wanted: EditorDiagnostic, others: OtherModels): Promise<string[]> {
  const found = await fixSources(req, [wanted], others);
  if (!found) return [];
  assert.equal(found.analysis.version, doc.version, 'fixes come from the version in the editor');
  const fixes = quickFixesFor(found.diagnostics, [wanted]);
  const fix = fixes.find((f) => f.title === FIX);
  if (fix) {
    const after = analyzeText(FILE, applyEdits(doc.text, fix.edits), { model: 'tiny' });
    assert.deepEqual(after.diagnostics.filter((d) => d.severity === 'error'), [], 'the fix repairs tiny');
  }
  return fixes.map((f) => f.title);
}

/** An index run whose results the test hands out. */
function controlledRuns(): { run: (uri: string, version: number) => Promise<IndexedDiagnostic[] | undefined>; calls: { version: number; finish: (d: IndexedDiagnostic[] | undefined) => void }[] } {
  const calls: { version: number; finish: (d: IndexedDiagnostic[] | undefined) => void }[] = [];
  return {
    calls,
    run: (_uri, version) => new Promise((finish) => calls.push({ version, finish })),
  };
}

test('after Show Graph picks another model, Ctrl+. on a third model’s error waits for the index of the new options and offers its fix', async () => {
  const doc: Doc = { version: 1, text: TEXT, model: undefined };
  let runs = 0;
  const others = new OtherModels(async () => (runs++, indexOf(doc.text)), () => undefined, 60_000);
  try {
    others.schedule(URI, 1);
    await others.ofVersion(URI, 1, false);
    assert.equal(runs, 1, 'a file’s first index runs at once');
    // "Show graph" on WideHead's CodeLens: the choice changes, the old index stays listed, and the new
    // analysis schedules the next index after the quiet time (long here: the user is quicker).
    doc.model = 'WideHead';
    others.markStale(URI);
    others.schedule(URI, 1);
    const wanted = tinyError(doc, others);
    assert.deepEqual(await offered(doc, request(doc, true), wanted, others), [FIX]);
    assert.equal(runs, 2, 'the scheduled index ran at once instead of after the quiet time');
  } finally {
    others.dispose();
  }
});

test('the lightbulb after an edit waits for the index that runs once typing pauses, and does not start it early', async () => {
  const doc: Doc = { version: 1, text: TEXT, model: 'WideHead' };
  const started: number[] = [];
  const others = new OtherModels(async () => (started.push(Date.now()), indexOf(doc.text)), () => undefined, 150);
  try {
    others.schedule(URI, 1);
    await others.ofVersion(URI, 1, false);
    doc.version = 2;
    doc.text = `${TEXT}# a comment typed at the end\n`;
    const published = Date.now();
    others.schedule(URI, 2);
    const wanted = tinyError(doc, others);
    assert.deepEqual(await offered(doc, request(doc, false), wanted, others), [FIX]);
    assert.equal(started.length, 2);
    assert.ok(started[1]! - published >= 140, `the index of version 2 started ${started[1]! - published} ms after the analysis, not after the quiet time`);
  } finally {
    others.dispose();
  }
});

test('an index still running under the old model choice is not taken for the new one', async () => {
  const doc: Doc = { version: 1, text: TEXT, model: undefined };
  const { run, calls } = controlledRuns();
  const others = new OtherModels(run, () => undefined, 60_000);
  try {
    others.schedule(URI, 1);
    calls[0]!.finish(indexOf(TEXT));
    await others.ofVersion(URI, 1, false);
    // Show Graph picks WideHead, and Ctrl+. starts the scheduled index at once.
    doc.model = 'WideHead';
    others.markStale(URI);
    others.schedule(URI, 1);
    const wanted = tinyError(doc, others);
    const answer = offered(doc, request(doc, true), wanted, others);
    await sleep(10);
    assert.equal(calls.length, 2);
    // The input shape changes while that index runs: it read the options before, so what it finds (here
    // nothing for tiny) must not count; only a run under the current options may be used.
    others.markStale(URI);
    calls[1]!.finish([]);
    await sleep(10);
    assert.equal(calls.length, 3, 'a run under the current options was started');
    calls[2]!.finish(indexOf(TEXT));
    assert.deepEqual(await answer, [FIX]);
  } finally {
    others.dispose();
  }
});

test('an analysis that lands after the document changed is asked for again at the new version', async () => {
  const doc: Doc = { version: 1, text: TEXT, model: 'tiny' };
  const others = new OtherModels(async () => indexOf(doc.text), () => undefined, 60_000);
  try {
    const wanted = tinyError(doc, others);
    let asked = 0;
    const req = request(doc, true, async () => {
      asked++;
      const a = analyse(doc);
      // The user types while the first analysis runs: it is of version 1, the editor now holds version 2.
      if (asked === 1) {
        doc.version = 2;
        doc.text = `${TEXT}# typed\n`;
      }
      return a;
    });
    assert.deepEqual(await offered(doc, req, wanted, others), [FIX]);
    assert.equal(asked, 2);
  } finally {
    others.dispose();
  }
});

test('no fix is taken from the index of an older version, even when the index of this one fails', async () => {
  const doc: Doc = { version: 1, text: TEXT, model: undefined };
  const { run, calls } = controlledRuns();
  const others = new OtherModels(run, () => undefined, 60_000);
  try {
    others.schedule(URI, 1);
    calls[0]!.finish(indexOf(TEXT));
    await others.ofVersion(URI, 1, false);
    doc.model = 'WideHead';
    doc.version = 2;
    const wanted = tinyError(doc, others);
    const answer = offered(doc, request(doc, true), wanted, others);
    await sleep(10);
    assert.equal(calls.at(-1)?.version, 2, 'the index of version 2 was asked for');
    calls.at(-1)!.finish(undefined);
    assert.deepEqual(await answer, []);
    assert.ok(others.listed(URI).some((d) => d.line === 31), 'the older index stays listed');
  } finally {
    others.dispose();
  }
});

test('an error of the analysed model itself needs no index, and a cancelled request answers nothing', async () => {
  const doc: Doc = { version: 3, text: TEXT, model: 'tiny' };
  let runs = 0;
  const others = new OtherModels(async () => (runs++, indexOf(doc.text)), () => undefined, 60_000);
  try {
    const wanted = tinyError(doc, others);
    assert.deepEqual(await offered(doc, request(doc, true), wanted, others), [FIX]);
    assert.equal(runs, 0);
    doc.model = 'WideHead';
    const cancelled = { ...request(doc, true), cancelled: () => true };
    assert.equal(await fixSources(cancelled, [wanted], others), undefined);
  } finally {
    others.dispose();
  }
});

test('the store lists the newest index, never replaces it with an older version, and forgets a closed file', async () => {
  const { run, calls } = controlledRuns();
  const indexed: number[] = [];
  const others = new OtherModels(run, (_u, v) => indexed.push(v), 60_000);
  try {
    others.schedule(URI, 1);
    const v1 = others.ofVersion(URI, 1, false);
    void others.ofVersion(URI, 2, true);
    calls[1]!.finish(indexOf(TEXT));
    await sleep(0);
    calls[0]!.finish([]);
    assert.equal(await v1, undefined, 'version 1 finished after version 2 and is not stored');
    assert.ok(others.current(URI, 2));
    assert.deepEqual(indexed, [2]);
    others.delete(URI);
    assert.deepEqual(others.listed(URI), []);
    assert.equal(await others.ofVersion(URI, 2, false), undefined);
  } finally {
    others.dispose();
  }
});

test('a lightbulb waiting for a scheduled index still gets it when the same version is scheduled again', async () => {
  const doc: Doc = { version: 1, text: TEXT, model: undefined };
  const others = new OtherModels(async () => indexOf(doc.text), () => undefined, 100);
  try {
    others.schedule(URI, 1);
    await others.ofVersion(URI, 1, false);
    doc.model = 'WideHead';
    others.markStale(URI);
    others.schedule(URI, 1);
    const wanted = tinyError(doc, others);
    const answer = offered(doc, request(doc, false), wanted, others);
    await sleep(20);
    // The analysis of the same text is published again (an imported module changed): the quiet time restarts.
    others.schedule(URI, 1);
    assert.deepEqual(await answer, [FIX]);
  } finally {
    others.dispose();
  }
});
