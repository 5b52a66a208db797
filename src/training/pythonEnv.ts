/**
 * Finds a Python interpreter that can train (one that imports torch), and says where it came from; builds
 * the arguments of a multi-process launch. Pure Node: the extension host passes in what only VS Code knows
 * (the Python extension's interpreter).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/** Environment variable naming the interpreter; checked after an explicit setting. Tests and CI set it. */
export const PYTHON_ENV_VAR = 'RESNET_STUDIO_PYTHON';

/** Tried in this order, through PATH, when nothing else names an interpreter that imports torch. */
export const PATH_PYTHON_CANDIDATES: readonly string[] = process.platform === 'win32' ? ['python', 'py'] : ['python3', 'python'];

export const TRAIN_SCRIPT_NAME = 'resnet_studio_train.py';

/**
 * Where an interpreter came from, in the order they are tried: the user's setting (the extension's
 * `resnetStudio.training.pythonPath`; on the command line, `--python`), the {@link PYTHON_ENV_VAR}
 * environment variable, the Python extension's active interpreter, then a plain name on PATH.
 */
export type PythonSource = 'setting' | 'env' | 'pythonExtension' | 'path';

/** The source in words, for messages and the interface ("from RESNET_STUDIO_PYTHON"). */
export function describePythonSource(source: PythonSource): string {
  switch (source) {
    case 'setting':
      return 'from the interpreter setting';
    case 'env':
      return `from ${PYTHON_ENV_VAR}`;
    case 'pythonExtension':
      return "the Python extension's active interpreter";
    case 'path':
      return 'found on PATH';
  }
}

export interface TorchPython {
  /** The interpreter as it should be spawned (a path or a name resolved through PATH). */
  python: string;
  /** Where the candidate came from. */
  source: PythonSource;
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
  source: PythonSource;
  reason: string;
}

export class PythonEnvError extends Error {
  constructor(readonly tried: CandidateFailure[]) {
    super(
      'no Python interpreter with PyTorch was found. Tried: ' +
        (tried.length ? tried.map((t) => `${t.python} (${t.reason})`).join('; ') : 'none') +
        `. Set ${PYTHON_ENV_VAR} or the interpreter setting to a Python that can \`import torch\`.`,
    );
    this.name = 'PythonEnvError';
  }
}

export interface ResolveOptions {
  /** The interpreter setting, or the command line's `--python`; tried first. */
  explicit?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /**
   * The Python extension's active interpreter (the extension host passes this; pure Node has none). Asked
   * only when the setting and the environment variable give no interpreter with torch, because it may have
   * to activate that extension. It resolves to undefined when the extension is absent or has no interpreter.
   */
  pythonExtension?: () => Promise<string | undefined>;
  /** Replaces {@link PATH_PYTHON_CANDIDATES}. */
  pathCandidates?: readonly string[];
  /** Per candidate; importing torch takes seconds on a cold disk. */
  timeoutMs?: number;
}

export interface Candidate {
  python: string;
  source: PythonSource;
}

/**
 * The ordered, de-duplicated candidates, one source after the other; the Python extension is asked only
 * when the loop over the candidates before it goes on.
 */
export async function* pythonCandidates(options: ResolveOptions = {}): AsyncGenerator<Candidate> {
  const env = options.env ?? process.env;
  const seen = new Set<string>();
  function* fresh(python: string | undefined, source: PythonSource): Generator<Candidate> {
    const p = python?.trim();
    if (p && !seen.has(p)) {
      seen.add(p);
      yield { python: p, source };
    }
  }
  yield* fresh(options.explicit, 'setting');
  yield* fresh(env[PYTHON_ENV_VAR], 'env');
  if (options.pythonExtension) {
    let fromExtension: string | undefined;
    try {
      fromExtension = await options.pythonExtension();
    } catch {
      // Its absence and its failure mean the same here: no interpreter from it.
      fromExtension = undefined;
    }
    yield* fresh(fromExtension, 'pythonExtension');
  }
  for (const p of options.pathCandidates ?? PATH_PYTHON_CANDIDATES) yield* fresh(p, 'path');
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
  for await (const c of pythonCandidates(options)) {
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
  /**
   * A c10d rendezvous instead of node 0's address and port: `host:port` and an id every node shares. The
   * agents then number the nodes themselves, so global rank 0 may run on any of them; it is the one that
   * writes the run, into the shared run folder.
   */
  rdzv?: { endpoint: string; id: string };
  /** Set from {@link TorchPython.redirectBug}. */
  avoidRedirectBug?: boolean;
}

/**
 * "No redirection" spelled as a mapping for a local rank that does not exist, which every version reads the
 * same way; the plain default "0" is what torch 1.13 under Python 3.11 cannot parse.
 */
export const REDIRECT_BUG_ARGS: readonly string[] = ['--redirects', '9:0', '--tee', '9:0'];

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
    ...(launch.rdzv
      ? ['--rdzv_backend', 'c10d', '--rdzv_endpoint', launch.rdzv.endpoint, '--rdzv_id', launch.rdzv.id]
      : ['--master_addr', launch.masterAddr, '--master_port', String(launch.masterPort)]),
    ...(launch.avoidRedirectBug ? REDIRECT_BUG_ARGS : []),
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
