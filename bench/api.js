#!/usr/bin/env node
/**
 * Billing API benchmark (not a test). Starts `cloudbilling serve --rate-limit 0` from the
 * build (dist/) on a temporary SQLite file, then measures with autocannon at 64 connections:
 *   - link moves/s: PUT /v1/projects/{id}/billing-group alternating each project between two
 *     sub groups (allowTransfer), every request a real move;
 *   - reads/s: GET /v1/billing-groups/{id};
 * with p50/p99 latency for each, and the raw SQLite transaction rate (one UPDATE per
 * transaction, WAL, the same synchronous setting) on the same machine.
 * `--synchronous full|normal` (default full, the server's default) picks SQLite's setting
 * for the server and the raw rate; run it once with each to see what durability costs.
 * `--metrics` starts the server with `serve --metrics` (Prometheus hooks on every request), to
 * see what the metrics cost.
 *
 * `--store postgres --replicas 1,2` adds PostgreSQL runs side by side with SQLite's: a
 * throwaway PostgreSQL 15 cluster (test/helpers/postgres.js; fsync on, as in production),
 * one database per run, N `serve` replicas on it, the same link moves spread over the
 * replicas (each replica gets CONNECTIONS/N connections and its own projects); moves/s is
 * the sum, p99 the worst replica's.
 *
 *   npm run bench:api            (builds first)
 *   npm run bench:api -- --store postgres --replicas 1,2
 *   node bench/api.js [--duration 10] [--connections 64] [--projects 512] [--synchronous full|normal] [--metrics]
 *                     [--store sqlite|postgres] [--replicas 1,2]
 */
'use strict';
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir, cpus } = require('node:os');
const { join } = require('node:path');
const { parseArgs } = require('node:util');
const autocannon = require('autocannon');
const Database = require('better-sqlite3');

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    projects: { type: 'string', default: '512' },
    synchronous: { type: 'string', default: 'full' },
    store: { type: 'string', default: 'sqlite' },
    replicas: { type: 'string', default: '1,2' },
    metrics: { type: 'boolean', default: false },
  },
});
if (!/^(sqlite|postgres)$/.test(args.store)) throw new Error(`--store must be sqlite or postgres (got ${JSON.stringify(args.store)})`);
const REPLICAS = args.replicas.split(',').map((n) => Number(n));
if (REPLICAS.some((n) => !Number.isInteger(n) || n < 1 || n > 8)) throw new Error(`--replicas is a list of counts from 1 to 8, e.g. 1,2 (got ${JSON.stringify(args.replicas)})`);
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const PROJECTS = Number(args.projects);
const TOKEN = 'bench-admin-token';
const SYNCHRONOUS = args.synchronous.toUpperCase();

