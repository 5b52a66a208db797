/**
 * Editor features over the analysis: diagnostics, hovers, shape inlay hints, CodeLens per model and quick
 * fixes. Each provider only adapts pure helpers (`ranges`, `hoverText`, `inlayHints`, `quickFixes`).
 */
import * as vscode from 'vscode';
import type { Diagnostic, ModelCandidate, Severity } from '../core/ir';
import { isModelAnalysis } from './analysisOptions';
import { AnalysisService, type AnalyzedDocument } from './analysisService';
import type { StudioContext } from './context';
import { fileDiagnostics } from './fileDiagnostics';
import { fixSources } from './fixSources';
import { hoverMarkdown, inputText, lensTitle } from './hoverText';
import { CHANGE_INPUT_COMMAND } from './inputShape';
import { shapeHints } from './inlayHints';
import { type IndexRun, OtherModels } from './otherModels';
import { type EditorDiagnostic, quickFixesFor } from './quickFixes';
import { type ZeroRange, nodesAt, sameFile, toZeroBased } from './ranges';

export const DIAGNOSTIC_SOURCE = 'ResNet Studio';
/** How long one file's other models may take to analyse for Problems; the rest wait for the next edit. */
const INDEX_TIME_LIMIT_MS = 3_000;
/** Quiet time after an edit before the file's other models are analysed again. */
const INDEX_QUIET_MS = 1_000;

/**
 * The other models' diagnostics of each open file, from its latest index: listed in Problems by
 * `registerDiagnostics` (which creates it), and the source of their quick fixes for `QuickFixes`.
 */
let otherModels: OtherModels | undefined;

/** Documents the providers are offered for; each provider still checks that a file is a model. */
export const MODEL_SELECTOR: vscode.DocumentSelector = [
  { language: 'python' },
  { language: 'json' },
  { language: 'jsonc' },
  { pattern: '**/*.resnet.json' },
];

export function toRange(z: ZeroRange): vscode.Range {
  return new vscode.Range(z.start.line, z.start.character, z.end.line, z.end.character);
}

function fromRange(r: vscode.Range): ZeroRange {
  return { start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: r.end.character } };
}

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
};

export function toVsDiagnostic(d: Diagnostic): vscode.Diagnostic {
  const v = new vscode.Diagnostic(toRange(toZeroBased(d)), d.message, SEVERITY[d.severity]);
  v.source = DIAGNOSTIC_SOURCE;
  v.code = d.code;
  if (d.related?.length) {
    v.relatedInformation = d.related.map(
      (r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(vscode.Uri.file(r.file), toRange(toZeroBased(r))), r.message),
    );
  }
  return v;
}

/** Problems for open model files, refreshed as the user types (debounced) and never from an older version. */
export function registerDiagnostics(ctx: StudioContext, service: AnalysisService): void {
  const collection = vscode.languages.createDiagnosticCollection('resnetStudio');
  let lastShape = ctx.settings().analysis.defaultInputShape.join(',');
  const latest = new Map<string, AnalyzedDocument>();
  const run: IndexRun = async (uri, version) => {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    if (!doc || doc.isClosed || doc.version !== version || !AnalysisService.fileOf(doc).endsWith('.py')) return undefined;
    const ix = await service.indexDocument(doc, INDEX_TIME_LIMIT_MS);
    if (!ix || doc.isClosed || doc.version !== ix.version) return undefined;
    return ix.index?.diagnostics ?? [];
  };
  // The index shares the worker with the analyses of each edit: it runs once typing pauses, so it never
  // holds up the next keystroke's diagnostics. Its findings stay listed while a newer index runs, so an edit
  // never makes another model's error blink out of Problems.
  const others = new OtherModels(run, (uri, version) => {
    const now = latest.get(uri);
    if (now && now.version === version) show(now);
  }, INDEX_QUIET_MS);
  otherModels = others;
  const show = (r: AnalyzedDocument): void => {
    const shown = r.options.model ?? r.analysis.graph?.name;
    const merged = fileDiagnostics(r.analysis.diagnostics, shown, others.listed(r.uri.toString()), (f) => sameFile(f, r.file));
    collection.set(r.uri, merged.map(toVsDiagnostic));
  };
  const publish = (r: AnalyzedDocument): void => {
    const uri = r.uri.toString();
    if (!isModelAnalysis(r.file, r.analysis)) {
      latest.delete(uri);
      others.delete(uri);
      collection.delete(r.uri);
      return;
    }
    latest.set(uri, r);
    show(r);
    if (r.file.endsWith('.py')) others.schedule(uri, r.version);
  };
  const clear = (uri: vscode.Uri): void => {
    latest.delete(uri.toString());
    others.delete(uri.toString());
    collection.delete(uri);
  };
  ctx.subscriptions.push(
    collection,
    {
      dispose: () => {
        others.dispose();
        if (otherModels === others) otherModels = undefined;
      },
    },
    service.onDidAnalyze(publish),
    service.onDidClear(clear),
    vscode.workspace.onDidOpenTextDocument((doc) => service.schedule(doc, 0)),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length) service.schedule(e.document);
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => service.forget(doc)),
    ctx.onDidChangeSettings((s) => {
      // Only the default input shape changes what the front ends compute.
      const shape = s.analysis.defaultInputShape.join(',');
      if (shape !== lastShape) {
        others.markAllStale();
        service.rescheduleAll();
      }
      lastShape = shape;
    }),
    ctx.onDidChangeChoice((uri) => {
      // A chosen input shape changes every model's analysis, not only the shown one's: index again, and
      // list the old findings until then.
      others.markStale(uri.toString());
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      if (doc) service.schedule(doc, 0);
    }),
  );
  // Documents already open when the extension activates: analysed after activation returns, not during it.
  const initial = setTimeout(() => {
    for (const doc of vscode.workspace.textDocuments) service.schedule(doc, 0);
  }, 0);
  ctx.subscriptions.push({ dispose: () => clearTimeout(initial) });
}

