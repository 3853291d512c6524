#!/usr/bin/env node
/**
 * `npm run bench:terraform`: `terraform plan` of our provider against Terraform's
 * built-in `terraform_data`, side by side, for a stack of 30 sub groups + N project links
 * (N = 10, 100, 1000; the same resource count of terraform_data), with the Billing API
 * calls each plan made and the provider's spawn→handshake median.
 *
 * - The real API server runs in-process (build output, :memory: SQLite, rate limit off);
 *   a counting proxy on 127.0.0.1 in front of it counts every request the provider makes.
 * - The stack is applied first (groups created, projects linked), then `terraform plan`
 *   (refresh + plan, "No changes") is timed `RUNS` times; the median is reported.
 * - The provider is installed offline into a temp mirror (`cloudbilling terraform-setup
 *   --dir`) with a temp CLI config; nothing outside one temp directory is touched.
 *
 *   node bench/terraform.js [--runs 3] [--sizes 10,100,1000]     (needs `npm run build`)
 *
 * CLOUDBILLING_TF_ENGINE=tofu (or a path) measures OpenTofu instead of `terraform`; OpenTofu
 * has the same built-in `terraform_data`.
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'bin', 'cloudbilling.js');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? def : process.argv[i + 1];
};
const RUNS = Number(arg('runs', 3));
const SIZES = String(arg('sizes', '10,100,1000')).split(',').map(Number);
const GROUPS = 30;
const ENGINE = process.env.CLOUDBILLING_TF_ENGINE || 'terraform';

for (const f of ['dist/provider/server/index.js', 'dist/terraform-provider/provider.js']) {
  if (!fs.existsSync(path.join(ROOT, f))) {
    console.error(`${f} is missing: run \`npm run build\` first`);
    process.exit(2);
  }
}
if (spawnSync(ENGINE, ['version'], { stdio: 'ignore', env: { ...process.env, CHECKPOINT_DISABLE: '1' } }).status !== 0) {
  console.error(`\`${ENGINE}\` is not on PATH (set CLOUDBILLING_TF_ENGINE to terraform, tofu or a path)`);
  process.exit(2);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function run(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
  });
}

/** A loopback proxy that counts requests, in front of the API. */
function countingProxy(target) {
  const t = new URL(target);
  const counter = { requests: 0, byRoute: new Map() };
  const server = http.createServer((req, res) => {
    counter.requests += 1;
    const route = `${req.method} ${req.url.split('?')[0].replace(/\/(bg|prj|usr)-[0-9a-f]+/g, '/{id}')}`;
    counter.byRoute.set(route, (counter.byRoute.get(route) ?? 0) + 1);
    const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(up);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, counter, close: () => new Promise((r) => server.close(r)) })),
  );
}

function groupsHcl() {
  let s = '';
  for (let i = 0; i < GROUPS; i++) {
    s += `resource "cloudbilling_billing_group" "g${i}" {
  name           = "Bench group ${i}"
  billing_emails = ["billing${i}@example.com"]
  invoice_emails = ["tax@example.com"]
  payment_method = { type = "card", reference = "tok_bench_${i}" }
}
`;
  }
  return s;
}

function linksHcl(projectIds) {
  return projectIds
    .map(
      (id, i) => `resource "cloudbilling_project_link" "l${i}" {
  project_id       = "${id}"
  billing_group_id = cloudbilling_billing_group.g${i % GROUPS}.id
}
`,
    )
    .join('');
}

function terraformDataHcl(count) {
  let s = '';
  for (let i = 0; i < count; i++) s += `resource "terraform_data" "d${i}" {\n  input = "value ${i}"\n}\n`;
  return s;
}

