/**
 * `resnet-studio check [PATHS...]`: a linter for CI. It finds every model file under the paths (as `ruff
 * check` does, skipping environments, installed packages and tool folders), checks every model of each file
 * through the workspace index (`frontends/workspaceIndex.ts`), and prints each problem once, as text, JSON,
 * GitHub Actions annotations or SARIF 2.1.0. Exit 1 on any error diagnostic.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type * as Sarif from 'sarif';
import { UsageError } from '../core/usageError';
import { searchRootsFor } from '../core/workspaceFiles';
import type { FrontEndOptions } from '../frontends/options';
import { type FileIndex, type IndexedDiagnostic, indexWorkspace } from '../frontends/workspaceIndex';
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

export function runCheck(paths: readonly string[], base: FrontEndOptions, io: Pick<CliIo, 'parseCache'>): CheckResult {
  const index = indexWorkspace(paths, { base, ...(io.parseCache ? { parseCache: io.parseCache } : {}) });
  const findings = index.files.map((file) => ({ file, diagnostics: file.diagnostics.filter((d) => REPORTED.has(d.severity)) }));
  let errors = 0;
  let warnings = 0;
  for (const f of findings) for (const d of f.diagnostics) d.severity === 'error' ? errors++ : warnings++;
  return { files: index.files, findings, errors, warnings, models: index.files.reduce((n, f) => n + f.models.length, 0) };
}

/** Which models raised a diagnostic, when not all of the file's did (a file-wide problem names none). */
function modelNote(d: IndexedDiagnostic, f: FileIndex): string {
  return f.models.length > 1 && d.models.length < f.models.length ? ` (${d.models.join(', ')})` : '';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function formatText(r: CheckResult, cwd: string): string[] {
  const lines: string[] = [];
  for (const { file, diagnostics } of r.findings) {
    for (const d of diagnostics) lines.push(`${shown(d.file, cwd)}:${d.line}:${d.column}: ${d.severity}: ${d.message} [${d.code}]${modelNote(d, file)}`);
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
      lines.push(`::${d.severity === 'error' ? 'error' : 'warning'} ${props.join(',')}::${ghData(d.message + modelNote(d, file))}`);
    }
  }
  return lines;
}

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

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
      const rel = path.relative(cwd, d.file);
      const inside = rel && !rel.startsWith('..') && !path.isAbsolute(rel);
      results.push({
        ruleId: d.code,
        ruleIndex: idx,
        level: d.severity === 'error' ? 'error' : 'warning',
        message: { text: d.message + modelNote(d, file) },
        locations: [
          {
            physicalLocation: {
              artifactLocation: inside
                ? { uri: rel.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' }
                : { uri: `file://${d.file.split(path.sep).map(encodeURIComponent).join('/')}` },
              region: { startLine: d.line, startColumn: d.column, endLine: d.endLine, endColumn: d.endColumn },
            },
          },
        ],
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

export function check({ args, flags }: CheckInput, io: CliIo): number {
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
  const r = runCheck(paths, base, io);
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
