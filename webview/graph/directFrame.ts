/**
 * Lets cytoscape draw one frame straight onto its canvas instead of through its texture caches. Its canvas
 * renderer draws each element into a cached texture at the current zoom level and copies that: the copies make
 * panning and zooming cheap, but the frame that fills the caches pays for allocating the textures and drawing
 * everything twice, and on a first view that frame is what the user waits for (on ResNet-152 collapsed, ~40 of
 * its ~100 ms). Asked for an element the caches do not give, the renderer draws the element directly; the
 * frames after this one fill the caches as before. Left alone if the renderer is not as expected.
 */
import type cytoscape from 'cytoscape';

type TextureCache = { getElement?: (...args: unknown[]) => unknown };
type Renderer = { data?: Record<string, unknown> };

const CACHES = ['eleTxrCache', 'lblTxrCache', 'slbTxrCache', 'tlbTxrCache'];

/** Until `restore` is called, every element is drawn directly; call it once the frame has been drawn. */
export function drawDirectly(cy: cytoscape.Core): () => void {
  const r = (cy as unknown as { renderer?: () => Renderer | undefined }).renderer?.();
  const caches = CACHES.map((k) => r?.data?.[k] as TextureCache | undefined).filter((c): c is TextureCache => typeof c?.getElement === 'function');
  if (caches.length !== CACHES.length) return () => undefined;
  // An own property over the prototype's method, removed again to restore it.
  for (const c of caches) c.getElement = () => null;
  return () => {
    for (const c of caches) delete c.getElement;
  };
}
