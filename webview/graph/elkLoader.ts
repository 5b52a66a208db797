/**
 * Loads the ELK bundle (`graph-elk.js`, see `elkChunk.ts`) next to the page's own script, with the page's
 * nonce (the CSP admits nothing else), and registers its layout with cytoscape, once, on first use.
 */
import cytoscape from 'cytoscape';

// Only while the bundle's first evaluation runs does the page know which script element it came from.
const own = typeof document !== 'undefined' ? (document.currentScript as HTMLScriptElement | null) : null;
let loaded: Promise<void> | undefined;

/** Resolves once cytoscape knows the `elk` layout. */
export function loadElk(): Promise<void> {
  loaded ??= new Promise<void>((resolve, reject) => {
    const done = (): void => {
      const ext = (globalThis as { resnetStudioElk?: cytoscape.Ext }).resnetStudioElk;
      if (!ext) {
        reject(new Error('the ELK layout bundle loaded but registered nothing'));
        return;
      }
      cytoscape.use(ext);
      resolve();
    };
    if ((globalThis as { resnetStudioElk?: unknown }).resnetStudioElk) {
      done();
      return;
    }
    if (!own?.src) {
      reject(new Error('cannot tell where the graph page was loaded from, so the ELK layout cannot be loaded'));
      return;
    }
    const s = document.createElement('script');
    s.src = new URL('graph-elk.js', own.src).toString();
    s.nonce = own.nonce ?? '';
    s.onload = done;
    s.onerror = () => reject(new Error(`could not load the ELK layout from ${s.src}`));
    document.head.appendChild(s);
  }).catch((err: unknown) => {
    loaded = undefined;
    throw err;
  });
  return loaded;
}
