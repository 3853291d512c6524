#!/usr/bin/env node
/**
 * Benchmark of the web console in headless Chromium (Debian's `chromium`, playwright-core)
 * against a real server with the demo domain, from the build output (`npm run
 * bench:console` builds first). Median and max of RUNS (default 10) fresh browser contexts:
 *
 *   first paint   goto /console/ -> the sign-in form is visible (HTML + JS + CSS, cold cache)
 *   sign in       submit the token -> the group list's rows are visible (GET /v1/domain,
 *                 /v1/billing-groups, /v1/users and the create probe POST /v1/plan)
 *   group page    click a group -> the Overview's cost table is visible (group, invoices, snapshot)
 *   delete rules  click Delete -> the plan's rules are shown (POST /v1/plan)
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const RUNS = Number(process.env.RUNS ?? 10);
const CHROMIUM = process.env.CLOUDBILLING_CHROMIUM ?? '/usr/bin/chromium';
if (!fs.existsSync(path.join(ROOT, 'dist/console/index.html'))) {
  console.error('bench/console.js: dist/console/ missing; run npm run build');
  process.exit(2);
}
if (!fs.existsSync(CHROMIUM)) {
  console.error(`bench/console.js: no Chromium at ${CHROMIUM}; apt-get install -y chromium`);
  process.exit(2);
}

async function main() {
  const { startServer } = require(path.join(ROOT, 'dist/provider/server'));
  const { chromium } = require('playwright-core');
  const token = `bench-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const server = await startServer({ port: 0, dbFile: ':memory:', adminToken: token, rateLimit: 0, demo: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const times = { 'first paint': [], 'sign in': [], 'group page': [], 'delete rules': [] };
  try {
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      let t = performance.now();
      const lap = (name) => {
        const now = performance.now();
        times[name].push(now - t);
        t = now;
      };
      await page.goto(`${server.url}/console/`);
      await page.getByLabel('API token').waitFor();
      lap('first paint');
      await page.getByLabel('API token').fill(token);
      t = performance.now();
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('link', { name: 'Platform', exact: true }).waitFor();
      lap('sign in');
      await page.getByRole('link', { name: 'Platform', exact: true }).click();
      await page.getByRole('table', { name: 'Cost per month' }).waitFor();
      lap('group page');
      await page.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('dialog').getByRole('alert').waitFor();
      lap('delete rules');
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(`console in headless Chromium, ${RUNS} runs, demo domain, Node ${process.version}`);
  for (const [name, a] of Object.entries(times)) console.log(`  ${name.padEnd(13)} median ${median(a).toFixed(0)} ms, max ${Math.max(...a).toFixed(0)} ms`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
