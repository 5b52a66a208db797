// The layers of the code base, checked on every import of every .ts file (STYLE.md rule 1): the pure core,
// the front ends, training, the protocols and the webviews never import `vscode`, not even as `import type`,
// so they run in the CLI, in worker threads, in browsers and in tests; the webviews reach the extension's
// code only through `src/protocol/`; and nothing outside the shell imports the shell.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');

/** Every module a TypeScript text names: imports and re-exports (type-only too), `import()`, `require()`, `/// <reference types>`. */
function importsOf(text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  return [...info.importedFiles, ...info.typeReferenceDirectives].map((f) => f.fileName);
}

interface Rule {
  /** Folders (repository-relative, `/`-separated) whose files the rule covers. */
  files: string[];
  /** Why the rule exists, printed with its offenders. */
  why: string;
  /** The reason an import from `file` of `spec` (resolved to `target` when relative) breaks the rule, or undefined. */
  refuse(spec: string, target: string | undefined): string | undefined;
}

const PURE = ['src/core', 'src/frontends', 'src/training', 'src/protocol', 'webview'];
const SHELL = ['src/host', 'src/extension.ts'];
const under = (path: string | undefined, folders: string[]): boolean => !!path && folders.some((f) => path === f || path.startsWith(`${f}/`));

const RULES: Rule[] = [
  {
    files: PURE,
    why: 'pure modules run without VS Code (CLI, workers, browsers, tests)',
    refuse: (spec) => (spec === 'vscode' || spec.startsWith('vscode/') ? 'imports vscode' : undefined),
  },
  {
    files: PURE,
    why: 'only the shell adapts the core to VS Code; nothing below it may depend on it',
    refuse: (_spec, target) => (under(target, SHELL) ? `imports the extension host's ${target}` : undefined),
  },
  {
    files: ['webview'],
    why: 'the webviews share only the protocols with the extension (STYLE.md rule 13)',
    refuse: (spec, target) => (spec.startsWith('.') && !under(target, ['webview', 'src/protocol']) ? `imports ${target ?? spec}, outside webview/ and src/protocol/` : undefined),
  },
];

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...tsFiles(rel));
    else if (/\.(ts|mts|cts|tsx)$/.test(e.name)) out.push(rel);
  }
  return out;
}

/** A relative specifier as a repository path without extension (`src/protocol/messages`). */
function target(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  return relative(ROOT, resolve(ROOT, dirname(file), spec)).split(sep).join('/').replace(/\.(m|c)?[jt]sx?$/, '');
}

/** Every import that breaks a rule, as `file: what (why)`. */
function violations(files: Map<string, string>, rules: Rule[] = RULES): string[] {
  const found: string[] = [];
  for (const [file, text] of files) {
    for (const spec of importsOf(text)) {
      for (const rule of rules) {
        if (!under(file, rule.files)) continue;
        const reason = rule.refuse(spec, target(file, spec));
        if (reason) found.push(`${file}: ${reason} (${rule.why})`);
      }
    }
  }
  return found;
}

test('every spelling of a vscode import is found, type-only ones included', () => {
  const texts: Record<string, string> = {
    'src/core/a.ts': "import type * as vscode from 'vscode';",
    'src/core/b.ts': "import type { Uri } from 'vscode';\nexport const x = 1;",
    'src/frontends/c.ts': "export type { Uri } from 'vscode';",
    'src/training/d.ts': "async function f() { return import('vscode'); }",
    'src/protocol/e.ts': "const v = require('vscode');",
    'webview/f.ts': "import vscode = require('vscode');",
    'webview/g.ts': "type U = typeof import('vscode').Uri;",
    'src/core/h.ts': '/// <reference types="vscode" />\nexport {};',
    'src/protocol/i.ts': "import { ok } from '../host/context';",
    'webview/j.ts': "import { fmtCompact } from '../src/core/report';",
    'webview/k/l.ts': "import type { IrGraph } from '../../src/core/ir';",
  };
  const found = violations(new Map(Object.entries(texts)));
  for (const file of Object.keys(texts)) assert.ok(found.some((v) => v.startsWith(`${file}:`)), `${file} is flagged\n${found.join('\n')}`);
  assert.match(found.find((v) => v.startsWith('webview/k/l.ts'))!, /imports src\/core\/ir, outside webview\/ and src\/protocol\//);
});

test('what the rules allow is not flagged', () => {
  const texts: Record<string, string> = {
    'src/host/a.ts': "import * as vscode from 'vscode';",
    'src/extension.ts': "import * as vscode from 'vscode';",
    'src/core/b.ts': "// mentions 'vscode' in a comment only\nimport { x } from './dims';\nconst s = 'vscode';",
    'webview/graph/c.ts': "import cytoscape from 'cytoscape';\nimport { dispatch } from '../../src/protocol/messages';\nimport { x } from './model';",
    'src/protocol/d.ts': "import type { IrGraph } from '../core/ir';",
  };
  assert.deepEqual(violations(new Map(Object.entries(texts))), []);
});

test('src/core, src/frontends, src/training, src/protocol and webview/ keep their layers', () => {
  const files = new Map(PURE.flatMap(tsFiles).map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));
  assert.ok(files.size > 50, `found the source files (${files.size})`);
  const found = violations(files);
  assert.deepEqual(found, [], `layering broken by:\n${found.join('\n')}`);
});