class ShapeHover implements vscode.HoverProvider {
  constructor(private readonly service: AnalysisService) {}

  async provideHover(doc: vscode.TextDocument, pos: vscode.Position): Promise<vscode.Hover | undefined> {
    const r = await this.service.analyze(doc);
    if (!r?.analysis.graph || r.version !== doc.version) return undefined;
    const md = hoverMarkdown(nodesAt(r.analysis.graph, { line: pos.line, character: pos.character }, r.file));
    if (!md) return undefined;
    const m = new vscode.MarkdownString(md);
    m.supportHtml = false;
    return new vscode.Hover(m);
  }
}

class ShapeInlayHints implements vscode.InlayHintsProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeInlayHints = this.changed.event;

  constructor(
    private readonly ctx: StudioContext,
    private readonly service: AnalysisService,
  ) {
    ctx.subscriptions.push(
      this.changed,
      service.onDidAnalyze(() => this.changed.fire()),
      ctx.onDidChangeSettings(() => this.changed.fire()),
    );
  }

  async provideInlayHints(doc: vscode.TextDocument, range: vscode.Range): Promise<vscode.InlayHint[]> {
    if (!this.ctx.settings().editor.inlayHints) return [];
    const r = await this.service.analyze(doc);
    if (!r?.analysis.graph || doc.version !== r.version) return [];
    const hints: vscode.InlayHint[] = [];
    for (const h of shapeHints(r.analysis.graph, r.file)) {
      if (h.line >= doc.lineCount || h.line < range.start.line || h.line > range.end.line) continue;
      const hint = new vscode.InlayHint(doc.lineAt(h.line).range.end, h.label, vscode.InlayHintKind.Type);
      hint.paddingLeft = true;
      hint.tooltip = new vscode.MarkdownString(h.tooltip);
      hints.push(hint);
    }
    return hints;
  }
}

/** A lens for one model of a file; the stats lens is resolved lazily because it analyses that model. */
class ModelLens extends vscode.CodeLens {
  constructor(
    range: vscode.Range,
    readonly doc: vscode.TextDocument,
    readonly candidate: ModelCandidate,
    readonly model: string | undefined,
  ) {
    super(range);
  }
}

/** The input a model is analysed with (`@ 3×32²`); a click changes it. */
class InputLens extends ModelLens {}

