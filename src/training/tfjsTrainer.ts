/**
 * The TF.js training loop. It follows the PyTorch runner's rules so that a run means the same on either
 * backend: the same config keys, data sources, split, augmentation, learning-rate schedules (per step),
 * epochs counted from 1 in rows, `step` counting optimiser steps since the run first began (a resume carries
 * on), a train row every `logEvery` steps plus one per epoch, a val row and a checkpoint after every epoch,
 * and a checkpoint when stopped mid-epoch.
 *
 * It runs inside the training worker (a child process), never in the extension host. It does not touch the
 * process (signals, stdout, exit codes): the worker does, and hands in a {@link TrainerIo}.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { IrGraph } from '../core/ir';
import { analyzeText } from '../frontends';
import { type EndStatus, type RowDraft, type RunConfig, type StatusRow, RunConfigError, validateRunConfig } from '../protocol/trainingProtocol';
import { checkDataPath, loadDataset } from './data';
import { DataError, type Dataset, Rng, channelStats, makeBatch } from './dataCore';
import type { LoadedBackend } from './tfjsBackend';
import { type TrainerState, listCheckpoints, restoreCheckpoint, saveCheckpoint } from './tfjsCheckpoint';
import { TfjsModelError, buildTfjsModel } from './tfjsModel';
import { TfjsTelemetry } from './tfjsTelemetry';
import { estimateFromStep, firstBatchMessage, paceMessage } from './runnerReason';

/** A failure the user can act on: its message is the whole story. */
export class RunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunError';
  }
}

export interface TrainerIo {
  emit(row: RowDraft): void;
  log(message: string): void;
  /** Set (by the worker's SIGTERM handler) to stop after the step in flight. */
  readonly stop: { requested: boolean };
}

/** Validates the config by the shared contract and fills in its defaults; throws {@link RunError} naming every bad key. */
export function validateConfig(raw: unknown, configPath: string): RunConfig {
  try {
    const cfg = validateRunConfig(raw, path.dirname(path.resolve(configPath)));
    cfg.runDir = path.resolve(cfg.runDir);
    return cfg;
  } catch (e) {
    if (e instanceof RunConfigError) throw new RunError(`config file ${configPath}: ${e.problems.join('; ')}`);
    throw e;
  }
}

