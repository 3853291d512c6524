/**
 * The API client against the real server (in-process, :memory: SQLite), with a
 * fault-injecting loopback proxy in between for retries and idempotency.
 */
import { inspect } from 'node:util';
import { BillingClient, isApiError, ApiError } from '../../provider/client';
import { startTestServer } from '../helpers/server';
import { startChaosProxy, type ChaosProxy } from '../helpers/chaos-proxy';

const TOKEN = 'cbt_client_test_secret_0123456789';
const card = { type: 'card' as const, reference: 'tok_visa_4242' };
const emails = { billingEmails: ['billing@acme.test'], invoiceEmails: ['tax@acme.test'] };

let server: Awaited<ReturnType<typeof startTestServer>>;
let proxy: ChaosProxy;
let admin: BillingClient;

beforeAll(async () => {
  server = await startTestServer({ adminToken: TOKEN });
  proxy = await startChaosProxy(server.url);
  admin = new BillingClient({ apiUrl: server.url, token: TOKEN });
  const domain = await admin.getDomain();
  await admin.updateGroup(domain.mainGroupId, { paymentMethod: card });
});

afterAll(async () => {
  await proxy?.close();
  await server?.close();
});

beforeEach(() => {
  proxy.faults = [];
  proxy.seen = [];
});

/** A client through the chaos proxy with no real waiting between retries. */
function flaky(extra: Partial<ConstructorParameters<typeof BillingClient>[0]> = {}) {
  return new BillingClient({ apiUrl: proxy.url, token: TOKEN, baseDelayMs: 1, maxDelayMs: 5, ...extra });
}

async function countGroupsNamed(name: string): Promise<number> {
  return (await admin.listGroups()).filter((g) => g.name === name).length;
}

describe('configuration', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  test('reads CLOUDBILLING_API_URL and CLOUDBILLING_TOKEN when not given', async () => {
    process.env.CLOUDBILLING_API_URL = server.url + '/';
    process.env.CLOUDBILLING_TOKEN = TOKEN;
    const client = new BillingClient();
    expect(client.apiUrl).toBe(server.url);
    expect((await client.getDomain()).mainGroupId).toMatch(/^bg-/);
  });

  test('explicit arguments win over the environment', async () => {
    process.env.CLOUDBILLING_API_URL = 'http://127.0.0.1:9';
    process.env.CLOUDBILLING_TOKEN = 'wrong';
    const client = new BillingClient({ apiUrl: server.url, token: TOKEN });
    await expect(client.getDomain()).resolves.toHaveProperty('name');
  });

  test('an unknown token is UNAUTHENTICATED and not retried', async () => {
    const client = new BillingClient({ apiUrl: proxy.url, token: 'nope', baseDelayMs: 1 });
    await expect(client.getDomain()).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(proxy.seen).toHaveLength(1);
  });
});

describe('retries', () => {
  test('a dropped connection is retried', async () => {
    proxy.faults = ['drop-before', 'drop-before'];
    await expect(flaky().getDomain()).resolves.toHaveProperty('mainGroupId');
    expect(proxy.seen).toHaveLength(3);
  });

  test('5xx and 429 are retried; 429 honours Retry-After', async () => {
    proxy.faults = ['status:503', 'status:502', 'status:429:1'];
    const started = Date.now();
    await expect(flaky().listGroups()).resolves.toEqual(expect.any(Array));
    expect(proxy.seen).toHaveLength(4);
    // Retry-After: 1 means at least one second before the next attempt (behaviour, not speed).
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  test('gives up after the configured retries with a typed error', async () => {
    proxy.faults = ['status:503', 'status:503', 'status:503'];
    const err = await flaky({ retries: 2 }).getDomain().catch((e) => e);
    expect(isApiError(err)).toBe(true);
    expect(err).toMatchObject({ status: 503 });
    expect(proxy.seen).toHaveLength(3);
  });

  test('transport failures end as NETWORK_ERROR with status 0', async () => {
    proxy.faults = ['drop-before', 'drop-before'];
    const err = await flaky({ retries: 1 }).getDomain().catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 0, code: 'NETWORK_ERROR', isTransport: true });
  });

  test('a slow answer ends as TIMEOUT', async () => {
    proxy.faults = ['delay:400'];
    const err = await flaky({ retries: 0, timeoutMs: 100 }).getDomain().catch((e) => e);
    expect(err).toMatchObject({ status: 0, code: 'TIMEOUT' });
  });

  test('rule errors (4xx) are not retried', async () => {
    const name = 'dup-check';
    await admin.createGroup({ name, ...emails, paymentMethod: card });
    const err = await flaky().createGroup({ name: name.toUpperCase(), ...emails }).catch((e) => e);
    expect(err).toMatchObject({ status: 409, code: 'NAME_TAKEN' });
    expect(proxy.seen).toHaveLength(1);
  });
});

