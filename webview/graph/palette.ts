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

/** The standard pieces, inserted after `after` (a layer or stage name; null inserts first). */
export function paletteEntries(after: string | null): PaletteEntry[] {
  return PALETTE_ITEMS.map((item) => ({ ...LABELS[item], edit: { kind: 'insert', after, item } }));
}

/** One catalogue op with its defaults, for each op the host offers (input and opaque are never offered). */
export function opEntries(after: string | null, ops: readonly string[]): PaletteEntry[] {
  return ops.filter((op) => op !== 'input' && op !== 'opaque').map((op) => ({ label: op, edit: { kind: 'insert', after, item: { op } } }));
}
