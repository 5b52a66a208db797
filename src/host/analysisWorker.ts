/**
 * Entry of `dist/analysisWorker.js`: runs the front ends in a worker thread for the extension host
 * (`WorkerRunner` in `analysisRunner.ts`), so analysis never blocks the host's own thread. It speaks
 * `src/protocol/analysisWorkerProtocol.ts`.
 */
import { parentPort } from 'node:worker_threads';
import { analyzeText, formatFor } from '../frontends/index';
import type { AnalysisReply, AnalysisRequest } from '../protocol/analysisWorkerProtocol';

const port = parentPort;
if (!port) throw new Error('analysisWorker must run in a worker thread');

port.on('message', (req: AnalysisRequest) => {
  const t0 = performance.now();
  let reply: AnalysisReply;
  try {
    const analysis = formatFor(req.file, req.text) ? analyzeText(req.file, req.text, req.options) : null;
    reply = { inReplyTo: req.requestId, analysis, ms: performance.now() - t0 };
  } catch (err) {
    reply = { inReplyTo: req.requestId, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  port.postMessage(reply);
});
