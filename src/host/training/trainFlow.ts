/**
 * "Train Model…": which file and model, which runner, where it runs (this machine, one node of several, or a
 * SLURM cluster with its partitions from `sinfo`), which data, which hyperparameters; then a run directory
 * and a job. The model and the analysed input are resolved as the CLI resolves them (the user's per-model
 * choice first, then the file's own comment or design input, then the analysis's guess or the default); then
 * the data decides the input the run trains at (`inputStep.ts`), shown in the last step's title before it starts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUN_CONFIG_DEFAULTS } from '../../protocol/trainingProtocol';
import { type DataKind, checkDataPath } from '../../training/data';
import { isDir } from '../../training/dataCore';
import { listImageFolder } from '../../training/dataImageFolder';
import { decodeImage } from '../../training/dataPng';
import { type TelemetryProbes, telemetryProbes } from '../../training/health';
import { analysisOptions, resolveFromAnalysis } from '../../training/resolveModel';
import { listPartitions } from '../../training/slurm';
import { type LaunchConfig, MULTINODE_PROMPT_KEYS, SLURM_PROMPT_KEYS, joinCommand, parseLaunchLine, splitSbatchArgs } from './launchOptions';
import { TRUST_MESSAGE, type TrainingController } from './controller';
import { hyperparametersFrom } from './hyperparameters';
import { pickModelOf } from '../modelQuickPick';
import { type InputDecision, type Shape4, inputForData, parseResize, resizeItems, shapeText } from './inputStep';

async function pickFile(): Promise<vscode.Uri | undefined> {
  const editor = vscode.window.activeTextEditor?.document.uri;
  if (editor && /\.(py|json)$/.test(editor.fsPath)) return editor;
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { 'Model files': ['py', 'json'] },
    title: 'Train which model file?',
  });
  return picked?.[0];
}

/**
 * Where a PyTorch run trains. SLURM is offered wherever this window's extension host runs (with Remote-SSH,
 * the login node): its partitions come from `sinfo`, and a cluster that does not answer is said so at once.
 * Undefined when the user cancelled.
 */
