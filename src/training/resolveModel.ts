/**
 * Which model a training run trains and at what input size: the caller's choice first (the CLI's flags, the
 * extension's per-model choice), then what the file says (its `# resnet-studio:` comment or the design's
 * own input), then the default. Pure and light: it takes an analysis made elsewhere (in-process by the CLI,
 * in the analysis worker by the extension), so importing it loads no front end; and it takes values already
 * parsed, so it depends on neither the CLI nor the extension.
 */
import { UsageError } from '../core/usageError';
import { type Analysis, DEFAULT_INPUT } from '../core/ir';
import type { FrontEndOptions } from '../frontends/options';
import { readDirective } from '../frontends/directive';
import type { Backend } from '../protocol/trainingProtocol';

/** What the user chose explicitly; each is optional. */
export interface ModelChoice {
  /** N,C,H,W or C,H,W. */
  input?: readonly number[];
  /** How messages name where an explicit input came from; default "the chosen input". */
  inputLabel?: string;
  /** The class or factory function to train. */
  model?: string;
  /** Its call arguments, in the source language's syntax. */
  args?: string;
}

export interface Resolved {
  input: [number, number, number, number];
  inputFrom: string;
  modelName: string;
}

/** The front-end options the choice asks for. */
export function analysisOptions(choice: ModelChoice): FrontEndOptions {
  return {
    ...(choice.input ? { input: [...choice.input] } : {}),
    ...(choice.model ? { model: choice.model } : {}),
    ...(choice.args ? { args: choice.args } : {}),
  };
}

export function resolveFromAnalysis(analysis: Analysis | null, file: string, text: string, choice: ModelChoice, backend: Backend): Resolved {
  const explicit = choice.input ? [...choice.input] : undefined;
  const errors = analysis?.diagnostics.filter((d) => d.severity === 'error') ?? [];
  if (backend === 'tfjs' && (errors.length || !analysis?.graph)) {
    // The TF.js runner trains the analysed graph: it must exist and be clean.
    const first = errors[0];
    throw new UsageError(first ? `${file}:${first.line}:${first.column}: ${first.message}` : `${file}: no model could be built from this file for the TF.js runner`);
  }
  const directive = readDirective(text);
  const graphInput = analysis?.graph?.input;
  let input: number[];
  let inputFrom: string;
  if (explicit) {
    input = explicit;
    inputFrom = choice.inputLabel ?? 'the chosen input';
  } else if (graphInput && graphInput.every((d) => typeof d === 'number') && !errors.some((e) => e.code === 'format/unknown')) {
    input = graphInput as number[];
    // A Python file states its input only in its comment; otherwise the front end used the default.
    inputFrom = directive?.input
      ? 'the file\'s "# resnet-studio:" comment'
      : analysis?.graph?.inputGuess
        ? `the analysis's guess (${analysis.graph.inputGuess})`
        : file.endsWith('.py')
          ? 'the default'
          : 'the model file';
  } else if (directive?.input) {
    input = directive.input;
    inputFrom = 'the file\'s "# resnet-studio:" comment';
  } else {
    input = [...DEFAULT_INPUT];
    inputFrom = 'the default';
  }
  if (input.length === 3) input = [1, ...input];
  if (input.length !== 4) throw new UsageError(`the input shape must be N,C,H,W for training, got [${input.join(', ')}]`);
  const modelName = choice.model ?? directive?.model ?? analysis?.candidates?.[0]?.name ?? analysis?.graph?.name ?? analysis?.models[0];
  if (!modelName) throw new UsageError(`${file}: cannot tell which model to train; pass --model NAME`);
  return { input: input as [number, number, number, number], inputFrom, modelName };
}
