/**
 * "Compare with HEAD" and "Compare with File…": what a change did to the network. The other version's text
 * comes from the built-in Git extension's API (the file as committed in HEAD) or from a file the user picks;
 * both versions are analysed by the same front ends with the same model choice, and the graph panel shows the
 * comparison (`GraphViews.showDiff`). No Git, no repository, or a file HEAD does not have is a plain message.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { IrGraph } from '../core/ir';
import type { AnalysisService, AnalyzedDocument } from './analysisService';
import { commandDocument } from './documents';
import type { StudioContext } from './context';

/** One comparison to show: an older version of a document's model against the document as it is now. */
export interface Comparison {
  /** The panel a comparison goes to: one per document and kind, replaced by the next of the same key. */
  key: string;
  title: string;
  labels: { before: string; after: string };
  before: IrGraph;
  /** Gives the current version of the document's analysis (again after each edit). */
  after: AnalyzedDocument;
}

/** The part of the built-in Git extension's API (`vscode.git`, `getAPI(1)`) used here. */
interface GitExtension {
  readonly enabled: boolean;
  getAPI(version: 1): GitApi;
}

interface GitApi {
  readonly state: 'uninitialized' | 'initialized';
  readonly onDidChangeState: vscode.Event<'uninitialized' | 'initialized'>;
  getRepository(uri: vscode.Uri): GitRepository | null;
  openRepository?(root: vscode.Uri): Promise<GitRepository | null>;
}

interface GitRepository {
  readonly rootUri: vscode.Uri;
  readonly state: { readonly HEAD: { readonly commit?: string } | undefined };
  show(ref: string, path: string): Promise<string>;
}

/** A reason the comparison cannot be made, told to the user as it is (not an error of the extension). */
class CannotCompare extends Error {}

/** How long the Git extension may take to find the repositories when the command is the first to ask. */
const GIT_READY_MS = 10_000;

async function gitApi(): Promise<GitApi> {
  const ext = vscode.extensions.getExtension<GitExtension>('vscode.git');
  if (!ext) throw new CannotCompare('the built-in Git extension (vscode.git) is not available, so there is no HEAD to compare with. Use "Compare with File…" instead.');
  const git = ext.isActive ? ext.exports : await ext.activate();
  if (!git?.enabled) throw new CannotCompare('Git is turned off (the git.enabled setting), so there is no HEAD to compare with.');
  const api = git.getAPI(1);
  if (api.state !== 'initialized') {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        sub.dispose();
        resolve();
      }, GIT_READY_MS);
      const sub = api.onDidChangeState((s) => {
        if (s !== 'initialized') return;
        clearTimeout(timer);
        sub.dispose();
        resolve();
      });
    });
  }
  return api;
}

