/**
 * Shares cytoscape's label measurements between elements. Its canvas renderer measures every label of every
 * element on its own: it sets the measuring canvas's font (which the browser parses each time) and measures
 * each line, once to wrap the label and again to size it, with a cache that is only per element. A deep
 * ResNet repeats a handful of labels ("conv 3×3", "14×14×256") hundreds of times, so on ResNet-152 expanded
 * this was about a sixth of the first paint. The measurement depends only on the font, the text and the
 * metrics mode, so one result per such key serves every element. Left alone if the renderer is not as expected.
 */
import type cytoscape from 'cytoscape';

interface LabelDims {
  width: number;
  height: number;
  labelActualAscent: number;
  labelActualDescent: number;
}

type Ele = cytoscape.SingularElementArgument & { pstyle(name: string): { strValue?: string; pfValue?: number } };
type Renderer = { calculateLabelDimensions?: (ele: Ele, text: string) => LabelDims };

/** More distinct labels than any model draws; past it the cache starts over rather than grow without bound. */
const MAX_ENTRIES = 20_000;

export function shareLabelMetrics(cy: cytoscape.Core): void {
  const r = (cy as unknown as { renderer?: () => Renderer | undefined }).renderer?.();
  const measure = r?.calculateLabelDimensions;
  if (!r || typeof measure !== 'function') return;
  const known = new Map<string, LabelDims>();
  r.calculateLabelDimensions = function (this: Renderer, ele: Ele, text: string): LabelDims {
    // The same properties cytoscape builds its font from, plus the metrics mode (glyph metrics change the height).
    const key = `${ele.pstyle('font-style').strValue}|${ele.pstyle('font-weight').strValue}|${ele.pstyle('font-size').pfValue}|${ele.pstyle('font-family').strValue}|${ele.pstyle('text-metrics')?.strValue ?? ''}|${text}`;
    const hit = known.get(key);
    if (hit) return { ...hit };
    const dims = measure.call(this, ele, text);
    if (known.size >= MAX_ENTRIES) known.clear();
    known.set(key, { ...dims });
    return dims;
  };
}
