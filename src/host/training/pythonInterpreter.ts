/**
 * Which Python trains, as the extension sees it: the interpreter setting, then `RESNET_STUDIO_PYTHON`, then
 * the Python extension's active interpreter (through its published API, `@vscode/python-extension`), then
 * `python3`/`python` on PATH; the first that imports torch. The order and the probing live in the pure
 * `training/pythonEnv.ts`; this module adds the one source only VS Code knows.
 *
 * The Python extension is optional. It is not an `extensionDependencies` entry (that would make VS Code
 * install it, and keep ResNet Studio from activating in a workbench without it), so every way it can be
 * missing (not installed, disabled, failing to activate, no interpreter selected) means "no interpreter from
 * it", and the next source is tried.
 */
import * as fs from 'node:fs';
import { PVSC_EXTENSION_ID, PythonExtension } from '@vscode/python-extension';
import * as vscode from 'vscode';
import { type TorchPython, resolveTorchPython } from '../../training/pythonEnv';

/** Activating the Python extension can take a while on a cold start; past this, training goes on without it. */
const ACTIVATION_TIMEOUT_MS = 20_000;

/** The Python extension's active interpreter for `resource`, when that extension is installed and has one. */
export async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  // Asking the API when the extension is absent only throws; this check says the same without an exception.
  if (!vscode.extensions.getExtension(PVSC_EXTENSION_ID)) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ACTIVATION_TIMEOUT_MS);
  });
  const ask = async (): Promise<string | undefined> => {
    const api = await PythonExtension.api();
    const active = api.environments.getActiveEnvironmentPath(resource);
    const resolved = await api.environments.resolveEnvironment(active);
    const exe = resolved?.executable.uri?.fsPath ?? active.path;
    return exe && fs.existsSync(exe) && fs.statSync(exe).isFile() ? exe : undefined;
  };
  try {
    return await Promise.race([ask(), timeout]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The interpreter a PyTorch run of `resource` uses, with its {@link TorchPython.source}; throws
 * `PythonEnvError` listing every candidate tried when none imports torch.
 */
export function resolveTrainingPython(setting: string, resource: vscode.Uri): Promise<TorchPython> {
  return resolveTorchPython({
    ...(setting.trim() ? { explicit: setting } : {}),
    pythonExtension: () => pythonExtensionInterpreter(resource),
  });
}
