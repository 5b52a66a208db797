// One esbuild bundle per runtime (STYLE.md rule 8). Entries whose source does not exist yet are skipped,
// so an area can be added by creating its entry file.
import { build } from 'esbuild';
import { existsSync, mkdirSync, cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';

const production = process.argv.includes('--production');
const common = { bundle: true, mainFields: ['module', 'main'], sourcemap: !production, minify: production, logLevel: 'warning', legalComments: 'none' };

/**
 * The training feature's code is a bundle of its own, which the extension requires at first use
 * (src/host/training/index.ts): activation does not parse it. Its `require('./trainingFeature')` stays a
 * require, of the bundle beside dist/extension.js.
 */
const trainingFeatureLater = {
  name: 'training-feature-later',
  setup(b) {
    b.onResolve({ filter: /^\.\/trainingFeature$/ }, () => ({ path: './trainingFeature.js', external: true }));
  },
};

const entries = [
  { entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', external: ['vscode'], target: 'node18', plugins: [trainingFeatureLater] },
  { entryPoints: ['src/host/training/trainingFeature.ts'], outfile: 'dist/trainingFeature.js', platform: 'node', format: 'cjs', external: ['vscode'], target: 'node18' },
  { entryPoints: ['src/host/analysisWorker.ts'], outfile: 'dist/analysisWorker.js', platform: 'node', format: 'cjs', target: 'node18' },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node18' },
  { entryPoints: ['src/training/worker.ts'], outfile: 'dist/trainingWorker.js', platform: 'node', format: 'cjs', target: 'node18',
    external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'] },
  // Minified in every build: the page parses and compiles its script before it can say `ready`, and a user
  // opening the graph waits for that (issue 12, 5b); the source map keeps stack traces readable.
  { entryPoints: ['webview/graph/main.ts'], outfile: 'dist/webview/graph.js', platform: 'browser', format: 'iife', target: 'es2022', minify: true },
  // ELK on its own: the graph page loads it only for a graph its nested-chain layout cannot place.
  { entryPoints: ['webview/graph/elkChunk.ts'], outfile: 'dist/webview/graph-elk.js', platform: 'browser', format: 'iife', target: 'es2022' },
  // The vscode-elements controls on their own: the page loads them once its first drawing is on screen.
  { entryPoints: ['webview/graph/controlsChunk.ts'], outfile: 'dist/webview/graph-controls.js', platform: 'browser', format: 'iife', target: 'es2022', minify: true },
  { entryPoints: ['webview/metrics/main.ts'], outfile: 'dist/webview/metrics.js', platform: 'browser', format: 'iife', target: 'es2022' },
];

mkdirSync('dist/webview', { recursive: true });
const results = await Promise.all(entries.filter((e) => existsSync(e.entryPoints[0])).map((e) => build({ ...common, ...e, metafile: true })));
writeNotices(results.map((r) => r.metafile));
for (const css of ['graph.css', 'metrics.css']) {
  if (existsSync(`media/${css}`)) cpSync(`media/${css}`, `dist/webview/${css}`);
}
// Toolbar icons of the graph page: the codicon font, served from the bundle folder (the page's only source).
const codicons = 'node_modules/@vscode/codicons/dist';
if (existsSync(`${codicons}/codicon.css`)) {
  mkdirSync('dist/webview/codicons', { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) cpSync(`${codicons}/${f}`, `dist/webview/codicons/${f}`);
}

/**
 * dist/THIRD_PARTY_NOTICES.txt: the licence of every package bundled into any of the bundles (found from
 * esbuild's metafiles), plus the Python grammar we keep a modified copy of. It ships in the .vsix.
 */
function writeNotices(metafiles) {
  const packages = new Map();
  for (const meta of metafiles) {
    for (const input of Object.keys(meta.inputs)) {
      const m = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
      if (m) packages.set(m[1], m[2]);
    }
  }
  const sections = [];
  for (const [dir, name] of [...packages].sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]))) {
    const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'));
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
    const text = file ? readFileSync(`${dir}/${file}`, 'utf8').trim() : `License: ${pkg.license ?? 'see the package'}`;
    sections.push(`${name} ${pkg.version} (${pkg.license ?? 'unknown licence'})\n\n${text}`);
  }
  const grammar = 'src/frontends/pytorch/grammar/LICENSE';
  if (existsSync(grammar)) {
    sections.push(`@lezer/python 1.1.19 grammar and tokenizers, modified (MIT)\n\n${readFileSync(grammar, 'utf8').trim()}`);
  }
  const rule = '\n\n' + '-'.repeat(78) + '\n\n';
  writeFileSync('dist/THIRD_PARTY_NOTICES.txt', `ResNet Studio includes the following third-party software.${rule}${sections.join(rule)}\n`);
}