describe('idempotency', () => {
  test('a create whose answer is lost is retried with the same key and happens once', async () => {
    proxy.faults = ['drop-after'];
    const group = await flaky().createGroup({ name: 'lost-answer', ...emails, paymentMethod: card });
    expect(group.name).toBe('lost-answer');
    expect(proxy.seen).toHaveLength(2);
    expect(proxy.seen[0].idempotencyKey).toBeTruthy();
    expect(proxy.seen[1].idempotencyKey).toBe(proxy.seen[0].idempotencyKey);
    expect(await countGroupsNamed('lost-answer')).toBe(1);
  });

  test('a link move whose answer is lost is applied once (one event)', async () => {
    const a = await admin.createGroup({ name: 'idem-a', ...emails, paymentMethod: card });
    const project = await admin.createProject({ name: 'idem-project' });
    proxy.faults = ['drop-after'];
    const moved = await flaky().linkProject(project.id, a.id);
    expect(moved.billingGroupId).toBe(a.id);
    const events = (await admin.allEvents(a.id)).filter((e) => e.target.includes(project.id));
    expect(events).toHaveLength(1);
  });

  test('separate calls get separate keys', async () => {
    const client = flaky();
    await client.createGroup({ name: 'key-one', ...emails, paymentMethod: card });
    await client.createGroup({ name: 'key-two', ...emails, paymentMethod: card });
    const keys = proxy.seen.map((s) => s.idempotencyKey);
    expect(new Set(keys).size).toBe(2);
  });

  test('a caller-chosen key replays the first result', async () => {
    const first = await admin.createGroup({ name: 'chosen-key', ...emails, paymentMethod: card }, { idempotencyKey: 'fixed-key-1' });
    const again = await admin.createGroup({ name: 'chosen-key', ...emails, paymentMethod: card }, { idempotencyKey: 'fixed-key-1' });
    expect(again.id).toBe(first.id);
    expect(await countGroupsNamed('chosen-key')).toBe(1);
  });
});

describe('errors and reads', () => {
  test('reads that find nothing return null', async () => {
    expect(await admin.getGroup('bg-000000000000')).toBeNull();
    expect(await admin.getProject('prj-000000000000')).toBeNull();
    expect(await admin.getInvoice('inv-000000000000')).toBeNull();
  });

  test('a rule error carries its code, all violations and no secret', async () => {
    const err = await admin.createGroup({ name: ' ', billingEmails: [], invoiceEmails: ['x'] }).catch((e) => e);
    expect(isApiError(err)).toBe(true);
    expect(err.status).toBe(422);
    const codes = (err as ApiError).violations.map((v) => v.code);
    expect(codes).toEqual(expect.arrayContaining(['NAME_INVALID', 'BILLING_EMAILS_COUNT', 'EMAIL_INVALID']));
    expect(err.request).toBe('POST /v1/billing-groups');
    for (const text of [err.message, err.stack ?? '', inspect(err, { depth: 5 }), JSON.stringify(err)]) {
      expect(text).not.toContain(TOKEN);
    }
  });
});

