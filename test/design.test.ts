// The design format's schema, templates and structural rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { designSchema, validatorSource } from '../src/frontends/designSchema';
import { TEMPLATES, cifarResNet } from '../src/frontends/templates';
import { analyzeText } from '../src/frontends';
import { evalExpr, ExprError } from '../src/core/expr';

test('the committed JSON Schema is the one generated from the catalogue (run scripts/genExamples.ts to refresh)', () => {
  assert.deepEqual(JSON.parse(readFileSync('schemas/resnet.schema.json', 'utf8')), designSchema());
});

test('the committed ahead-of-time validator was compiled from the current schema', () => {
  assert.equal(readFileSync('src/frontends/designValidator.generated.ts', 'utf8'), validatorSource());
});

test('every template analyses clean and round-trips through JSON text', () => {
  for (const t of TEMPLATES) {
    const a = analyzeText(`${t.id}.resnet.json`, JSON.stringify(t.make(), null, 2));
    assert.deepEqual(a.diagnostics.filter((d) => d.severity !== 'information'), [], t.id);
    assert.ok(a.graph && a.graph.params! > 0, t.id);
  }
});

test('CIFAR 6n+2: params grow linearly with n and depth must be 6n+2', () => {
  const p = (d: number) => analyzeText('c.resnet.json', JSON.stringify(cifarResNet(d))).graph!.params!;
  // Each extra block per stage adds the same weights: (20 -> 26) and (26 -> 32) differ equally.
  assert.equal(p(26) - p(20), p(32) - p(26));
  assert.throws(() => cifarResNet(21), /6n\+2/);
  const big = analyzeText('c.resnet.json', JSON.stringify(cifarResNet(1202))).graph!;
  assert.equal(big.skips.length, 600);
  assert.ok(big.nodes.length > 3600);
});

test('skip classification: identity, projection and parameter-free option-A shortcuts', () => {
  const g = analyzeText('x.resnet.json', readFileSync('examples/resnet50.resnet.json', 'utf8')).graph!;
  const first = g.skips[0]!;
  assert.equal(first.kind, 'projection');
  assert.deepEqual(first.via.map((id) => g.nodes.find((n) => n.id === id)!.name), ['layer1.0.downsample.0', 'layer1.0.downsample.1']);
  assert.equal(g.nodes.find((n) => n.id === first.from)!.name, 'maxpool');
  assert.equal(g.skips[1]!.kind, 'identity');
  assert.deepEqual(g.skips[1]!.via, []);
  assert.ok(g.edges.filter((e) => e.skip).length >= g.skips.length);
  const blocks = g.groups.filter((x) => x.kind === 'block');
  const stages = g.groups.filter((x) => x.kind === 'stage');
  assert.equal(blocks.length, 16);
  assert.deepEqual(stages.map((s) => s.name), ['layer1', 'layer2', 'layer3', 'layer4']);
  const c = analyzeText('x.resnet.json', readFileSync('examples/cifar-resnet20.resnet.json', 'utf8')).graph!;
  const a = c.skips.find((s) => s.via.length > 0)!;
  assert.equal(a.kind, 'pad', 'option A has no parameters but reshapes: neither identity nor projection');
  assert.deepEqual(
    ['identity', 'projection', 'pad'].map((k) => c.skips.filter((s) => s.kind === k).length),
    [7, 0, 2],
  );
  assert.deepEqual(a.via.map((id) => c.nodes.find((n) => n.id === id)!.op), ['slice', 'pad']);
});

test('expressions: Python-like arithmetic, booleans and readable errors', () => {
  assert.equal(evalExpr('floor(planes * base_width / 64) * groups', { planes: 64, base_width: 4, groups: 32 }), 128);
  assert.equal(evalExpr('stride != 1 or inplanes != planes * 4', { stride: 1, inplanes: 256, planes: 64 }), false);
  assert.equal(evalExpr('7 // 2 + -3 % 4', {}), 4);
  assert.throws(() => evalExpr('planes *', { planes: 1 }), ExprError);
  assert.throws(() => evalExpr('1 / 0', {}), /division by zero/);
  assert.throws(() => evalExpr('foo', { bar: 1 }), /unknown name 'foo'/);
});
