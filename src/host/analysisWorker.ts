/**
 * Entry of `dist/analysisWorker.js`: runs the front ends in a worker thread for the extension host
 * (`WorkerRunner` in `analysisRunner.ts`), so analysis never blocks the host's own thread; the Models view's
 * workspace index, the code writers (exports, new designs from templates) and the design edits made in the
 * graph run here too, so none of them weighs on the extension's own bundle. It speaks `src/protocol/analysisWorkerProtocol.ts`.
 */
import { parentPort } from 'node:worker_threads';
import { discoverModelFiles } from '../core/workspaceFiles';
import { analyzeText, diskReader, formatFor } from '../frontends/index';
import { indexFile, readModelText } from '../frontends/workspaceIndex';
import type { WorkerReply, WorkerRequest } from '../protocol/analysisWorkerProtocol';
import { answerWriter, isWriterRequest } from './writerRequests';
import { answerDesigner, isDesignerRequest } from './designerRequests';

const port = parentPort;
if (!port) throw new Error('analysisWorker must run in a worker thread');

async function answer(req: WorkerRequest, t0: number): Promise<WorkerReply> {
  if (isWriterRequest(req)) return { inReplyTo: req.requestId, ...(await answerWriter(req)) };
  if (isDesignerRequest(req)) return { inReplyTo: req.requestId, ...(await answerDesigner(req)) };
  if (req.kind === 'discover') return { inReplyTo: req.requestId, ...discoverModelFiles(req.roots, { exclude: req.exclude }) };
  if (req.kind === 'index') {
    const text = req.text ?? readModelText(req.file);
    const index = text === null ? null : indexFile(req.file, text, { base: req.options, fileTimeLimitMs: req.fileTimeLimitMs });
    return { inReplyTo: req.requestId, index };
  }
  const open = new Map(req.openTexts ?? []);
  const analysis = formatFor(req.file, req.text) ? analyzeText(req.file, req.text, { ...req.options, reader: diskReader((f) => open.get(f)) }) : null;
  return { inReplyTo: req.requestId, analysis, ms: performance.now() - t0 };
}

port.on('message', (req: WorkerRequest) => {
  const t0 = performance.now();
  void answer(req, t0).then(
    (reply) => port.postMessage(reply),
    (err: unknown) => port.postMessage({ inReplyTo: req.requestId, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies WorkerReply),
  );
});
