#!/usr/bin/env node
/**
 * Benchmark: Pulumi preview work for 1,000 `ProjectLink`s, driven directly through the
 * exported dynamic provider (`providers.projectLink.check` + `.diff`, what the host calls
 * per resource at preview) against a real Billing API server started from the build
 * output. Prints wall time and the API calls made: the providers read one snapshot per
 * process and connection, so the target is <= 5 calls for the whole run.
 *
 *   npm run build && npm run bench:pulumi      (N=1000 by default; N=5000 npm run bench:pulumi)
 */
'use strict';
const { randomBytes } = require('node:crypto');
const { startServer } = require('../dist/provider/server');
const { BillingClient } = require('../dist/provider/client');
const pulumi = require('@pulumi/pulumi');
const { providers, engine } = require('cloudbilling/pulumi');

const N = Number(process.env.N || 1000);

async function main() {
  const adminToken = `bench-${randomBytes(12).toString('hex')}`;
  const server = await startServer({ port: 0, dbFile: ':memory:', adminToken, rateLimit: 0 });
  const prevEnv = { url: process.env.CLOUDBILLING_API_URL, token: process.env.CLOUDBILLING_TOKEN };
  process.env.CLOUDBILLING_API_URL = server.url;
  process.env.CLOUDBILLING_TOKEN = adminToken;
  // Count the warnings instead of printing 1,000 of them.
  let warnings = 0;
  pulumi.log.warn = async () => {
    warnings += 1;
  };
  try {
    const admin = new BillingClient({ apiUrl: server.url, token: adminToken });
    const { mainGroupId } = await admin.getDomain();
    await admin.updateGroup(mainGroupId, { paymentMethod: { type: 'card', reference: 'tok_bench' } });
    const group = await admin.createGroup({ name: 'Bench', billingEmails: ['b@example.com'], invoiceEmails: ['t@example.com'], paymentMethod: { type: 'card', reference: 'tok_bench' } });
    const projects = [];
    for (let i = 0; i < N; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(N, i + 50); j++) batch.push(admin.createProject({ name: `p${j}` }));
      projects.push(...(await Promise.all(batch)));
    }

    const link = providers.projectLink;
    const one = async (p) => {
      const news = { projectId: p.id, billingGroupId: group.id };
      const c = await link.check({}, news);
      if (c.failures.length > 0) throw new Error(`unexpected failure: ${c.failures[0].reason}`);
      // As at a later preview: the stored link points at main, the program at the group.
      const olds = { projectId: p.id, billingGroupId: mainGroupId, allowTransfer: false, effectiveFrom: '2026-01-01' };
      const d = await link.diff(p.id, olds, c.inputs);
      if (!d.changes || d.replaces.length !== 0) throw new Error('unexpected diff');
    };

    const results = [];
    for (const mode of ['sequential', 'concurrent']) {
      engine.reset(); // a fresh process: no cached snapshot
      warnings = 0;
      const calls0 = engine.requests;
      const t0 = process.hrtime.bigint();
      if (mode === 'sequential') for (const p of projects) await one(p);
      else await Promise.all(projects.map(one));
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      results.push({ mode, resources: N, wallMs: Math.round(ms), perResourceMs: +(ms / N).toFixed(3), apiCalls: engine.requests - calls0, warnings });
    }
    for (const r of results) {
      console.log(`pulumi check+diff of ${r.resources} ProjectLinks (${r.mode}): ${r.wallMs} ms wall, ${r.perResourceMs} ms/resource, ${r.apiCalls} API call(s), ${r.warnings} LINK_EFFECTIVE_NEXT_MONTH warnings`);
    }
    console.log(JSON.stringify({ node: process.version, results }));
    const worst = Math.max(...results.map((r) => r.apiCalls));
    if (worst > 5) {
      console.error(`FAIL: ${worst} API calls (target <= 5)`);
      process.exitCode = 1;
    }
  } finally {
    process.env.CLOUDBILLING_API_URL = prevEnv.url;
    process.env.CLOUDBILLING_TOKEN = prevEnv.token;
    await server.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
