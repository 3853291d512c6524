#!/usr/bin/env node
/**
 * What `serve --metrics` costs (not a test). Runs the real app in-process (build output,
 * in-memory SQLite) and sends requests with fastify's `inject` (no sockets), with and without
 * the metrics hooks, alternating, and reports CPU time per request (process.cpuUsage: less
 * sensitive than wall time to other work on a shared machine), and the time of one scrape.
 *
 *   npm run build && node bench/metrics.js [--requests 20000] [--rounds 3]
 */
'use strict';
const { join } = require('node:path');
const { parseArgs } = require('node:util');
const { startServer } = require(join(__dirname, '..', 'dist', 'provider', 'server'));

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '3' } } });
const REQUESTS = Number(args.requests);
const ROUNDS = Number(args.rounds);
const TOKEN = 'bench-metrics-token';

async function measure(metrics) {
  const server = await startServer({ port: 0, dbFile: ':memory:', adminToken: TOKEN, rateLimit: 0, metrics });
  const headers = { authorization: `Bearer ${TOKEN}` };
  const main = server.service.state.domain.mainGroupId;
  const url = `/v1/billing-groups/${main}`;
  for (let i = 0; i < 2000; i++) await server.app.inject({ method: 'GET', url, headers }); // warm up
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) {
    const r = await server.app.inject({ method: 'GET', url, headers });
    if (r.statusCode !== 200) throw new Error(`GET ${url}: ${r.statusCode}`);
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e3 / REQUESTS;
  const cpu = process.cpuUsage(cpu0);
  let scrapeMs;
  if (metrics) {
    const s0 = process.hrtime.bigint();
    const r = await server.app.inject({ method: 'GET', url: '/metrics' });
    scrapeMs = Number(process.hrtime.bigint() - s0) / 1e6;
    if (r.statusCode !== 200) throw new Error(`/metrics: ${r.statusCode}`);
  }
  await server.close();
  return { cpuUsPerRequest: (cpu.user + cpu.system) / REQUESTS, wallUsPerRequest: wall, scrapeMs };
}

(async () => {
  const off = [];
  const on = [];
  for (let i = 0; i < ROUNDS; i++) {
    off.push(await measure(false));
    on.push(await measure(true));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const offCpu = median(off.map((r) => r.cpuUsPerRequest));
  const onCpu = median(on.map((r) => r.cpuUsPerRequest));
  const result = {
    requests: REQUESTS,
    rounds: ROUNDS,
    node: process.version,
    metricsOff: { cpuUsPerRequest: +offCpu.toFixed(1), wallUsPerRequest: +median(off.map((r) => r.wallUsPerRequest)).toFixed(1) },
    metricsOn: { cpuUsPerRequest: +onCpu.toFixed(1), wallUsPerRequest: +median(on.map((r) => r.wallUsPerRequest)).toFixed(1) },
    overheadUsPerRequest: +(onCpu - offCpu).toFixed(1),
    scrapeMs: +median(on.map((r) => r.scrapeMs)).toFixed(2),
  };
  console.log(`GET /v1/billing-groups/{id} via inject, ${REQUESTS} requests x ${ROUNDS} rounds, medians:`);
  console.log(`  metrics off: ${result.metricsOff.cpuUsPerRequest} µs CPU per request`);
  console.log(`  metrics on:  ${result.metricsOn.cpuUsPerRequest} µs CPU per request (+${result.overheadUsPerRequest} µs)`);
  console.log(`  one scrape of /metrics: ${result.scrapeMs} ms`);
  console.log(JSON.stringify(result));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
