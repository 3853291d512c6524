// cloudbilling Terraform provider loader (copied to dist/terraform-provider/provider.js).
// Runs provider.bundle.js with the V8 code cache provider.cache made at build time by the
// same Node binary: compiling the bundle is a third of the provider's start-up, and
// Terraform starts the provider 3-5 times per command. A cache that does not fit this
// Node (other version or flags) is rejected by V8 and the bundle compiles as usual.
// `CLOUDBILLING_TF_WRITE_CODE_CACHE=FILE` (build only): write the cache after the handshake
// and a warm-up of the first RPCs' code paths.
// `CLOUDBILLING_PROVIDER_CPU_PROF=DIR` (profiling only; Node refuses --cpu-prof in
// NODE_OPTIONS): write a V8 CPU profile of each provider process to DIR when it exits.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const Module = require('module');

const profDir = process.env.CLOUDBILLING_PROVIDER_CPU_PROF;
if (profDir) {
  const inspector = require('inspector');
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  process.once('exit', () => {
    // The in-process session answers synchronously, so this works inside 'exit'.
    session.post('Profiler.stop', (err, res) => {
      if (!err) fs.writeFileSync(path.join(profDir, `provider-${Date.now()}-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}

const file = path.join(__dirname, 'provider.bundle.js');
const cacheFile = path.join(__dirname, 'provider.cache');
const writeCache = process.env.CLOUDBILLING_TF_WRITE_CODE_CACHE;
delete process.env.CLOUDBILLING_TF_WRITE_CODE_CACHE;
let cachedData;
if (!writeCache) {
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch (e) {
    cachedData = undefined;
  }
}
const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
if (writeCache) {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk, ...rest) => {
    if (String(chunk).startsWith('1|6|')) {
      setImmediate(async () => {
        await mod.exports.warmUp();
        fs.writeFileSync(writeCache, script.createCachedData());
        process.exit(0);
      });
    }
    return write(chunk, ...rest);
  };
}
const mod = { exports: {}, filename: file, id: file, loaded: false };
script.runInThisContext()(mod.exports, require, mod, file, __dirname);
mod.exports.main().catch((e) => {
  process.stderr.write('[ERROR] cloudbilling: provider failed to start: ' + (e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
