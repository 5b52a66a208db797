#!/usr/bin/env node
'use strict';
// The `resnet-studio` launcher. It keeps two caches in a private per-user folder, both keyed by the CLI
// bundle's size and modification time (and Node's version and architecture for compiled code):
// - a V8 code cache, so later runs skip compiling the bundle and the functions earlier runs compiled;
// - the CLI's cache of parsed Python files (src/cli/cache.ts), like Python's __pycache__.
// The folder is RESNET_STUDIO_CACHE_DIR, else $XDG_CACHE_HOME/resnet-studio, else ~/.cache/resnet-studio.
// It is used only when it is a real folder owned by this user that nobody else can write to, because code
// loaded from it runs as this user. Any failure falls back to a plain run; RESNET_STUDIO_NO_CACHE=1 turns
// both caches off.
const fs = require('node:fs');
const path = require('node:path');

function privateCacheDir() {
  const os = require('node:os');
  const env = process.env;
  let dir = env.RESNET_STUDIO_CACHE_DIR;
  if (!dir && env.XDG_CACHE_HOME) dir = path.join(env.XDG_CACHE_HOME, 'resnet-studio');
  if (!dir) {
    let home = '';
    try {
      home = os.homedir();
    } catch {
      home = '';
    }
    dir = home ? path.join(home, '.cache', 'resnet-studio') : path.join(os.tmpdir(), `resnet-studio-cache-${process.getuid ? process.getuid() : 'user'}`);
  }
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    if (!st.isDirectory()) return null;
    // Windows has no uid: the user's profile folder is private already.
    if (typeof process.getuid === 'function' && (st.uid !== process.getuid() || (st.mode & 0o022) !== 0)) return null;
    return dir;
  } catch {
    return null;
  }
}

function loadWithCodeCache(file, dir) {
  const vm = require('node:vm');
  const Module = require('node:module');
  const source = fs.readFileSync(file, 'utf8');
  // Every build rewrites the bundle, so its size and time name it; V8 also rejects a cache made for other code.
  const st = fs.statSync(file);
  const buildKey = `${st.size.toString(36)}-${Math.trunc(st.mtimeMs).toString(36)}`;
  const cacheFile = path.join(dir, `cli-${buildKey}-${process.version}-${process.arch}.bin`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  const needsWrite = cachedData === undefined || script.cachedDataRejected;
  const save = () => {
    if (!needsWrite) return;
    try {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
      fs.renameSync(tmp, cacheFile);
      // Caches of earlier builds are dead weight: keep the newest few (several installs may share the folder).
      const old = fs
        .readdirSync(dir)
        .filter((n) => n.startsWith('cli-') && n.endsWith('.bin'))
        .map((n) => ({ n, t: fs.statSync(path.join(dir, n)).mtimeMs }))
        .sort((a, b) => b.t - a.t)
        .slice(4);
      for (const { n } of old) fs.rmSync(path.join(dir, n), { force: true });
    } catch {
      // a read-only or full disk only costs speed
    }
  };
  return { exports: mod.exports, save, buildKey };
}

const bundle = path.join(__dirname, '..', 'dist', 'cli.js');
const off = process.env.RESNET_STUDIO_NO_CACHE || process.env.RESNET_STUDIO_NO_CODE_CACHE;
const dir = off ? null : privateCacheDir();
let cli;
let save = () => {};
let options = {};
if (!dir) cli = require(bundle);
else {
  try {
    let buildKey;
    ({ exports: cli, save, buildKey } = loadWithCodeCache(bundle, dir));
    options = { cache: { dir, buildKey } };
  } catch {
    cli = require(bundle);
  }
}
cli.main(process.argv.slice(2), options).then((code) => {
  // Written after the run, so the cache also holds the functions the run compiled.
  save();
  process.exitCode = code;
});
