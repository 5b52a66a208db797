// Workspace index target: a workspace the size of torchvision's `models/` folder (60 Python files, about 250
// classes and factories) indexed in at most 5 s: every file walked, every model analysed as the Models view
// and `resnet-studio check` analyse them, with the same function (`indexWorkspace`), on one thread:
// 1. in-process, the first index after the code is loaded, with the front ends bundled by esbuild as the
//    analysis worker runs them (its bundle is loaded before it indexes); tsx would otherwise compile the front
//    ends inside the timed run. The process's CPU time is printed beside the wall time, which on this shared
//    machine follows its load;
// 2. the built `resnet-studio check` as CI runs it, a fresh process with no caches (every file parsed), on one
//    thread and on two.
// The folder is copied to a temporary workspace so nothing in the installed package is touched; without
// python3-torchvision the bench says so and measures nothing.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as WorkspaceIndexModule from '../src/frontends/workspaceIndex';
import { bundleOf, report } from './util';

const SOURCE = '/usr/lib/python3/dist-packages/torchvision/models';
if (!existsSync(SOURCE)) {
  console.log(`skipped: ${SOURCE} is not installed (apt-get install python3-torchvision)`);
  process.exit(0);
}
const ws = mkdtempSync(join(tmpdir(), 'rs-bench-workspace-'));
cpSync(SOURCE, join(ws, 'models'), { recursive: true, filter: (p) => !p.includes('__pycache__') });
// Wall-clock numbers scale with machine load; print it so runs can be compared.
console.log(`load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);

try {
  const { indexFile, indexWorkspace } = createRequire(import.meta.url)(bundleOf('src/frontends/workspaceIndex.ts')) as typeof WorkspaceIndexModule;
  const warm = 'test/fixtures/check/project/models/cifar.py';
  indexFile(warm, readFileSync(warm, 'utf8'));
  const cpu0 = process.cpuUsage();
  const first = indexWorkspace([ws]);
  const cpu = process.cpuUsage(cpu0);
  const models = first.files.reduce((n, f) => n + f.models.length, 0);
  const built = first.files.reduce((n, f) => n + f.models.filter((m) => m.built).length, 0);
  console.log(`${first.scanned} files walked, ${first.files.length} with models, ${models} models (${built} built)`);
  const r50 = first.files.find((f) => f.file.endsWith('/models/resnet.py'))?.models.find((m) => m.name === 'resnet50');
  if (r50?.params !== 25557032) throw new Error(`unexpected index: resnet50 params ${r50?.params}`);
  report('torchvision models/ indexed in-process, bundled, first run (wall)', first.ms, 5000);
  console.log(`  CPU time of that run: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms`);
  // The CLI on one thread (its default), then on two: each thread compiles the analyser anew.
  for (const jobs of ['1', '2']) {
    const t0 = performance.now();
    const cli = spawnSync(process.execPath, ['bin/resnet-studio.js', 'check', ws, '--format', 'json', '--jobs', jobs], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, RESNET_STUDIO_NO_CACHE: '1' },
    });
    const cliMs = performance.now() - t0;
    if (cli.status !== 0 && cli.status !== 1) throw new Error(`check failed (exit ${cli.status}): ${cli.stderr}`);
    const summary = (JSON.parse(cli.stdout) as { summary: { files: number; models: number } }).summary;
    if (summary.models !== models) throw new Error(`check found ${summary.models} models, the index ${models}`);
    report(`resnet-studio check --jobs ${jobs} on it, fresh process without caches (wall)`, cliMs, 5000);
  }
} finally {
  rmSync(ws, { recursive: true, force: true });
}
