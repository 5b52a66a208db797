/**
 * The Train flow's launch prompts ("nodes=2 gpus-per-node=8 time=04:00:00" for SLURM, "nnodes=2
 * rdzv=host:29400" for multi-node torchrun), read into run config keys by the run config's own rules
 * (`trainingProtocol.ts`), so a prompt never accepts what the runner or the CLI would refuse. Pure, so it is
 * tested without VS Code.
 */
import { RUN_CONFIG_FIELDS } from '../../protocol/trainingProtocol';
import { checkValue } from '../../protocol/trainingFields';
import type { RunConfigInput } from '../../training/runStore';

type LaunchKey = 'nodes' | 'gpusPerNode' | 'nprocPerNode' | 'time' | 'partition' | 'nnodes' | 'rdzvEndpoint' | 'rdzvId';
export type LaunchConfig = Pick<RunConfigInput, LaunchKey | 'sbatchArgs' | 'launcher'>;

/** Prompt names of each launcher's settings. */
export const SLURM_PROMPT_KEYS: Readonly<Record<string, LaunchKey>> = {
  nodes: 'nodes',
  'gpus-per-node': 'gpusPerNode',
  gpus: 'gpusPerNode',
  nproc: 'nprocPerNode',
  time: 'time',
};

export const MULTINODE_PROMPT_KEYS: Readonly<Record<string, LaunchKey>> = {
  nnodes: 'nnodes',
  nproc: 'nprocPerNode',
  rdzv: 'rdzvEndpoint',
  'rdzv-endpoint': 'rdzvEndpoint',
  id: 'rdzvId',
  'rdzv-id': 'rdzvId',
};

/** `key=value` pairs into config keys; a message naming the first bad pair otherwise. */
export function parseLaunchLine(line: string, keys: Readonly<Record<string, LaunchKey>>): Partial<LaunchConfig> | string {
  const out: Record<string, unknown> = {};
  for (const token of line.trim().split(/\s+/).filter(Boolean)) {
    const eq = token.indexOf('=');
    if (eq <= 0) return `'${token}' is not key=value`;
    const name = token.slice(0, eq);
    const text = token.slice(eq + 1);
    const key = keys[name];
    if (!key) return `unknown setting '${name}'; the settings are ${Object.keys(keys).join(', ')}`;
    if (text === '') continue; // "time=" leaves the cluster's default
    const spec = RUN_CONFIG_FIELDS[key];
    const value = spec.kind === 'integer' ? (/^\d+$/.test(text) ? Number(text) : text) : text;
    const problem = checkValue(name, spec, value);
    if (problem) return problem;
    out[key] = value;
  }
  if (keys === MULTINODE_PROMPT_KEYS) {
    if (out['nnodes'] === undefined || (out['nnodes'] as number) < 2) return 'nnodes must be 2 or more for a multi-node run';
    if (out['rdzvEndpoint'] === undefined) return 'rdzv=HOST:PORT is needed: the rendezvous every node can reach';
    if (!/^[^\s:]+:\d+$/.test(out['rdzvEndpoint'] as string) && !/^\[[^\]]+\]:\d+$/.test(out['rdzvEndpoint'] as string)) return `rdzv must be HOST:PORT, got '${String(out['rdzvEndpoint'])}'`;
  }
  return out as Partial<LaunchConfig>;
}

/** Extra sbatch options typed on one line: whitespace separates them, quotes keep spaces inside one. */
export function splitSbatchArgs(line: string): string[] {
  const args: string[] = [];
  // As a shell reads words: quoted and bare parts that touch make one word (--comment="two words").
  for (const word of line.match(/(?:"[^"]*"|'[^']*'|[^\s"']+)+/g) ?? []) args.push(word.replace(/"([^"]*)"|'([^']*)'/g, (_m, d?: string, q?: string) => d ?? q ?? ''));
  return args;
}

/** The command each other node runs to join a multi-node run that this machine (node 0) created. */
export function joinCommand(o: { runId: string; runsRoot: string; nnodes: number; rdzvEndpoint: string }): string[] {
  const lines: string[] = [];
  for (let rank = 1; rank < o.nnodes; rank++) {
    lines.push(`resnet-studio train --nnodes ${o.nnodes} --node-rank ${rank} --rdzv-endpoint ${o.rdzvEndpoint} --run-id ${o.runId} --out '${o.runsRoot.replace(/'/g, `'\\''`)}'`);
  }
  return lines;
}
