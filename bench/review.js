#!/usr/bin/env node
/**
 * Benchmark of `cloudbilling review` on a synthetic Terraform plan with 5,000 changes
 * (target: <= 1 s). Plain JS on the build output (run `npm run build` first, or
 * `npm run bench:review`, which builds).
 *
 * The plan mixes what review handles: 20 new groups, 1,500 links into them whose group
 * id is unknown at plan time (resolved by name through the configuration references),
 * 1,000 sub-to-sub moves with allow_transfer, 10 group updates, 1,470 new memberships
 * and 1,000 revoked ones (the "last membership" rule runs over 2,500 users).
 *
 * Measures (median of RUNS):
 *   core     parse + map + evaluate + Markdown, in process (what the CLI does after I/O);
 *   cli      the whole command as a process: `node bin/cloudbilling.js review PLAN
 *            --snapshot FILE --format markdown` (Node start-up included).
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const dist = (p) => path.join(ROOT, 'dist', 'provider', p);
for (const f of ['gitops/input.js', 'gitops/review.js', 'cli/main.js']) {
  if (!fs.existsSync(dist(f))) {
    console.error(`bench/review.js: ${path.relative(ROOT, dist(f))} missing; run npm run build`);
    process.exit(2);
  }
}
const { parsePlanText } = require(dist('gitops/input.js'));
const { review } = require(dist('gitops/review.js'));
const { renderMarkdown } = require(dist('gitops/review-format.js'));

const RUNS = Number(process.env.RUNS || 7);
const T0 = '2026-01-01T00:00:00.000Z';

function snapshot() {
  const groups = [group('main', 'Acme', 'main')];
  for (let i = 1; i <= 10; i++) groups.push(group(`sub-${i}`, `Team ${i}`, 'sub'));
  const projects = [];
  for (let i = 0; i < 2500; i++) projects.push({ id: `p${i}`, name: `project ${i}`, billingGroupId: i < 1500 ? 'main' : `sub-${1 + (i % 10)}`, effectiveFrom: '2026-01-01', createdAt: T0 });
  const users = [{ id: 'u-admin', email: 'admin@example.com', name: 'Admin', role: 'billing_admin' }];
  const permissions = [];
  for (let i = 0; i < 2500; i++) {
    users.push({ id: `u${i}`, email: `u${i}@example.com`, name: `User ${i}`, role: null });
    if (i < 1000) permissions.push({ userId: `u${i}`, billingGroupId: `sub-${1 + (i % 10)}`, createdAt: T0 });
  }
  const links = projects.map((p) => ({ projectId: p.id, billingGroupId: p.billingGroupId, effectiveFrom: p.effectiveFrom }));
  return { domain: { id: 'd1', name: 'Acme', mainGroupId: 'main', subGroupLimit: 30 }, groups, projects, links, permissions, users, at: T0 };
}

function group(id, name, type) {
  return {
    id, name, type,
    billingEmails: ['billing@example.com'], invoiceEmails: ['tax@example.com'],
    paymentMethod: { type: 'card', reference: 'tok_bench' }, details: { currency: 'USD' },
    createdAt: T0, updatedAt: T0, createdBy: 'u-admin', version: 1, projectCount: 0,
    finance: { openInvoices: 0, outstandingAmount: 0, unbilledUsage: 0, paidCredits: 0, freeCredits: 0 },
  };
}

function plan() {
  const rc = [];
  const config = [];
  const groupAttrs = (name) => ({
    name, billing_emails: ['billing@example.com'], invoice_emails: ['tax@example.com'],
    payment_method: { type: 'card', reference: 'tok_secret' }, deletion_protection: false, type: 'sub',
  });
  for (let g = 0; g < 20; g++) {
    rc.push({
      address: `cloudbilling_billing_group.new_${g}`, mode: 'managed', type: 'cloudbilling_billing_group', name: `new_${g}`,
      change: { actions: ['create'], before: null, after: groupAttrs(`New ${g}`), after_unknown: { id: true, details: true }, after_sensitive: { payment_method: { reference: true } } },
    });
  }
  for (let i = 0; i < 1500; i++) {
    const g = i % 20;
    rc.push({
      address: `cloudbilling_project_link.in_${i}`, mode: 'managed', type: 'cloudbilling_project_link', name: `in_${i}`,
      change: { actions: ['create'], before: null, after: { project_id: `p${i}`, allow_transfer: false }, after_unknown: { billing_group_id: true, id: true } },
    });
    config.push({ address: `cloudbilling_project_link.in_${i}`, mode: 'managed', type: 'cloudbilling_project_link', name: `in_${i}`, expressions: { billing_group_id: { references: [`cloudbilling_billing_group.new_${g}.id`, `cloudbilling_billing_group.new_${g}`] } } });
  }
  for (let i = 1500; i < 2500; i++) {
    const from = 1 + (i % 10);
    const to = 1 + ((i + 1) % 10);
    rc.push({
      address: `cloudbilling_project_link.move_${i}`, mode: 'managed', type: 'cloudbilling_project_link', name: `move_${i}`,
      change: { actions: ['update'], before: { project_id: `p${i}`, billing_group_id: `sub-${from}`, allow_transfer: true }, after: { project_id: `p${i}`, billing_group_id: `sub-${to}`, allow_transfer: true }, after_unknown: {} },
    });
  }
  for (let i = 1; i <= 10; i++) {
    rc.push({
      address: `cloudbilling_billing_group.team_${i}`, mode: 'managed', type: 'cloudbilling_billing_group', name: `team_${i}`,
      change: { actions: ['update'], before: { id: `sub-${i}`, ...groupAttrs(`Team ${i}`) }, after: { id: `sub-${i}`, ...groupAttrs(`Team ${i}`), billing_emails: ['billing@example.com', `team${i}@example.com`] }, after_unknown: { version: true } },
    });
  }
  for (let i = 1000; i < 2470; i++) {
    rc.push({
      address: `cloudbilling_group_permission.grant_${i}`, mode: 'managed', type: 'cloudbilling_group_permission', name: `grant_${i}`,
      change: { actions: ['create'], before: null, after: { billing_group_id: `sub-${1 + (i % 10)}`, user_id: `u${i}` }, after_unknown: { id: true, created_at: true } },
    });
  }
  for (let i = 0; i < 1000; i++) {
    rc.push({
      address: `cloudbilling_group_permission.old_${i}`, mode: 'managed', type: 'cloudbilling_group_permission', name: `old_${i}`,
      change: { actions: ['delete'], before: { billing_group_id: `sub-${1 + (i % 10)}`, user_id: `u${i}`, id: `x` }, after: null },
    });
  }
  return { format_version: '1.2', terraform_version: '1.11.4', resource_changes: rc, configuration: { root_module: { resources: config } } };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cb-bench-review-'));
try {
  const planFile = path.join(dir, 'plan.json');
  const snapFile = path.join(dir, 'snapshot.json');
  const planText = JSON.stringify(plan());
  fs.writeFileSync(planFile, planText);
  const snap = snapshot();
  fs.writeFileSync(snapFile, JSON.stringify(snap));

  let report;
  const core = [];
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    report = review(parsePlanText(planText), snap, { now: new Date('2026-11-22T12:00:00Z') });
    renderMarkdown(report);
    core.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const cli = [];
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    try {
      execFileSync(process.execPath, [path.join(ROOT, 'bin', 'cloudbilling.js'), 'review', planFile, '--snapshot', snapFile, '--format', 'markdown'], { stdio: 'pipe', env: { ...process.env, CI: '1' } });
    } catch (e) {
      if (e.status !== 1) throw e; // 1 = rule errors (warnings only expected; tolerated)
    }
    cli.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const result = {
    changes: report.changes,
    resources: report.counts,
    errors: report.errors.length,
    warnings: report.warnings.length,
    coreMs: Math.round(median(core)),
    cliMs: Math.round(median(cli)),
    runs: RUNS,
    node: process.version,
  };
  console.log(`review of a plan with ${result.changes} changes (${report.actions.length} resource actions): ` +
    `core ${result.coreMs} ms, whole CLI ${result.cliMs} ms (median of ${RUNS}; target <= 1000 ms); ` +
    `${result.errors} errors, ${result.warnings} warnings`);
  console.log(JSON.stringify(result));
  if (result.changes < 5000) {
    console.error('bench/review.js: the synthetic plan should map to at least 5,000 changes');
    process.exitCode = 1;
  }
} finally {
  if (process.env.BENCH_KEEP) for (const f of ['plan.json', 'snapshot.json']) fs.copyFileSync(path.join(dir, f), path.join(process.env.BENCH_KEEP, f));
  fs.rmSync(dir, { recursive: true, force: true });
}
