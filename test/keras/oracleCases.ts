/**
 * Generated Keras models for the tests that check a catalogue mapping against TF.js: each model text written to
 * a temporary folder (removed when the process exits), the path its copy written back by the Keras writer
 * takes, and what TF.js's `modelFromJSON` said of the files asked about.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOracle, type OracleResult } from '../../scripts/kerasOracle';

export interface OracleCases {
  files: string[];
  /** Where each case's written-back copy goes. */
  rewritten: string[];
  oracle: Map<string, OracleResult>;
  /** Asks TF.js about `paths` (for a `before` hook), filling `oracle`. */
  ask(paths: readonly string[]): Promise<void>;
}

export function oracleCases(prefix: string, texts: readonly string[]): OracleCases {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const files = texts.map((text, i) => {
    const file = join(dir, `case_${i}.json`);
    writeFileSync(file, text);
    return file;
  });
  const oracle = new Map<string, OracleResult>();
  return {
    files,
    rewritten: files.map((f) => f.replace(/\.json$/, '.written.json')),
    oracle,
    async ask(paths) {
      for (const r of await runOracle([...paths], 120_000)) oracle.set(r.file, r);
    },
  };
}
