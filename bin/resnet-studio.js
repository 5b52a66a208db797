#!/usr/bin/env node
'use strict';
// Loads the CLI bundle through a V8 code cache: the second and later runs skip compiling the bundle and the
// parser/interpreter functions the first run compiled, which is most of the CLI's start-up after Node's own.
// The cache lives in the user's temp folder, keyed by the bundle and Node version; any failure falls back to
// a plain require. RESNET_STUDIO_NO_CODE_CACHE=1 turns it off.
const fs = require('node:fs');
const path = require('node:path');

function loadWithCodeCache(file) {
  const os = require('node:os');
  const vm = require('node:vm');
  const crypto = require('node:crypto');
  const Module = require('node:module');
  const source = fs.readFileSync(file, 'utf8');
  const key = crypto.createHash('sha1').update(process.version).update(process.arch).update(source).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), `resnet-studio-cache-${typeof process.getuid === 'function' ? process.getuid() : 'user'}`);
  const cacheFile = path.join(dir, `cli-${key}.bin`);
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
      fs.mkdirSync(dir, { recursive: true });
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      // a read-only or full temp folder only costs speed
    }
  };
  return { exports: mod.exports, save };
}

const bundle = path.join(__dirname, '..', 'dist', 'cli.js');
let cli;
let save = () => {};
if (process.env.RESNET_STUDIO_NO_CODE_CACHE) cli = require(bundle);
else {
  try {
    ({ exports: cli, save } = loadWithCodeCache(bundle));
  } catch {
    cli = require(bundle);
  }
}
cli.main(process.argv.slice(2)).then((code) => {
  // Written after the run, so the cache also holds the functions the run compiled.
  save();
  process.exitCode = code;
});
