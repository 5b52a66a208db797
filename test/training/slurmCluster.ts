/**
 * A real SLURM cluster for the SLURM launcher's tests: one node on localhost (slurmctld, slurmd and munge,
 * from Debian's slurm-wlm), started by `scripts/slurmLocalStart.sh` in a suite's setup and stopped by
 * `scripts/slurmLocalStop.sh` after it. Every SLURM command a test runs, directly or through the product,
 * needs the cluster's {@link SlurmCluster.env} (its `SLURM_CONF`).
 *
 * Where the packages are missing, or the tests do not run as root (the daemons need it), the tests are
 * skipped with the reason; under CI=true that is a failure instead, as for a missing torch.
 */
import type { TestContext } from 'node:test';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../..');
const START = path.join(REPO, 'scripts', 'slurmLocalStart.sh');
const STOP = path.join(REPO, 'scripts', 'slurmLocalStop.sh');

export interface SlurmCluster {
  /** The folder holding slurm.conf, the daemons' logs and state, and the job-completion log. */
  dir: string;
  conf: string;
  /** This process's environment with the cluster's SLURM_CONF. */
  env: NodeJS.ProcessEnv;
  /** Seconds from the start until a probe job had run. */
  startSeconds: number;
}

/** Why this machine cannot run the local cluster, or undefined when it can. */
export function clusterUnavailable(): string | undefined {
  const missing = ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged', '/usr/bin/sbatch'].filter((f) => !fs.existsSync(f));
  if (missing.length) return `SLURM is not installed (missing ${missing.join(', ')}; apt-get install slurm-wlm munge)`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the local SLURM cluster runs its daemons as root';
  return undefined;
}

function run(script: string, dir: string, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', [script, dir], { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Starts the cluster in `dir` (a fresh one each time), or returns why it could not. */
export async function startSlurmCluster(dir = process.env['RESNET_STUDIO_SLURM_DIR'] ?? '/tmp/resnet-studio-slurm-test'): Promise<SlurmCluster | string> {
  const why = clusterUnavailable();
  if (why) return why;
  // A cluster left over from an interrupted run of the tests would hold the ports.
  await run(STOP, dir, 30_000);
  fs.rmSync(dir, { recursive: true, force: true });
  const t0 = Date.now();
  const r = await run(START, dir, 90_000);
  if (r.code !== 0) {
    const logs = ['slurmctld.log', 'slurmd.log']
      .map((f) => {
        try {
          return `${f}:\n${fs.readFileSync(path.join(dir, f), 'utf8').split('\n').slice(-10).join('\n')}`;
        } catch {
          return '';
        }
      })
      .join('\n');
    return `the local SLURM cluster did not start (exit ${r.code}): ${r.stderr.trim()}\n${logs}`;
  }
  const conf = path.join(dir, 'slurm.conf');
  return { dir, conf, env: { ...process.env, SLURM_CONF: conf }, startSeconds: (Date.now() - t0) / 1000 };
}

export async function stopSlurmCluster(cluster: SlurmCluster): Promise<void> {
  await run(STOP, cluster.dir, 60_000);
}

/** The cluster, or null after marking the test skipped (a failure under CI=true). */
export function clusterFor(t: TestContext, cluster: SlurmCluster | string | undefined): SlurmCluster | null {
  if (typeof cluster === 'object') return cluster;
  const why = cluster ?? 'the SLURM cluster was not started';
  if (process.env['CI'] === 'true') throw new Error(`CI=true and ${why}`);
  t.skip(why);
  return null;
}
