/**
 * Our copy of the Python grammar: the generated parser is current, it reads Python 3.8-3.12 syntax that
 * @lezer/python 1.1.19 rejected, and the syntax tree of each construct means what Python means.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { GRAMMAR_DIR, generateGrammar } from '../../scripts/genGrammar';
import { type Expr, type Stmt, parsePython } from '../../src/frontends/pytorch/ast';

test('the committed parser is the one generated from python.grammar (run scripts/genGrammar.ts to refresh)', () => {
  const { parser, terms } = generateGrammar();
  assert.equal(readFileSync(`${GRAMMAR_DIR}/parser.ts`, 'utf8'), parser);
  assert.equal(readFileSync(`${GRAMMAR_DIR}/parser.terms.ts`, 'utf8'), terms);
});

function only(src: string): Stmt {
  const p = parsePython(src);
  assert.deepEqual(p.errors, [], `${JSON.stringify(src)}: ${JSON.stringify(p.errors)}`);
  assert.equal(p.body.length, 1, JSON.stringify(src));
  return p.body[0]!;
}

const names = (es: readonly (Expr | null)[]): (string | null)[] => es.map((e) => (e?.k === 'name' ? e.id : e ? e.k : null));

test('parenthesized with items (PEP 617), on one line or several', () => {
  for (const src of [
    'with (open("a") as a, open("b") as b):\n    pass\n',
    'with (\n    open("a") as a,\n    open("b") as b,\n):\n    pass\n',
  ]) {
    const s = only(src);
    assert.equal(s.k, 'with');
    if (s.k !== 'with') continue;
    assert.deepEqual(names(s.items.map((i) => i.name)), ['a', 'b'], src);
    assert.deepEqual(s.items.map((i) => i.e.k), ['call', 'call'], src);
    assert.equal(s.body[0]?.k, 'pass');
  }
  const single = only('with (torch.no_grad() as g):\n    y = 1\n');
  assert.ok(single.k === 'with' && single.items.length === 1 && names([single.items[0]!.name])[0] === 'g');
  // A parenthesized expression followed by `as` is still one item whose value is that expression.
  const tuple = only('with (a, b) as c:\n    pass\n');
  assert.ok(tuple.k === 'with' && tuple.items.length === 1 && tuple.items[0]!.e.k === 'tuple' && names([tuple.items[0]!.name])[0] === 'c');
  const plain = only('with a as b, c as d:\n    pass\n');
  assert.ok(plain.k === 'with' && plain.items.length === 2);
});

test('decorators are any expression (PEP 614)', () => {
  const s = only('@register_model()\n@handle_legacy_interface(weights=("pretrained", W.X))\n@a.b[c]\n@(lambda f: f)\ndef f(): pass\n');
  assert.equal(s.k, 'def');
  if (s.k !== 'def') return;
  assert.deepEqual(s.decorators.map((d) => d.e.k), ['call', 'call', 'sub', 'lambda']);
  const first = s.decorators[0]!.e;
  assert.ok(first.k === 'call' && first.fn.k === 'name' && first.fn.id === 'register_model' && first.args.length === 0);
  const second = s.decorators[1]!.e;
  assert.ok(second.k === 'call' && second.args[0]?.name === 'weights');
  const cls = only('@dataclass\nclass A:\n    x: int = 1\n');
  assert.ok(cls.k === 'class' && cls.decorators[0]?.e.k === 'name');
});

test('positional-only lambdas, argument-less class patterns and bare yield parse', () => {
  const l = only('f = lambda x, /, y=2: x\n');
  assert.ok(l.k === 'assign' && l.value.k === 'lambda');
  if (l.k === 'assign' && l.value.k === 'lambda') assert.deepEqual(l.value.params.map((p) => p.name), ['x', 'y']);
  const m = only('match p:\n    case Point():\n        pass\n    case Point(x=0):\n        pass\n');
  assert.ok(m.k === 'match' && m.cases.length === 2);
  const y = only('def g():\n    x = yield\n');
  assert.ok(y.k === 'def' && y.body[0]?.k === 'assign');
});

test('floats ending in their point, any with target, and form feeds in indentation', () => {
  const f = only('nn.Dropout(p=0., inplace=False) + 1.e-3 + 2.\n');
  assert.ok(f.k === 'expr' && f.e.k === 'bin');
  const vals: number[] = [];
  const walk = (e: Expr): void => {
    if (e.k === 'num') vals.push(e.v);
    else if (e.k === 'bin') (walk(e.l), walk(e.r));
    else if (e.k === 'call') e.args.forEach((a) => walk(a.e));
  };
  if (f.k === 'expr') walk(f.e);
  assert.deepEqual(vals, [0, 0.001, 2]);
  const w = only('with f() as (a, b):\n    pass\n');
  assert.ok(w.k === 'with' && w.items[0]?.name?.k === 'tuple');
  const ff = parsePython('def f():\n    x = 1\n\f\ndef g():\n    return 2\n');
  assert.deepEqual(ff.errors, []);
  assert.deepEqual(ff.body.map((s) => s.k), ['def', 'def']);
});

test('a file with hundreds of top-level calls parses (lezer would cut it short after about 300)', () => {
  const doc = `"""${'x'.repeat(2100)}"""\n`;
  const forms = [(i: number) => `register(${i})\n\n`, (i: number) => `add_doc(\n    "f${i}",\n    r"""\ndoc\n""",\n)\n\n`];
  for (const form of forms) {
    const text = doc + Array.from({ length: 600 }, (_, i) => form(i)).join('');
    const p = parsePython(text);
    assert.deepEqual(p.errors, []);
    assert.equal(p.body.length, 601);
  }
  // A giant left-associative expression still parses without exhausting the stack.
  const chain = parsePython(`x = ${Array(30000).fill('1').join(' + ')}\ny = 2\n`);
  assert.equal(chain.body.length, 2);
});

test('a blank line after a backslash continuation ends the statement; a comment ending in a backslash does not continue', () => {
  const p = parsePython('def f():\n    x = a \\\n        .b() \\\n\n    y: int = 1\n    # note \\\n\n    return x\n');
  assert.deepEqual(p.errors, []);
  const f = p.body[0]!;
  assert.ok(f.k === 'def');
  if (f.k === 'def') assert.deepEqual(f.body.map((s) => s.k), ['assign', 'assign', 'return']);
});

test('not binds tighter than and/or and looser than comparisons, as in Python', () => {
  const shape = (e: Expr): string =>
    e.k === 'name' ? e.id : e.k === 'not' ? `not(${shape(e.e)})` : e.k === 'and' || e.k === 'or' ? `${e.k}(${shape(e.l)},${shape(e.r)})` : e.k === 'cmp' ? `cmp(${e.items.map(shape).join(',')})` : e.k;
  const cases: [string, string][] = [
    ['not a and b', 'and(not(a),b)'],
    ['not a or b', 'or(not(a),b)'],
    ['a and not b', 'and(a,not(b))'],
    ['not a == b', 'not(cmp(a,b))'],
    ['not a in b', 'not(cmp(a,b))'],
    ['not not a and b', 'and(not(not(a)),b)'],
  ];
  for (const [src, want] of cases) {
    const s = only(`x = ${src}\n`);
    assert.ok(s.k === 'assign');
    if (s.k === 'assign') assert.equal(shape(s.value), want, src);
  }
});

test('other modern syntax keeps parsing', () => {
  for (const src of [
    'def f[T](x: T, /, y: int = 1, *, z: int = 2) -> T:\n    return x\n',
    'class Box[T](nn.Module):\n    pass\n',
    'type Alias = list[int]\n',
    's = f"{d["a"]} {d!r:>10} {1+1=}"\n',
    'if (n := len(d)) > 0:\n    pass\n',
    'try:\n    pass\nexcept* ValueError as e:\n    pass\n',
    'match d:\n    case {"a": 1}:\n        pass\n    case [x, *rest] if x > 0:\n        pass\n    case _:\n        pass\n',
    'async def h():\n    async with a as b:\n        await b\n',
    'x = [*a, *b]\n',
    'x = 1_000_000\n',
  ]) {
    only(src);
  }
});

// Real code: every file of the installed torchvision and torch.nn (python3-torchvision / python3-torch).
const DIST = '/usr/lib/python3/dist-packages';
const CORPUS = [`${DIST}/torchvision`, `${DIST}/torch/nn`];
const corpusMissing = CORPUS.every((d) => existsSync(d)) ? null : `${CORPUS.join(' and ')} not installed (apt-get install python3-torch python3-torchvision)`;

test('every file of torchvision and torch.nn parses without a syntax error', { skip: corpusMissing !== null && process.env['CI'] !== 'true' ? corpusMissing : false }, () => {
  if (corpusMissing) throw new Error(`${corpusMissing}; CI=true requires it`);
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.py')) files.push(join(dir, e.name));
    }
  };
  CORPUS.forEach(walk);
  assert.ok(files.length > 100, `${files.length} files`);
  const failures: string[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const e = parsePython(text).errors[0];
    if (e) failures.push(`${f}:${text.slice(0, e.from).split('\n').length}: ${e.message}`);
  }
  assert.deepEqual(failures, []);
});
