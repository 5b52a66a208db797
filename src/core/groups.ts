/**
 * Queries over the IR's block/stage/module groups that readers of a finished graph need (the summary table,
 * the outline, the graph page), kept apart from the graph builder so those readers do not load the catalogue.
 */
import type { IrGroup } from './ir';

/** The group `id` and every group holding it, outermost first. */
export function groupPath(groups: readonly IrGroup[], id: string | undefined): IrGroup[] {
  const byId = new Map(groups.map((g) => [g.id, g]));
  const path: IrGroup[] = [];
  let cur = id ? byId.get(id) : undefined;
  while (cur) {
    path.unshift(cur);
    cur = cur.parent ? byId.get(cur.parent) : undefined;
  }
  return path;
}