const REQUIRED = `terraform {
  required_providers {
    cloudbilling = { source = "cloudbilling/cloudbilling" }
  }
}
`;

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cloudbilling-bench-tf-'));
  const { startServer } = require(path.join(ROOT, 'dist/provider/server'));
  const { BillingClient } = require(path.join(ROOT, 'dist/provider/client'));
  const adminToken = `bench-${Date.now()}`;
  const server = await startServer({ port: 0, dbFile: ':memory:', adminToken, rateLimit: 0, logger: false });
  const proxy = await countingProxy(server.url);
  try {
    const api = new BillingClient({ apiUrl: server.url, token: adminToken });
    const mainId = (await api.getDomain()).mainGroupId;
    await api.updateGroup(mainId, { paymentMethod: { type: 'card', reference: 'tok_bench_main' } });
    const maxN = Math.max(...SIZES);
    const projects = [];
    for (let i = 0; i < maxN; i++) projects.push((await api.createProject({ name: `bench-${i}` })).id);

    const env = {
      ...process.env,
      TF_CLI_CONFIG_FILE: path.join(tmp, 'terraformrc'),
      CHECKPOINT_DISABLE: '1',
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      TF_PLUGIN_CACHE_DIR: '',
      CLOUDBILLING_API_URL: proxy.url,
      CLOUDBILLING_TOKEN: adminToken,
    };
    const setup = await run(process.execPath, [CLI, 'terraform-setup', '--dir', path.join(tmp, 'plugins')], { env });
    if (setup.code !== 0) throw new Error(`terraform-setup failed:\n${setup.out}`);

    const ours = path.join(tmp, 'cloudbilling');
    const builtin = path.join(tmp, 'terraform_data');
    for (const d of [ours, builtin]) fs.mkdirSync(d);
    fs.writeFileSync(path.join(ours, 'versions.tf'), REQUIRED);
    const tf = async (dir, ...args) => {
      const r = await run(ENGINE, [args[0], '-no-color', '-input=false', ...args.slice(1)], { cwd: dir, env });
      if (r.code !== 0) throw new Error(`${ENGINE} ${args.join(' ')} in ${dir} exited ${r.code}:\n${r.out.slice(-3000)}`);
      return r;
    };
    await tf(ours, 'init');
    await tf(builtin, 'init');

    const rows = [];
    for (const n of SIZES) {
      const count = GROUPS + n;
      process.stderr.write(`N = ${n}: applying ${count} resources of each kind...\n`);
      fs.writeFileSync(path.join(ours, 'main.tf'), groupsHcl() + linksHcl(projects.slice(0, n)));
      fs.writeFileSync(path.join(builtin, 'main.tf'), terraformDataHcl(count));
      proxy.counter.requests = 0;
      proxy.counter.byRoute.clear();
      const applyOurs = await tf(ours, 'apply', '-auto-approve', '-parallelism=10');
      const applyCalls = proxy.counter.requests;
      const applyRoutes = [...proxy.counter.byRoute.entries()].map(([r, c]) => `${r} ×${c}`).join(', ');
      const applyBuiltin = await tf(builtin, 'apply', '-auto-approve');
      const oursMs = [];
      const builtinMs = [];
      const calls = [];
      for (let i = 0; i < RUNS; i++) {
        proxy.counter.requests = 0;
        proxy.counter.byRoute.clear();
        const p = await tf(ours, 'plan', '-detailed-exitcode');
        if (!p.out.includes('No changes.')) throw new Error(`expected no changes:\n${p.out.slice(-2000)}`);
        oursMs.push(p.ms);
        calls.push(proxy.counter.requests);
        builtinMs.push((await tf(builtin, 'plan', '-detailed-exitcode')).ms);
      }
      rows.push({
        n,
        resources: count,
        ours: median(oursMs),
        builtin: median(builtinMs),
        calls: median(calls),
        routes: [...proxy.counter.byRoute.entries()].map(([r, c]) => `${r} ×${c}`).join(', '),
        applyOurs: applyOurs.ms,
        applyBuiltin: applyBuiltin.ms,
        applyCalls,
        applyRoutes,
      });
    }

    const hs = await run(process.execPath, [path.join(ROOT, 'bench', 'terraform-handshake.js'), '20'], { env: process.env });
    const handshake = /with V8 code cache\): median (\d+) ms/.exec(hs.out)?.[1] ?? /median (\d+) ms/.exec(hs.out)?.[1] ?? 'n/a';

    const tfVersion = /(Terraform|OpenTofu) v\S+/.exec(spawnSync(ENGINE, ['version'], { encoding: 'utf8', env }).stdout)?.[0];
    console.log(`${path.basename(ENGINE)} plan (refresh + plan, no changes), median of ${RUNS}; ${tfVersion}, node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}`);
    console.log('');
    console.log('| stack | resources | cloudbilling plan | terraform_data plan | ratio | API calls per plan | apply (cloudbilling / terraform_data) | API calls per apply (plan walk + apply walk) |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(
        `| 30 groups + ${r.n} links | ${r.resources} | ${(r.ours / 1000).toFixed(2)} s | ${(r.builtin / 1000).toFixed(2)} s | ${(r.ours / r.builtin).toFixed(2)}× | ${r.calls} (${r.routes}) | ${(r.applyOurs / 1000).toFixed(1)} s / ${(r.applyBuiltin / 1000).toFixed(1)} s | ${r.applyCalls} (${r.applyRoutes}) |`,
      );
    }
    console.log('');
    console.log(`provider spawn→handshake median: ${handshake} ms (bench/terraform-handshake.js, 20 launches)`);
    const big = rows.find((r) => r.n === 1000);
    const maxCalls = Math.max(...rows.map((r) => r.calls));
    console.log(`targets: ≤ 5 API calls per plan: ${maxCalls <= 5 ? 'met' : 'MISSED'} (max ${maxCalls})` + (big ? `; plan of 1,000 links ≤ 1.5× terraform_data: ${big.ours / big.builtin <= 1.5 ? 'met' : 'MISSED'} (${(big.ours / big.builtin).toFixed(2)}×)` : ''));
  } finally {
    await proxy.close();
    await server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
