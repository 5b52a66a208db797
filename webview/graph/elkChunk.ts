/**
 * ELK, in a bundle of its own (`dist/webview/graph-elk.js`): a third of the graph page's script, needed only
 * for graphs that the nested-chain layout cannot place (see `nestedLayout.ts`), so a ResNet's first paint
 * never parses it. `elkLoader.ts` adds it to the page on first use; it hands over the cytoscape extension.
 */
import elk from 'cytoscape-elk';

(globalThis as { resnetStudioElk?: unknown }).resnetStudioElk = elk;
