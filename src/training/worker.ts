/**
 * The TF.js training worker (`dist/trainingWorker.js`), a child process of the job manager or the CLI:
 *
 *     node trainingWorker.js --config RUN_DIR/config.json [--resume]
 *
 * The same contract as the PyTorch runner: protocol rows go to stdout, one JSON object per line, and are
 * appended to `RUN_DIR/metrics.jsonl`; everything else (tfjs's own console output included) goes to stderr,
 * so stdout carries nothing but rows. SIGTERM/SIGINT stop after the step in flight, with a checkpoint and an
 * `end` row `stopped`. Exit status: 0 completed or stopped, 1 failed, 2 unusable command line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkDataPath } from './data';
import { nextAttempt } from '../protocol/trainingAttempts';
import { type EndStatus, type RowDraft, type RunConfig, type TrainingRow, stampRow } from '../protocol/trainingProtocol';
import { readLastRow } from './runStore';
import { RunError, readConfig, trainTfjs } from './tfjsTrainer';
import { TFJS_BACKEND_ENV, parsePreference } from './tfjsNative';
import { tfjsBackendReason } from './runnerReason';
import { OWNER_PID_ENV, watchOwner } from './ownerWatch';

/** JSON has no NaN or Infinity: such numbers become null so every row stays parseable. */
function serialize(row: TrainingRow): string {
  return JSON.stringify(row, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
}

/** Writes rows to stdout and metrics.jsonl, numbering them with this start's attempt. */
class RowWriter {
  private metricsFd: number | undefined;
  private ended = false;
  private stdoutOk = true;
  /** 1 until a metrics file says otherwise: a row that can go nowhere but stdout still needs a number. */
  private attempt = 1;

  openMetrics(runDir: string): void {
    if (this.metricsFd !== undefined) return;
    const file = path.join(runDir, 'metrics.jsonl');
    this.attempt = nextAttempt(readLastRow(file));
    let needsNewline = false;
    try {
      const st = fs.statSync(file);
      if (st.size > 0) {
        const fd = fs.openSync(file, 'r');
        const b = Buffer.alloc(1);
        fs.readSync(fd, b, 0, 1, st.size - 1);
        fs.closeSync(fd);
        needsNewline = b[0] !== 0x0a;
      }
    } catch {
      // no file yet
    }
    this.metricsFd = fs.openSync(file, 'a');
    // A previous process died mid-line: start on a fresh line so both stay readable.
    if (needsNewline) fs.writeSync(this.metricsFd, '\n');
  }

  emit(row: RowDraft): void {
    const line = serialize(stampRow(row, this.attempt, Date.now() / 1000)) + '\n';
    if (this.metricsFd !== undefined) {
      fs.writeSync(this.metricsFd, line);
      if (row.type === 'end' || row.type === 'checkpoint') {
        try {
          fs.fsyncSync(this.metricsFd);
        } catch {
          // best effort
        }
      }
    }
    if (this.stdoutOk) {
      try {
        fs.writeSync(1, line);
      } catch {
        // A reader that went away must not take the run with it; metrics.jsonl still has the row.
        this.stdoutOk = false;
      }
    }
  }

  end(status: EndStatus, error: string | null): void {
    if (this.ended) return;
    this.ended = true;
    this.emit({ type: 'end', status, error });
  }
}

function log(message: string): void {
  try {
    fs.writeSync(2, `[resnet-studio] ${message}\n`);
  } catch {
    // stderr closed
  }
}

/** Keeps stdout for rows: tfjs and anything else that prints goes to stderr. */
function routeConsoleToStderr(): void {
  const toErr = (...args: unknown[]) => {
    try {
      fs.writeSync(2, args.map((a) => (typeof a === 'string' ? a : String(a))).join(' ') + '\n');
    } catch {
      // stderr closed
    }
  };
  console.log = toErr;
  console.info = toErr;
  console.warn = toErr;
  console.debug = toErr;
}

export async function main(argv: string[]): Promise<number> {
  routeConsoleToStderr();
  let configPath: string | undefined;
  let resume = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config') configPath = argv[++i];
    else if (a.startsWith('--config=')) configPath = a.slice('--config='.length);
    else if (a === '--resume') resume = true;
    else {
      log(`unknown argument ${a}`);
      return 2;
    }
  }
  if (!configPath) {
    log('usage: trainingWorker.js --config RUN_DIR/config.json [--resume]');
    return 2;
  }
  const stop = { requested: false };
  const onSignal = (sig: NodeJS.Signals) => {
    if (!stop.requested) log(`${sig}: stopping after the current step`);
    stop.requested = true;
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  watchOwner(process.env[OWNER_PID_ENV], () => {
    if (!stop.requested) log('the process that started this run has exited: stopping after the current step');
    stop.requested = true;
  });

  const writer = new RowWriter();
  let status: EndStatus = 'failed';
  let error: string | null = null;
  let cfg: RunConfig | undefined;
  try {
    try {
      cfg = readConfig(path.resolve(configPath));
    } catch (e) {
      // The end row still belongs in the run directory the config file sits in, as the PyTorch runner does.
      const dir = path.dirname(path.resolve(configPath));
      if (fs.existsSync(dir)) writer.openMetrics(dir);
      throw e;
    }
    fs.mkdirSync(cfg.runDir, { recursive: true });
    writer.openMetrics(cfg.runDir);
    const resumeRun = resume || cfg.resume;
    // The backend is loaded after the config and data path are checked (inside trainTfjs the data path is
    // checked before the model is built), so a bad path fails before seconds of native-library loading.
    checkDataPath(cfg.data);
    const { loadTfjsBackend } = await import('./tfjsBackend');
    const fromEnv = process.env[TFJS_BACKEND_ENV];
    const preference = parsePreference(fromEnv ?? cfg.tfjsBackend);
    const backend = await loadTfjsBackend({ preference });
    const reason = tfjsBackendReason(preference, fromEnv ? 'env' : cfg.tfjsBackend ? 'config' : 'default', backend);
    log(`TF.js backend ${backend.label}, device ${backend.device}: ${reason}`);
    status = await trainTfjs(cfg, resumeRun, { ...backend, reason }, { emit: (r) => writer.emit(r), log, stop });
  } catch (e) {
    if (e instanceof RunError || (e as Error).name === 'DataError') {
      error = (e as Error).message;
      log(`error: ${error}`);
    } else if (stop.requested) {
      status = 'stopped';
      log(`stopped (${(e as Error).message})`);
    } else {
      error = `${(e as Error).name}: ${(e as Error).message}`;
      log((e as Error).stack ?? String(e));
    }
  }
  if (status === 'failed' && !error) error = 'unknown failure';
  if (status !== 'failed') error = null;
  writer.end(status, error);
  log(`run ${status}${error ? `: ${error}` : ''}`);
  return status === 'failed' ? 1 : 0;
}

const isMain = typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module;
if (isMain || process.env['RESNET_STUDIO_WORKER_MAIN'] === '1') {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      log(`internal error: ${(e as Error).stack ?? String(e)}`);
      process.exit(1);
    },
  );
}

