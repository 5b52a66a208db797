/**
 * `resnet-studio check [PATHS...]`: a linter for CI. It finds every model file under the paths (as `ruff
 * check` does, skipping environments, installed packages and tool folders), checks every model of each file
 * through the workspace index (`frontends/workspaceIndex.ts`), and prints each problem once, as text, JSON,
 * GitHub Actions annotations or SARIF 2.1.0. Exit 1 on any error diagnostic.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type * as Sarif from 'sarif';
import { UsageError } from '../core/usageError';
import { discoverModelFiles, searchRootsFor } from '../core/workspaceFiles';
import type { FrontEndOptions } from '../frontends/options';
import { type FileIndex, type IndexedDiagnostic, indexFile, readModelText } from '../frontends/workspaceIndex';
import type { IndexRequest, WorkerReply } from '../protocol/analysisWorkerProtocol';
import type { CheckInput } from './commands';
import type { CliIo } from './flags';

/** Errors and warnings are a linter's findings; information notes (what the analysis skipped) are not. */
const REPORTED = new Set(['error', 'warning']);

export interface CheckResult {
  files: FileIndex[];
  /** The reported diagnostics of each file, in file order. */
  findings: { file: FileIndex; diagnostics: IndexedDiagnostic[] }[];
  errors: number;
  warnings: number;
  models: number;
}

/** How a path reads in the output: relative to the working directory when inside it, `/`-separated. */
function shown(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return (rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file).split(path.sep).join('/');
}

/** The analysis worker bundle, shipped next to the CLI bundle; absent when the CLI runs from source. */
const WORKER_SCRIPT = path.join(__dirname, 'analysisWorker.js');
/** Fewer files than this are not worth starting threads for. */
const MIN_FILES_PER_THREAD = 4;

/**
 * Indexes files in `jobs` worker threads of the analysis worker (the editor's index speaks the same
 * protocol), each taking the next file when it is done; results keep the files' order.
 */
async function indexInThreads(files: readonly string[], base: FrontEndOptions, jobs: number): Promise<(FileIndex | null)[]> {
  const results: (FileIndex | null)[] = files.map(() => null);
  let next = 0;
  // After one thread fails the others take no more files, so the process can end.
  let failed = false;
  const thread = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const w = new Worker(WORKER_SCRIPT);
      let current = -1;
      const take = (): void => {
        if (failed || next >= files.length) {
          void w.terminate().then(() => resolve());
          return;
        }
        current = next++;
        const req: IndexRequest = { kind: 'index', requestId: current, file: files[current]!, text: null, options: base, fileTimeLimitMs: Infinity };
        w.postMessage(req);
      };
      w.on('message', (r: WorkerReply) => {
        if ('error' in r) {
          failed = true;
          void w.terminate();
          reject(new Error(`checking ${files[current]} failed: ${r.error}`));
        } else {
          results[current] = 'index' in r ? r.index : null;
          take();
        }
      });
      w.on('error', (err) => {
        failed = true;
        reject(err);
      });
      take();
    });
  await Promise.all(Array.from({ length: jobs }, thread));
  return results;
}

export async function runCheck(paths: readonly string[], base: FrontEndOptions, io: Pick<CliIo, 'parseCache'>, jobs = 1): Promise<CheckResult> {
  const found = discoverModelFiles(paths).files;
  const threads = Math.min(jobs, Math.floor(found.length / MIN_FILES_PER_THREAD));
  let indexed: (FileIndex | null)[];
  if (threads > 1 && existsSync(WORKER_SCRIPT)) indexed = await indexInThreads(found, base, threads);
  else {
    // On one thread the CLI's cache of parsed files applies (the threads parse for themselves).
    indexed = found.map((f) => {
      const text = readModelText(f);
      return text === null ? null : indexFile(f, text, { base, ...(io.parseCache ? { parseCache: io.parseCache } : {}) });
    });
  }
  const files = indexed.filter((x): x is FileIndex => x !== null);
  const findings = files.map((file) => ({ file, diagnostics: file.diagnostics.filter((d) => REPORTED.has(d.severity)) }));
  let errors = 0;
  let warnings = 0;
  for (const f of findings) for (const d of f.diagnostics) d.severity === 'error' ? errors++ : warnings++;
  return { files, findings, errors, warnings, models: files.reduce((n, f) => n + f.models.length, 0) };
}

