/**
 * Loads a bundle of the graph page that its first paint does not need (ELK, the vscode-elements controls)
 * from beside the page's own script, with the page's nonce (the CSP admits nothing else), once.
 */

// Only while the bundle's first evaluation runs does the page know which script element it came from.
const own = typeof document !== 'undefined' ? (document.currentScript as HTMLScriptElement | null) : null;
const loads = new Map<string, Promise<void>>();

/** Resolves once `file` (a name beside the page's script, such as `graph-elk.js`) has run. */
export function loadChunk(file: string): Promise<void> {
  let p = loads.get(file);
  if (!p) {
    p = new Promise<void>((resolve, reject) => {
      if (!own?.src) {
        reject(new Error(`cannot tell where the graph page was loaded from, so ${file} cannot be loaded`));
        return;
      }
      const s = document.createElement('script');
      s.src = new URL(file, own.src).toString();
      s.nonce = own.nonce ?? '';
      s.onload = () => resolve();
      s.onerror = () => reject(new Error(`could not load ${s.src}`));
      document.head.appendChild(s);
    }).catch((err: unknown) => {
      loads.delete(file);
      throw err;
    });
    loads.set(file, p);
  }
  return p;
}

/** The vscode-elements controls of the toolbar and the properties side bar (`controlsChunk.ts`). */
export const loadControls = (): Promise<void> => loadChunk('graph-controls.js');
