// Edit to repaint, for ResNet-50 (examples/resnet50.resnet.json): target <= 100 ms from the page's edit
// message to the repainted graph. Each run is what the host and the page do for one gesture: applyDesignEdit on
// the text (one jsonc-parser modification), analyzeDesign of the new text, the design context and the
// `setGraph` message serialised as postMessage carries it, then in headless Chromium (the built bundle, the
// host's CSP page) from posting that message to the first frame painted after the redraw (a task posted from
// its animation frame, which runs once that frame is painted). The page keeps
// the user's collapsed groups and viewport (no fit), as after a real edit. Runs alternate adding and removing a
// block of layer3 (6 <-> 7 bottlenecks), so every run changes the graph by ten layers.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { applyDesignEdit, designContextOf } from '../src/frontends/designEdits';
import { analyzeDesign } from '../src/frontends/resnetJson';
import type { DesignEdit } from '../src/protocol/designEditProtocol';
import type { SetGraphMessage } from '../src/protocol/graphProtocol';
import { GraphPage, REPO_ROOT, launch, startGraphServer, webviewSkipReason } from '../test/webview/graphPage';
import { report } from './util';

const FILE = 'examples/resnet50.resnet.json';
const RUNS = Number(process.env['DESIGN_EDIT_BENCH_RUNS'] ?? 15);
const WARMUP = 3;
/** When set, a Chromium CPU profile of the measured runs is written there (open it in DevTools, or sum it by function). */
const PROFILE = process.env['DESIGN_EDIT_BENCH_PROFILE'];

interface Run {
  apply: number;
  analyze: number;
  message: number;
  page: number;
  total: number;
  /** Renderer main-thread CPU time over the page's part (wall time on a busy machine also counts other work). */
  cpu: number;
  /** Page: post -> render start (parsing the message, the status line, the side bar). */
  queued: number;
  /** Page: building the view model and elements, the layout, and cytoscape's update to the paint. */
  build: number;
  layout: number;
  draw: number;
}

/** The host's half of one edit: the new text, its analysis and the message for the page, as JSON. */
function hostSide(text: string, edit: DesignEdit, version: number): { text: string; json: string; t: Pick<Run, 'apply' | 'analyze' | 'message'> } {
  const t0 = performance.now();
  const r = applyDesignEdit(text, edit);
  if (!r.ok) throw new Error(`the bench's edit was refused: ${r.error}`);
  const t1 = performance.now();
  const a = analyzeDesign(FILE, r.text);
  const t2 = performance.now();
  const msg: SetGraphMessage = {
    type: 'setGraph',
    version,
    file: FILE,
    graph: a.graph,
    diagnostics: a.diagnostics,
    settings: { layoutDirection: 'DOWN', autoCollapseThreshold: 300 },
    design: designContextOf(r.text),
  };
  const json = JSON.stringify(msg);
  const t3 = performance.now();
  return { text: r.text, json, t: { apply: t1 - t0, analyze: t2 - t1, message: t3 - t2 } };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const skip = webviewSkipReason();
  if (skip) {
    console.log(`design edit bench skipped: ${skip}`);
    return;
  }
  let text = readFileSync(join(REPO_ROOT, FILE), 'utf8');
  const server = await startGraphServer();
  const browser = await launch();
  try {
    console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
    const page = await GraphPage.open(browser, server);
    const first = hostSide(text, { kind: 'setStage', stage: 'layer3', key: 'count', value: 6 }, 1);
    await page.send(JSON.parse(first.json) as SetGraphMessage);
    const cdp = await page.page.context().newCDPSession(page.page);
    await cdp.send('Performance.enable');
    const threadTime = async (): Promise<number> => (await cdp.send('Performance.getMetrics')).metrics.find((x) => x.name === 'ThreadTime')?.value ?? NaN;
    const runs: Run[] = [];
    if (PROFILE) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    }
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const edit: DesignEdit = i % 2 === 0 ? { kind: 'addBlock', stage: 'layer3' } : { kind: 'removeBlock', stage: 'layer3' };
      const host = hostSide(text, edit, i + 2);
      text = host.text;
      const before = await page.renderCount();
      const cpu0 = await threadTime();
      const t0 = await page.page.evaluate((json) => {
        const t = performance.now();
        window.postMessage(JSON.parse(json), '*');
        return t;
      }, host.json);
      await page.waitForRender(before);
      const cpu = ((await threadTime()) - cpu0) * 1000;
      const t = await page.page.evaluate(
        () => (window as unknown as { resnetStudioGraph: { view: { lastTiming: { start: number; synced: number; layoutDone: number; painted: number } } } }).resnetStudioGraph.view.lastTiming,
      );
      const pageMs = t.painted - t0;
      const hostMs = host.t.apply + host.t.analyze + host.t.message;
      if (PROFILE && i === WARMUP - 1) await cdp.send('Profiler.start');
      if (i >= WARMUP) runs.push({ ...host.t, page: pageMs, total: hostMs + pageMs, cpu, queued: t.start - t0, build: t.synced - t.start, layout: t.layoutDone - t.synced, draw: t.painted - t.layoutDone });
    }
    if (PROFILE) writeFileSync(PROFILE, JSON.stringify((await cdp.send('Profiler.stop')).profile));
    const stats = await page.stats();
    await page.close();
    const m = (k: keyof Run) => median(runs.map((r) => r[k]));
    report(`ResNet-50 edit to repaint (add/remove a block of layer3; median of ${RUNS})`, m('total'), 100);
    console.log(
      `  host: applyDesignEdit ${m('apply').toFixed(1)} ms, analyzeDesign ${m('analyze').toFixed(1)} ms, design context + message ${m('message').toFixed(1)} ms; page (post to painted frame) ${m('page').toFixed(1)} ms = message and side bar ${m('queued').toFixed(1)} + view model ${m('build').toFixed(1)} + layout ${m('layout').toFixed(1)} + cytoscape update and paint ${m('draw').toFixed(1)}; renderer main-thread CPU ${m('cpu').toFixed(1)} ms; ${stats.layers} layers drawn`,
    );
    console.log(`  runs: ${runs.map((r) => r.total.toFixed(0)).join(', ')} ms`);
  } finally {
    await browser.close();
    await server.close();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
