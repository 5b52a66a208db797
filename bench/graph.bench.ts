// Graph webview targets, in headless Chromium with the built bundle and the host's CSP page:
//   - ResNet-152 lays out and first paints in <= 500 ms (measured for the default auto-collapse policy at the
//     host's default threshold of 300 layer nodes, where its stages start collapsed, and for everything expanded);
//   - a CIFAR ResNet-1202 (about 3,600 layer nodes) is interactive within 1.5 s with its stages collapsed.
// Each run opens a fresh page (cold JIT, as when a panel opens) and posts `setGraph` once it has said `ready`.
// Times run from posting (before the JSON is parsed in the page) to the second animation frame after layout,
// and for "interactive" until the main thread next runs a task after that paint. The renderer's main-thread
// CPU time over the same span is printed too: on a shared machine wall time also counts other work.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { analyzeText } from '../src/frontends';
import { cifarResNet } from '../src/frontends/templates';
import type { IrGraph } from '../src/core/ir';
import type { SetGraphMessage } from '../src/protocol/graphProtocol';
import type { Browser } from 'playwright-core';
import { GraphPage, type PageServer, REPO_ROOT, launch, startGraphServer, webviewSkipReason } from '../test/webview/graphPage';
import { report } from './util';

interface Measured {
  /** setGraph posted -> painted. */
  paint: number;
  /** setGraph posted -> first task after the paint. */
  interactive: number;
  /** Renderer main-thread CPU time spent from posting to the paint. */
  cpu: number;
  layout: number;
  /** setGraph posted -> its render began (parsing the message and building the view model). */
  queued: number;
  elements: number;
}

const RUNS = Number(process.env['GRAPH_BENCH_RUNS'] ?? 3);

function message(file: string, graph: IrGraph, threshold: number): SetGraphMessage {
  return { type: 'setGraph', version: 1, file, graph, diagnostics: [], settings: { layoutDirection: 'DOWN', autoCollapseThreshold: threshold } };
}

/** Opens a fresh page, posts `msg` once it has said `ready`, and times that first drawing. */
async function measureOnce(browser: Browser, server: PageServer, msg: SetGraphMessage): Promise<Measured> {
  const page = await GraphPage.open(browser, server);
  try {
    const cdp = await page.page.context().newCDPSession(page.page);
    await cdp.send('Performance.enable');
    const threadTime = async (): Promise<number> => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime')?.value ?? NaN;
    const cpu0 = await threadTime();
    const t0 = await page.page.evaluate((json) => {
      const t = performance.now();
      window.postMessage(JSON.parse(json), '*');
      return t;
    }, JSON.stringify(msg));
    await page.waitForRender(0, 120_000);
    const m = await page.page.evaluate((start) => {
      const w = window as unknown as { resnetStudioGraph: { view: { lastTiming: { start: number; synced: number; layoutDone: number; painted: number; elements: number } } } };
      const t = w.resnetStudioGraph.view.lastTiming;
      return new Promise<Omit<Measured, 'cpu'>>((resolve) =>
        setTimeout(() => {
          // This task ran behind the paint; if it waited, the page was not yet free for input.
          resolve({ paint: t.painted - start, interactive: Math.max(t.painted - start, performance.now() - start), layout: t.layoutDone - t.synced, queued: t.start - start, elements: t.elements });
        }, 0),
      );
    }, t0);
    // Main-thread CPU over the same span (plus this bench's few polls): unlike wall time, barely moved by
    // other work on the machine.
    return { ...m, cpu: ((await threadTime()) - cpu0) * 1000 };
  } finally {
    await page.close();
  }
}

/** After the first paint, expands the named stage (as a double-click does) and times that redraw. */
async function measureExpand(browser: Browser, server: PageServer, msg: SetGraphMessage, stage: string): Promise<number> {
  const page = await GraphPage.open(browser, server);
  try {
    await page.send(msg);
    return await page.page.evaluate(async (name) => {
      const v = (window as unknown as { resnetStudioGraph: { view: { model: { groupByName: Map<string, string> }; toggle(id: string): Promise<void> } } }).resnetStudioGraph.view;
      const t = performance.now();
      await v.toggle(v.model.groupByName.get(name)!);
      return performance.now() - t;
    }, stage);
  } finally {
    await page.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const skip = webviewSkipReason();
  if (skip) {
    console.log(`graph bench skipped: ${skip}`);
    return;
  }
  const r152 = analyzeText('examples/resnet152.resnet.json', readFileSync(join(REPO_ROOT, 'examples/resnet152.resnet.json'), 'utf8')).graph!;
  const r1202 = analyzeText('cifar-resnet1202.resnet.json', JSON.stringify(cifarResNet(1202))).graph!;
  const server = await startGraphServer();
  const browser = await launch();
  const run = async (label: string, msg: SetGraphMessage, target: number, key: 'paint' | 'interactive'): Promise<void> => {
    const all: Measured[] = [];
    for (let i = 0; i < RUNS; i++) all.push(await measureOnce(browser, server, msg));
    const m = (k: keyof Measured) => median(all.map((x) => x[k]));
    report(`${label} (median of ${RUNS} fresh pages)`, m(key), target);
    console.log(`  main-thread CPU ${m('cpu').toFixed(0)} ms; ${m('queued').toFixed(0)} ms to parse the message and build the model, layout ${m('layout').toFixed(0)} ms, ${m('elements')} elements; runs: ${all.map((x) => x[key].toFixed(0)).join(', ')} ms (best ${Math.min(...all.map((x) => x[key])).toFixed(0)})`);
  };
  try {
    // Other work on the machine inflates wall-clock times; say how busy it was.
    console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
    console.log(`${r152.nodes.length - 1} layer nodes in ResNet-152, ${r1202.nodes.length - 1} in CIFAR ResNet-1202`);
    await run('ResNet-152 layout + first paint, default policy (threshold 300: stages collapsed)', message('resnet152.resnet.json', r152, 300), 500, 'paint');
    await run('ResNet-152 layout + first paint, everything expanded', message('resnet152.resnet.json', r152, 100_000), 500, 'paint');
    await run('CIFAR ResNet-1202 interactive, stages collapsed', message('cifar-resnet1202.resnet.json', r1202, 300), 1500, 'interactive');
    const expands: number[] = [];
    for (let i = 0; i < RUNS; i++) expands.push(await measureExpand(browser, server, message('cifar-resnet1202.resnet.json', r1202, 300), 'layer1'));
    report(`CIFAR ResNet-1202: expand layer1 (200 blocks, shown collapsed) and repaint (median of ${RUNS})`, median(expands), 1500);
  } finally {
    await browser.close();
    await server.close();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