/** Reads config.json (throws {@link RunError} when it is missing or not JSON). */
export function readConfig(configPath: string): RunConfig {
  let text: string;
  try {
    text = fs.readFileSync(configPath, 'utf8');
  } catch {
    throw new RunError(`config file not found: ${configPath}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RunError(`config file ${configPath} is not valid JSON: ${(e as Error).message}`);
  }
  return validateConfig(raw, configPath);
}

/** The model's IR, from the run's copy of the source when there is one (a resume trains the same code). */
export function loadGraph(cfg: RunConfig): IrGraph {
  const snapshot = cfg.modelSnapshot ? path.join(cfg.runDir, cfg.modelSnapshot) : undefined;
  const source = snapshot && fs.existsSync(snapshot) ? snapshot : cfg.modelFile;
  let text: string;
  try {
    text = fs.readFileSync(source, 'utf8');
  } catch (e) {
    throw new RunError(`cannot read the model file ${source}: ${(e as Error).message}`);
  }
  // The front end is chosen by the original file name: the snapshot's own name says nothing about the format.
  const analysis = analyzeText(cfg.modelFile, text, {
    input: [...cfg.inputShape],
    ...(cfg.modelName ? { model: cfg.modelName } : {}),
    ...(cfg.modelArgs ? { args: cfg.modelArgs } : {}),
  });
  const err = analysis.diagnostics.find((d) => d.severity === 'error');
  if (err) throw new RunError(`${path.basename(cfg.modelFile)}:${err.line}: ${err.message}`);
  if (!analysis.graph) throw new RunError(`no model could be built from ${cfg.modelFile}`);
  return analysis.graph;
}

/** Learning-rate multiplier at `step` (the PyTorch runner's LambdaLR). */
export function lrFactor(cfg: Pick<RunConfig, 'schedule' | 'epochs' | 'lrSteps' | 'lrGamma'>, step: number, totalSteps: number, stepsPerEpoch: number): number {
  const total = Math.max(1, totalSteps);
  if (cfg.schedule === 'cosine') return 0.5 * (1 + Math.cos((Math.PI * Math.min(step, total)) / total));
  if (cfg.schedule === 'step') {
    const milestones = cfg.lrSteps?.length ? cfg.lrSteps : [Math.max(1, Math.round(cfg.epochs * 0.5)), Math.max(1, Math.round(cfg.epochs * 0.75))];
    return cfg.lrGamma ** milestones.filter((m) => step >= m * stepsPerEpoch).length;
  }
  return 1;
}

export function nonFiniteMessage(value: number, epoch: number, step: number, lr: number, split = 'training'): string {
  const what = Number.isNaN(value) ? 'NaN' : value > 0 ? 'infinite' : '-infinite';
  return (
    `the ${split} loss became ${what} at epoch ${epoch + 1}, step ${step}; the run was stopped. ` +
    `Lower the learning rate (now ${lr.toPrecision(3)}), check the data, or add normalisation layers.`
  );
}

function setLearningRate(opt: tfTypes.Optimizer, lr: number): void {
  // SGD/Momentum have a setter; Adam reads its (protected) field on every step.
  const o = opt as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

/**
 * Runs training to the end; returns how it ended. Failures the user can fix throw {@link RunError}.
 * `backend.reason`, when given, says why that backend (the status rows carry it as `deviceReason`).
 */
export async function trainTfjs(cfg: RunConfig, resume: boolean, backend: LoadedBackend & { reason?: string }, io: TrainerIo): Promise<EndStatus> {
  const tf = backend.tf;
  const t0 = performance.now();
  checkDataPath(cfg.data);
  const graph = loadGraph(cfg);
  let built;
  try {
    built = buildTfjsModel(tf, graph, { seed: cfg.seed });
  } catch (e) {
    if (e instanceof TfjsModelError) throw new RunError(e.message);
    throw e;
  }
  const { model, outputSize: numClasses } = built;
  if (graph.params !== null && built.trainableParams !== graph.params) {
    throw new RunError(`internal: the TF.js model has ${built.trainableParams} parameters, the analysed model ${graph.params}`);
  }
  if (numClasses < 2) throw new RunError(`the model returns ${numClasses} class score(s); training needs at least 2`);
  if (io.stop.requested) return 'stopped';

  let data: Dataset;
  try {
    data = loadDataset({
      data: cfg.data,
      inputShape: cfg.inputShape,
      numClasses,
      valSplit: cfg.valSplit,
      seed: cfg.seed,
      syntheticSize: cfg.syntheticSize,
    });
  } catch (e) {
    if (e instanceof DataError) throw new RunError(e.message);
    throw e;
  }
  if (io.stop.requested) return 'stopped';
  const { train, val } = data;
  const bs = cfg.batchSize;
  if (train.n < bs) throw new RunError(`the training set (${train.n} images) is smaller than one batch of ${bs}`);
  const spe = Math.floor(train.n / bs);
  const totalSteps = Math.min(cfg.epochs * spe, cfg.maxSteps ?? Infinity);
  const logEvery = cfg.logEvery;
  let norm = channelStats(train);

  const optimizer: tfTypes.Optimizer =
    cfg.optimizer === 'adam' ? tf.train.adam(cfg.lr) : cfg.momentum > 0 ? tf.train.momentum(cfg.lr, cfg.momentum) : tf.train.sgd(cfg.lr);
  const varList = model.trainableWeights.map((w) => (w as unknown as { val: tfTypes.Variable }).val);
  const telemetry = new TfjsTelemetry(tf, cfg.telemetryEvery, graph, model.trainableWeights as unknown as { originalName?: string; name: string }[]);
  const ckptDir = path.join(cfg.runDir, 'checkpoints');
  let step = 0;
  let startEpoch = 0;
  let startBatch = 0;
  let message = `training on ${data.description}`;
  let resumedFrom: string | undefined;
  const existing = listCheckpoints(ckptDir);
  if (resume) {
    let restored: { name: string; state: TrainerState } | undefined;
    for (const c of [...existing].reverse()) {
      try {
        restored = { name: c.name, state: await restoreCheckpoint(tf, c.dir, model, optimizer) };
        break;
      } catch (e) {
        io.log(`checkpoint ${c.name} is unreadable (${(e as Error).message}); trying an older one`);
      }
    }
    if (restored) {
      const s = restored.state;
      step = s.step;
      norm = s.norm;
      startEpoch = s.epoch;
      startBatch = s.batchesDone;
      if (startBatch >= s.stepsPerEpoch) {
        startEpoch += 1;
        startBatch = 0;
      } else if (s.stepsPerEpoch !== spe) {
        startBatch = Math.floor((startBatch * spe) / s.stepsPerEpoch);
      }
      message = `resumed from ${restored.name} at step ${step}`;
      resumedFrom = `checkpoints/${restored.name}`;
    } else {
      message = existing.length ? 'no readable checkpoint to resume from; starting at step 0' : 'no checkpoint to resume from; starting at step 0';
    }
  } else if (existing.length) {
    throw new RunError(`run directory ${cfg.runDir} already has checkpoints; resume it or start a new run`);
  }

  let tTrain = 0;
  let stepsTimed = 0;
  let tVal: number | undefined;
  const eta = () => {
    if (!stepsTimed) return undefined;
    const remaining = Math.max(0, totalSteps - step);
    const epochsLeft = remaining ? Math.ceil(remaining / spe) : 0;
    return (remaining * tTrain) / stepsTimed + epochsLeft * (tVal ?? 0);
  };
  const etaField = () => {
    const e = eta();
    return e !== undefined && Number.isFinite(e) ? { eta: e } : {};
  };
  const status = (fields: Omit<StatusRow, 'type' | 'attempt' | 'time'>) =>
    io.emit({
      type: 'status',
      backend: backend.label,
      device: backend.device,
      epochs: cfg.epochs,
      stepsPerEpoch: spe,
      totalSteps,
      step,
      worldSize: 1,
      ...fields,
    });
  io.emit({ type: 'start', step, ...(resumedFrom ? { resumedFrom } : {}) });
  status({
    message,
    trainSize: train.n,
    valSize: val?.n ?? 0,
    epoch: startEpoch + 1,
    params: built.trainableParams,
    runtime: backend.package,
    runtimeVersion: backend.version,
    ...(backend.reason ? { deviceReason: backend.reason } : {}),
    ...(backend.skipped.length ? { skippedBackends: backend.skipped.map((b) => `${b.package}: ${b.reason}`) } : {}),
  });
  io.log(
    `${message} | ${backend.label} | ${train.n} train / ${val?.n ?? 0} val images | ${spe} steps per epoch | ` +
      `${built.trainableParams} parameters | set up in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const { h, w, c } = train;
  const wd = cfg.weightDecay;
  const checkpoint = async (epoch: number, batchesDone: number) => {
    const rel = await saveCheckpoint(
      tf,
      cfg.runDir,
      model,
      optimizer,
      { epoch, batchesDone, step, stepsPerEpoch: spe, norm, backend: backend.package, time: Date.now() / 1000 },
      cfg.keepCheckpoints,
    );
    io.emit({ type: 'checkpoint', epoch: epoch + 1, step, path: rel });
  };
  /** Lets the event loop run, so a SIGTERM is seen between steps. */
  const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));
  // A pure-JavaScript step can take seconds: the run says what it is doing until its first batch is timed,
  // and that batch's time gives the step count and an ETA at once, long before the first logged window. The
  // first batch also pays the start-up (kernels, the optimiser's slots), so the second one's time, the pace,
  // corrects the estimate a moment later.
  let timedSteps = 0;
  const valBatches = val && val.n > 0 ? Math.ceil(val.n / bs) : 0;
  if (step < totalSteps) status({ epoch: startEpoch + 1, message: 'measuring first batch…' });

  for (let epoch = startEpoch; epoch < cfg.epochs; epoch++) {
    if (step >= totalSteps) break;
    const order = new Rng(cfg.seed * 1_000_003 + epoch).permutation(train.n);
    const first = epoch === startEpoch ? startBatch : 0;
    let winLoss = 0;
    let winCorrect = 0;
    let winN = 0;
    let winSteps = 0;
    let epLoss = 0;
    let epCorrect = 0;
    let epN = 0;
    let epTime = 0;
    let winStart = performance.now();
    let batchesDone = first;
    let stopped = false;
    let lr = cfg.lr * lrFactor(cfg, step, totalSteps, spe);
    const firstLog = stepsTimed === 0;
    let loggedFirst = false;
    for (let b = first; b < spe; b++) {
      await yieldToEvents();
      if (io.stop.requested) {
        stopped = true;
        break;
      }
      lr = cfg.lr * lrFactor(cfg, step, totalSteps, spe);
      setLearningRate(optimizer, lr);
      const timeThis = timedSteps < 2;
      const stepStart = performance.now();
      const idx = order.subarray(b * bs, (b + 1) * bs);
      const batch = makeBatch(train, idx, norm, cfg.augment ? new Rng(cfg.seed * 7 + step * 131 + 1) : null);
      let correctT: tfTypes.Tensor | undefined;
      let ceT: tfTypes.Tensor | undefined;
      const lossOf = (xs: tfTypes.Tensor, ys: tfTypes.Tensor) => () => {
        const logits = model.apply(xs, { training: true }) as tfTypes.Tensor;
        const ce = tf.losses.softmaxCrossEntropy(ys, logits) as tfTypes.Scalar;
        correctT = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(ys, 1)), 'float32')));
        // The rows report the cross-entropy, as the PyTorch runner does, not the L2 term.
        ceT = tf.keep(tf.clone(ce));
        if (wd <= 0) return ce;
        // Coupled L2, as PyTorch's weight_decay: the gradient gains wd * w.
        const l2 = tf.addN(varList.map((v) => tf.sum(tf.square(v))));
        return tf.add(ce, tf.mul(0.5 * wd, l2)) as tfTypes.Scalar;
      };
      let layerRowsOfStep: RowDraft[] = [];
      let lossT: tfTypes.Scalar;
      if (telemetry.wants(step + 1)) {
        // A sampled step: the same update, with each layer's gradient, weight and update norms measured.
        const xs = tf.tensor4d(batch.x, [idx.length, h, w, c]);
        const ys = tf.oneHot(tf.tensor1d(batch.y, 'int32'), numClasses);
        const sampled = await telemetry.step(optimizer, lossOf(xs, ys), varList, step + 1);
        tf.dispose([xs, ys]);
        lossT = sampled.cost;
        layerRowsOfStep = sampled.rows;
      } else {
        lossT = tf.tidy(() => {
          const xs = tf.tensor4d(batch.x, [idx.length, h, w, c]);
          const ys = tf.oneHot(tf.tensor1d(batch.y, 'int32'), numClasses);
          return optimizer.minimize(lossOf(xs, ys), true, varList) as tfTypes.Scalar;
        });
      }
      const total = (await lossT.data())[0]!;
      const correct = correctT ? (await correctT.data())[0]! : 0;
      const ce = ceT ? (await ceT.data())[0]! : total;
      tf.dispose([lossT, correctT, ceT].filter((t): t is tfTypes.Tensor => t !== undefined));
      step += 1;
      for (const row of layerRowsOfStep) io.emit(row);
      if (timeThis) {
        timedSteps += 1;
        const stepSeconds = (performance.now() - stepStart) / 1000;
        const estimate = estimateFromStep({ stepSeconds, step, totalSteps, stepsPerEpoch: spe, valBatches });
        status({ epoch: epoch + 1, eta: estimate, message: timedSteps === 1 ? firstBatchMessage(stepSeconds, totalSteps, estimate) : paceMessage(stepSeconds, totalSteps, estimate) });
      }
      batchesDone = b + 1;
      winSteps += 1;
      if (!Number.isFinite(total)) throw new RunError(nonFiniteMessage(total, epoch, step, lr));
      const n = idx.length;
      winLoss += ce * n;
      winCorrect += correct;
      winN += n;
      const last = b + 1 === spe || step >= totalSteps;
      if (last || winSteps === logEvery) {
        const dt = (performance.now() - winStart) / 1000;
        tTrain += dt;
        epTime += dt;
        stepsTimed += winSteps;
        epLoss += winLoss;
        epCorrect += winCorrect;
        epN += winN;
        if (!last) {
          io.emit({
            type: 'metric',
            split: 'train',
            epoch: epoch + 1,
            step,
            loss: winLoss / winN,
            accuracy: winCorrect / winN,
            lr,
            ...(dt > 0 ? { imagesPerSecond: winN / dt } : {}),
            scope: 'window',
          });
          if (firstLog && !loggedFirst) {
            loggedFirst = true;
            status({ epoch: epoch + 1, ...etaField() });
          }
        }
        winLoss = winCorrect = winN = winSteps = 0;
        winStart = performance.now();
        if (last) break;
      }
    }
    if (stopped) {
      if (batchesDone > first || epoch > startEpoch || step > 0) await checkpoint(epoch, batchesDone);
      return 'stopped';
    }
    if (epN > 0) {
      io.emit({
        type: 'metric',
        split: 'train',
        epoch: epoch + 1,
        step,
        loss: epLoss / epN,
        accuracy: epCorrect / epN,
        lr,
        ...(epTime > 0 ? { imagesPerSecond: epN / epTime } : {}),
        scope: 'epoch',
      });
    }
    if (val && val.n > 0) {
      const v0 = performance.now();
      const r = await evaluate(tf, model, val, norm, bs, numClasses);
      tVal = (performance.now() - v0) / 1000;
      if (!Number.isFinite(r.loss)) throw new RunError(nonFiniteMessage(r.loss, epoch, step, lr, 'validation'));
      io.emit({ type: 'metric', split: 'val', epoch: epoch + 1, step, loss: r.loss, accuracy: r.accuracy });
      io.log(`epoch ${epoch + 1} step ${step}: val loss ${r.loss.toFixed(4)} accuracy ${r.accuracy.toFixed(4)}`);
    }
    await checkpoint(epoch, batchesDone);
    if (io.stop.requested) return 'stopped';
    status({ epoch: epoch + 1, ...etaField() });
  }
  return 'completed';
}

