/**
 * The console end to end (SPEC §9, issue 11): a real server with the demo domain, a real
 * headless Chromium, elements found by role, label and text as a person finds them, and
 * every write checked through the API afterwards.
 */
import fs from 'node:fs';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { client, type Api } from '../server/client';
import { startTestServer, type TestServer } from '../helpers/server';
import { launchChromium, screenshot, watchProblems } from './browser';

jest.setTimeout(60_000);

let server: TestServer;
let api: Api;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[];

const group = async (name: string) => (await api.get('/v1/billing-groups')).data.items.find((g: { name: string }) => g.name === name);
const project = async (name: string) => (await api.get('/v1/projects')).data.items.find((p: { name: string }) => p.name === name);

/** Wait until `loc` (first match) shows `text`; playwright-core has no web-first assertions, so: its auto-waiting locators. */
async function shows(loc: Locator, text: string | RegExp): Promise<void> {
  await loc.filter({ hasText: text }).first().waitFor({ timeout: 10_000 });
}
async function textOf(loc: Locator): Promise<string> {
  await loc.first().waitFor({ timeout: 10_000 });
  return loc.first().innerText();
}
const visible = (loc: Locator) => loc.first().waitFor({ timeout: 10_000 });

async function signIn(p: Page, token: string) {
  await p.goto(`${server.url}/console/`);
  await p.getByLabel('API token').fill(token);
  await p.getByRole('button', { name: 'Sign in' }).click();
}

async function openGroup(name: string, tab?: string) {
  await page.goto(`${server.url}/console/#/`);
  await page.getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: new RegExp(`^${name.replace(/[&]/g, '\\$&')}`) }).waitFor();
  if (tab) await page.getByRole('tab', { name: tab }).click();
}

beforeAll(async () => {
  browser = await launchChromium();
  server = await startTestServer({ demo: true });
  api = client(server.url, server.adminToken);
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  context.setDefaultTimeout(10_000);
  page = await context.newPage();
  problems = watchProblems(page, server.url);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
});

afterEach(() => {
  const seen = problems.splice(0);
  expect(seen).toEqual([]);
});

