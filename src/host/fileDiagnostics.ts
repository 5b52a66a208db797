/**
 * The Problems list of a model file is the union over every model in it, not only the model the graph shows:
 * the analysis the file is shown as, plus what the file's index (each class, factory and symbolic block
 * analysed on its own) found in the other models. Each diagnostic is listed once. Pure: no `vscode` import.
 */
import type { Diagnostic } from '../core/ir';
import type { IndexedDiagnostic } from '../frontends/workspaceIndex';

function key(d: Diagnostic): string {
  return `${d.severity}\u0000${d.line}:${d.column}-${d.endLine}:${d.endColumn}\u0000${d.code}\u0000${d.message}`;
}

/**
 * The diagnostics to publish for a file. `main` is the analysis the file is shown as (the user's model choice,
 * with its arguments and input); `indexed` the diagnostics of its index, each naming the models that raised it.
 * An indexed diagnostic raised only by the shown model is left out: the shown analysis already says what that
 * model does with the arguments the user chose, and its symbolic reading would repeat it less precisely.
 */
export function fileDiagnostics(main: readonly Diagnostic[], shownModel: string | undefined, indexed: readonly IndexedDiagnostic[], sameFile: (file: string) => boolean): Diagnostic[] {
  const out = new Map<string, Diagnostic>();
  for (const d of main) if (sameFile(d.file)) out.set(key(d), d);
  for (const d of indexed) {
    if (!sameFile(d.file)) continue;
    if (shownModel !== undefined && d.models.every((m) => m === shownModel)) continue;
    const k = key(d);
    if (!out.has(k)) {
      const { models: _models, ...plain } = d;
      out.set(k, plain);
    }
  }
  return [...out.values()].sort((a, b) => a.line - b.line || a.column - b.column);
}
