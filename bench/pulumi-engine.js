#!/usr/bin/env node
/**
 * `npm run bench:pulumi-engine`: the real `pulumi` engine on 30 sub groups + N project
 * links (N = 1,000 by default), the same stack as `npm run bench:terraform`: wall time and
 * Billing API calls of `pulumi preview` (all creates), `pulumi up`, a second `preview`
 * (no changes) and `pulumi destroy`.
 *
 * - Automation API, inline program (the build output's `cloudbilling/pulumi`), local file
 *   backend and PULUMI_HOME in one temp directory, passphrase secrets, token as the secret
 *   stack config `cloudbilling:token`; the dynamic-provider host runs in a temp project
 *   whose node_modules link this checkout, as in a user's project.
 * - The API server runs in-process (build output, :memory: SQLite, rate limit off); a
 *   counting proxy on 127.0.0.1 in front of it counts every request of the engine's
 *   providers (setup requests go to the server directly and are not counted).
 *
 *   npm run build && npm run bench:pulumi-engine        (N=100 npm run bench:pulumi-engine)
 */
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { randomBytes } = require('node:crypto');

const ROOT = path.resolve(__dirname, '..');
const N = Number(process.env.N || 1000);
const GROUPS = 30;
const CARD = { type: 'card', reference: 'tok_bench' };

for (const f of ['dist/provider/server/index.js', 'dist/provider/pulumi/index.js']) {
  if (!fs.existsSync(path.join(ROOT, f))) {
    console.error(`${f} is missing: run \`npm run build\` first`);
    process.exit(2);
  }
}
function pulumiBinary() {
  const local = path.join(ROOT, '.engines', 'bin', 'pulumi');
  if (fs.existsSync(local)) return local;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) if (dir && fs.existsSync(path.join(dir, 'pulumi'))) return path.join(dir, 'pulumi');
  console.error('Pulumi CLI not found: run `npm run engines`');
  process.exit(2);
}

const { startServer } = require('../dist/provider/server');
const { BillingClient } = require('../dist/provider/client');
const { BillingGroup, ProjectLink } = require('cloudbilling/pulumi');
const { LocalWorkspace, PulumiCommand } = require('@pulumi/pulumi/automation');

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

async function main() {
  const binary = pulumiBinary();
  const adminToken = `bench-${randomBytes(12).toString('hex')}`;
  const server = await startServer({ port: 0, dbFile: ':memory:', adminToken, rateLimit: 0 });
  const proxy = await countingProxy(server.url);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cloudbilling-bench-pulumi-'));
  try {
    const admin = new BillingClient({ apiUrl: server.url, token: adminToken });
    const { mainGroupId } = await admin.getDomain();
    await admin.updateGroup(mainGroupId, { paymentMethod: CARD });
    const projects = [];
    for (let i = 0; i < N; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(N, i + 50); j++) batch.push(admin.createProject({ name: `p${j}` }));
      projects.push(...(await Promise.all(batch)));
    }

    const backend = path.join(root, 'backend');
    const home = path.join(root, 'home');
    const project = path.join(root, 'project');
    for (const d of [backend, home, path.join(project, 'node_modules')]) fs.mkdirSync(d, { recursive: true });
    fs.symlinkSync(ROOT, path.join(project, 'node_modules', 'cloudbilling'));
    fs.symlinkSync(path.join(ROOT, 'node_modules', '@pulumi'), path.join(project, 'node_modules', '@pulumi'));
    const env = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CLOUDBILLING_') && !k.startsWith('PULUMI_')) env[k] = v;
    const pulumiPkg = path.dirname(require.resolve('@pulumi/pulumi/package.json'));
    Object.assign(env, {
      PATH: [pulumiPkg, path.dirname(process.execPath), process.env.PATH].join(path.delimiter),
      PULUMI_BACKEND_URL: `file://${backend}`,
      PULUMI_CONFIG_PASSPHRASE: 'bench-passphrase',
      PULUMI_SKIP_UPDATE_CHECK: 'true',
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
      PULUMI_HOME: home,
    });

    const program = async () => {
      const groups = [];
      for (let i = 0; i < GROUPS; i++) {
        groups.push(new BillingGroup(`g${i}`, { name: `Bench group ${i}`, billingEmails: [`billing${i}@example.com`], invoiceEmails: ['tax@example.com'], paymentMethod: { type: 'card', reference: `tok_bench_${i}` } }));
      }
      projects.forEach((p, i) => new ProjectLink(`l${i}`, { projectId: p.id, billingGroupId: groups[i % GROUPS].id }));
    };
    const command = await PulumiCommand.get({ root: path.dirname(path.dirname(binary)) });
    const stack = await LocalWorkspace.createOrSelectStack(
      { projectName: 'cloudbilling-bench', stackName: 'bench', program },
      { workDir: project, pulumiHome: home, pulumiCommand: command, envVars: env, secretsProvider: 'passphrase', projectSettings: { name: 'cloudbilling-bench', runtime: 'nodejs', backend: { url: `file://${backend}` } } },
    );
    await stack.setAllConfig({ 'cloudbilling:apiUrl': { value: proxy.url }, 'cloudbilling:token': { value: adminToken, secret: true } });

    const results = [];
    const step = async (label, fn, check) => {
      proxy.counter.requests = 0;
      proxy.counter.byRoute.clear();
      const t0 = process.hrtime.bigint();
      const r = await fn();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      check(r);
      const routes = [...proxy.counter.byRoute].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ×${v}`).join(', ');
      results.push({ label, seconds: (ms / 1000).toFixed(2), apiCalls: proxy.counter.requests, routes });
    };
    const total = GROUPS + N + 1; // + the stack
    await step('preview (all create)', () => stack.preview(), (r) => assert(r.changeSummary.create === total, `preview: ${JSON.stringify(r.changeSummary)}`));
    await step('up (create)', () => stack.up(), (r) => assert(r.summary.result === 'succeeded', 'up failed'));
    await step('preview (no changes)', () => stack.preview(), (r) => assert(r.changeSummary.same === total, `preview: ${JSON.stringify(r.changeSummary)}`));
    await step('destroy', () => stack.destroy(), (r) => assert(r.summary.result === 'succeeded', 'destroy failed'));
    const { stdout } = await command.run(['version'], root, {});

    console.log(`pulumi ${stdout.trim()}, Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    console.log(`${GROUPS} sub groups + ${N} project links (${GROUPS + N} resources)\n`);
    console.log('| step | wall | API calls | by route |');
    console.log('|---|---|---|---|');
    for (const r of results) console.log(`| ${r.label} | ${r.seconds} s | ${r.apiCalls} | ${r.routes} |`);
  } finally {
    await proxy.close();
    await server.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function assert(ok, msg) {
  if (!ok) throw new Error(msg);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