async function pickLauncher(modelName: string): Promise<LaunchConfig | undefined> {
  const where = await vscode.window.showQuickPick(
    [
      { label: 'This machine', description: 'torchrun here', detail: 'One process, or several (nproc) on this machine\'s GPUs.', launch: 'local' as const },
      { label: 'This machine, one node of several', description: 'multi-node torchrun', detail: 'This machine is node 0; the others join the run with the command shown after the start.', launch: 'nodes' as const },
      { label: 'SLURM cluster', description: 'sbatch from here', detail: 'A batch job: srun plus torchrun on the nodes of the allocation; metrics stream from the shared run folder.', launch: 'slurm' as const },
    ],
    { title: `Train ${modelName}: where`, placeHolder: 'Where should the run train?' },
  );
  if (!where) return undefined;
  if (where.launch === 'local') return { launcher: 'local' };
  if (where.launch === 'nodes') {
    const line = await vscode.window.showInputBox({
      title: `Train ${modelName}: nodes`,
      value: 'nnodes=2 nproc=1 rdzv=HOST:29400',
      prompt: 'nnodes (machines), nproc (processes per machine), rdzv (HOST:PORT of the rendezvous, reachable from every node), id (optional, default the run id)',
      validateInput: (v) => {
        const r = parseLaunchLine(v, MULTINODE_PROMPT_KEYS);
        return typeof r === 'string' ? r : undefined;
      },
    });
    const r = line === undefined ? undefined : parseLaunchLine(line, MULTINODE_PROMPT_KEYS);
    return r === undefined || typeof r === 'string' ? undefined : { launcher: 'local', ...r };
  }
  let partitions;
  try {
    partitions = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Asking SLURM for its partitions…' }, () => listPartitions());
  } catch (err) {
    void vscode.window.showErrorMessage(`ResNet Studio: SLURM does not answer from here: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  if (!partitions.length) {
    void vscode.window.showErrorMessage('ResNet Studio: sinfo lists no partitions.');
    return undefined;
  }
  const partition = await vscode.window.showQuickPick(
    partitions.map((p) => ({
      label: p.name,
      description: `${p.isDefault ? 'default · ' : ''}${p.available} · ${p.nodes.idle}/${p.nodes.total} nodes idle`,
      detail: `${p.gres ? `${p.gres} · ` : ''}time limit ${p.timeLimit}`,
      partition: p,
    })),
    { title: `Train ${modelName}: SLURM partition` },
  );
  if (!partition) return undefined;
  const gpus = /gpu(?::[^:,(]+)?:(\d+)/.exec(partition.partition.gres)?.[1];
  const line = await vscode.window.showInputBox({
    title: `Train ${modelName}: SLURM job`,
    value: `nodes=1 gpus-per-node=${gpus ?? 0} nproc= time=`,
    prompt: "nodes, gpus-per-node (one process per GPU), nproc (processes per node when no GPUs), time (HH:MM:SS; empty: the partition's limit)",
    validateInput: (v) => {
      const r = parseLaunchLine(v, SLURM_PROMPT_KEYS);
      return typeof r === 'string' ? r : undefined;
    },
  });
  const job = line === undefined ? undefined : parseLaunchLine(line, SLURM_PROMPT_KEYS);
  if (job === undefined || typeof job === 'string') return undefined;
  const extra = await vscode.window.showInputBox({
    title: `Train ${modelName}: more sbatch options (optional)`,
    placeHolder: '--account=ml --qos=normal',
    prompt: 'Passed to sbatch as written, e.g. --account, --qos, --constraint, --mem',
  });
  if (extra === undefined) return undefined;
  const sbatchArgs = splitSbatchArgs(extra);
  return { launcher: 'slurm', partition: partition.partition.name, ...job, ...(sbatchArgs.length ? { sbatchArgs } : {}) };
}

/** The size of an image folder's first image, for the resize pick; undefined when it cannot be read (JPEG, say). */
function firstImageSize(dir: string): [number, number] | undefined {
  try {
    const root = ['train', 'val'].every((s) => isDir(path.join(dir, s))) ? path.join(dir, 'train') : dir;
    const first = listImageFolder(root).files[0];
    if (!first) return undefined;
    const img = decodeImage(first);
    return [img.height, img.width];
  } catch {
    return undefined;
  }
}

/** An image folder's resize: a quick pick of sizes, or a custom one. Undefined when cancelled. */
async function pickResize(modelName: string, analysed: Shape4, dir: string): Promise<[number, number] | undefined> {
  const own = firstImageSize(dir);
  const picked = await vscode.window.showQuickPick(resizeItems(analysed, own), {
    title: `Train ${modelName}: resize the images to`,
    placeHolder: `Every image is resized to this size${own ? ` (the first is ${own[0]}×${own[1]})` : ''}; the run trains at ${analysed[1]}×H×W`,
  });
  if (!picked) return undefined;
  if (picked.size) return picked.size;
  const text = await vscode.window.showInputBox({
    title: `Train ${modelName}: resize the images to`,
    prompt: 'Pixels: one number for a square, or HxW',
    value: own ? `${own[0]}x${own[1]}` : '96',
    validateInput: (v) => {
      const r = parseResize(v);
      return typeof r === 'string' ? r : undefined;
    },
  });
  const r = text === undefined ? undefined : parseResize(text);
  return r === undefined || typeof r === 'string' ? undefined : r;
}

export async function trainCommand(controller: TrainingController, uriArg?: unknown, modelArg?: unknown): Promise<void> {
  const uri = uriArg instanceof vscode.Uri ? uriArg : await pickFile();
  if (!uri) return;
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open?.isDirty && !(await open.save())) return;
  const file = uri.fsPath;
  const text = open?.getText() ?? fs.readFileSync(file, 'utf8');
  const settings = controller.ctx.settings();
  let choice = controller.ctx.choiceFor(uri);
  let model = typeof modelArg === 'string' && modelArg ? modelArg : choice?.model;
  // The model is the file's, picked once for every feature: a remembered pick is trained (and the title says
  // so); a file of several models with none picked asks with Show Graph's quick pick, and remembers the answer.
  let which = model ? ` · ${model}${model === choice?.model ? ' (the model picked for this file)' : ''}` : '';
  if (!model && file.endsWith('.py')) {
    const picked = await pickModelOf(controller.analysis, open ?? (await vscode.workspace.openTextDocument(uri)), 'Train');
    if (picked === null) return;
    if (picked) {
      await controller.ctx.setChoice(uri, { model: picked });
      choice = controller.ctx.choiceFor(uri);
      model = picked;
      which = ` · ${picked}`;
    }
  }

  const backendPick = await vscode.window.showQuickPick(
    [
      { label: 'TF.js', description: 'in a child process of VS Code', detail: 'Trains the analysed model; native TensorFlow when installed, pure JavaScript otherwise.', backend: 'tfjs' as const },
      { label: 'PyTorch', description: 'your Python environment', detail: 'Trains the actual nn.Module from the file; CUDA, MPS or CPU; several GPUs through torchrun.', backend: 'pytorch' as const },
    ].sort((a, b) => (a.backend === settings.training.backend ? -1 : b.backend === settings.training.backend ? 1 : 0)),
    { title: `Train ${path.basename(file)}${which}: runner`, placeHolder: 'Which runner trains the model?' },
  );
  if (!backendPick) return;
  const backend = backendPick.backend;
  if (backend === 'pytorch' && !file.endsWith('.py')) {
    void vscode.window.showErrorMessage('ResNet Studio: the PyTorch runner trains a PyTorch .py file; use the TF.js runner for designs and Keras models.');
    return;
  }
  if (backend === 'pytorch' && !vscode.workspace.isTrusted) {
    const act = await vscode.window.showErrorMessage(TRUST_MESSAGE, 'Manage Workspace Trust');
    if (act) void vscode.commands.executeCommand('workbench.trust.manage');
    return;
  }

  let launch: LaunchConfig = { launcher: 'local' };
  if (backend === 'pytorch') {
    const picked = await pickLauncher(path.basename(file));
    if (!picked) return;
    launch = picked;
  }

  let resolved;
  let probes: TelemetryProbes | undefined;
  try {
    // The analysis runs in the analysis worker: the extension bundle carries no front end.
    const flags = { ...(choice?.input ? { input: choice.input } : {}), ...(model ? { model } : {}), ...(choice?.args ? { args: choice.args } : {}) };
    const analysis = await controller.analyzeText(file, text, analysisOptions(flags));
    // With no choice, the model trained is the one the analysis shows for the file (the CodeLens and status
    // bar's), not merely the file's first class: a helper block with constructor arguments cannot train.
    const shownModel = !model && analysis?.graph?.name ? { model: analysis.graph.name } : {};
    resolved = resolveFromAnalysis(analysis, file, text, { ...flags, ...shownModel }, backend);
    // Where the PyTorch runner measures each residual add and functional ReLU (layer telemetry), from the IR.
    if (backend === 'pytorch') {
      const graph = analysis?.graph?.name === resolved.modelName ? analysis.graph : (await controller.analyzeText(file, text, analysisOptions({ ...flags, model: resolved.modelName })))?.graph;
      if (graph) probes = telemetryProbes(graph);
    }
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    void vscode.window.showErrorMessage(`ResNet Studio: cannot train this model: ${msg}`);
    return;
  }

  const guessed = /guess/.test(resolved.inputFrom);
  const dataPick = await vscode.window.showQuickPick(
    [
      {
        label: 'Synthetic',
        description: `built in, ${shapeText(resolved.input)}${guessed ? ' (a guess)' : ''}`,
        detail: `Deterministic learnable data at the shape the model is analysed with (from ${resolved.inputFrom}).`,
        source: 'synthetic' as const,
      },
      { label: 'Image folder…', description: 'class subfolders of PNG files (JPEG with PyTorch); resized to a size you pick', source: 'folder' as const },
      { label: 'CIFAR-10 binary batches…', description: 'a folder with data_batch_*.bin; trains at 3×32×32', source: 'folder' as const },
    ],
    { title: `Train ${resolved.modelName}: data` },
  );
  if (!dataPick) return;
  let data = 'synthetic';
  let kind: DataKind = 'synthetic';
  if (dataPick.source === 'folder') {
    const dir = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, title: 'Data folder', openLabel: 'Train on this folder' });
    if (!dir?.[0]) return;
    data = dir[0].fsPath;
    try {
      kind = checkDataPath(data);
    } catch (err) {
      void vscode.window.showErrorMessage(`ResNet Studio: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
  }

  // The input follows from the data: CIFAR binaries are 32×32, an image folder is resized as the user picks.
  let decision: InputDecision;
  if (kind === 'folder') {
    const size = await pickResize(resolved.modelName, resolved.input, data);
    if (!size) return;
    decision = inputForData(kind, resolved.input, resolved.inputFrom, size);
  } else {
    decision = inputForData(kind, resolved.input, resolved.inputFrom);
  }
  const input = decision.input;
  if (input.join() !== resolved.input.join()) {
    // The model is analysed again at the shape it will train at: a model that cannot take it fails here, not in the run.
    try {
      const flags = { input, inputLabel: decision.from, model: resolved.modelName, ...(choice?.args ? { args: choice.args } : {}) };
      const analysis = await controller.analyzeText(file, text, analysisOptions(flags));
      const error = analysis?.diagnostics.find((x) => x.severity === 'error');
      if (error) throw new Error(`${path.basename(file)}:${error.line}: ${error.message}`);
      resolveFromAnalysis(analysis, file, text, flags, backend);
      if (backend === 'pytorch' && analysis?.graph) probes = telemetryProbes(analysis.graph);
    } catch (err) {
      void vscode.window.showErrorMessage(`ResNet Studio: ${resolved.modelName} cannot train at ${shapeText(input)} (${decision.from}): ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
  }

  const d = RUN_CONFIG_DEFAULTS;
  const small = input[2] * input[3] <= 32 * 32;
  const defaults = `epochs=${d.epochs} batch=${backend === 'tfjs' && small ? 64 : d.batchSize} lr=${d.lr} optimizer=${d.optimizer} schedule=${d.schedule} wd=${d.weightDecay} val=${d.valSplit} detach=false`;
  const line = await vscode.window.showInputBox({
    title: `Train ${resolved.modelName} at input ${shapeText(input)} (${decision.from}): hyperparameters`,
    value: defaults,
    prompt: `key=value pairs: epochs, batch, lr, optimizer (sgd|adam), momentum, wd, schedule (none|step|cosine), val, seed, augment, size (synthetic images)${backend === 'pytorch' ? ', nproc' : ''}, detach (keep training after VS Code closes)`,
    validateInput: (v) => {
      const r = hyperparametersFrom(v, backend);
      return typeof r === 'string' ? r : undefined;
    },
  });
  if (line === undefined) return;
  const hp = hyperparametersFrom(line, backend);
  if (typeof hp === 'string') return;

  const store = controller.store();
  const run = store.createRun({
    backend,
    modelFile: file,
    modelName: resolved.modelName,
    modelArgs: choice?.args ?? '',
    inputShape: input,
    inputFrom: decision.from,
    data,
    ...hp.config,
    ...launch,
    ...(probes ?? {}),
  });
  controller.log(`training: created run ${run.id} in ${store.root} (${backend}, ${launch.launcher === 'slurm' ? `SLURM partition ${launch.partition}` : (launch.nnodes ?? 1) > 1 ? `node 0 of ${launch.nnodes}` : 'this machine'}, input [${input.join(', ')}] from ${decision.from})`);
  const job = await controller.startRun(run.id, { detached: hp.detach, ...(hp.nproc > 1 ? { nproc: hp.nproc } : {}), ...((launch.nnodes ?? 1) > 1 ? { nodeRank: 0 } : {}) });
  if (job && launch.nnodes && launch.nnodes > 1 && launch.rdzvEndpoint) {
    const command = joinCommand({ runId: run.id, runsRoot: store.root, nnodes: launch.nnodes, rdzvEndpoint: launch.rdzvEndpoint }).join('\n');
    controller.log(`training: on the other nodes, run:\n${command}`);
    const act = await vscode.window.showInformationMessage(`Run ${run.id} waits for ${launch.nnodes - 1} more node(s) at ${launch.rdzvEndpoint}. Start them with the command in the output (the run folder must be shared).`, 'Copy Command');
    if (act) await vscode.env.clipboard.writeText(command);
  } else if (job?.slurmJobId) {
    controller.log(`training: run ${run.id} submitted as SLURM job ${job.slurmJobId}`);
  }
}