class ModelCodeLens implements vscode.CodeLensProvider<vscode.CodeLens> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(
    private readonly ctx: StudioContext,
    private readonly service: AnalysisService,
  ) {
    ctx.subscriptions.push(
      this.changed,
      service.onDidAnalyze(() => this.changed.fire()),
      ctx.onDidChangeSettings(() => this.changed.fire()),
    );
  }

  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (!this.ctx.settings().editor.codeLens) return [];
    const r = await this.service.analyze(doc);
    if (!r) return [];
    const lenses: vscode.CodeLens[] = [];
    for (const c of modelCandidates(r)) {
      if (!sameFile(c.source.file, r.file)) continue;
      const line = Math.min(Math.max(0, c.source.line - 1), doc.lineCount - 1);
      const range = new vscode.Range(line, 0, line, 0);
      // The model the file is analysed as shares the main analysis; any other model is analysed on resolve.
      const isMain = c.kind === 'design' || c.name === r.options.model || (r.options.model === undefined && c.name === r.analysis.graph?.name);
      const model = isMain ? undefined : c.name;
      const args = [doc.uri, c.kind === 'design' ? undefined : c.name];
      lenses.push(
        new ModelLens(range, doc, c, model),
        new InputLens(range, doc, c, model),
        new vscode.CodeLens(range, { title: 'Show graph', command: 'resnetStudio.showGraph', arguments: args }),
        new vscode.CodeLens(range, { title: 'Train…', command: 'resnetStudio.train', arguments: args }),
      );
    }
    return lenses;
  }

  async resolveCodeLens(lens: vscode.CodeLens): Promise<vscode.CodeLens> {
    if (!(lens instanceof ModelLens)) return lens;
    const r = await this.service.analyze(lens.doc, lens.model);
    if (lens instanceof InputLens) {
      const g = r?.analysis.graph;
      const text = inputText(g?.input);
      lens.command = {
        title: text ? `@ ${text}${g?.inputGuess ? ' (guess)' : ''}` : '@ input…',
        command: CHANGE_INPUT_COMMAND,
        arguments: [lens.doc.uri, lens.model ?? r?.options.model ?? (lens.candidate.kind === 'design' ? undefined : lens.candidate.name)],
        tooltip: g?.inputGuess ? `The input size is a guess (${g.inputGuess}); click to change it` : 'The input shape this model is analysed with; click to change it',
      };
      return lens;
    }
    lens.command = {
      title: r ? lensTitle(lens.candidate.name, r.analysis.graph, r.analysis.diagnostics) : lens.candidate.name,
      command: 'resnetStudio.showSummary',
      arguments: [lens.doc.uri, lens.model ?? r?.options.model],
      tooltip: 'Show the summary table of this model',
    };
    return lens;
  }
}

/** The models of an analysed file; a JSON design is one model on its first line. */
export function modelCandidates(r: AnalyzedDocument): ModelCandidate[] {
  if (r.analysis.candidates?.length) return r.analysis.candidates;
  const name = r.analysis.graph?.name ?? r.analysis.models[0];
  if (name === undefined) return [];
  return [{ name, kind: 'design', source: { file: r.file, line: 1, column: 1, endLine: 1, endColumn: 1 } }];
}

class QuickFixes implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  constructor(private readonly service: AnalysisService) {}

  async provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext, token: vscode.CancellationToken): Promise<vscode.CodeAction[]> {
    const ours = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE);
    if (!ours.length) return [];
    const wanted: (EditorDiagnostic & { vs: vscode.Diagnostic })[] = ours.map((d) => ({
      code: typeof d.code === 'object' ? String(d.code.value) : d.code === undefined ? undefined : String(d.code),
      message: d.message,
      range: fromRange(d.range),
      vs: d,
    }));
    // Fixes come from the analysis, and for another model's error from the index, of the version now in the
    // editor (their offsets are never stale); when either is still on its way, the request waits for it.
    const found = await fixSources(
      {
        uri: doc.uri.toString(),
        version: () => doc.version,
        analyze: async () => this.service.peek(doc) ?? (await this.service.analyze(doc)),
        cancelled: () => token.isCancellationRequested || doc.isClosed,
        invoked: context.triggerKind === vscode.CodeActionTriggerKind.Invoke,
      },
      wanted,
      otherModels,
    );
    if (!found) return [];
    const r = found.analysis;
    const seen = new Set<string>();
    return quickFixesFor(found.diagnostics, wanted).filter((f) => {
      const k = `${f.title}\u0000${JSON.stringify(f.edits)}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    }).map((f) => {
      const action = new vscode.CodeAction(f.title, vscode.CodeActionKind.QuickFix);
      const edit = new vscode.WorkspaceEdit();
      for (const e of f.edits) edit.replace(sameFile(e.file, r.file) ? doc.uri : vscode.Uri.file(e.file), toRange(e.range), e.newText);
      action.edit = edit;
      action.isPreferred = f.preferred;
      const vs = wanted.find((w) => w.code === f.diagnostic.code && w.message === f.diagnostic.message)?.vs;
      if (vs) action.diagnostics = [vs];
      return action;
    });
  }
}

export function registerLanguageFeatures(ctx: StudioContext, service: AnalysisService): void {
  ctx.subscriptions.push(
    vscode.languages.registerHoverProvider(MODEL_SELECTOR, new ShapeHover(service)),
    vscode.languages.registerInlayHintsProvider(MODEL_SELECTOR, new ShapeInlayHints(ctx, service)),
    vscode.languages.registerCodeLensProvider(MODEL_SELECTOR, new ModelCodeLens(ctx, service)),
    vscode.languages.registerCodeActionsProvider(MODEL_SELECTOR, new QuickFixes(service), { providedCodeActionKinds: QuickFixes.kinds }),
  );
}
