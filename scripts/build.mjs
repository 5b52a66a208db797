// One esbuild bundle per runtime (STYLE.md rule 8). Entries whose source does not exist yet are skipped,
// so an area can be added by creating its entry file.
import { build } from 'esbuild';
import { existsSync, mkdirSync, cpSync } from 'node:fs';

const production = process.argv.includes('--production');
const common = { bundle: true, mainFields: ['module', 'main'], sourcemap: !production, minify: production, logLevel: 'warning', legalComments: 'none' };

const entries = [
  { entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', external: ['vscode'], target: 'node18' },
  { entryPoints: ['src/host/analysisWorker.ts'], outfile: 'dist/analysisWorker.js', platform: 'node', format: 'cjs', target: 'node18' },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node18' },
  { entryPoints: ['src/training/worker.ts'], outfile: 'dist/trainingWorker.js', platform: 'node', format: 'cjs', target: 'node18',
    external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'] },
  { entryPoints: ['webview/graph/main.ts'], outfile: 'dist/webview/graph.js', platform: 'browser', format: 'iife', target: 'es2022' },
  { entryPoints: ['webview/metrics/main.ts'], outfile: 'dist/webview/metrics.js', platform: 'browser', format: 'iife', target: 'es2022' },
];

mkdirSync('dist/webview', { recursive: true });
await Promise.all(entries.filter((e) => existsSync(e.entryPoints[0])).map((e) => build({ ...common, ...e })));
for (const css of ['graph.css', 'metrics.css']) {
  if (existsSync(`media/${css}`)) cpSync(`media/${css}`, `dist/webview/${css}`);
}
// Toolbar icons of the graph page: the codicon font, served from the bundle folder (the page's only source).
const codicons = 'node_modules/@vscode/codicons/dist';
if (existsSync(`${codicons}/codicon.css`)) {
  mkdirSync('dist/webview/codicons', { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) cpSync(`${codicons}/${f}`, `dist/webview/codicons/${f}`);
}
