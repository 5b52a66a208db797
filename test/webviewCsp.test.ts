// Both webview pages accept VS Code's real cspSource (a source list with quoted keywords) and refuse injections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { graphHtml } from '../src/host/graphHtml';
import { metricsHtml } from '../src/host/training/metricsHtml';

const base = { nonce: 'abcdefghijklmnopqrstuv12', scriptUri: 'https://x/page.js', styleUri: 'https://x/page.css' };
const pages = { graphHtml, metricsHtml } as const;

for (const [name, page] of Object.entries(pages)) {
  test(`${name}: real cspSource values are accepted and appear verbatim in the policy`, () => {
    for (const cspSource of ["'self' https://*.vscode-cdn.net", 'https://file+.vscode-resource.vscode-cdn.net', 'vscode-webview-resource:']) {
      const html = page({ ...base, cspSource });
      const policy = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)![1]!.replace(/&#39;/g, "'");
      assert.equal(policy, `default-src 'none'; script-src 'nonce-${base.nonce}'; style-src ${cspSource}; img-src ${cspSource} data:; font-src ${cspSource}`);
      assert.doesNotMatch(html, /unsafe-/);
    }
  });
  test(`${name}: inputs that would widen the policy are refused`, () => {
    for (const cspSource of ['', "x; script-src 'unsafe-inline'", 'x" onload="y', 'x\nscript-src *', 'x<script>']) {
      assert.throws(() => page({ ...base, cspSource }), /invalid cspSource/);
    }
    assert.throws(() => page({ ...base, cspSource: 'x', nonce: 'short' }), /nonce/);
  });
}
