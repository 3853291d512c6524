// Bundles run after `tsc` (see package.json "build"). Each bundle adds its own step here.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

// ---- Terraform provider ------------------------------------------------------------
// 1. Recompile the protocol's .proto files into the JSON descriptor the provider loads
//    (no .proto parsing at start-up). 2. esbuild provider/terraform/main.ts into one
//    minified file with the descriptor inlined: dist/terraform-provider/provider.js.
function bundleTerraformProvider() {
  const protoDir = path.join(root, 'provider/terraform/protocol');
  const { descriptorText } = require(path.join(root, 'dist/provider/terraform/protocol/compile-proto.js'));
  const descriptorFile = path.join(protoDir, 'tfplugin6.descriptor.json');
  const text = descriptorText(protoDir);
  if (!fs.existsSync(descriptorFile) || fs.readFileSync(descriptorFile, 'utf8') !== text) {
    fs.writeFileSync(descriptorFile, text);
    process.stderr.write('bundle: regenerated provider/terraform/protocol/tfplugin6.descriptor.json\n');
  }
  const outfile = path.join(root, 'dist/terraform-provider/provider.js');
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
    banner: { js: '#!/usr/bin/env node' },
  });
  fs.chmodSync(outfile, 0o755);
  const kb = (fs.statSync(outfile).size / 1024).toFixed(0);
  process.stderr.write(`bundle: dist/terraform-provider/provider.js (${kb} KiB)\n`);
}

bundleTerraformProvider();
