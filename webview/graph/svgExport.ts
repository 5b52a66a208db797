/**
 * A small SVG writer for the graph as drawn: boxes, labels and edges read back from cytoscape's computed
 * positions and styles, so the file matches the screen (theme colours included) without another dependency.
 */
import type cytoscape from 'cytoscape';

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A computed style value as cytoscape reports it (`rgb(...)`, `12px`, `dashed`). */
const st = (e: cytoscape.SingularElementArgument, name: string): string => String(e.style(name) ?? '');

const r2 = (n: number): string => (Math.round(n * 100) / 100).toString();

function dash(style: string, width: number): string {
  if (style === 'dashed') return ` stroke-dasharray="${r2(width * 3)} ${r2(width * 2)}"`;
  if (style === 'dotted') return ` stroke-dasharray="${r2(width)} ${r2(width * 1.5)}"`;
  return '';
}

function textLines(label: string, x: number, y: number, fontSize: number, lineHeight: number, fill: string, family: string, weight: string): string {
  const lines = label.split('\n');
  const top = y - ((lines.length - 1) * fontSize * lineHeight) / 2;
  const tspans = lines.map((l, i) => `<tspan x="${r2(x)}" y="${r2(top + i * fontSize * lineHeight)}">${escapeXml(l)}</tspan>`).join('');
  return `<text font-family="${escapeXml(family)}" font-size="${r2(fontSize)}" font-weight="${escapeXml(weight)}" fill="${escapeXml(fill)}" text-anchor="middle" dominant-baseline="central">${tspans}</text>`;
}

/** The edge's path as cytoscape draws it: straight, or quadratic pieces through its control points' midpoints. */
export function edgePath(e: cytoscape.EdgeSingular): string {
  const s = e.sourceEndpoint();
  const t = e.targetEndpoint();
  const cps = st(e, 'curve-style') === 'unbundled-bezier' || st(e, 'curve-style') === 'bezier' ? e.controlPoints() ?? [] : [];
  if (!cps.length) return `M${r2(s.x)},${r2(s.y)} L${r2(t.x)},${r2(t.y)}`;
  let d = `M${r2(s.x)},${r2(s.y)}`;
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!;
    const next = i + 1 < cps.length ? { x: (c.x + cps[i + 1]!.x) / 2, y: (c.y + cps[i + 1]!.y) / 2 } : t;
    d += ` Q${r2(c.x)},${r2(c.y)} ${r2(next.x)},${r2(next.y)}`;
  }
  return d;
}

export function toSvg(cy: cytoscape.Core, background: string): string {
  const bb = cy.elements().boundingBox({});
  const pad = 20;
  const x0 = bb.x1 - pad;
  const y0 = bb.y1 - pad;
  const w = bb.w + 2 * pad;
  const h = bb.h + 2 * pad;
  const out: string[] = [];
  const markers = new Map<string, string>();
  const marker = (color: string): string => {
    let id = markers.get(color);
    if (!id) {
      id = `arrow${markers.size}`;
      markers.set(color, id);
    }
    return id;
  };
  // Parents before children, so compound boxes sit behind their contents; edges over boxes, as on screen.
  const nodes = cy.nodes().sort((a, b) => a.ancestors().length - b.ancestors().length);
  const body: string[] = [];
  nodes.forEach((n) => {
    const box = n.isParent() ? n.boundingBox({ includeLabels: false, includeOverlays: false }) : undefined;
    const p = n.position();
    const nw = box ? box.w : n.width();
    const nh = box ? box.h : n.height();
    const x = box ? box.x1 : p.x - nw / 2;
    const y = box ? box.y1 : p.y - nh / 2;
    const bw = parseFloat(st(n, 'border-width')) || 0;
    const fill = st(n, 'background-color');
    const stroke = st(n, 'border-color');
    const style = st(n, 'border-style');
    body.push(
      `<rect x="${r2(x)}" y="${r2(y)}" width="${r2(nw)}" height="${r2(nh)}" rx="4" fill="${escapeXml(fill)}" stroke="${escapeXml(stroke)}" stroke-width="${r2(bw)}"${dash(style, bw)}><title>${escapeXml(String(n.data('name') ?? ''))}</title></rect>`,
    );
    const label = String(n.data('label') ?? '');
    if (!label) return;
    const fs = parseFloat(st(n, 'font-size')) || 12;
    const lh = parseFloat(st(n, 'line-height')) || 1.25;
    const family = st(n, 'font-family');
    const weight = st(n, 'font-weight');
    const color = st(n, 'color');
    if (n.isParent()) body.push(textLines(label, x + nw / 2 + (Number(n.data('titleDx')) || 0), y - fs * 0.8, fs, lh, color, family, weight));
    else body.push(textLines(label, p.x, p.y, fs, lh, color, family, weight));
  });
  cy.edges().forEach((e) => {
    const color = st(e, 'line-color');
    const width = parseFloat(st(e, 'width')) || 1;
    const style = st(e, 'line-style');
    body.push(`<path d="${edgePath(e)}" fill="none" stroke="${escapeXml(color)}" stroke-width="${r2(width)}"${dash(style, width)} marker-end="url(#${marker(color)})"/>`);
    const label = String(e.data('label') ?? '');
    if (label) {
      const m = e.midpoint();
      const fs = parseFloat(st(e, 'font-size')) || 10;
      body.push(
        `<text x="${r2(m.x)}" y="${r2(m.y)}" font-family="${escapeXml(st(e, 'font-family'))}" font-size="${r2(fs)}" fill="${escapeXml(st(e, 'color'))}" text-anchor="middle" dominant-baseline="central" paint-order="stroke" stroke="${escapeXml(background)}" stroke-width="3">${escapeXml(label)}</text>`,
      );
    }
  });
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="${r2(x0)} ${r2(y0)} ${r2(w)} ${r2(h)}" width="${r2(w)}" height="${r2(h)}">`);
  out.push('<defs>');
  for (const [color, id] of markers) {
    out.push(`<marker id="${id}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${escapeXml(color)}"/></marker>`);
  }
  out.push('</defs>');
  out.push(`<rect x="${r2(x0)}" y="${r2(y0)}" width="${r2(w)}" height="${r2(h)}" fill="${escapeXml(background)}"/>`);
  out.push(...body, '</svg>');
  return out.join('\n');
}
