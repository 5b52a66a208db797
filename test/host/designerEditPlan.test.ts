// The host's rules for an edit made in the graph (src/host/designerEditPlan.ts) and the worker's answers to the
// design requests (src/host/designerRequests.ts, through the in-process runner, which answers as the worker
// thread does): an edit against a version the document has moved past is refused, only designs are edited,
// the edit function's refusal is passed on, and the text edits the host applies one by one give the edited text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InProcessRunner } from '../../src/host/analysisRunner';
import { editRefusal, isDesignFileName, planOf } from '../../src/host/designerEditPlan';
import { DESIGN } from './designText';

/** The document's text with `edits` (offsets into the old text, as a `WorkspaceEdit` takes them) applied. */
function applyAll(text: string, edits: { offset: number; length: number; content: string }[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.offset - a.offset)) out = out.slice(0, e.offset) + e.content + out.slice(e.offset + e.length);
  return out;
}

test('an edit against the version the page drew may go ahead; against any other it is refused', () => {
  assert.equal(editRefusal({ fileName: '/w/net.resnet.json', version: 7 }, 7), undefined);
  for (const pageVersion of [6, 8]) {
    const why = editRefusal({ fileName: '/w/net.resnet.json', version: 7 }, pageVersion);
    assert.match(why ?? '', new RegExp(`version ${pageVersion}, now 7`));
  }
});

test('only *.resnet.json designs are edited', () => {
  assert.ok(isDesignFileName('/a/b/resnet18.resnet.json'));
  assert.ok(isDesignFileName('/a/NET.RESNET.JSON'));
  for (const name of ['/a/model.json', '/a/net.py', '/a/resnet.json', '/a/x.resnet.json.bak']) {
    assert.equal(isDesignFileName(name), false, name);
    assert.match(editRefusal({ fileName: name, version: 1 }, 1) ?? '', /only a \*\.resnet\.json design/, name);
  }
});

test('the edit function\'s answer becomes the plan: its edits and summary, or its refusal as the message', () => {
  const edits = [{ offset: 3, length: 1, content: '2' }];
  assert.deepEqual(planOf({ ok: true, edits, text: 'x', summary: 'layer2: count 1 → 2' }), { ok: true, edits, summary: 'layer2: count 1 → 2' });
  assert.deepEqual(planOf({ ok: false, error: 'layer2 has one block; remove the stage instead' }), { ok: false, message: 'layer2 has one block; remove the stage instead' });
});

test('the worker\'s design edit gives text edits that, applied to the old text, make its new text', async () => {
  const runner = new InProcessRunner();
  const r = await runner.designEdit(DESIGN, { kind: 'addBlock', stage: 'layer2' });
  assert.ok(r.ok, r.ok ? '' : r.error);
  const plan = planOf(r);
  assert.ok(plan.ok);
  assert.equal(applyAll(DESIGN, plan.edits), r.text);
  const line = r.text.split('\n').find((l) => l.includes('"stage": "layer2"'));
  assert.match(line ?? '', /"count": 2/);
  assert.match(plan.summary, /layer2/);
  // Every line but the edited one is kept as it was.
  assert.deepEqual(r.text.split('\n').filter((l) => !l.includes('"layer2"')), DESIGN.split('\n').filter((l) => !l.includes('"layer2"')));
});

test('the worker refuses an edit of a stage the design does not have, and gives the page a context for a design only', async () => {
  const runner = new InProcessRunner();
  const r = await runner.designEdit(DESIGN, { kind: 'addBlock', stage: 'layer9' });
  assert.equal(r.ok, false);
  const context = await runner.designContext(DESIGN);
  assert.ok(context);
  assert.deepEqual(context.design.layers.map((l) => ('stage' in l ? l.stage : l.name)), ['conv1', 'bn1', 'relu', 'layer1', 'layer2', 'avgpool', 'flatten', 'fc']);
  assert.ok(context.builtinBlocks.includes('basic'));
  assert.equal(await runner.designContext('{ "not": '), null);
});