/** Mean cross-entropy and accuracy over a set, in inference mode (BatchNorm uses its running statistics). */
export async function evaluate(
  tf: LoadedBackend['tf'],
  model: tfTypes.LayersModel,
  set: Dataset['train'],
  norm: { mean: number[]; std: number[] },
  batchSize: number,
  numClasses: number,
): Promise<{ loss: number; accuracy: number }> {
  let lossSum = 0;
  let correct = 0;
  for (let s = 0; s < set.n; s += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, set.n - s) }, (_v, i) => s + i);
    const batch = makeBatch(set, idx, norm, null);
    const [l, k] = tf.tidy(() => {
      const xs = tf.tensor4d(batch.x, [idx.length, set.h, set.w, set.c]);
      const ys = tf.oneHot(tf.tensor1d(batch.y, 'int32'), numClasses);
      const logits = model.apply(xs, { training: false }) as tfTypes.Tensor;
      const loss = tf.sum(tf.losses.softmaxCrossEntropy(ys, logits, undefined, undefined, tf.Reduction.NONE));
      const hit = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(batch.y, 'int32')), 'float32'));
      return [loss, hit];
    });
    lossSum += (await l.data())[0]!;
    correct += (await k.data())[0]!;
    tf.dispose([l, k]);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { loss: lossSum / set.n, accuracy: correct / set.n };
}
