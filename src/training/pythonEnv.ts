/**
 * Finds a Python interpreter that can train: one that imports torch. Pure Node.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/** Environment variable naming the interpreter; checked after an explicit setting. */
export const PYTHON_ENV_VAR = 'RESNET_STUDIO_PYTHON';

/** Tried in this order after the explicit setting and the environment variable. */
export const DEFAULT_PYTHON_CANDIDATES: readonly string[] =
  process.platform === 'win32' ? ['python', 'py'] : ['/usr/bin/python3.11', 'python3', 'python'];

export const TRAIN_SCRIPT_NAME = 'resnet_studio_train.py';

export interface TorchPython {
  /** The interpreter as it should be spawned (a path or a name resolved through PATH). */
  python: string;
  /** Where the candidate came from. */
  source: 'explicit' | 'env' | 'default';
  pythonVersion: string;
  torchVersion: string;
  cuda: boolean;
  cudaDevices: number;
  mps: boolean;
  /** torch.distributed is built in, so multi-process runs can be launched. */
  distributed: boolean;
  /**
   * torch 1.13 under Python 3.11 cannot parse torch.distributed.run's own default `--redirects 0` (the zero
   * member of an IntFlag is no longer iterated), so every multi-process launch fails unless the launcher
   * passes a form that avoids it; see {@link distributedLaunchArgs}.
   */
  redirectBug: boolean;
  /** Candidates tried before this one and why each was passed over (an explicit setting without torch, say). */
  skipped: CandidateFailure[];
}

export interface CandidateFailure {
  python: string;
  source: TorchPython['source'];
  reason: string;
}

export class PythonEnvError extends Error {
  constructor(readonly tried: CandidateFailure[]) {
    super(
      'no Python interpreter with PyTorch was found. Tried: ' +
        tried.map((t) => `${t.python} (${t.reason})`).join('; ') +
        `. Set ${PYTHON_ENV_VAR} or the interpreter setting to a Python that can \`import torch\`.`,
    );
    this.name = 'PythonEnvError';
  }
}

export interface ResolveOptions {
  /** A user setting or command-line argument; tried first. */
  explicit?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Replaces {@link DEFAULT_PYTHON_CANDIDATES}. */
  defaults?: readonly string[];
  /** Per candidate; importing torch takes seconds on a cold disk. */
  timeoutMs?: number;
}

/** The ordered, de-duplicated candidates: explicit, then the environment variable, then the defaults. */
export function pythonCandidates(options: ResolveOptions = {}): { python: string; source: TorchPython['source'] }[] {
  const env = options.env ?? process.env;
  const out: { python: string; source: TorchPython['source'] }[] = [];
  const add = (python: string | undefined, source: TorchPython['source']) => {
    const p = python?.trim();
    if (p && !out.some((c) => c.python === p)) out.push({ python: p, source });
  };
  add(options.explicit, 'explicit');
  add(env[PYTHON_ENV_VAR], 'env');
  for (const d of options.defaults ?? DEFAULT_PYTHON_CANDIDATES) add(d, 'default');
  return out;
}

const PROBE = [
  'import json, sys',
  'import torch',
  'mps = getattr(torch.backends, "mps", None)',
  'dist = getattr(torch, "distributed", None)',
  'try:',
  '    from torch.distributed.elastic.multiprocessing.api import Std',
  '    redirect_bug = Std.from_str("0") is None',
  'except Exception:',
  '    redirect_bug = False',
  'print(json.dumps({"python": sys.version.split()[0], "torch": torch.__version__, "redirectBug": redirect_bug,',
  '  "cuda": bool(torch.cuda.is_available()), "cudaDevices": torch.cuda.device_count() if torch.cuda.is_available() else 0,',
  '  "mps": bool(mps and mps.is_available()), "distributed": bool(dist and dist.is_available())}))',
].join('\n');

const probeCache = new Map<string, Promise<Omit<TorchPython, 'source' | 'skipped'>>>();

