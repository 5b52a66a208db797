/**
 * Loads the ELK bundle (`graph-elk.js`, see `elkChunk.ts`) and registers its layout with cytoscape, once, on
 * first use.
 */
import cytoscape from 'cytoscape';
import { loadChunk } from './chunkLoader';

let registered: Promise<void> | undefined;

/** Resolves once cytoscape knows the `elk` layout. */
export function loadElk(): Promise<void> {
  registered ??= (async () => {
    if (!(globalThis as { resnetStudioElk?: unknown }).resnetStudioElk) await loadChunk('graph-elk.js');
    const ext = (globalThis as { resnetStudioElk?: cytoscape.Ext }).resnetStudioElk;
    if (!ext) throw new Error('the ELK layout bundle loaded but registered nothing');
    cytoscape.use(ext);
  })().catch((err: unknown) => {
    registered = undefined;
    throw err;
  });
  return registered;
}
