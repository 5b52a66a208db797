/**
 * The graph webview's page. Pure (no `vscode` import) so the host panel, the side view and the Chromium tests
 * all serve exactly the same HTML. Nothing from the workspace is templated in: the model arrives later
 * through `postMessage` (STYLE.md rule 5).
 *
 * Hosting it (panel or webview view): `enableScripts: true`, `localResourceRoots` = the folder holding
 * `dist/webview/` (plus the codicons folder if that lives elsewhere), a fresh nonce per render, then follow
 * `graphProtocol.ts`: wait for `ready`, answer with `setGraph` (full state), then stream `highlight`/`setHeat`.
 * The page persists `GraphWebviewState` itself with `setState`; a panel serializer only has to re-render this
 * HTML and send `setGraph` again, and the page restores collapsed groups and heat for the same `file`.
 * A comparison of two versions arrives as `setDiff` instead, and fills the `#diff-panel` side panel.
 * A host's `requestExport` is answered by `exportedImage` (SVG text or a PNG `data:` URL) under its
 * `requestId`, the toolbar's own export buttons send `saveImage`, and `error` reports page failures.
 * The toolbar icons need `codicon.css` and `codicon.ttf` side by side (from `@vscode/codicons/dist`);
 * without `codiconsUri` the buttons fall back to text labels.
 */
import { type PageParts, checkCspInputs, escapeAttr, strictCsp } from './webviewCsp';

export interface GraphHtmlOptions extends PageParts {
  /** `codicon.css` from `@vscode/codicons` as a webview URI; without it the toolbar shows text labels. */
  codiconsUri?: string;
}

export function graphHtml(o: GraphHtmlOptions): string {
  checkCspInputs('graphHtml', o.cspSource, o.nonce);
  const icons = o.codiconsUri !== undefined;
  const button = (id: string, icon: string, label: string, text: string): string =>
    icons
      ? `<vscode-toolbar-button id="${id}" icon="${icon}" label="${label}" title="${label}"></vscode-toolbar-button>`
      : `<vscode-toolbar-button id="${id}" label="${label}" title="${label}">${text}</vscode-toolbar-button>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(strictCsp(o.cspSource.trim(), o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<!-- The id tells cytoscape its container rules are already on the page, so it injects no inline style element. -->
<link id="__________cytoscape_stylesheet" rel="stylesheet" href="${escapeAttr(o.styleUri)}">
${icons ? `<link id="vscode-codicon-stylesheet" rel="stylesheet" href="${escapeAttr(o.codiconsUri!)}">` : ''}
<title>Residual graph</title>
</head>
<body>
<div id="toolbar" role="toolbar" aria-label="Graph tools">
  <vscode-textfield id="search" placeholder="Search layers" aria-label="Search layers by name" title="Search by name; Enter goes to the next match">${icons ? '<vscode-icon slot="content-before" name="search"></vscode-icon>' : ''}</vscode-textfield>
  <span id="search-count" aria-live="polite"></span>
  <span class="spacer"></span>
  ${button('fit', 'screen-full', 'Fit to window', 'Fit')}
  ${button('zoom-in', 'zoom-in', 'Zoom in', '+')}
  ${button('zoom-out', 'zoom-out', 'Zoom out', '−')}
  ${button('collapse-all', 'collapse-all', 'Collapse stages', 'Collapse')}
  ${button('expand-all', 'expand-all', 'Expand everything', 'Expand')}
  <vscode-single-select id="heat" aria-label="Heat overlay" title="Heat overlay">
    <vscode-option value="none">No heat</vscode-option>
    <vscode-option value="params">Heat: params</vscode-option>
    <vscode-option value="macs">Heat: MACs</vscode-option>
  </vscode-single-select>
  ${button('export-svg', 'file-code', 'Export SVG', 'SVG')}
  ${button('export-png', 'file-media', 'Export PNG', 'PNG')}
</div>
<div id="main">
  <div id="graph" aria-label="Residual network graph"></div>
  <aside id="diff-panel" aria-label="Differences between the two versions" hidden></aside>
</div>
<div id="empty" hidden></div>
<div id="legend" aria-label="Legend">
  <button id="legend-toggle" type="button" aria-expanded="false" title="Show or hide the legend" aria-label="Legend">${icons ? '<span class="codicon codicon-symbol-color"></span>' : 'Legend'}</button>
  <span class="key"><span class="swatch main"></span>main path</span>
  <span class="key"><span class="swatch identity"></span>identity shortcut</span>
  <span class="key"><span class="swatch projection"></span>projection shortcut</span>
  <span class="key" id="pad-key" hidden><span class="swatch pad"></span>pad shortcut (option A)</span>
  <span class="key"><span class="swatch error"></span>error</span>
  <span class="key" id="heat-key" hidden><span class="swatch heat"></span><span id="heat-label">fewer → more</span></span>
  <span class="hint">double-click a group to collapse or expand it</span>
</div>
<div id="status" aria-live="polite"></div>
<div id="tooltip" role="tooltip" hidden></div>
<script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}
