// Bundles run after `tsc` (see package.json "build"). Each bundle adds its own step here.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

// ---- Terraform provider ------------------------------------------------------------
// 1. Recompile the protocol's .proto files into the JSON descriptor the provider loads
//    (no .proto parsing at start-up). 2. esbuild provider/terraform/main.ts into one
//    minified file with the descriptor inlined: dist/terraform-provider/provider.bundle.js.
// 3. provider.js = the loader (provider/terraform/protocol/loader.js), which runs the
//    bundle with 4. provider.cache, a V8 code cache made by starting the provider once.
// `cloudbilling terraform-setup` installs these three files.
function bundleTerraformProvider() {
  const protoDir = path.join(root, 'provider/terraform/protocol');
  const { descriptorText } = require(path.join(root, 'dist/provider/terraform/protocol/compile-proto.js'));
  const descriptorFile = path.join(protoDir, 'tfplugin6.descriptor.json');
  const text = descriptorText(protoDir);
  if (!fs.existsSync(descriptorFile) || fs.readFileSync(descriptorFile, 'utf8') !== text) {
    fs.writeFileSync(descriptorFile, text);
    process.stderr.write('bundle: regenerated provider/terraform/protocol/tfplugin6.descriptor.json\n');
  }
  const outDir = path.join(root, 'dist/terraform-provider');
  const outfile = path.join(outDir, 'provider.bundle.js');
  require('esbuild').buildSync({
    entryPoints: [path.join(root, 'provider/terraform/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    // proto-loader/protobufjs' full parser are never needed at run time.
    external: ['@grpc/proto-loader'],
  });
  const loader = path.join(outDir, 'provider.js');
  fs.writeFileSync(loader, '#!/usr/bin/env node\n' + fs.readFileSync(path.join(protoDir, 'loader.js'), 'utf8'));
  fs.chmodSync(loader, 0o755);
  writeCodeCache(outDir);
  const kb = (fs.statSync(outfile).size / 1024).toFixed(0);
  process.stderr.write(`bundle: dist/terraform-provider/provider.js + provider.bundle.js (${kb} KiB) + provider.cache\n`);
}

// Start the provider once as Terraform would (magic cookie, client certificate) and let
// the loader write the V8 code cache right after the handshake.
function writeCodeCache(outDir) {
  const { execFileSync } = require('node:child_process');
  const { generateServerCertificate } = require(path.join(root, 'dist/provider/terraform/protocol/cert.js'));
  const { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } = require(path.join(root, 'dist/provider/terraform/protocol/server.js'));
  const cacheFile = path.join(outDir, 'provider.cache');
  fs.rmSync(cacheFile, { force: true });
  execFileSync(process.execPath, [path.join(outDir, 'provider.js')], {
    env: {
      ...process.env,
      [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
      PLUGIN_PROTOCOL_VERSIONS: '6',
      PLUGIN_CLIENT_CERT: generateServerCertificate().certPem,
      CLOUDBILLING_TF_WRITE_CODE_CACHE: cacheFile,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 30000,
  });
  if (!fs.existsSync(cacheFile)) throw new Error('bundle: the provider did not write its code cache');
}

// ---- Web console (SPEC §9, docs/adr/0008-console.md) ------------------------------------
// Vite + Preact: console/ -> dist/console/ (index.html + hashed assets, nothing inline), which
// `cloudbilling serve` serves at /console/ (provider/server/console.ts).
async function bundleConsole() {
  const started = Date.now();
  const { build } = await import('vite');
  await build({ configFile: path.join(root, 'console/vite.config.mjs') });
  const assets = fs.readdirSync(path.join(root, 'dist/console/assets'));
  const kb = assets.reduce((n, f) => n + fs.statSync(path.join(root, 'dist/console/assets', f)).size, 0) / 1024;
  process.stderr.write(`bundle: dist/console/ (${assets.length} assets, ${kb.toFixed(0)} KiB) in ${Date.now() - started} ms\n`);
}

bundleTerraformProvider();
bundleConsole().catch((e) => {
  process.stderr.write(`bundle: the console build failed: ${e && e.message ? e.message : e}\n`);
  process.exitCode = 1;
});