describe('every endpoint through the client', () => {
  test('a month of billing, end to end', async () => {
    const domain = await admin.getDomain();
    expect(await admin.health()).toEqual({ status: 'ok' });
    const team = await admin.createGroup({ name: 'e2e-team', ...emails, paymentMethod: card });
    expect(team.warnings).toEqual([]);
    const other = await admin.createGroup({ name: 'e2e-other', ...emails });
    expect(other.warnings.map((w) => w.code)).toEqual(['NO_PAYMENT_METHOD']);
    const renamed = await admin.updateGroup(other.id, { name: 'e2e-other-2' }, { ifMatch: other.version });
    expect(renamed.version).toBe(other.version + 1);
    await expect(admin.updateGroup(other.id, { name: 'e2e-x' }, { ifMatch: other.version })).rejects.toMatchObject({ code: 'STALE_VERSION', status: 412 });

    const project = await admin.createProject({ name: 'e2e-project' });
    expect(project.billingGroupId).toBe(domain.mainGroupId);
    const link = await admin.linkProject(project.id, team.id);
    expect(link).toMatchObject({ projectId: project.id, billingGroupId: team.id, previousBillingGroupId: domain.mainGroupId });
    expect(link.effectiveFrom).toMatch(/^\d{4}-\d{2}-01$/);
    expect(link.warnings.map((w) => w.code)).toContain('LINK_EFFECTIVE_NEXT_MONTH');
    await expect(admin.linkProject(project.id, other.id)).rejects.toMatchObject({ code: 'TRANSFER_NOT_ACKNOWLEDGED' });
    expect((await admin.listGroupProjects(team.id)).map((p) => p.id)).toEqual([project.id]);
    expect((await admin.getProject(project.id))?.billingGroupId).toBe(team.id);
    expect((await admin.listProjects()).some((p) => p.id === project.id)).toBe(true);

    const user = await admin.createUser({ email: 'viewer@acme.test', name: 'Viewer' });
    expect(user.token).toBeTruthy();
    expect(user.role).toBeNull();
    expect((await admin.listUsers()).some((u) => u.id === user.id)).toBe(true);
    await admin.grantPermission(team.id, user.id);
    expect((await admin.listPermissions(team.id)).map((p) => p.userId)).toEqual([user.id]);
    const viewer = new BillingClient({ apiUrl: server.url, token: user.token });
    expect((await viewer.listGroups()).map((g) => g.id)).toEqual([team.id]);
    expect((await viewer.listProjects()).map((p) => p.id)).toEqual([project.id]);
    await expect(viewer.createProject({ name: 'nope' })).rejects.toMatchObject({ code: 'FORBIDDEN', status: 403 });

    const free = await admin.claimCredit(team.id, 'FREE-2026-50');
    expect(free).toMatchObject({ kind: 'free', amount: 50, status: 'active' });
    const paid = await admin.claimCredit(team.id, 'PAID-2026-20');
    expect(paid).toMatchObject({ kind: 'paid', amount: 20 });
    expect((await admin.listCredits(team.id)).length).toBe(2);

    const period = new Date().toISOString().slice(0, 7);
    await admin.recordUsage({ projectId: project.id, service: 'compute', amount: 12.5 });
    await admin.recordUsage({ projectId: project.id, service: 'compute', amount: 0.25 });
    await admin.recordUsage({ projectId: project.id, service: 'storage', amount: 3 });

    const plan = await admin.plan([{ op: 'deleteGroup', id: team.id }]);
    expect(plan.errors.map((e) => e.code)).toEqual(
      expect.arrayContaining(['DELETE_HAS_PROJECTS', 'DELETE_UNBILLED_USAGE', 'DELETE_PAID_CREDITS']),
    );
    expect(plan.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(['FREE_CREDITS_FORFEITED', 'DELETE_IRREVERSIBLE']));

    const closed = await admin.closePeriod(period);
    const invoice = closed.invoices.find((i) => i.billingGroupId === team.id)!;
    expect(invoice).toMatchObject({ period, status: 'open', total: 15.75 });
    expect(invoice.lines).toEqual(
      expect.arrayContaining([
        { projectId: project.id, service: 'compute', amount: 12.75 },
        { projectId: project.id, service: 'storage', amount: 3 },
      ]),
    );
    expect((await admin.listInvoices(team.id)).map((i) => i.id)).toContain(invoice.id);
    expect(await admin.getInvoiceCsv(invoice.id)).toContain('compute');
    expect((await admin.payInvoice(invoice.id)).status).toBe('paid');
    expect((await admin.refundCredit(team.id, paid.id)).status).toBe('refunded');

    await admin.unlinkProject(project.id);
    await expect(admin.deleteGroup(team.id, 'wrong name')).rejects.toMatchObject({ code: 'DELETE_CONFIRMATION', status: 409 });
    await admin.deleteGroup(team.id, team.name);
    expect(await admin.getGroup(team.id)).toBeNull();

    const events = await admin.listEvents(other.id, { limit: 1 });
    expect(events.items).toHaveLength(1);
    expect(events.nextCursor).toBeTruthy();

    const snapshot = await admin.getSnapshot();
    expect(snapshot.domain.id).toBe(domain.id);
    expect(snapshot.links.find((l) => l.projectId === project.id)?.billingGroupId).toBe(domain.mainGroupId);
    await admin.revokePermission(other.id, user.id);
  });
});
