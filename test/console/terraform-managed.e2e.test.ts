/**
 * The managed-by mark end to end (SPEC §9, issue 11): real Terraform applies a group and a
 * link through the provider, the console in a real Chromium shows them as managed by that
 * workspace and warns before an edit; the edit made there anyway is drift that the next
 * `terraform plan` shows and `cloudbilling drift` attributes to the console user, outside IaC.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startAcceptance, expectCode, type Acceptance } from '../acceptance/harness';
import { cli } from '../gitops/helpers';
import { launchChromium, watchProblems } from './browser';

let acc: Acceptance;
let browser: Browser;
let page: Page;
let problems: string[];

beforeAll(async () => {
  browser = await launchChromium();
  acc = await startAcceptance('terraform');
  const main = await acc.api.getDomain();
  await acc.api.updateGroup(main.mainGroupId, { paymentMethod: { type: 'card', reference: 'tok_main' } });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.setDefaultTimeout(10_000);
  problems = watchProblems(page, acc.server.url);
});

afterAll(async () => {
  await browser?.close();
  await acc?.close();
});

test('a group applied by Terraform is marked in the console; an edit there warns, and is drift afterwards', async () => {
  const p = await acc.api.createProject({ name: 'tf-linked' });
  const dir = acc.workdir({
    'main.tf': `resource "cloudbilling_billing_group" "ops" {
  name           = "Ops"
  billing_emails = ["ops@example.com"]
  invoice_emails = ["ops-tax@example.com"]
  payment_method = { type = "card", reference = "tok_ops" }
}

resource "cloudbilling_project_link" "l" {
  project_id       = "${p.id}"
  billing_group_id = cloudbilling_billing_group.ops.id
}
`,
  });
  expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false'), 0);
  const label = `terraform:${path.basename(fs.realpathSync(dir))}/default`;

  await page.goto(`${acc.server.url}/console/`);
  await page.getByLabel('API token').fill(acc.server.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('row', { name: /^Ops/ }).filter({ hasText: `Managed by ${label}` }).waitFor();

  await page.getByRole('link', { name: 'Ops', exact: true }).click();
  await page.getByRole('tab', { name: 'Projects' }).click();
  await page.getByRole('row', { name: /^tf-linked/ }).filter({ hasText: `Managed by ${label}` }).waitFor();

  await page.getByRole('link', { name: 'Modify' }).click();
  await page.getByLabel('Company').fill('Ops From Console');
  await page.getByRole('button', { name: 'Save changes' }).click();
  const warning = page.getByRole('dialog', { name: 'This object is managed in code' });
  await warning.filter({ hasText: `the next plan of ${label} will show the change as drift` }).waitFor();
  await warning.getByRole('button', { name: 'Change it here anyway (drift)' }).click();
  await page.getByRole('heading', { name: 'Billing information' }).waitFor();

  // Terraform sees it as drift; the group stays managed by its workspace.
  const plan = await acc.run(dir, 'plan', '-detailed-exitcode', '-input=false');
  expect(plan.code).toBe(2);
  expect(plan.stdout).toContain('Ops From Console');
  const live = (await acc.api.listGroups()).find((g) => g.name === 'Ops')!;
  expect(live.managedBy).toBe(label);

  // drift names the console user and says the change was made outside IaC.
  const state = path.join(dir, 'state.json');
  fs.writeFileSync(state, (await acc.run(dir, 'show', '-json')).stdout);
  const drift = await cli(['drift', '--terraform-state', state], { env: { CLOUDBILLING_API_URL: acc.server.url, CLOUDBILLING_TOKEN: acc.server.adminToken } });
  expect(drift.code).toBe(2);
  expect(drift.stdout).toMatch(/by admin@example\.com \(usr-[0-9a-f]+\) outside IaC \(console or API\) at \S+ \(group\.updated\)/);
  expect(problems).toEqual([]);
});