/** Runs `python -c 'import torch ...'`; rejects with the reason when that interpreter cannot train. Cached per interpreter. */
export function probePython(python: string, timeoutMs = 60_000): Promise<Omit<TorchPython, 'source' | 'skipped'>> {
  let p = probeCache.get(python);
  if (!p) {
    p = new Promise((resolve, reject) => {
      execFile(python, ['-c', PROBE], { timeout: timeoutMs, windowsHide: true }, (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { killed?: boolean };
          if (e.code === 'ENOENT') return reject(new Error('not found'));
          if (e.killed) return reject(new Error(`timed out after ${timeoutMs} ms`));
          const last = stderr.trim().split('\n').pop() ?? '';
          return reject(new Error(/No module named .?torch/.test(stderr) ? 'no torch module' : last || e.message));
        }
        try {
          const v = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
          resolve({
            python,
            pythonVersion: String(v['python']),
            torchVersion: String(v['torch']),
            cuda: v['cuda'] === true,
            cudaDevices: Number(v['cudaDevices']) || 0,
            mps: v['mps'] === true,
            distributed: v['distributed'] === true,
            redirectBug: v['redirectBug'] === true,
          });
        } catch {
          reject(new Error(`unexpected probe output: ${stdout.slice(0, 200)}`));
        }
      });
    });
    probeCache.set(python, p);
    p.catch(() => probeCache.delete(python));
  }
  return p;
}

/** The first candidate that imports torch; throws {@link PythonEnvError} listing every failure otherwise. */
export async function resolveTorchPython(options: ResolveOptions = {}): Promise<TorchPython> {
  const skipped: CandidateFailure[] = [];
  for (const c of pythonCandidates(options)) {
    try {
      const found = await probePython(c.python, options.timeoutMs);
      return { ...found, source: c.source, skipped };
    } catch (e) {
      skipped.push({ ...c, reason: (e as Error).message });
    }
  }
  throw new PythonEnvError(skipped);
}

/**
 * Arguments that put `torch.distributed.run` (what the `torchrun` command wraps) in front of a script. Using
 * the module through the resolved interpreter needs no `torchrun` on PATH and cannot pick up another Python's.
 */
export interface DistributedLaunch {
  /** Processes on this node (usually one per GPU). */
  nprocPerNode: number;
  nnodes?: number;
  nodeRank?: number;
  /** Rendezvous host: node 0's address, reachable from every node. */
  masterAddr: string;
  masterPort: number;
  /** Set from {@link TorchPython.redirectBug}. */
  avoidRedirectBug?: boolean;
}

export function distributedLaunchArgs(launch: DistributedLaunch): string[] {
  if (!Number.isInteger(launch.nprocPerNode) || launch.nprocPerNode < 1) throw new Error(`nprocPerNode must be a positive integer, got ${launch.nprocPerNode}`);
  const nnodes = launch.nnodes ?? 1;
  const nodeRank = launch.nodeRank ?? 0;
  if (!Number.isInteger(nnodes) || nnodes < 1) throw new Error(`nnodes must be a positive integer, got ${nnodes}`);
  if (!Number.isInteger(nodeRank) || nodeRank < 0 || nodeRank >= nnodes) throw new Error(`nodeRank must be in [0, ${nnodes}), got ${nodeRank}`);
  if (launch.avoidRedirectBug && launch.nprocPerNode > 9) {
    throw new Error('this torch cannot launch more than 9 processes per node under this Python (a torch.distributed.run bug fixed in torch 2); upgrade torch');
  }
  return [
    '-m', 'torch.distributed.run',
    '--nproc_per_node', String(launch.nprocPerNode),
    '--nnodes', String(nnodes),
    '--node_rank', String(nodeRank),
    '--master_addr', launch.masterAddr,
    '--master_port', String(launch.masterPort),
    // "No redirection" spelled as a mapping for a local rank that does not exist, which every version reads the
    // same way; the plain default "0" is what the buggy versions cannot parse.
    ...(launch.avoidRedirectBug ? ['--redirects', '9:0', '--tee', '9:0'] : []),
  ];
}

/** A TCP port that was free a moment ago, for a single-node rendezvous. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

/**
 * The training script. The extension passes its install folder; otherwise the folders above this module are
 * searched, which finds `python/` both from `dist/` (bundled) and from `src/training/` (tests, tsx).
 */
export function trainScriptPath(extensionRoot?: string): string {
  if (extensionRoot) return path.join(extensionRoot, 'python', TRAIN_SCRIPT_NAME);
  const starts = [typeof __dirname === 'string' ? __dirname : undefined, process.cwd()];
  for (const start of starts) {
    let dir = start;
    for (let i = 0; dir && i < 6; i++) {
      const candidate = path.join(dir, 'python', TRAIN_SCRIPT_NAME);
      if (fs.existsSync(candidate)) return candidate;
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new Error(`cannot find python/${TRAIN_SCRIPT_NAME} above ${starts.filter(Boolean).join(' or ')}`);
}
