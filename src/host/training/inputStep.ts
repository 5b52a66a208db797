/**
 * The Train flow's input step: the input shape a run trains at follows from its data. CIFAR-10 binaries are
 * 3×32×32; an image folder is resized to a size the user picks (224, 160, 128, 64, 32 or another); synthetic
 * data takes the shape the model is analysed with (the file's comment, the user's choice, or the analysis's
 * guess such as 32² for a CIFAR-style stem). Pure (no `vscode`), so the rules and wording are unit-tested.
 */
import type { DataKind } from '../../training/data';

/** The resize sizes the quick pick offers for an image folder, largest first, before "Custom…". */
export const RESIZE_CHOICES: readonly number[] = [224, 160, 128, 64, 32];

/** The sizes an image folder may be resized to (the analysis and both runners handle these). */
export const MIN_SIZE = 8;
export const MAX_SIZE = 1024;

export type Shape4 = [number, number, number, number];

/** `3×32×32` */
export function shapeText(shape: readonly number[]): string {
  return shape.slice(shape.length === 4 ? 1 : 0).join('×');
}

/** A custom resize: one side (square) or `HxW`; an error message otherwise. */
export function parseResize(text: string): [number, number] | string {
  const m = /^\s*(\d+)\s*(?:[x×,]\s*(\d+))?\s*$/i.exec(text);
  if (!m) return 'a size in pixels, e.g. 96 or 96x128';
  const h = Number(m[1]);
  const w = m[2] !== undefined ? Number(m[2]) : h;
  for (const v of [h, w]) if (!(v >= MIN_SIZE && v <= MAX_SIZE)) return `sizes run from ${MIN_SIZE} to ${MAX_SIZE} pixels`;
  return [h, w];
}

export interface InputDecision {
  input: Shape4;
  /** Where it comes from, in words, for the run config's `inputFrom`, the titles and the output channel. */
  from: string;
}

/**
 * The input a run trains at, from its data. `analysed` is the shape the model is analysed with and
 * `analysedFrom` why; `resize` is the image folder's chosen size (required for a folder).
 */
export function inputForData(kind: DataKind, analysed: Shape4, analysedFrom: string, resize?: readonly [number, number]): InputDecision {
  const [n, c] = analysed;
  if (kind === 'cifar') return { input: [n, 3, 32, 32], from: 'the data set: CIFAR-10 binary batches are 3×32×32' };
  if (kind === 'folder') {
    if (!resize) throw new Error('an image folder needs a resize choice');
    return { input: [n, c, resize[0], resize[1]], from: `the image folder, resized to ${resize[0]}×${resize[1]}` };
  }
  return { input: [...analysed], from: analysedFrom };
}

/** The quick pick's items for an image folder's resize: each size, marked where it is the model's or the images' own. */
export function resizeItems(analysed: Shape4, imageSize?: readonly [number, number]): { label: string; description?: string; size: [number, number] | null }[] {
  const items = RESIZE_CHOICES.map((s) => {
    const notes: string[] = [];
    if (analysed[2] === s && analysed[3] === s) notes.push('the size the model is analysed at');
    if (imageSize && imageSize[0] === s && imageSize[1] === s) notes.push("the images' own size");
    return { label: `${s}×${s}`, ...(notes.length ? { description: notes.join(' · ') } : {}), size: [s, s] as [number, number] };
  });
  return [...items, { label: 'Custom…', description: 'another size, e.g. 96 or 96x128', size: null }];
}
