// Extension activation time and package size.
//
// Activation is measured by loading the built `dist/extension.js` in a fresh Node process with a stand-in for
// the `vscode` module and timing `require` (module evaluation) plus `activate()`: the part of the extension
// host's own activation time that the extension controls. The training code (`dist/trainingFeature.js`) is
// required at its first use, not at activation; its cost is printed apart, after activation. The stand-in answers every API call with an inert
// object, so what is timed is the extension's own work. Each sample is a new process, so nothing is cached.
//
// The same number as the extension host itself reports it: the packaged `.vsix` is installed into the e2e
// workbench (code-server in headless Chromium, see test/e2e/workbench.ts), a design is opened, and the
// "Activation: N ms" of ResNet Studio is read from Developer: Show Running Extensions. The workbench computes
// it as code loading plus the `activate` call, measured while it starts other extensions too, so it is
// noisier than the first figure.
//
// The `.vsix` size is read from `dist/resnet-studio.vsix` (built by `npm run package`; run it first).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Workbench, copyWorkspace, missingE2eTools } from '../test/e2e/workbench';
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
// The training code is a bundle of its own, required at the first training command: its cost moves there.
const feature = require('path').join(require('path').dirname(process.argv[1]), 'trainingFeature.js');
let training = null;
if (require('fs').existsSync(feature)) {
  require(feature);
  training = performance.now() - t2;
}
process.stdout.write(JSON.stringify({ load: t1 - t0, activate: t2 - t1, training, subscriptions: ctx.subscriptions.length }));
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
  const training: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['-e', CHILD, bundle], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.log(`activation run failed:\n${r.stderr}`);
      process.exit(1);
    }
    const m = JSON.parse(r.stdout) as { load: number; activate: number; training: number | null; subscriptions: number };
    load.push(m.load);
    activate.push(m.activate);
    if (m.training !== null) training.push(m.training);
  }
  const total = load.map((l, i) => l + activate[i]!);
  console.log(`bundle ${(statSync(bundle).size / 1024).toFixed(0)} KB; median of ${runs} fresh processes: require ${median(load).toFixed(2)} ms + activate() ${median(activate).toFixed(2)} ms`);
  report('Extension activation (require + activate, vscode stand-in)', median(total), 50);
  const feature = resolve('dist/trainingFeature.js');
  if (training.length && existsSync(feature)) {
    console.log(`training code at its first use (not activation): require of ${(statSync(feature).size / 1024).toFixed(0)} KB, median ${median(training).toFixed(2)} ms`);
  }
}

if (existsSync(vsix)) report('.vsix size', statSync(vsix).size / 1024 / 1024, 5, 'MB');
else console.log(`.vsix size: ${vsix} is missing; run npm run package first`);

/** Activation time as the workbench's extension host measured it, in ms; undefined when it cannot run. */
async function workbenchActivation(): Promise<number | undefined> {
  const missing = missingE2eTools();
  if (missing.length || !existsSync(vsix)) {
    console.log(`activation in the workbench: skipped (${missing.length ? missing.join('; ') : 'no .vsix'})`);
    return undefined;
  }
  const folder = copyWorkspace();
  const wb = await Workbench.start({ folder, vsix: [vsix] });
  try {
    await wb.openFile('resnet/wrong-fc.resnet.json');
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      await wb.runCommand('Developer: Show Running Extensions');
      const rows = await wb.page.locator('.runtime-extensions-editor .monaco-list-row').allTextContents();
      const m = rows.map((r) => /^ResNet Studio.*?Activation: (\d+)ms/.exec(r)).find((x) => x);
      if (m) return Number(m[1]);
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error('ResNet Studio never showed up among the running extensions');
  } finally {
    await wb.stop();
    rmSync(join(folder, '..'), { recursive: true, force: true });
  }
}

void workbenchActivation().then(
  (ms) => {
    if (ms !== undefined) report('Extension activation in the workbench (extension host timing)', ms, 50);
  },
  (err: unknown) => console.log(`activation in the workbench failed: ${err instanceof Error ? err.message : String(err)}`),
);
