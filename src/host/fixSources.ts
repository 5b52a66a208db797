/**
 * Which analysis diagnostics a quick fix request takes its edits from. A fix is only offered from diagnostics
 * computed for the document's version in the editor (an older version's offsets would edit the wrong text),
 * and Problems lists other models' errors from the file's index, which may lag the analysis: so a request
 * waits for the analysis and index of this version rather than answering "no fix". Pure: the code action
 * provider supplies the document and the analysis service.
 */
import type { Diagnostic } from '../core/ir';
import type { OtherModels } from './otherModels';
import { type EditorDiagnostic, findCoreDiagnostic } from './quickFixes';

/** What a request needs to know about its document. */
export interface FixRequest<A extends { version: number; analysis: { diagnostics: readonly Diagnostic[] } }> {
  uri: string;
  /** The document's version now. */
  version: () => number;
  /** The analysis of the document's version now (cached or computed); it names the version it is of. */
  analyze: () => Promise<A | undefined>;
  /** The request was cancelled or the document closed. */
  cancelled: () => boolean;
  /**
   * The user asked for fixes (Ctrl+. or the menu), so a scheduled index runs at once; the editor's own
   * lightbulb requests only wait for the index that runs when typing pauses.
   */
  invoked: boolean;
}

/** Whether every editor diagnostic is one of the analysis's own (so the index is not needed). */
function allIn(diagnostics: readonly Diagnostic[], wanted: readonly EditorDiagnostic[]): boolean {
  return wanted.every((w) => findCoreDiagnostic(diagnostics, w));
}

/** How often the document may change under a request before it gives up (the editor asks again anyway). */
const TRIES = 3;

/**
 * The analysis of the document's current version and the diagnostics to look its fixes up in: its own, plus
 * the file's other models' from the index of the same version and options when an editor diagnostic is not
 * its own. An analysis or index that lands after the document changed is asked for again at the new version.
 * Undefined when the request is cancelled, the file is not a model, or the document keeps changing.
 */
export async function fixSources<A extends { version: number; analysis: { diagnostics: readonly Diagnostic[] } }>(
  req: FixRequest<A>,
  wanted: readonly EditorDiagnostic[],
  others: Pick<OtherModels, 'ofVersion'> | undefined,
): Promise<{ analysis: A; diagnostics: readonly Diagnostic[] } | undefined> {
  for (let i = 0; i < TRIES && !req.cancelled(); i++) {
    const r = await req.analyze();
    if (!r || req.cancelled()) return undefined;
    if (r.version !== req.version()) continue;
    const own = r.analysis.diagnostics;
    if (allIn(own, wanted) || !others) return { analysis: r, diagnostics: own };
    const indexed = await others.ofVersion(req.uri, r.version, req.invoked, req.cancelled);
    if (req.cancelled()) return undefined;
    if (r.version !== req.version()) continue;
    return { analysis: r, diagnostics: indexed ? [...own, ...indexed] : own };
  }
  return undefined;
}
