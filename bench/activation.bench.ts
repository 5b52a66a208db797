// Extension activation time and package size.
//
// Activation is measured by loading the built `dist/extension.js` in a fresh Node process with a stand-in for
// the `vscode` module and timing `require` (module evaluation) plus `activate()`: the part of the extension
// host's own activation time that the extension controls. The stand-in answers every API call with an inert
// object, so what is timed is the extension's own work. Each sample is a new process, so nothing is cached.
//
// The `.vsix` size is read from `dist/resnet-studio.vsix` (built by `npm run package`; run it first).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { report } from './util';

const bundle = resolve('dist/extension.js');
const vsix = resolve('dist/resnet-studio.vsix');

/** Runs inside each child: installs the stand-in, then times require + activate. */
const CHILD = String.raw`
const Module = require('module');
const { performance } = require('perf_hooks');
const inert = () => {
  const fn = function () {};
  return new Proxy(fn, {
    get: (t, k) => (k === 'then' ? undefined : k === Symbol.toPrimitive ? () => '' : k === 'dispose' ? () => {} : inert()),
    apply: () => inert(),
    construct: () => inert(),
    set: () => true,
  });
};
// esbuild copies the namespace's own keys when it imports 'vscode', so the stand-in has every name the API
// declares (read from @types/vscode), each an inert object.
const dts = require('fs').readFileSync(require.resolve('@types/vscode/index.d.ts'), 'utf8');
const names = new Set([...dts.matchAll(/^\t(?:export )?(?:declare )?(?:class|enum|namespace|function|const|let|var) ([A-Za-z_]\w*)/gm)].map((m) => m[1]));
const vscode = Object.fromEntries([...names].map((n) => [n, inert()]));
const load = Module._load;
Module._load = function (request, ...rest) { return request === 'vscode' ? vscode : load.call(this, request, ...rest); };
const store = new Map();
const ctx = {
  subscriptions: [],
  extensionUri: inert(),
  extensionPath: process.cwd(),
  workspaceState: { get: (k, d) => (store.has(k) ? store.get(k) : d), update: async (k, v) => void store.set(k, v), keys: () => [...store.keys()] },
  globalState: { get: (k, d) => d, update: async () => {}, keys: () => [], setKeysForSync: () => {} },
  asAbsolutePath: (p) => p,
};
const t0 = performance.now();
const ext = require(process.argv[1]);
const t1 = performance.now();
ext.activate(ctx);
const t2 = performance.now();
process.stdout.write(JSON.stringify({ load: t1 - t0, activate: t2 - t1, subscriptions: ctx.subscriptions.length }));
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

if (!existsSync(bundle)) {
  console.log(`activation: ${bundle} is missing; run npm run build first`);
} else {
  const runs = 15;
  const load: number[] = [];
  const activate: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['-e', CHILD, bundle], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.log(`activation run failed:\n${r.stderr}`);
      process.exit(1);
    }
    const m = JSON.parse(r.stdout) as { load: number; activate: number; subscriptions: number };
    load.push(m.load);
    activate.push(m.activate);
  }
  const total = load.map((l, i) => l + activate[i]!);
  console.log(`bundle ${(statSync(bundle).size / 1024).toFixed(0)} KB; median of ${runs} fresh processes: require ${median(load).toFixed(2)} ms + activate() ${median(activate).toFixed(2)} ms`);
  report('Extension activation (require + activate, vscode stand-in)', median(total), 50);
}

if (existsSync(vsix)) report('.vsix size', statSync(vsix).size / 1024 / 1024, 5, 'MB');
else console.log(`.vsix size: ${vsix} is missing; run npm run package first`);
