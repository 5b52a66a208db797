/**
 * Where to bend a shortcut edge so that it never runs behind the main path. The layout places nodes only;
 * cytoscape then draws each edge as a curve between node centres, and a plain straight shortcut would lie
 * exactly on top of the block's own chain. We bow each shortcut sideways until a sampled curve clears every
 * node box between its ends. Pure geometry, so it is tested without a browser.
 */

export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface Bow {
  /** Signed perpendicular offset of both control points, in model units; positive is to the left of source→target. */
  distance: number;
  /** Where along source→target the two control points sit. */
  weights: [number, number];
}

/** Control points close to the ends make the shortcut leave its fork sideways and run parallel to the block. */
export const WEIGHTS: [number, number] = [0.04, 0.96];

/**
 * A point on cytoscape's two-control-point `unbundled-bezier`: a quadratic from the source to the midpoint of
 * the control points, then another to the target.
 */
export function bowPoint(s: Point, t: Point, bow: Bow, u: number): Point {
  return pointOn(s, t, controlPoints(s, t, bow), u);
}

/** `bowPoint` with the control points already worked out (a curve is sampled many times per bow tried). */
function pointOn(s: Point, t: Point, c: [Point, Point], u: number): Point {
  const m = { x: (c[0].x + c[1].x) / 2, y: (c[0].y + c[1].y) / 2 };
  const quad = (p0: Point, p1: Point, p2: Point, k: number): Point => ({
    x: (1 - k) * (1 - k) * p0.x + 2 * k * (1 - k) * p1.x + k * k * p2.x,
    y: (1 - k) * (1 - k) * p0.y + 2 * k * (1 - k) * p1.y + k * k * p2.y,
  });
  return u < 0.5 ? quad(s, c[0], m, u * 2) : quad(m, c[1], t, u * 2 - 1);
}

const inside = (p: Point, b: Box, pad: number): boolean => p.x > b.x1 - pad && p.x < b.x2 + pad && p.y > b.y1 - pad && p.y < b.y2 + pad;

/** Whether the curve passes through any box (ends excluded: they are the edge's own nodes). */
export function bowHits(s: Point, t: Point, bow: Bow, boxes: readonly Box[], pad: number, samples = 24): boolean {
  if (!boxes.length) return false;
  const c = controlPoints(s, t, bow);
  for (let i = 1; i < samples; i++) {
    const p = pointOn(s, t, c, i / samples);
    for (const b of boxes) if (inside(p, b, pad)) return true;
  }
  return false;
}

/** Where the segment from the centre `c` of `box` towards `to` leaves the box. */
export function boxExit(c: Point, box: Box, to: Point): Point {
  const dx = to.x - c.x;
  const dy = to.y - c.y;
  const hw = (box.x2 - box.x1) / 2;
  const hh = (box.y2 - box.y1) / 2;
  const k = Math.min(dx ? hw / Math.abs(dx) : Infinity, dy ? hh / Math.abs(dy) : Infinity, 1);
  return { x: c.x + dx * k, y: c.y + dy * k };
}

/**
 * The boxes that a bow between `s` and `t` can reach: those within the segment's length of it (a bow that
 * needs to go further gives up anyway). `routeBow` looks only at these; a caller routing many shortcuts
 * through a large drawing narrows its obstacles with this first rather than copy the whole list per edge.
 */
export function nearSegment<B extends Box>(s: Point, t: Point, boxes: readonly B[]): B[] {
  const len = Math.hypot(t.x - s.x, t.y - s.y);
  const lo = { x: Math.min(s.x, t.x) - len, y: Math.min(s.y, t.y) - len };
  const hi = { x: Math.max(s.x, t.x) + len, y: Math.max(s.y, t.y) + len };
  return boxes.filter((b) => b.x2 > lo.x && b.x1 < hi.x && b.y2 > lo.y && b.y1 < hi.y);
}

/**
 * The smallest bow (at least `minimum`, so every shortcut reads as a curve) that clears `obstacles`, trying
 * the preferred side first and taking the other side only when it needs a clearly smaller detour. `ends` are
 * the edge's own boxes: cytoscape cannot draw a curve whose control point lies inside its end node, so
 * such bows count as blocked too.
 */
export function routeBow(
  s: Point,
  t: Point,
  obstacles: readonly Box[],
  opts: { pad?: number; minimum?: number; prefer?: 1 | -1; ends?: readonly Box[]; weights?: [number, number]; straightBelow?: number } = {},
): Bow {
  const pad = opts.pad ?? 8;
  const weights = opts.weights ?? WEIGHTS;
  const len = Math.hypot(t.x - s.x, t.y - s.y);
  const minimum = Math.min(opts.minimum ?? 24, Math.max(len / 3, 4));
  const near = nearSegment(s, t, obstacles);
  const ends = opts.ends ?? [];
  // A short hop between stacked nodes (a projection's conv to its BN) reads best straight, when nothing is in the way.
  if (len < (opts.straightBelow ?? 0) && !bowHits(s, t, { distance: 0, weights }, near, pad)) return { distance: 0, weights };
  const blocked = (bow: Bow): boolean => controlPoints(s, t, bow).some((c) => ends.some((b) => inside(c, b, 3))) || bowHits(s, t, bow, near, pad);
  const solve = (sign: 1 | -1): number => {
    let d = minimum;
    for (let i = 0; i < 40 && blocked({ distance: sign * d, weights }); i++) d = d * 1.25 + 6;
    return d;
  };
  const prefer = opts.prefer ?? 1;
  const a = solve(prefer);
  if (a <= minimum) return { distance: prefer * a, weights };
  const b = solve(-prefer as 1 | -1);
  return b < a * 0.75 ? { distance: -prefer * b, weights } : { distance: prefer * a, weights };
}

/** The bow's two control points, where cytoscape puts them. */
export function controlPoints(s: Point, t: Point, bow: Bow): [Point, Point] {
  const dx = t.x - s.x;
  const dy = t.y - s.y;
  const len = Math.hypot(dx, dy) || 1;
  const at = (w: number): Point => ({ x: s.x + dx * w - (dy / len) * bow.distance, y: s.y + dy * w + (dx / len) * bow.distance });
  return [at(bow.weights[0]), at(bow.weights[1])];
}
