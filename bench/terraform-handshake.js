#!/usr/bin/env node
// Terraform provider start-up: spawn → handshake line, median over N launches (default 30).
// Terraform launches the provider 3–5 times per command, so this is paid on every plan.
// Usage: node bench/terraform-handshake.js [N]   (needs `npm run build`)
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');

const root = path.resolve(__dirname, '..');
const bundle = path.join(root, 'dist/terraform-provider/provider.js');
if (!fs.existsSync(bundle)) {
  console.error('dist/terraform-provider/provider.js is missing: run `npm run build`');
  process.exit(2);
}
const { generateServerCertificate } = require(path.join(root, 'dist/provider/terraform/protocol/cert.js'));
const { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } = require(path.join(root, 'dist/provider/terraform/protocol/server.js'));

const runs = Number(process.argv[2] || 30);
const clientCert = generateServerCertificate().certPem;

function launch(command, args) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      env: { ...process.env, [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: '5,6', PLUGIN_CLIENT_CERT: clientCert },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        if (!/^1\|6\|unix\|[^|]+\|grpc\|[A-Za-z0-9+/]+$/.test(out.trim())) reject(new Error(`bad handshake: ${out}`));
        child.kill('SIGTERM');
        child.on('exit', () => resolve(ms));
      }
    });
    child.on('error', reject);
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

(async () => {
  // Without the code cache, for comparison: the same files in a temp dir, minus provider.cache.
  const os = require('node:os');
  const noCacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-bench-'));
  for (const f of ['provider.js', 'provider.bundle.js']) fs.copyFileSync(path.join(path.dirname(bundle), f), path.join(noCacheDir, f));
  const bare = [];
  const cached = [];
  const uncached = [];
  await launch(process.execPath, [bundle]); // warm the file cache
  // Interleaved, so that load from other processes hits all three alike.
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await new Promise((r) => spawn(process.execPath, ['-e', '0']).on('exit', r));
    bare.push(Number(process.hrtime.bigint() - t) / 1e6);
    cached.push(await launch(process.execPath, [bundle]));
    uncached.push(await launch(process.execPath, [path.join(noCacheDir, 'provider.js')]));
  }
  fs.rmSync(noCacheDir, { recursive: true, force: true });
  const fmt = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return `median ${median(xs).toFixed(0)} ms (min ${s[0].toFixed(0)}, p90 ${s[Math.floor(s.length * 0.9)].toFixed(0)})`;
  };
  console.log(`Terraform provider spawn→handshake, ${runs} launches each, node ${process.version}, load avg ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs:`);
  console.log(`  provider (with V8 code cache): ${fmt(cached)}`);
  console.log(`  provider (no code cache):      ${fmt(uncached)}`);
  console.log(`  bare \`node -e 0\`:              ${fmt(bare)}`);
  console.log(`  provider minus bare node, median: ${(median(cached) - median(bare)).toFixed(0)} ms`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
