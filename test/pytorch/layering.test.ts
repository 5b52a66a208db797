/**
 * The PyTorch front end's layering: the library modules (what `torch`, `torch.nn` and the standard library
 * do) reach the interpreter only through the `Runtime` interface, so they never import the interpreter, and
 * nothing below the interpreter imports it back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const DIR = 'src/frontends/pytorch';
/** The interpreter and the files that drive it; everything else in the folder is below it. */
const ABOVE = new Set(['interp.ts', 'index.ts', 'fixes.ts', 'access.ts', 'builtins.ts', 'classes.ts', 'operators.ts', 'moduleLoader.ts']);

function importsOf(file: string): string[] {
  const text = readFileSync(join(DIR, file), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

test('no module below the interpreter imports it, even for its type', () => {
  const below = readdirSync(DIR).filter((f) => f.endsWith('.ts') && !ABOVE.has(f));
  assert.ok(below.includes('library.ts') && below.includes('nnModule.ts') && below.includes('runtime.ts'));
  const offenders = below.filter((f) => importsOf(f).some((p) => p === './interp' || p === './interp.ts'));
  assert.deepEqual(offenders, []);
});

test('the interpreter implements the Runtime the library is written against', () => {
  assert.match(readFileSync(join(DIR, 'interp.ts'), 'utf8'), /export class Interp implements Runtime\b/);
  assert.ok(importsOf('library.ts').includes('./runtime'));
});
