/**
 * "Train Model…": which file and model, which runner, which data, which hyperparameters; then a run
 * directory and a job. The input shape and model name are resolved as the CLI resolves them (the user's
 * per-model choice first, then the file's own comment or design input, then the default).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUN_CONFIG_DEFAULTS } from '../../protocol/trainingProtocol';
import { analysisOptions, resolveFromAnalysis } from '../../training/resolveModel';
import { TRUST_MESSAGE, type TrainingController } from './controller';
import { hyperparametersFrom } from './hyperparameters';

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

export async function trainCommand(controller: TrainingController, uriArg?: unknown, modelArg?: unknown): Promise<void> {
  const uri = uriArg instanceof vscode.Uri ? uriArg : await pickFile();
  if (!uri) return;
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open?.isDirty && !(await open.save())) return;
  const file = uri.fsPath;
  const text = open?.getText() ?? fs.readFileSync(file, 'utf8');
  const settings = controller.ctx.settings();
  const choice = controller.ctx.choiceFor(uri);
  const model = typeof modelArg === 'string' && modelArg ? modelArg : choice?.model;

  const backendPick = await vscode.window.showQuickPick(
    [
      { label: 'TF.js', description: 'in a child process of VS Code', detail: 'Trains the analysed model; native TensorFlow when installed, pure JavaScript otherwise.', backend: 'tfjs' as const },
      { label: 'PyTorch', description: 'your Python environment', detail: 'Trains the actual nn.Module from the file; CUDA, MPS or CPU; several GPUs through torchrun.', backend: 'pytorch' as const },
    ].sort((a, b) => (a.backend === settings.training.backend ? -1 : b.backend === settings.training.backend ? 1 : 0)),
    { title: `Train ${path.basename(file)}: runner`, placeHolder: 'Which runner trains the model?' },
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

  let resolved;
  try {
    // The analysis runs in the analysis worker: the extension bundle carries no front end.
    const flags = { ...(choice?.input ? { input: choice.input } : {}), ...(model ? { model } : {}), ...(choice?.args ? { args: choice.args } : {}) };
    const analysis = await controller.analyzeText(file, text, analysisOptions(flags));
    resolved = resolveFromAnalysis(analysis, file, text, flags, backend);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    void vscode.window.showErrorMessage(`ResNet Studio: cannot train this model: ${msg}`);
    return;
  }

  const dataPick = await vscode.window.showQuickPick(
    [
      { label: 'Synthetic', description: `built in, ${resolved.input[1]}×${resolved.input[2]}×${resolved.input[3]}`, detail: 'Deterministic learnable data matched to the input shape and class count.', source: 'synthetic' as const },
      { label: 'Image folder…', description: 'class subfolders of PNG files (JPEG with PyTorch)', source: 'folder' as const },
      { label: 'CIFAR-10 binary batches…', description: 'a folder with data_batch_*.bin', source: 'folder' as const },
    ],
    { title: `Train ${resolved.modelName}: data` },
  );
  if (!dataPick) return;
  let data = 'synthetic';
  if (dataPick.source === 'folder') {
    const dir = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, title: 'Data folder' });
    if (!dir?.[0]) return;
    data = dir[0].fsPath;
  }

  const d = RUN_CONFIG_DEFAULTS;
  const small = resolved.input[2] * resolved.input[3] <= 32 * 32;
  const defaults = `epochs=${d.epochs} batch=${backend === 'tfjs' && small ? 64 : d.batchSize} lr=${d.lr} optimizer=${d.optimizer} schedule=${d.schedule} wd=${d.weightDecay} val=${d.valSplit} detach=false`;
  const line = await vscode.window.showInputBox({
    title: `Train ${resolved.modelName}: hyperparameters`,
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
    inputShape: resolved.input,
    data,
    ...hp.config,
  });
  controller.log(`training: created run ${run.id} in ${store.root} (${backend}, input [${resolved.input.join(', ')}] from ${resolved.inputFrom})`);
  await controller.startRun(run.id, { detached: hp.detach, ...(hp.nproc > 1 ? { nproc: hp.nproc } : {}) });
}
