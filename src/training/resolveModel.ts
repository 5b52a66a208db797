/**
 * Which model a training run trains and at what input size: flags first, then what the file says (its
 * `# resnet-studio:` comment or the design's own input), then the default. Pure and light: it takes an
 * analysis made elsewhere (in-process by the CLI, in the analysis worker by the extension), so importing it
 * loads no front end.
 */
import { UsageError, parseShape } from '../cli/args';
import { type Analysis, DEFAULT_INPUT } from '../core/ir';
import type { FrontEndOptions } from '../frontends/options';
import { readDirective } from '../frontends/directive';
import type { Backend } from '../protocol/trainingProtocol';

export interface ModelFlags {
  input?: string;
  model?: string;
  args?: string;
}

export interface Resolved {
  input: [number, number, number, number];
  inputFrom: string;
  modelName: string;
}

/** The front-end options the flags ask for (parsing `--input`). */
export function analysisOptions(flags: ModelFlags): FrontEndOptions {
  const explicit = flags.input ? parseShape(flags.input) : undefined;
  return {
    ...(explicit ? { input: explicit } : {}),
    ...(flags.model ? { model: flags.model } : {}),
    ...(flags.args ? { args: flags.args } : {}),
  };
}

export function resolveFromAnalysis(analysis: Analysis | null, file: string, text: string, flags: ModelFlags, backend: Backend): Resolved {
  const explicit = analysisOptions(flags).input;
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
    inputFrom = '--input';
  } else if (graphInput && graphInput.every((d) => typeof d === 'number') && !errors.some((e) => e.code === 'format/unknown')) {
    input = graphInput as number[];
    // A Python file states its input only in its comment; otherwise the front end used the default.
    inputFrom = directive?.input ? 'the file\'s "# resnet-studio:" comment' : file.endsWith('.py') ? 'the default' : 'the model file';
  } else if (directive?.input) {
    input = directive.input;
    inputFrom = 'the file\'s "# resnet-studio:" comment';
  } else {
    input = [...DEFAULT_INPUT];
    inputFrom = 'the default';
  }
  if (input.length === 3) input = [1, ...input];
  if (input.length !== 4) throw new UsageError(`the input shape must be N,C,H,W for training, got [${input.join(', ')}]`);
  const modelName = flags.model ?? directive?.model ?? analysis?.candidates?.[0]?.name ?? analysis?.graph?.name ?? analysis?.models[0];
  if (!modelName) throw new UsageError(`${file}: cannot tell which model to train; pass --model NAME`);
  return { input: input as [number, number, number, number], inputFrom, modelName };
}