async function startServer(dbFile) {
  // BENCH_CPU_PROF=DIR writes a V8 CPU profile of the server into DIR.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const sync = dbFile.startsWith('postgres://') ? [] : ['--synchronous', SYNCHRONOUS];
  const child = spawn(process.execPath, [...prof, join(__dirname, '..', 'bin', 'cloudbilling.js'), 'serve', '--port', '0', '--db', dbFile, '--rate-limit', '0', ...sync, ...(args.metrics ? ['--metrics'] : [])], {
    env: { ...process.env, CLOUDBILLING_ADMIN_TOKEN: TOKEN, CLOUDBILLING_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url, child };
}

async function call(url, method, path, body) {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = res.status === 204 ? null : await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

function run(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, duration: DURATION, pipelining: 1, ...opts }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** Create the two sub groups and the projects (all in A) through `url`. */
async function seed(url) {
  const domain = await call(url, 'GET', '/v1/domain');
  await call(url, 'PATCH', `/v1/billing-groups/${domain.mainGroupId}`, { paymentMethod: { type: 'account', reference: 'pm_bench' } });
  const mk = (name) => call(url, 'POST', '/v1/billing-groups', { name, billingEmails: ['b@example.com'], invoiceEmails: ['b@example.com'], paymentMethod: { type: 'card', reference: 'pm_b' } });
  const a = await mk('Bench A');
  const b = await mk('Bench B');
  const projects = [];
  for (let i = 0; i < PROJECTS; i++) {
    const p = await call(url, 'POST', '/v1/projects', { name: `bench-${i}` });
    await call(url, 'PUT', `/v1/projects/${p.id}/billing-group`, { billingGroupId: a.id });
    projects.push(p.id);
  }
  return { a, b, projects };
}

/**
 * Link moves through `urls` at once (CONNECTIONS split over them): each connection owns a
 * disjoint set of projects and knows where each one is, so every request is a real move.
 */
async function moveRun(urls, { a, b, projects }) {
  let nextConnection = 0;
  const perConnection = Math.max(1, Math.floor(projects.length / CONNECTIONS));
  const connections = Math.max(1, Math.floor(CONNECTIONS / urls.length));
  const results = await Promise.all(
    urls.map((url) =>
      run({
        url,
        connections,
        requests: [
          {
            method: 'PUT',
            headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
            setupRequest: (req, context) => {
              if (context.slot === undefined) {
                context.slot = nextConnection++;
                context.i = 0;
                context.where = new Map();
              }
              const pid = projects[(context.slot * perConnection + (context.i++ % perConnection)) % projects.length];
              const to = context.where.get(pid) === b.id ? a.id : b.id;
              context.where.set(pid, to);
              return { ...req, path: `/v1/projects/${pid}/billing-group`, body: JSON.stringify({ billingGroupId: to, allowTransfer: true }) };
            },
          },
        ],
      }),
    ),
  );
  return combine(results);
}

/** Several autocannon results as one: rates and totals add up, latencies are the worst replica's. */
function combine(results) {
  if (results.length === 1) return results[0];
  const sum = (f) => results.reduce((s, r) => s + f(r), 0);
  const max = (f) => Math.max(...results.map(f));
  return {
    requests: { average: sum((r) => r.requests.average), total: sum((r) => r.requests.total) },
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    latency: { p50: max((r) => r.latency.p50), p99: max((r) => r.latency.p99) },
  };
}

/** Link moves and reads against N replicas on one fresh PostgreSQL database. */
async function postgresRun(cluster, replicas) {
  const db = await cluster.createDatabase(`bench_${replicas}`);
  const servers = [];
  // One after the other: the first creates the schema and the domain.
  for (let i = 0; i < replicas; i++) servers.push(await startServer(db));
  try {
    const urls = servers.map((s) => s.url);
    const fixture = await seed(urls[0]);
    const moves = await moveRun(urls, fixture);
    const reads = combine(
      await Promise.all(urls.map((url) => run({ url: `${url}/v1/billing-groups/${fixture.a.id}`, connections: Math.max(1, Math.floor(CONNECTIONS / urls.length)), headers: { authorization: `Bearer ${TOKEN}` } }))),
    );
    const snaps = await Promise.all(urls.map((url) => call(url, 'GET', '/v1/snapshot')));
    const counted = snaps[0].groups.reduce((s, g) => s + g.projectCount, 0);
    const same = snaps.every((s) => JSON.stringify({ ...s, at: 0 }) === JSON.stringify({ ...snaps[0], at: 0 }));
    return { replicas, linkMoves: summary(`PostgreSQL, ${replicas} replica${replicas > 1 ? 's' : ''}: link moves`, moves), reads: summary(`PostgreSQL, ${replicas} replica${replicas > 1 ? 's' : ''}: reads`, reads), consistent: counted === snaps[0].projects.length && same };
  } finally {
    for (const s of servers) {
      s.child.kill('SIGTERM');
      await new Promise((r) => s.child.once('exit', r));
    }
  }
}

function summary(name, r) {
  return {
    name,
    requestsPerSecond: Math.round(r.requests.average),
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    p50ms: r.latency.p50,
    p99ms: r.latency.p99,
  };
}

function sqliteRate(dir) {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${SYNCHRONOUS}`);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)');
  const insert = db.prepare('INSERT INTO t (id, v) VALUES (?, 0)');
  db.transaction(() => {
    for (let i = 0; i < 1000; i++) insert.run(i);
  })();
  const update = db.prepare('UPDATE t SET v = v + 1 WHERE id = ?');
  const tx = db.transaction((id) => update.run(id));
  const end = Date.now() + 3000;
  let n = 0;
  while (Date.now() < end) {
    for (let i = 0; i < 1000; i++) tx(n++ % 1000);
  }
  db.close();
  return Math.round(n / 3);
}

/** The same link moves without HTTP: the service and store of dist/ in this process. */
async function inProcessMoves(dir) {
  const { SqliteStore } = require('../dist/provider/server/store-sqlite.js');
  const { BillingService } = require('../dist/provider/server/service.js');
  const store = await SqliteStore.open({ file: join(dir, 'inproc.db'), synchronous: SYNCHRONOUS });
  const svc = new BillingService(store);
  await svc.bootstrap({ domain: 'bench', adminEmail: 'a@example.com', adminToken: 'x' });
  const admin = store.user(store.adminUserId);
  await store.tx(() => svc.updateGroup(admin, store.state.domain.mainGroupId, { paymentMethod: { type: 'card', reference: 'x' } }));
  const mk = async (name) => (await store.tx(() => svc.createGroup(admin, { name, billingEmails: ['a@example.com'], invoiceEmails: ['a@example.com'] }))).body.id;
  const a = await mk('A');
  const b = await mk('B');
  const ps = [];
  for (let i = 0; i < PROJECTS; i++) {
    const id = (await store.tx(() => svc.createProject(admin, `p${i}`))).body.id;
    await store.tx(() => svc.link(admin, id, { billingGroupId: a }));
    ps.push(id);
  }
  let n = 0;
  const start = process.hrtime.bigint();
  for (let round = 0; round < 10; round++) {
    for (const id of ps) {
      await store.tx(() => svc.link(admin, id, { billingGroupId: round % 2 === 0 ? b : a, allowTransfer: true }));
      n++;
    }
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await store.close();
  return { movesPerSecond: Math.round((n * 1000) / ms), microsecondsPerMove: Math.round((ms * 1000) / n) };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'cloudbilling-bench-'));
  const { url, child } = await startServer(join(dir, 'bench.db'));
  let cluster;
  try {
    const fixture = await seed(url);
    const { a } = fixture;
    const moves = await moveRun([url], fixture);
    const reads = await run({ url: `${url}/v1/billing-groups/${a.id}`, headers: { authorization: `Bearer ${TOKEN}` } });

    // Consistency after the run.
    const snap = await call(url, 'GET', '/v1/snapshot');
    const counted = snap.groups.reduce((s, g) => s + g.projectCount, 0);
    const txPerSecond = sqliteRate(dir);
    const inProcess = await inProcessMoves(dir);
    const postgres = [];
    if (args.store === 'postgres') {
      // SQLite's server is done: stop it so the PostgreSQL runs get the machine alike.
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      const { startPostgres } = require('../test/helpers/postgres.js');
      cluster = await startPostgres({ durable: true });
      for (const n of REPLICAS) postgres.push(await postgresRun(cluster, n));
    }

    const result = {
      machine: { cpus: cpus().length, model: cpus()[0] && cpus()[0].model, node: process.version },
      settings: { connections: CONNECTIONS, durationSeconds: DURATION, projects: PROJECTS, synchronous: SYNCHRONOUS },
      linkMoves: summary('link moves (PUT /v1/projects/{id}/billing-group)', moves),
      reads: summary('reads (GET /v1/billing-groups/{id})', reads),
      sqliteTransactionsPerSecond: txPerSecond,
      inProcessLinkMoves: inProcess,
      postgres,
      loadAverage: require('node:os').loadavg().map((x) => Math.round(x * 10) / 10),
      consistent: counted === snap.projects.length,
    };
    console.log('');
    console.log(`machine: ${result.machine.cpus} cpus, ${result.machine.model}, node ${result.machine.node}`);
    console.log(`settings: ${CONNECTIONS} connections, ${DURATION}s per run, ${PROJECTS} projects, synchronous=${SYNCHRONOUS}, metrics ${args.metrics ? 'on' : 'off'}`);
    for (const s of [result.linkMoves, result.reads]) {
      console.log(`${s.name}: ${s.requestsPerSecond}/s  p50 ${s.p50ms} ms  p99 ${s.p99ms} ms  (total ${s.total}, non-2xx ${s.non2xx}, errors ${s.errors})`);
    }
    console.log(`raw SQLite transactions (UPDATE, WAL, synchronous=${SYNCHRONOUS}): ${txPerSecond}/s`);
    console.log(`link moves without HTTP (service + SQLite transaction, one thread): ${inProcess.movesPerSecond}/s, ${inProcess.microsecondsPerMove} µs each`);
    console.log(`load average during the run (other processes included): ${result.loadAverage.join(', ')}`);
    console.log(`project counts consistent after the run: ${result.consistent}`);
    if (postgres.length > 0) {
      console.log('');
      console.log('link moves side by side (same connections, same projects):');
      console.log(`  SQLite (synchronous=${SYNCHRONOUS}), 1 process: ${result.linkMoves.requestsPerSecond}/s  p99 ${result.linkMoves.p99ms} ms`);
      for (const r of postgres) {
        console.log(`  PostgreSQL (fsync on), ${r.replicas} replica${r.replicas > 1 ? 's' : ''}: ${r.linkMoves.requestsPerSecond}/s  p99 ${r.linkMoves.p99ms} ms  (reads ${r.reads.requestsPerSecond}/s p99 ${r.reads.p99ms} ms; non-2xx ${r.linkMoves.non2xx + r.reads.non2xx}, errors ${r.linkMoves.errors + r.reads.errors}; consistent ${r.consistent})`);
      }
    }
    console.log(JSON.stringify(result));
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    if (cluster) await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
