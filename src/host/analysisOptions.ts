/**
 * Which model of a file is analysed, and with which input shape and constructor arguments. Three sources,
 * strongest first: the user's per-model choice (the "Analyze Model…" command, remembered per workspace),
 * the file itself (a `# resnet-studio:` comment or a design's own `input`, read by the front end), and the
 * `analysis.defaultInputShape` setting.
 */
import type { FrontEndOptions } from '../frontends/options';

/** What the user picked for one file; every field optional. */
export interface ModelChoice {
  model?: string;
  input?: number[];
  args?: string;
}

/** The front-end options for a file, given the user's choice and the settings default. */
export function resolveOptions(choice: ModelChoice | undefined, defaultInput: readonly number[]): FrontEndOptions {
  const opts: FrontEndOptions = {};
  if (choice?.model) opts.model = choice.model;
  if (choice?.args !== undefined && choice.args.trim() !== '') opts.args = choice.args.trim();
  // The setting is only a default: the front end prefers what the file states or what it can infer.
  if (choice?.input) opts.input = [...choice.input];
  else opts.defaultInput = [...defaultInput];
  return opts;
}

/** A stable key for a set of options, for caches. */
export function optionsKey(opts: FrontEndOptions): string {
  return JSON.stringify([opts.model ?? null, opts.input ?? null, opts.args ?? null, opts.defaultInput ?? null]);
}

/** Files the extension analyses. Keras files are recognised by content, so `text` is needed for `.json`. */
export function isModelFileName(file: string): 'python' | 'design' | 'maybe-keras' | null {
  if (file.endsWith('.py')) return 'python';
  if (file.endsWith('.resnet.json')) return 'design';
  if (file.endsWith('.json')) return 'maybe-keras';
  return null;
}

/** Cheap content check for a Keras/TF.js model JSON (the front end does the full check). */
export function looksLikeKerasText(text: string): boolean {
  return /"(modelTopology|class_name)"/.test(text.slice(0, 4096)) && /"(layers|config)"/.test(text.slice(0, 65536));
}

/**
 * Whether an analysis is of a model file. Any `.py` file is read, but one that defines no model (a script,
 * a utility module) is not ours to report on: its "no model here" note would clutter the Problems panel of
 * every Python project. Designs and Keras files are models by their name or content, even when broken.
 */
export function isModelAnalysis(file: string, a: { models: readonly string[]; graph: unknown }): boolean {
  return !file.endsWith('.py') || a.models.length > 0 || a.graph !== null;
}
