/**
 * The metrics panel's page. Pure (no `vscode` import), so the host and the Chromium tests serve exactly the
 * same HTML. Nothing from the workspace is templated in: runs and rows arrive through `postMessage`
 * (STYLE.md rule 5), with a fresh nonce per render and no `unsafe-*` source.
 */
import { type PageParts, checkCspInputs, escapeAttr, strictCsp } from '../webviewCsp';


export function metricsHtml(o: PageParts): string {
  checkCspInputs('metricsHtml', o.cspSource, o.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(strictCsp(o.cspSource.trim(), o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(o.styleUri)}">
<title>Training metrics</title>
</head>
<body>
<header id="header" aria-label="Run in focus">
  <div class="title-row">
    <h1 id="title">No run selected</h1>
    <span id="run-status" class="badge" hidden></span>
    <span class="spacer"></span>
    <button id="resume" type="button" hidden title="Continue from the last checkpoint; the step count carries on">Resume</button>
    <button id="stop" type="button" disabled title="Stop after the current step (a checkpoint is written)">Stop</button>
  </div>
  <div class="info-row">
    <span id="backend" title="Training backend"></span>
    <span id="device" title="Device"></span>
    <span id="data" title="Data"></span>
    <button id="install-native" type="button" class="link" hidden title="Install @tensorflow/tfjs-node into the extension's storage for much faster TF.js training">Install native TF.js backend</button>
  </div>
  <div class="why-row" aria-label="What trains and why">
    <span id="interpreter"></span>
    <span id="device-reason"></span>
  </div>
  <div class="progress-row">
    <div id="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"><div id="progress-bar"></div></div>
    <span id="progress-text"></span>
    <span id="eta"></span>
    <span id="activity" role="status"></span>
  </div>
  <div class="overlay-row">
    <label id="overlay-control" hidden title="Draw earlier runs of the same model with this one; runs of other models are never overlaid"><input type="checkbox" id="overlay"> <span id="overlay-label">Overlay earlier runs of this model</span></label>
  </div>
  <div id="error" role="alert" hidden></div>
</header>
<main id="charts" aria-label="Charts">
  <section class="chart"><h2>Loss</h2><div id="chart-loss" class="plot"></div></section>
  <section class="chart"><h2>Accuracy</h2><div id="chart-accuracy" class="plot"></div></section>
  <section class="chart"><h2>Learning rate</h2><div id="chart-lr" class="plot"></div></section>
  <section class="chart"><h2>Images / second</h2><div id="chart-ips" class="plot"></div></section>
</main>
<section id="layers" aria-label="Layers" hidden>
  <div class="list-header">
    <h2>Layers</h2>
    <span id="layers-step" class="hint"></span>
    <span class="spacer"></span>
    <span class="hint">click a column to sort</span>
  </div>
  <ul id="alerts" aria-label="Health alerts" hidden></ul>
  <div class="table-scroll"><table id="layer-table"><thead><tr id="layer-head"></tr></thead><tbody id="layer-body"></tbody></table></div>
</section>
<section id="run-list" aria-label="Runs">
  <div class="list-header">
    <h2>Runs</h2>
    <span class="hint">click a name to focus it; runs of the same model can be ticked to overlay them</span>
    <span class="spacer"></span>
    <button id="export-csv" type="button" title="Save the rows of the ticked runs as CSV">Export CSV</button>
  </div>
  <table>
    <thead><tr><th scope="col"><span class="sr-only">Overlay</span></th><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Backend</th><th scope="col">Epochs</th><th scope="col">Best val acc</th><th scope="col">Started</th></tr></thead>
    <tbody id="runs"></tbody>
  </table>
  <div id="no-runs" hidden>No training runs yet. Run <b>ResNet Studio: Train Model…</b> on a model file.</div>
</section>
<script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}
