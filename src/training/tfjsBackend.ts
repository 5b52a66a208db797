/**
 * Loads the TensorFlow.js the runner trains with, in the order `tfjsNative.ts` describes. A native package
 * that is present but fails to load (a missing CUDA library, say) is passed over with its reason, which the
 * status row reports. Only the training worker imports this module: it bundles the pure-JS tfjs.
 */
import { createRequire } from 'node:module';
import * as tfjs from '@tensorflow/tfjs';
import { installFastCpuKernels } from './tfjsCpuKernels';
import type { TF } from './tfjsLayers';
import { TFJS_BACKEND_ENV, type TfjsBackendPreference, candidateOrder, findNativePackages, parsePreference, searchRoots } from './tfjsNative';

export interface LoadedBackend {
  tf: TF;
  /** The package in use: `@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node` or `@tensorflow/tfjs`. */
  package: string;
  /** A short label for the status bar and panel, e.g. `tfjs-node (native CPU)`. */
  label: string;
  /** The tfjs backend name (`tensorflow` or `cpu`). */
  backendName: string;
  device: string;
  version: string;
  /** Native packages found but not usable, with why. */
  skipped: { package: string; reason: string }[];
}

/**
 * Loads the first usable backend in the preference's order. The pure-JS backend always loads; a preference
 * that names a native package throws when that package is missing or broken.
 */
export async function loadTfjsBackend(options: { preference?: TfjsBackendPreference; storageDir?: string } = {}): Promise<LoadedBackend> {
  const pref = options.preference ?? parsePreference(process.env[TFJS_BACKEND_ENV]);
  const skipped: { package: string; reason: string }[] = [];
  const found = new Map(findNativePackages(options.storageDir).map((f) => [f.package, f.entry]));
  for (const cand of candidateOrder(pref)) {
    if (cand === 'cpu') {
      await tfjs.setBackend('cpu');
      await tfjs.ready();
      installFastCpuKernels(tfjs);
      return {
        tf: tfjs,
        package: '@tensorflow/tfjs',
        label: 'tfjs (pure JavaScript CPU)',
        backendName: 'cpu',
        device: 'cpu (pure JavaScript, one thread)',
        version: tfjs.version.tfjs,
        skipped,
      };
    }
    const entry = found.get(cand);
    if (!entry) {
      if (pref !== 'auto') throw new Error(`${cand} is not installed (searched ${searchRoots(options.storageDir).join(', ')})`);
      continue;
    }
    try {
      // A native package brings its own tfjs; everything must use that copy, so the namespace it returns is the `tf`.
      const req = createRequire(entry);
      const tf = req(entry) as TF;
      await tf.ready();
      const gpu = cand === '@tensorflow/tfjs-node-gpu';
      const version = (tf.version as Record<string, string>)['tfjs-node'] ?? (tf.version as Record<string, string>)['tfjs-core'] ?? '?';
      return {
        tf,
        package: cand,
        label: gpu ? 'tfjs-node-gpu (native, CUDA)' : 'tfjs-node (native CPU)',
        backendName: tf.getBackend(),
        device: gpu ? 'cuda (libtensorflow)' : 'cpu (libtensorflow)',
        version,
        skipped,
      };
    } catch (e) {
      const reason = (e as Error).message.split('\n')[0] ?? String(e);
      if (pref !== 'auto') throw new Error(`${cand} is installed but cannot be loaded: ${reason}`);
      skipped.push({ package: cand, reason });
    }
  }
  throw new Error('no TensorFlow.js backend could be loaded');
}

