/**
 * Colours for the canvas. Cytoscape paints on a canvas and cannot read CSS variables, so the VS Code theme's
 * `--vscode-*` values are resolved here (and again whenever the theme changes) into plain colours.
 */

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export interface Theme {
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  background: string;
  foreground: string;
  muted: string;
  nodeFill: string;
  nodeBorder: string;
  stageFill: string;
  blockFill: string;
  groupBorder: string;
  edge: string;
  identity: string;
  projection: string;
  /** Option-A shortcuts: parameter-free, but subsampled and zero-padded (neither identity nor projection). */
  pad: string;
  error: string;
  errorFill: string;
  focus: string;
  match: string;
  heat: string;
  /** Diff mode: layers and groups only the second version has, only the first had, and changed ones. */
  added: string;
  removed: string;
  changed: string;
  fontFamily: string;
  fontSize: number;
}

let probe: CanvasRenderingContext2D | null = null;

/** Any CSS colour (including VS Code's `#rrggbbaa`) as rgb plus alpha, via the canvas colour parser. */
export function parseColor(value: string): (Rgb & { a: number }) | undefined {
  const v = value.trim();
  if (!v) return undefined;
  probe ??= document.createElement('canvas').getContext('2d');
  if (!probe) return undefined;
  probe.fillStyle = '#010203';
  probe.fillStyle = v;
  const norm = String(probe.fillStyle);
  if (norm === '#010203' && v.toLowerCase() !== '#010203') return undefined;
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(norm);
  if (hex) return { r: parseInt(hex[1]!, 16), g: parseInt(hex[2]!, 16), b: parseInt(hex[3]!, 16), a: 1 };
  const rgba = /^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/.exec(norm);
  if (rgba) return { r: +rgba[1]!, g: +rgba[2]!, b: +rgba[3]!, a: rgba[4] === undefined ? 1 : +rgba[4] };
  return undefined;
}

export const toHex = (c: Rgb): string =>
  `#${[c.r, c.g, c.b].map((x) => Math.round(Math.max(0, Math.min(255, x))).toString(16).padStart(2, '0')).join('')}`;

/** `a` blended towards `b` by `t` in [0, 1]. */
export function mix(a: string, b: string, t: number): string {
  const ca = parseColor(a) ?? { r: 128, g: 128, b: 128, a: 1 };
  const cb = parseColor(b) ?? { r: 128, g: 128, b: 128, a: 1 };
  return toHex({ r: ca.r + (cb.r - ca.r) * t, g: ca.g + (cb.g - ca.g) * t, b: ca.b + (cb.b - ca.b) * t });
}

/** Relative luminance, to pick a readable text colour on a heat fill. */
export function luminance(c: string): number {
  const x = parseColor(c);
  if (!x) return 0.5;
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(x.r) + 0.7152 * lin(x.g) + 0.0722 * lin(x.b);
}

export function themeKind(body: HTMLElement): Theme['kind'] {
  const c = body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-light')) return 'light';
  return 'dark';
}

/** Reads the theme from the page's CSS variables, falling back to VS Code's default dark/light colours. */
export function readTheme(root: HTMLElement = document.documentElement, body: HTMLElement = document.body): Theme {
  const kind = themeKind(body);
  const light = kind === 'light' || kind === 'high-contrast-light';
  const cs = getComputedStyle(root);
  const bcs = getComputedStyle(body);
  const v = (name: string, fallback: string): string => {
    const raw = cs.getPropertyValue(name).trim() || bcs.getPropertyValue(name).trim();
    const c = raw ? parseColor(raw) : undefined;
    if (!c) return fallback;
    if (c.a >= 0.999) return toHex(c);
    // Composite translucent theme colours over the editor background, since canvas fills here are opaque.
    const bg = parseColor(cs.getPropertyValue('--vscode-editor-background')) ?? parseColor(light ? '#ffffff' : '#1e1e1e')!;
    return toHex({ r: bg.r + (c.r - bg.r) * c.a, g: bg.g + (c.g - bg.g) * c.a, b: bg.b + (c.b - bg.b) * c.a });
  };
  const background = v('--vscode-editor-background', light ? '#ffffff' : '#1e1e1e');
  const foreground = v('--vscode-editor-foreground', light ? '#3b3b3b' : '#cccccc');
  const contrast = kind === 'high-contrast' || kind === 'high-contrast-light' ? v('--vscode-contrastBorder', light ? '#0f4a85' : '#6fc3df') : undefined;
  const nodeFill = v('--vscode-editorWidget-background', light ? '#f3f3f3' : '#252526');
  const fontSize = parseFloat(cs.getPropertyValue('--vscode-editor-font-size')) || parseFloat(cs.getPropertyValue('--vscode-font-size')) || 13;
  return {
    kind,
    background,
    foreground,
    muted: v('--vscode-descriptionForeground', mix(foreground, background, 0.35)),
    nodeFill,
    nodeBorder: contrast ?? v('--vscode-editorWidget-border', v('--vscode-widget-border', light ? '#c8c8c8' : '#454545')),
    stageFill: mix(background, foreground, light ? 0.04 : 0.05),
    blockFill: mix(background, foreground, light ? 0.07 : 0.09),
    groupBorder: contrast ?? v('--vscode-panel-border', light ? '#d4d4d4' : '#3c3c3c'),
    edge: contrast ?? v('--vscode-editorLineNumber-foreground', light ? '#6e7681' : '#858585'),
    identity: v('--vscode-charts-blue', light ? '#1a85ff' : '#3794ff'),
    projection: v('--vscode-charts-orange', light ? '#d18616' : '#d18616'),
    pad: v('--vscode-charts-green', light ? '#388a34' : '#89d185'),
    error: v('--vscode-editorError-foreground', v('--vscode-errorForeground', light ? '#e51400' : '#f14c4c')),
    errorFill: v('--vscode-inputValidation-errorBackground', light ? '#f2dede' : '#5a1d1d'),
    focus: v('--vscode-focusBorder', light ? '#0090f1' : '#007fd4'),
    match: v('--vscode-editor-findMatchHighlightBackground', light ? '#f5c8a8' : '#7a4a1a'),
    // A purple scale, not red: red means an error on this canvas (the legend shows the scale when heat is on).
    heat: v('--vscode-charts-purple', light ? '#652d90' : '#b180d7'),
    // Not red: red means an error on this canvas. Green, purple and yellow stay apart in light and dark themes.
    added: v('--vscode-charts-green', light ? '#388a34' : '#89d185'),
    removed: v('--vscode-charts-purple', light ? '#652d90' : '#b180d7'),
    changed: v('--vscode-charts-yellow', light ? '#bf8803' : '#cca700'),
    fontFamily: (cs.getPropertyValue('--vscode-font-family') || bcs.getPropertyValue('--vscode-font-family')).trim() || 'system-ui, sans-serif',
    fontSize,
  };
}
