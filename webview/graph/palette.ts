/**
 * The palette of pieces the graph inserts: the standard ones the protocol names (conv-bn-relu,
 * squeeze-and-excitation, dropout, pooling) and any single catalogue op. It is a list of menu entries, so
 * the context menu shows it as its "Insert after ▸" / "Insert at start ▸" submenu.
 */
import { type DesignEdit, PALETTE_ITEMS, type PaletteItem } from '../../src/protocol/designEditProtocol';

const LABELS: Record<PaletteItem, { label: string; detail: string }> = {
  'conv-bn-relu': { label: 'Conv–BN–ReLU', detail: 'convolution, batch norm and ReLU' },
  'squeeze-excitation': { label: 'Squeeze-and-excitation', detail: 'channel attention: squeeze, excite, rescale' },
  dropout: { label: 'Dropout', detail: 'zeroes activations with probability p' },
  maxpool: { label: 'Max pool', detail: 'max pooling' },
  avgpool: { label: 'Average pool', detail: 'average pooling' },
};

export interface PaletteEntry {
  label: string;
  detail?: string;
  edit: DesignEdit;
}

/**
 * The standard pieces, inserted after `after` (a layer or stage name; null inserts first); `use` picks one
 * use of a module called at several places (see `ModuleUse`).
 */
export function paletteEntries(after: string | null, use?: number): PaletteEntry[] {
  return PALETTE_ITEMS.map((item) => ({ ...LABELS[item], edit: insert(after, item, use) }));
}

/** One catalogue op with its defaults, for each op the host offers (input and opaque are never offered). */
export function opEntries(after: string | null, ops: readonly string[], use?: number): PaletteEntry[] {
  return ops.filter((op) => op !== 'input' && op !== 'opaque').map((op) => ({ label: op, edit: insert(after, { op }, use) }));
}

function insert(after: string | null, item: PaletteItem | { op: string }, use: number | undefined): DesignEdit {
  return use === undefined ? { kind: 'insert', after, item } : { kind: 'insert', after, item, use };
}