test('serves the console with a strict CSP and leaves /v1 headers alone', async () => {
  const res = await fetch(`${server.url}/console/`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
  expect(res.headers.get('content-security-policy')).not.toMatch(/unsafe-inline|unsafe-eval/);
  const html = await res.text();
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
  expect(html).not.toMatch(/<style|style="/); // no inline style
  expect(html).not.toMatch(/https?:\/\//); // nothing from the network
  for (const bad of ['/console/%2e%2e%2fpackage.json', '/console/..%5cpackage.json', '/console/.hidden', '/console/%00', '/console/nope.js']) {
    const r = await fetch(`${server.url}${bad}`);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(((await r.json()) as { error: { code: string } }).error.code).toEqual(expect.any(String));
  }
  const v1 = await fetch(`${server.url}/v1/health`);
  expect(v1.headers.get('content-security-policy')).toBeNull();
  expect(v1.headers.get('access-control-allow-origin')).toBeNull();
});

test('sign in: a wrong token is refused with the API message, the right one opens the list', async () => {
  await signIn(page, 'not-a-token');
  await shows(page.getByRole('alert'), 'The token is not valid');
  expect(await page.evaluate('sessionStorage.length')).toBe(0);
  await page.getByLabel('API token').fill(server.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Billing groups' }).waitFor();
  expect(page.url()).not.toContain(server.adminToken);
});

test('the list shows name, payment method, projects (main: domain total and own), dates and creator', async () => {
  const main = await group('example');
  const row = page.getByRole('row', { name: /^example/ });
  expect(await textOf(row.getByRole('cell').nth(0))).toBe('Account · pm_demo_main_account');
  await shows(row, `${main.totalProjectCount} in the domain (${main.projectCount} own)`);
  await shows(page.getByRole('row', { name: /^Platform/ }), 'Card · pm_demo_card_platform');
  expect(await textOf(page.getByRole('row', { name: /^Marketing/ }).getByRole('cell').nth(0))).toBe('None');
  await shows(row, 'admin@example.com');
  expect(await page.getByRole('row').count()).toBe(1 + (await api.get('/v1/billing-groups')).data.items.length);
});

test('create: a bad e-mail is refused with EMAIL_INVALID and nothing is created; a good one is', async () => {
  const before = (await api.get('/v1/billing-groups')).data.items.length;
  await page.getByRole('button', { name: 'Create billing group' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create billing group' });
  await dialog.getByLabel('Name').fill('Mobile');
  await dialog.getByLabel('Billing e-mails').fill('not-an-email');
  await dialog.getByLabel('Invoice e-mails').fill('ap@example.com');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await shows(dialog.getByRole('alert'), 'EMAIL_INVALID');
  expect((await api.get('/v1/billing-groups')).data.items.length).toBe(before);
  expect(await dialog.getByLabel('Billing e-mails').getAttribute('aria-invalid')).toBe('true');
  expect(await dialog.getByLabel('Invoice e-mails').getAttribute('aria-invalid')).toBeNull();
  await dialog.getByLabel('Billing e-mails').fill('mobile-billing@example.com');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await visible(page.getByRole('status').filter({ hasText: 'Created billing group "Mobile"' }));
  await visible(page.getByRole('link', { name: 'Mobile', exact: true }));
  const mobile = await group('Mobile');
  expect(mobile.billingEmails).toEqual(['mobile-billing@example.com']);
  expect((await api.get('/v1/billing-groups')).data.items.length).toBe(before + 1);
});

test('keyboard: dialogs take and give back focus, a route change focuses its heading, arrow keys move between tabs', async () => {
  await page.goto(`${server.url}/console/#/`);
  const create = page.getByRole('button', { name: 'Create billing group' });
  await create.focus();
  await page.keyboard.press('Enter');
  await visible(page.getByRole('dialog', { name: 'Create billing group' }));
  expect(await page.evaluate(() => (globalThis as any).document.activeElement.id)).toBe('f-name');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  expect(await page.evaluate(() => (globalThis as any).document.activeElement.textContent)).toBe('Create billing group');

  await page.getByRole('link', { name: 'Platform', exact: true }).focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => (globalThis as any).document.activeElement?.tagName === 'H1');
  expect(await page.evaluate(() => (globalThis as any).document.activeElement.textContent)).toMatch(/^Platform/);
  await page.getByRole('tab', { name: 'Overview' }).focus();
  await page.keyboard.press('ArrowRight');
  await visible(page.getByRole('tabpanel', { name: 'Projects' }).getByRole('heading', { name: 'Projects billed to this group' }));
  expect(await page.getByRole('tab', { name: 'Projects' }).getAttribute('aria-selected')).toBe('true');
  expect(await page.evaluate(() => (globalThis as any).document.activeElement.textContent)).toBe('Projects');
  await page.keyboard.press('End');
  await visible(page.getByRole('tabpanel', { name: 'Billing information' }));
});

test('link and unlink a project found by name', async () => {
  await openGroup('Mobile', 'Projects');
  await page.getByLabel('Search projects by name').fill('sandb');
  await shows(page.getByRole('list', { name: 'Matching projects' }), 'now in example');
  await page.getByRole('button', { name: 'Link sandbox to Mobile' }).click();
  await shows(page.getByRole('status').filter({ hasText: 'Project "sandbox" is now billed to "Mobile"' }), 'LINK_EFFECTIVE_NEXT_MONTH');
  const mobile = await group('Mobile');
  expect((await project('sandbox')).billingGroupId).toBe(mobile.id);
  await page.getByRole('button', { name: 'Unlink sandbox' }).click();
  await visible(page.getByRole('status').filter({ hasText: 'Project "sandbox" is back in the main group' }));
  expect((await project('sandbox')).billingGroupId).toBe((await group('example')).id);
});

test("a transfer between sub groups is refused without the admins' agreement, done with it", async () => {
  const platform = await group('Platform');
  const apiGateway = await project('api-gateway');
  expect(apiGateway.billingGroupId).toBe(platform.id);
  await page.getByLabel('Search projects by name').fill('api-gateway');
  await page.getByRole('button', { name: 'Link api-gateway to Mobile' }).click();
  const refusal = page.getByRole('alert').filter({ hasText: 'TRANSFER_NOT_ACKNOWLEDGED' });
  await shows(refusal, 'was not moved');
  await shows(refusal, 'allowTransfer');
  expect((await project('api-gateway')).billingGroupId).toBe(platform.id);
  await screenshot(page, 'transfer-refused');
  const transfer = page.getByRole('button', { name: 'Transfer "api-gateway"' });
  expect(await transfer.isDisabled()).toBe(true);
  await page.getByLabel('The admins of both groups agreed to this transfer').check();
  await transfer.click();
  await visible(page.getByRole('status').filter({ hasText: 'Project "api-gateway" is now billed to "Mobile"' }));
  expect((await project('api-gateway')).billingGroupId).toBe((await group('Mobile')).id);
});

test("the main group's name is not editable", async () => {
  await openGroup('example');
  await page.getByRole('link', { name: 'Modify' }).click();
  const name = page.getByLabel('Name');
  await visible(name);
  expect(await name.getAttribute('readonly')).not.toBeNull();
  await shows(page.getByText('Not editable:'), 'MAIN_GROUP_IMMUTABLE_NAME');
  // The rest stays editable, and a change saves.
  await page.getByLabel('Company').fill('Example Holdings');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('heading', { name: 'Billing information' }).waitFor();
  const main = await group('example');
  expect(main.name).toBe('example');
  expect(main.details.company).toBe('Example Holdings');
});

test('delete: blocked by DELETE_HAS_PROJECTS before confirming; another group deleted by typing its name', async () => {
  await openGroup('Mobile');
  await page.getByRole('button', { name: 'Delete' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete billing group "Mobile"' });
  await shows(dialog.getByRole('alert'), 'DELETE_HAS_PROJECTS');
  expect(await dialog.getByRole('button', { name: 'Delete group' }).isDisabled()).toBe(true);
  await screenshot(page, 'delete-blocked');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  expect(await page.evaluate(() => (globalThis as any).document.activeElement.textContent)).toBe('Delete'); // focus back on the opener
  expect(await group('Mobile')).toBeDefined();

  const temp = (await api.post('/v1/billing-groups', { name: 'Temporary', billingEmails: ['t@example.com'], invoiceEmails: ['t@example.com'] })).data;
  await openGroup('Temporary');
  await page.getByRole('button', { name: 'Delete' }).click();
  const del = page.getByRole('dialog', { name: 'Delete billing group "Temporary"' });
  await shows(del.getByRole('status'), 'DELETE_IRREVERSIBLE');
  await del.getByLabel("Type the group's name to confirm").fill('Temporary');
  await del.getByRole('button', { name: 'Delete group' }).click();
  await page.getByRole('heading', { level: 1, name: 'Billing groups' }).waitFor();
  expect((await api.get(`/v1/billing-groups/${temp.id}`)).status).toBe(404);
});

test('invoices: the CSV downloads; the overview charts costs with a table', async () => {
  await openGroup('Platform');
  await visible(page.getByRole('table', { name: 'Cost per month' }));
  await shows(page.getByRole('table', { name: 'Cost per project (all invoices)' }), 'api-gateway');
  await screenshot(page, 'group-overview');
  await page.getByRole('tab', { name: 'Invoices' }).click();
  const invoice = (await api.get(`/v1/billing-groups/${(await group('Platform')).id}/invoices`)).data.items[0];
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `Download CSV of invoice ${invoice.period}` }).click()]);
  expect(download.suggestedFilename()).toBe(`${invoice.id}.csv`);
  const csv = fs.readFileSync(await download.path(), 'utf8');
  expect(csv.split('\r\n')[0]).toBe('project_id,service,amount');
  expect(csv).toContain(`total,,${invoice.total}`);
});

test('a sub group member sees only their group, and no payment reference', async () => {
  const platform = await group('Platform');
  const user = (await api.post('/v1/users', { email: 'viewer@example.com', name: 'Vera Viewer' })).data;
  await api.put(`/v1/billing-groups/${platform.id}/permissions/${user.id}`);
  const other = await browser.newContext();
  const p = await other.newPage();
  const otherProblems = watchProblems(p, server.url);
  try {
    await signIn(p, user.token);
    await p.getByRole('heading', { level: 1, name: 'Billing groups' }).waitFor();
    await visible(p.getByRole('link', { name: 'Platform', exact: true }));
    expect(await p.getByRole('row').count()).toBe(2);
    expect(await p.getByRole('button', { name: 'Create billing group' }).isDisabled()).toBe(true);
    await shows(p.locator('#create-blocked'), 'FORBIDDEN');
    await p.getByRole('link', { name: 'Platform', exact: true }).click();
    await shows(p.getByRole('status'), 'changing it is not possible');
    await shows(p.getByRole('status'), 'FORBIDDEN');
    expect(await p.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    await p.getByRole('tab', { name: 'Billing information' }).click();
    await shows(p.getByText('Payment method').locator('..'), 'Card');
    expect(await p.getByRole('link', { name: 'Modify billing information' }).count()).toBe(0);
    const text = await p.locator('body').innerText();
    expect(text).not.toContain('pm_demo');
    for (const hidden of ['Marketing', 'Research', 'Data & Analytics', 'Mobile']) expect(text).not.toContain(hidden);
    await p.getByRole('tab', { name: 'Projects' }).click();
    await p.getByLabel('Search projects by name').fill('a');
    const results = await p.getByRole('list', { name: 'Matching projects' }).innerText();
    expect(results).not.toMatch(/warehouse|campaigns|sandbox/);
    expect(otherProblems).toEqual([]);
  } finally {
    await other.close();
  }
});

test('a managed group: the mark, and editing it warns about drift with the code first', async () => {
  const TF = { 'x-cloudbilling-managed-by': 'terraform:infra/default' };
  const research = await group('Research');
  expect((await api.patch(`/v1/billing-groups/${research.id}`, { details: { company: 'Research Co' } }, TF)).status).toBe(200);
  await page.goto(`${server.url}/console/#/`);
  await shows(page.getByRole('row', { name: /^Research/ }), 'Managed by terraform:infra/default');
  await screenshot(page, 'group-list'); // the list with a managed group
  await openGroup('Research');
  await page.getByRole('link', { name: 'Modify' }).click();
  await page.getByLabel('Company').fill('Research Labs');
  await page.getByRole('button', { name: 'Save changes' }).click();
  const warning = page.getByRole('dialog', { name: 'This object is managed in code' });
  await shows(warning, 'the next plan of terraform:infra/default will show the change as drift');
  const hcl = await textOf(warning.getByLabel('Terraform / OpenTofu (HCL) snippet'));
  expect(hcl).toContain('resource "cloudbilling_billing_group" "research" {');
  expect(hcl).toMatch(/details = \{\s+company = "Research Labs"\s+\}/);
  await screenshot(page, 'drift-warning');
  // Cancel: nothing written.
  await warning.getByRole('button', { name: 'Cancel, I will change the code' }).click();
  expect((await api.get(`/v1/billing-groups/${research.id}`)).data.details.company).toBe('Research Co');
  // Anyway: written without the header; the mark stays and the event names the console user.
  await page.getByRole('button', { name: 'Save changes' }).click();
  await warning.getByRole('button', { name: 'Change it here anyway (drift)' }).click();
  await page.getByRole('heading', { name: 'Billing information' }).waitFor();
  const after = (await api.get(`/v1/billing-groups/${research.id}`)).data;
  expect(after.details.company).toBe('Research Labs');
  expect(after.managedBy).toBe('terraform:infra/default');
  const [last] = (await api.get(`/v1/billing-groups/${research.id}/events?limit=1`)).data.items;
  expect(last).toMatchObject({ action: 'group.updated', managedBy: null });
  await page.getByRole('tab', { name: 'Events' }).click();
  const rows = page.getByRole('row').filter({ hasText: 'group.updated' });
  await shows(rows.nth(0), 'Research Labs');
  expect(await rows.nth(0).innerText()).not.toContain('Managed by');
  await shows(rows.nth(1), 'Managed by terraform:infra/default');
});

test('a managed link: unlinking it warns first, with the block to delete in code', async () => {
  const research = await group('Research');
  const chatbot = await project('chatbot');
  await api.put(`/v1/projects/${chatbot.id}/billing-group`, { billingGroupId: research.id }, { 'x-cloudbilling-managed-by': 'pulumi:acme/billing/prod' });
  await openGroup('Research', 'Projects');
  await shows(page.getByRole('row', { name: /^chatbot/ }), 'Managed by pulumi:acme/billing/prod');
  await page.getByRole('button', { name: 'Unlink chatbot' }).click();
  const warning = page.getByRole('dialog', { name: 'This object is managed in code' });
  const ts = await textOf(warning.getByLabel('Pulumi (TypeScript) snippet'));
  expect(ts).toContain("new ProjectLink('chatbot', {");
  expect(ts).toContain(`projectId: "${chatbot.id}"`);
  await warning.getByRole('button', { name: 'Cancel, I will change the code' }).click();
  expect((await project('chatbot')).billingGroupId).toBe(research.id);
});

test('permissions: add a member; removing their last membership warns with USER_LOSES_BILLING_ACCESS', async () => {
  const user = (await api.post('/v1/users', { email: 'newcomer@example.com', name: 'Nico Newcomer' })).data;
  await openGroup('Marketing', 'Permissions');
  await page.getByLabel('Add a member').selectOption({ label: 'Nico Newcomer <newcomer@example.com>' });
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await shows(page.getByRole('status'), 'Nico Newcomer <newcomer@example.com> is now a member.');
  await page.getByRole('button', { name: 'Remove Nico Newcomer <newcomer@example.com>' }).click();
  const dialog = page.getByRole('dialog', { name: 'Remove Nico Newcomer <newcomer@example.com>?' });
  await shows(dialog.getByRole('status'), 'USER_LOSES_BILLING_ACCESS');
  await dialog.getByRole('button', { name: 'Remove member' }).click();
  await shows(page.getByRole('status'), 'is no longer a member');
  const marketing = await group('Marketing');
  expect((await api.get(`/v1/billing-groups/${marketing.id}/permissions`)).data.items.some((p: { userId: string }) => p.userId === user.id)).toBe(false);
});

test('credits and invoices: claim a code, refund a paid credit, pay an open invoice', async () => {
  await openGroup('Marketing', 'Credits');
  await page.getByLabel('Credit code').fill('PAID-MKT-2026-300');
  await page.getByRole('button', { name: 'Claim' }).click();
  await shows(page.getByRole('row', { name: /PAID-MKT-2026-300/ }), 'active');
  await page.getByRole('button', { name: 'Refund credit PAID-MKT-2026-300' }).click();
  await shows(page.getByRole('row', { name: /PAID-MKT-2026-300/ }), 'refunded');
  await page.getByLabel('Credit code').fill('NOT A CODE');
  await page.getByRole('button', { name: 'Claim' }).click();
  await shows(page.getByRole('alert'), 'BAD_REQUEST');

  const marketing = await group('Marketing');
  const [campaigns] = (await api.get(`/v1/billing-groups/${marketing.id}/projects`)).data.items;
  await api.post('/v1/usage', { projectId: campaigns.id, service: 'compute', amount: 42.5 });
  const closed = (await api.post(`/v1/billing-periods/${new Date().toISOString().slice(0, 7)}/close`)).data;
  const invoice = closed.invoices.find((i: { billingGroupId: string }) => i.billingGroupId === marketing.id);
  await page.getByRole('tab', { name: 'Invoices' }).click();
  await page.getByRole('button', { name: `Pay invoice ${invoice.period}` }).click();
  await shows(page.getByRole('status'), `Invoice ${invoice.period} is paid.`);
  expect((await api.get(`/v1/invoices/${invoice.id}`)).data.status).toBe('paid');
});

test('create is disabled, with the rule, while the main group has no payment method; a refused token ends the session', async () => {
  const bare = await startTestServer();
  const other = await browser.newContext();
  const p = await other.newPage();
  try {
    await p.goto(`${bare.url}/console/`);
    await p.getByLabel('API token').fill(bare.adminToken);
    await p.getByRole('button', { name: 'Sign in' }).click();
    const create = p.getByRole('button', { name: 'Create billing group' });
    await visible(create);
    expect(await create.isDisabled()).toBe(true);
    await shows(p.locator('#create-blocked'), 'MAIN_PAYMENT_REQUIRED');
    // A token the API stops accepting ends the session: back to sign-in, with the API's message.
    await p.evaluate(() => (globalThis as any).sessionStorage.setItem('cloudbilling.token', 'revoked-token'));
    await p.getByRole('link', { name: 'example', exact: true }).click();
    await shows(p.getByRole('status'), 'You were signed out: The token is not valid');
    await visible(p.getByLabel('API token'));
    expect(await p.evaluate(() => (globalThis as any).sessionStorage.length)).toBe(0);
  } finally {
    await other.close();
    await bare.close();
  }
});
