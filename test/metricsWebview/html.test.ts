/** The metrics page's HTML: strict CSP with the nonce, no workspace text, and VS Code's real cspSource shapes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricsHtml } from '../../src/host/training/metricsHtml';
import { strictCsp } from '../../src/host/webviewCsp';

const opts = { nonce: 'abcdefghijklmnopqrstuv12', scriptUri: 'https://x/metrics.js', styleUri: 'https://x/metrics.css' };

test('the CSP allows only the nonce script and the webview source', () => {
  const csp = strictCsp("'self' https://*.vscode-cdn.net", opts.nonce);
  assert.equal(csp, "default-src 'none'; script-src 'nonce-abcdefghijklmnopqrstuv12'; style-src 'self' https://*.vscode-cdn.net; img-src 'self' https://*.vscode-cdn.net data:; font-src 'self' https://*.vscode-cdn.net");
  assert.doesNotMatch(csp, /unsafe/);
});

test('VS Code cspSource values (a list, with quoted keywords) are accepted; injections are refused', () => {
  for (const src of ["'self' https://*.vscode-cdn.net", 'https://*.vscode-cdn.net', 'vscode-webview://abc']) {
    const html = metricsHtml({ ...opts, cspSource: src });
    assert.match(html, /<script nonce="abcdefghijklmnopqrstuv12" src="https:\/\/x\/metrics.js"><\/script>/);
  }
  for (const bad of ['', 'x; script-src *', 'x" onload="y', 'x\nscript-src *']) assert.throws(() => metricsHtml({ ...opts, cspSource: bad }), /invalid cspSource/);
  assert.throws(() => metricsHtml({ ...opts, cspSource: 'x', nonce: 'short' }), /nonce/);
});

test('one script element, with the nonce, and no inline styles or handlers', () => {
  const html = metricsHtml({ ...opts, cspSource: 'https://x' });
  assert.equal((html.match(/<script/g) ?? []).length, 1);
  assert.doesNotMatch(html, /style="|<style|\son[a-z]+="/);
});
