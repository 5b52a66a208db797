/**
 * Entry of `dist/analysisWorker.js`: runs the front ends in a worker thread for the extension host
 * (`WorkerRunner` in `analysisRunner.ts`), so analysis never blocks the host's own thread.
 */
import { parentPort } from 'node:worker_threads';
import { analyzeText, formatFor } from '../frontends/index';
import type { AnalysisReply, AnalysisRequest } from './analysisRunner';

const port = parentPort;
if (!port) throw new Error('analysisWorker must run in a worker thread');

port.on('message', (req: AnalysisRequest) => {
  const t0 = performance.now();
  let reply: AnalysisReply;
  try {
    const analysis = formatFor(req.file, req.text) ? analyzeText(req.file, req.text, req.options) : null;
    reply = { id: req.id, analysis, ms: performance.now() - t0 };
  } catch (err) {
    reply = { id: req.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  port.postMessage(reply);
});