/** The repository holding `uri`, waiting a little for the Git extension's scan of the workspace. */
async function repositoryOf(api: GitApi, uri: vscode.Uri): Promise<GitRepository> {
  const deadline = Date.now() + GIT_READY_MS;
  for (;;) {
    const repo = api.getRepository(uri);
    if (repo) return repo;
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  // A file outside the workspace folders is not scanned for; ask for its folder's repository directly.
  const opened = await api.openRepository?.(vscode.Uri.file(path.dirname(uri.fsPath))).catch(() => null);
  if (opened) return opened;
  throw new CannotCompare(`${path.basename(uri.fsPath)} is not in a Git repository, so there is no HEAD to compare with. Use "Compare with File…" instead.`);
}

/** The file's text as committed in HEAD. */
async function headText(uri: vscode.Uri, log: vscode.LogOutputChannel): Promise<string> {
  if (uri.scheme !== 'file') throw new CannotCompare(`${uri.toString(true)} is not a file on disk, so Git has no HEAD version of it.`);
  const api = await gitApi();
  log.info(`compare: the Git API is ${api.state}; looking for the repository of ${uri.fsPath}`);
  const repo = await repositoryOf(api, uri);
  log.info(`compare: reading ${uri.fsPath} from HEAD of ${repo.rootUri.fsPath}`);
  if (!repo.state.HEAD?.commit) throw new CannotCompare(`the repository at ${repo.rootUri.fsPath} has no commits yet, so there is no HEAD to compare with.`);
  try {
    return await repo.show('HEAD', uri.fsPath);
  } catch {
    const rel = path.relative(repo.rootUri.fsPath, uri.fsPath);
    throw new CannotCompare(`${rel} is not in HEAD (it is new or untracked), so there is no committed version to compare with.`);
  }
}

async function analyzedDocument(service: AnalysisService, uri: unknown): Promise<AnalyzedDocument | undefined> {
  const doc = await commandDocument(service, uri);
  if (!doc) return undefined;
  const r = await service.analyze(doc);
  if (!r) throw new CannotCompare(`ResNet Studio cannot read ${path.basename(doc.fileName)} as a model.`);
  if (!r.analysis.graph) throw new CannotCompare(`no model could be built from ${path.basename(doc.fileName)}: ${firstProblem(r.analysis.diagnostics)}`);
  return r;
}

function firstProblem(diags: readonly { severity: string; message: string; line: number }[]): string {
  const d = diags.find((x) => x.severity === 'error') ?? diags[0];
  return d ? `${d.message} (line ${d.line})` : 'no model found';
}

/** The other version, analysed like the current one: the same model, arguments and input. */
async function analyzeOther(service: AnalysisService, current: AnalyzedDocument, file: string, text: string, what: string): Promise<IrGraph> {
  const a = await service.analyzeText(file, text, current.options);
  if (!a) throw new CannotCompare(`${what} is not a model file ResNet Studio reads.`);
  if (!a.graph) throw new CannotCompare(`no model could be built from ${what}: ${firstProblem(a.diagnostics)}`);
  return a.graph;
}

async function compareWithHead(ctx: StudioContext, service: AnalysisService, show: (c: Comparison) => Promise<void>, uri: unknown): Promise<void> {
  const current = await analyzedDocument(service, uri);
  if (!current) return;
  const text = await headText(current.uri, ctx.logger);
  const name = path.basename(current.file);
  const before = await analyzeOther(service, current, current.file, text, `${name} in HEAD`);
  await show({ key: `head:${current.uri.toString()}`, title: `Diff: ${name} (HEAD ↔ working tree)`, labels: { before: 'HEAD', after: 'working tree' }, before, after: current });
}

async function compareWithFile(service: AnalysisService, show: (c: Comparison) => Promise<void>, uri: unknown): Promise<void> {
  const current = await analyzedDocument(service, uri);
  if (!current) return;
  const picked = await vscode.window.showOpenDialog({
    title: `Compare ${path.basename(current.file)} with…`,
    openLabel: 'Compare',
    canSelectMany: false,
    filters: { 'Model files': ['json', 'py'], 'All files': ['*'] },
    defaultUri: vscode.Uri.joinPath(current.uri, '..'),
  });
  const other = picked?.[0];
  if (!other) return;
  // An open editor's text is what the user sees, saved or not.
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === other.toString());
  const text = open ? open.getText() : Buffer.from(await vscode.workspace.fs.readFile(other)).toString('utf8');
  const otherFile = other.scheme === 'file' ? other.fsPath : other.path;
  const before = await analyzeOther(service, current, otherFile, text, path.basename(otherFile));
  const [b, a] = [path.basename(otherFile), path.basename(current.file)];
  const labels = b === a ? { before: vscode.workspace.asRelativePath(other), after: vscode.workspace.asRelativePath(current.uri) } : { before: b, after: a };
  await show({ key: `file:${current.uri.toString()}`, title: `Diff: ${labels.before} ↔ ${labels.after}`, labels, before, after: current });
}

/** Registers both commands; `show` opens (or refreshes) the comparison's graph panel. */
export function registerCompareCommands(ctx: StudioContext, service: AnalysisService, show: (c: Comparison) => Promise<void>): void {
  const run = (what: string, fn: (uri: unknown) => Promise<void>) => async (uri?: unknown) => {
    try {
      await fn(uri);
    } catch (err) {
      if (err instanceof CannotCompare) void vscode.window.showInformationMessage(`ResNet Studio: ${err.message}`);
      else ctx.reportError(`${what} failed`, err);
    }
  };
  ctx.subscriptions.push(
    vscode.commands.registerCommand('resnetStudio.compareWithHead', run('Compare with HEAD', (uri) => compareWithHead(ctx, service, show, uri))),
    vscode.commands.registerCommand('resnetStudio.compareWithFile', run('Compare with File', (uri) => compareWithFile(service, show, uri))),
  );
}
