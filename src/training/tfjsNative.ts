/**
 * Finding and installing the optional native TensorFlow.js packages, without loading any tfjs: the extension
 * host uses this module (the install command, the panel's backend line), and only the training worker loads
 * a backend (`tfjsBackend.ts`).
 *
 * The native packages cannot ship inside the extension (their install downloads libtensorflow for the user's
 * platform), so they are optional and found at run time: `@tensorflow/tfjs-node-gpu`, then
 * `@tensorflow/tfjs-node`, then the bundled pure-JS `@tensorflow/tfjs`. Each is looked for in the extension's
 * storage folder first (where the install command puts it), then on the normal module paths.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

export const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
export type NativePackage = (typeof NATIVE_PACKAGES)[number];
/** `auto` takes the first that loads; the others insist on one (and fail when it cannot load). */
export type TfjsBackendPreference = 'auto' | 'tfjs-node-gpu' | 'tfjs-node' | 'cpu';

/** Environment variable that overrides the preference (for benchmarks and tests). */
export const TFJS_BACKEND_ENV = 'RESNET_STUDIO_TFJS_BACKEND';
/** Environment variable naming the extension's storage folder, where the install command puts native packages. */
export const TFJS_STORAGE_ENV = 'RESNET_STUDIO_TFJS_STORAGE';

export interface FoundPackage {
  package: NativePackage;
  /** Resolved entry file. */
  entry: string;
}

/** Folders searched for native packages, in order: the storage folder, then the usual module resolution. */
export function searchRoots(storageDir?: string): string[] {
  const roots: string[] = [];
  const storage = storageDir ?? process.env[TFJS_STORAGE_ENV];
  if (storage) roots.push(storage);
  roots.push(typeof __dirname === 'string' ? __dirname : process.cwd(), process.cwd());
  return [...new Set(roots)];
}

function resolveFrom(root: string, pkg: string): string | undefined {
  try {
    return createRequire(path.join(root, 'noop.js')).resolve(pkg);
  } catch {
    return undefined;
  }
}

/** The native packages that are installed (resolvable), without loading them. */
export function findNativePackages(storageDir?: string): FoundPackage[] {
  const found: FoundPackage[] = [];
  for (const pkg of NATIVE_PACKAGES) {
    for (const root of searchRoots(storageDir)) {
      const entry = resolveFrom(root, pkg);
      if (entry) {
        found.push({ package: pkg, entry });
        break;
      }
    }
  }
  return found;
}

/** The order to try, from a preference. */
export function candidateOrder(pref: TfjsBackendPreference): (NativePackage | 'cpu')[] {
  switch (pref) {
    case 'tfjs-node-gpu':
      return ['@tensorflow/tfjs-node-gpu'];
    case 'tfjs-node':
      return ['@tensorflow/tfjs-node'];
    case 'cpu':
      return ['cpu'];
    default:
      return ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', 'cpu'];
  }
}

export function parsePreference(v: string | undefined): TfjsBackendPreference {
  const s = (v ?? '').trim();
  if (s === '' || s === 'auto') return 'auto';
  if (s === 'tfjs-node-gpu' || s === 'tfjs-node' || s === 'cpu') return s;
  if (s === 'pure' || s === 'js' || s === 'tfjs') return 'cpu';
  throw new Error(`unknown TF.js backend '${s}': use auto, tfjs-node-gpu, tfjs-node or cpu`);
}

export interface InstallOptions {
  /** `@tensorflow/tfjs-node` (default) or `@tensorflow/tfjs-node-gpu`. */
  package?: NativePackage;
  /** The npm executable; default `npm` (`npm.cmd` on Windows). */
  npm?: string;
  onOutput?: (line: string) => void;
  /** Kills npm when aborted. */
  signal?: AbortSignal;
}

/**
 * Installs a native backend into `storageDir` (`npm install --prefix storageDir`), where the runner looks
 * first. Resolves with npm's exit code; the package downloads libtensorflow, so this needs the network.
 */
export function installNativeBackend(storageDir: string, options: InstallOptions = {}): Promise<{ code: number | null; command: string }> {
  fs.mkdirSync(storageDir, { recursive: true });
  // A package.json makes the folder an npm project, so npm installs here rather than in a parent project.
  const manifest = path.join(storageDir, 'package.json');
  if (!fs.existsSync(manifest)) fs.writeFileSync(manifest, JSON.stringify({ name: 'resnet-studio-native-backends', private: true }, null, 2) + '\n');
  const npm = options.npm ?? (process.platform === 'win32' ? 'npm.cmd' : 'npm');
  const pkg = options.package ?? '@tensorflow/tfjs-node';
  const args = ['install', '--prefix', storageDir, '--no-audit', '--no-fund', pkg];
  const command = `${npm} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn(npm, args, { cwd: storageDir, shell: process.platform === 'win32', windowsHide: true });
    const forward = (buf: Buffer) => {
      for (const line of buf.toString('utf8').split(/\r?\n/)) if (line.trim()) options.onOutput?.(line);
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    const abort = () => child.kill();
    options.signal?.addEventListener('abort', abort, { once: true });
    child.once('error', (e) => reject(new Error(`cannot run ${npm}: ${e.message}`)));
    child.once('close', (code) => {
      options.signal?.removeEventListener('abort', abort);
      resolve({ code, command });
    });
  });
}