/** Which models raised a diagnostic, when not all of the file's did (a file-wide problem names none). */
function modelNote(d: IndexedDiagnostic, f: FileIndex): string {
  return f.models.length > 1 && d.models.length < f.models.length ? ` (${d.models.join(', ')})` : '';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Where else a problem points (an imported file where it arose), as `path:line:col: note: message`. */
function relatedNotes(d: IndexedDiagnostic, cwd: string): string[] {
  return (d.related ?? []).map((r) => `${shown(r.file, cwd)}:${r.line}:${r.column}: note: ${r.message}`);
}

export function formatText(r: CheckResult, cwd: string): string[] {
  const lines: string[] = [];
  for (const { file, diagnostics } of r.findings) {
    for (const d of diagnostics) {
      lines.push(`${shown(d.file, cwd)}:${d.line}:${d.column}: ${d.severity}: ${d.message} [${d.code}]${modelNote(d, file)}`);
      lines.push(...relatedNotes(d, cwd).map((n) => `  ${n}`));
    }
  }
  const summary = `Checked ${plural(r.models, 'model')} in ${plural(r.files.length, 'file')}: ${plural(r.errors, 'error')}, ${plural(r.warnings, 'warning')}.`;
  lines.push(...(lines.length ? [''] : []), summary);
  return lines;
}

export function formatJson(r: CheckResult, cwd: string): string {
  return JSON.stringify({
    files: r.findings.map(({ file, diagnostics }) => ({
      file: shown(file.file, cwd),
      format: file.format,
      models: file.models.map((m) => ({
        name: m.name,
        kind: m.kind,
        line: m.source?.line ?? null,
        symbolic: m.symbolic,
        built: m.built,
        input: m.input,
        output: m.output,
        outputs: m.outputs,
        params: m.params,
        macs: m.macs,
        errors: m.errors,
        warnings: m.warnings,
        blocks: m.blocks,
      })),
      diagnostics: diagnostics.map(({ file: f, ...d }) => ({ file: shown(f, cwd), ...d })),
    })),
    summary: { files: r.files.length, models: r.models, errors: r.errors, warnings: r.warnings },
  });
}

/** GitHub's workflow-command escaping: data loses `%`, CR and LF; property values also `:` and `,`. */
function ghData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function ghProp(s: string): string {
  return ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function formatGithub(r: CheckResult, cwd: string): string[] {
  const lines: string[] = [];
  for (const { file, diagnostics } of r.findings) {
    for (const d of diagnostics) {
      const props = [
        `file=${ghProp(shown(d.file, cwd))}`,
        `line=${d.line}`,
        `col=${d.column}`,
        `endLine=${d.endLine}`,
        `endColumn=${d.endColumn}`,
        `title=${ghProp(`resnet-studio ${d.code}`)}`,
      ];
      const text = [d.message + modelNote(d, file), ...relatedNotes(d, cwd)].join('\n');
      lines.push(`::${d.severity === 'error' ? 'error' : 'warning'} ${props.join(',')}::${ghData(text)}`);
    }
  }
  return lines;
}

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** A SARIF location: relative to the checked root when inside it (so code scanning maps it), else absolute. */
function physical(at: { file: string; line: number; column: number; endLine: number; endColumn: number }, cwd: string): Sarif.PhysicalLocation {
  const rel = path.relative(cwd, at.file);
  const inside = rel && !rel.startsWith('..') && !path.isAbsolute(rel);
  return {
    artifactLocation: inside
      ? { uri: rel.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' }
      : { uri: `file://${at.file.split(path.sep).map(encodeURIComponent).join('/')}` },
    region: { startLine: at.line, startColumn: at.column, endLine: at.endLine, endColumn: at.endColumn },
  };
}

export function formatSarif(r: CheckResult, cwd: string): Sarif.Log {
  const rules: Sarif.ReportingDescriptor[] = [];
  const ruleIndex = new Map<string, number>();
  const results: Sarif.Result[] = [];
  for (const { file, diagnostics } of r.findings) {
    for (const d of diagnostics) {
      let idx = ruleIndex.get(d.code);
      if (idx === undefined) {
        idx = rules.length;
        ruleIndex.set(d.code, idx);
        rules.push({ id: d.code, shortDescription: { text: `ResNet Studio ${d.code}` } });
      }
      const related = (d.related ?? []).map((x, id): Sarif.Location => ({ id, physicalLocation: physical(x, cwd), message: { text: x.message } }));
      results.push({
        ruleId: d.code,
        ruleIndex: idx,
        level: d.severity === 'error' ? 'error' : 'warning',
        message: { text: d.message + modelNote(d, file) },
        locations: [{ physicalLocation: physical(d, cwd) }],
        ...(related.length ? { relatedLocations: related } : {}),
      });
    }
  }
  const root = cwd.split(path.sep).map(encodeURIComponent).join('/');
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'resnet-studio', rules } },
        originalUriBaseIds: { '%SRCROOT%': { uri: `file://${root.endsWith('/') ? root : `${root}/`}` } },
        results,
      },
    ],
  };
}

/**
 * One thread unless asked: each thread compiles the analyser anew, which on torchvision's models/ folder
 * (60 files) costs more than a second thread saves on 2 cores; large trees on many idle cores gain.
 */
export const DEFAULT_JOBS = 1;

export async function check({ args, flags }: CheckInput, io: CliIo): Promise<number> {
  const cwd = process.cwd();
  const paths = args.length ? args : ['.'];
  for (const p of paths) if (!existsSync(p)) throw new UsageError(`no such file or folder: ${p}`);
  for (const p of flags.path) if (!existsSync(p)) throw new UsageError(`--path ${p}: no such folder`);
  // A bare name (`python3`) is looked up on PATH by whoever runs it; a path must exist.
  if (flags.python !== undefined && flags.python.includes(path.sep) && !existsSync(flags.python)) throw new UsageError(`--python ${flags.python}: no such file`);
  const base: FrontEndOptions = {
    searchRoots: searchRootsFor([cwd], flags.path),
    ...(flags.python !== undefined ? { python: flags.python.includes(path.sep) ? path.resolve(flags.python) : flags.python } : {}),
    ...(flags.input ? { input: flags.input } : {}),
  };
  const r = await runCheck(paths, base, io, flags.jobs ?? DEFAULT_JOBS);
  switch (flags.format) {
    case 'json':
      io.out(formatJson(r, cwd));
      break;
    case 'github':
      for (const l of formatGithub(r, cwd)) io.out(l);
      break;
    case 'sarif':
      io.out(JSON.stringify(formatSarif(r, cwd), null, 2));
      break;
    default:
      for (const l of formatText(r, cwd)) io.out(l);
  }
  return r.errors > 0 ? 1 : 0;
}
