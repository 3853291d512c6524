/** Usage, closing periods, invoices (JSON, CSV, pay), credits (claim, refund, forfeit) and the delete rules. */
import { expectError, expectOk, Fixture, thisPeriod } from './client';
import { STORES } from '../helpers/stores';

describe.each(STORES)('%s store', (store) => {
  let f: Fixture;
  beforeAll(async () => {
    f = await Fixture.start({ store });
    await f.enableSubGroups();
  });
  afterAll(() => f.close());

  test('usage validation', async () => {
    const p = await f.project('u');
    expectError(await f.admin.post('/v1/usage', { projectId: p.id, service: 'compute', amount: 0 }), 400, 'BAD_REQUEST');
    expectError(await f.admin.post('/v1/usage', { projectId: p.id, service: 'compute', amount: -5 }), 400, 'BAD_REQUEST');
    expectError(await f.admin.post('/v1/usage', { projectId: p.id, service: 'compute', amount: '5' }), 400, 'BAD_REQUEST');
    expectError(await f.admin.post('/v1/usage', { projectId: p.id, service: '', amount: 5 }), 400, 'BAD_REQUEST');
    expectError(await f.admin.post('/v1/usage', { projectId: p.id, service: 'compute', amount: 5, at: 'yesterday' }), 400, 'BAD_REQUEST');
    expectError(await f.admin.post('/v1/usage', { projectId: 'prj-ffffffffffffffff', service: 'compute', amount: 5 }), 404, 'PROJECT_NOT_FOUND');
    const u = await f.usage(p.id, 1.5, 'storage', '2026-01-15T10:00:00Z');
    expect(u).toEqual({
      id: expect.stringMatching(/^usg-/),
      projectId: p.id,
      billingGroupId: f.mainId,
      service: 'storage',
      amount: 1.5,
      at: '2026-01-15T10:00:00.000Z',
      warnings: [],
    });
  });

  test('closing a period makes one invoice per group with a line per project and service; exact totals', async () => {
    const g = await f.group('Invoiced');
    const p1 = await f.project('i1');
    const p2 = await f.project('i2');
    await f.link(p1.id, g.id);
    await f.link(p2.id, g.id);
    const at = '2025-03-10T00:00:00Z';
    await f.usage(p1.id, 0.1, 'compute', at);
    await f.usage(p1.id, 0.2, 'compute', at);
    await f.usage(p1.id, 3, 'storage', at);
    await f.usage(p2.id, 1.005, 'compute', at);
    await f.usage(p2.id, 99, 'compute', '2025-04-01T00:00:00Z'); // another month

    expectError(await f.admin.post('/v1/billing-periods/2025-13/close'), 400, 'BAD_REQUEST');
    expectError(await f.admin.post('/v1/billing-periods/march/close'), 400, 'BAD_REQUEST');

    const r = expectOk(await f.admin.post('/v1/billing-periods/2025-03/close'));
    expect(r.period).toBe('2025-03');
    expect(r.warnings).toEqual([]);
    const inv = r.invoices.find((i: { billingGroupId: string }) => i.billingGroupId === g.id);
    expect(inv).toMatchObject({ id: expect.stringMatching(/^inv-/), period: '2025-03', status: 'open', total: 4.305 });
    expect(inv.lines).toEqual(
      expect.arrayContaining([
        { projectId: p1.id, service: 'compute', amount: 0.3 },
        { projectId: p1.id, service: 'storage', amount: 3 },
        { projectId: p2.id, service: 'compute', amount: 1.005 },
      ]),
    );
    expect(inv.lines).toHaveLength(3);

    // Closing again invoices only what arrived since.
    expect(expectOk(await f.admin.post('/v1/billing-periods/2025-03/close')).invoices).toEqual([]);
    await f.usage(p1.id, 2, 'compute', at);
    const again = expectOk(await f.admin.post('/v1/billing-periods/2025-03/close')).invoices;
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ billingGroupId: g.id, total: 2, lines: [{ projectId: p1.id, service: 'compute', amount: 2 }] });

    const list = expectOk(await f.admin.get(`/v1/billing-groups/${g.id}/invoices`)).items;
    expect(list.map((i: { id: string }) => i.id)).toEqual([inv.id, again[0].id]);
    expect(expectOk(await f.admin.get(`/v1/invoices/${inv.id}`))).toEqual(inv);

    const csv = await f.admin.get(`/v1/invoices/${inv.id}?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = String(csv.data).trim().split(/\r?\n/);
    expect(rows[0]).toBe('project_id,service,amount');
    expect(rows).toContain(`${p1.id},storage,3`);
    expect(rows[rows.length - 1]).toBe('total,,4.305');
    expectError(await f.admin.get(`/v1/invoices/${inv.id}?format=xml`), 400, 'BAD_REQUEST');
    expectError(await f.admin.get('/v1/invoices/inv-ffffffffffffffff'), 404, 'NOT_FOUND');

    // Pay.
    const paid = expectOk(await f.admin.post(`/v1/invoices/${inv.id}/pay`));
    expect(paid).toMatchObject({ id: inv.id, status: 'paid', warnings: [] });
    expectError(await f.admin.post(`/v1/invoices/${inv.id}/pay`), 409, 'CONFLICT');
    expectError(await f.admin.post('/v1/invoices/inv-ffffffffffffffff/pay'), 404, 'NOT_FOUND');
  });

  test('credits: claim free and paid, once per domain, refund paid only', async () => {
    const g = await f.group('Credited');
    const free = await f.admin.post(`/v1/billing-groups/${g.id}/credits`, { code: 'FREE-2026-500' });
    expect(free.status).toBe(201);
    expect(free.data).toMatchObject({ id: expect.stringMatching(/^cr-/), code: 'FREE-2026-500', kind: 'free', amount: 500, status: 'active', warnings: [] });
    const paid = expectOk(await f.admin.post(`/v1/billing-groups/${g.id}/credits`, { code: 'PAID-ACME-1000.50' }), 201);
    expect(paid).toMatchObject({ kind: 'paid', amount: 1000.5, status: 'active' });
    expectError(await f.admin.post(`/v1/billing-groups/${f.mainId}/credits`, { code: 'FREE-2026-500' }), 409, 'CONFLICT');
    for (const code of ['FREE', 'FREE-', 'FREE-abc', 'FREE-0', 'FREE-0.0', '-100', 'PAID-1e3', 'FREE-1000000001', 'FREE-1.1234567']) {
      expectError(await f.admin.post(`/v1/billing-groups/${g.id}/credits`, { code }), 400, 'BAD_REQUEST');
    }
    expectError(await f.admin.post(`/v1/billing-groups/${g.id}/credits`, { code: 5 }), 400, 'BAD_REQUEST');
    expectError(await f.admin.post('/v1/billing-groups/bg-ffffffffffffffff/credits', { code: 'FREE-1' }), 404, 'GROUP_NOT_FOUND');

    const list = expectOk(await f.admin.get(`/v1/billing-groups/${g.id}/credits`)).items;
    expect(list.map((c: { code: string }) => c.code)).toEqual(['FREE-2026-500', 'PAID-ACME-1000.50']);

    expectError(await f.admin.post(`/v1/billing-groups/${g.id}/credits/${free.data.id}/refund`), 409, 'CONFLICT');
    expectError(await f.admin.post(`/v1/billing-groups/${g.id}/credits/cr-ffffffffffffffff/refund`), 404, 'NOT_FOUND');
    expectError(await f.admin.post(`/v1/billing-groups/${f.mainId}/credits/${paid.id}/refund`), 404, 'NOT_FOUND');

    expectError(await f.admin.del(`/v1/billing-groups/${g.id}?confirmName=Credited`), 409, 'DELETE_PAID_CREDITS');
    const refunded = expectOk(await f.admin.post(`/v1/billing-groups/${g.id}/credits/${paid.id}/refund`));
    expect(refunded).toMatchObject({ id: paid.id, status: 'refunded' });
    expectError(await f.admin.post(`/v1/billing-groups/${g.id}/credits/${paid.id}/refund`), 409, 'CONFLICT');

    // Plan warns that free credits are forfeited; the delete then forfeits them.
    const plan = expectOk(await f.admin.post('/v1/plan', { changes: [{ op: 'deleteGroup', id: g.id }] }));
    expect(plan.errors).toEqual([]);
    expect(plan.warnings.map((w: { code: string }) => w.code)).toEqual(['FREE_CREDITS_FORFEITED', 'DELETE_IRREVERSIBLE']);
    expect((await f.admin.del(`/v1/billing-groups/${g.id}?confirmName=Credited`)).status).toBe(204);
    const after = expectOk(await f.admin.get(`/v1/billing-groups/${g.id}/credits`)).items;
    expect(after.map((c: { status: string }) => c.status)).toEqual(['forfeited', 'refunded']);
  });

  test('delete rules in order of a group life: projects, unbilled usage, open invoice, then 204', async () => {
    const g = await f.group('Lifecycle');
    const p = await f.project('life');
    await f.link(p.id, g.id);
    await f.usage(p.id, 12.5);
    const del = () => f.admin.del(`/v1/billing-groups/${g.id}?confirmName=Lifecycle`);

    let r = await del();
    expectError(r, 409, 'DELETE_HAS_PROJECTS');
    expect(r.data.error.details.violations.map((v: { code: string }) => v.code)).toEqual(['DELETE_HAS_PROJECTS', 'DELETE_UNBILLED_USAGE']);

    // The plan sees a delete that moves every project away in the same change set as fine for projects.
    const plan = expectOk(await f.admin.post('/v1/plan', { changes: [{ op: 'unlink', projectId: p.id }, { op: 'deleteGroup', id: g.id }] }));
    expect(plan.errors.map((e: { code: string; index: number }) => [e.code, e.index])).toEqual([['DELETE_UNBILLED_USAGE', 1]]);

    expectOk(await f.admin.del(`/v1/projects/${p.id}/billing-group`));
    expectError(await del(), 409, 'DELETE_UNBILLED_USAGE');
    const closed = expectOk(await f.admin.post(`/v1/billing-periods/${thisPeriod()}/close`));
    const inv = closed.invoices.find((i: { billingGroupId: string }) => i.billingGroupId === g.id);
    expect(inv.total).toBe(12.5);
    r = await del();
    expectError(r, 409, 'DELETE_OUTSTANDING_BALANCE');
    expect(r.data.error.message).toContain('12.5');
    expectOk(await f.admin.post(`/v1/invoices/${inv.id}/pay`));
    expect((await del()).status).toBe(204);

    // Invoices and events of a deleted group stay readable by id.
    expect(expectOk(await f.admin.get(`/v1/invoices/${inv.id}`))).toMatchObject({ billingGroupId: g.id, status: 'paid' });
    expect(expectOk(await f.admin.get(`/v1/billing-groups/${g.id}/invoices`)).items).toHaveLength(1);
    const events = expectOk(await f.admin.get(`/v1/billing-groups/${g.id}/events`)).items;
    expect(events[0].action).toBe('group.deleted');
    expectError(await f.admin.get(`/v1/billing-groups/${g.id}`), 404, 'GROUP_NOT_FOUND');
  });

  test('a member reads the invoices of their group; others are forbidden', async () => {
    const g = await f.group('Visible');
    const p = await f.project('vis');
    await f.link(p.id, g.id);
    await f.usage(p.id, 1, 'compute', '2024-06-01T00:00:00Z');
    const inv = expectOk(await f.admin.post('/v1/billing-periods/2024-06/close')).invoices[0];
    const member = await f.user('vis@example.com');
    const outsider = await f.user('out@example.com');
    expectOk(await f.admin.put(`/v1/billing-groups/${g.id}/permissions/${member.id}`));
    expect(expectOk(await f.as(member.token).get(`/v1/invoices/${inv.id}`)).id).toBe(inv.id);
    expect(expectOk(await f.as(member.token).get(`/v1/billing-groups/${g.id}/invoices`)).items).toHaveLength(1);
    expectError(await f.as(outsider.token).get(`/v1/invoices/${inv.id}`), 404, 'NOT_FOUND');
    expectError(await f.as(outsider.token).post(`/v1/invoices/${inv.id}/pay`), 404, 'NOT_FOUND');
    expectError(await f.as(member.token).post(`/v1/invoices/${inv.id}/pay`), 403, 'FORBIDDEN');
  });

  test('credits list in the order they were claimed, also when claimed within one millisecond', async () => {
    const g = await f.group('Many credits');
    // Claimed in parallel: the server applies several per millisecond (one group commit).
    const claims = await Promise.all(Array.from({ length: 30 }, (_, i) => f.admin.post(`/v1/billing-groups/${g.id}/credits`, { code: `FREE-ORDER${i}-${i + 1}` })));
    claims.forEach((r) => expectOk(r, 201));
    // The order they were applied in is the event log's (newest first).
    const events = expectOk(await f.admin.get(`/v1/billing-groups/${g.id}/events?limit=100`)).items as { action: string; target: string }[];
    const applied = events.filter((e) => e.action === 'credit.claimed').map((e) => e.target).reverse();
    const listed = expectOk(await f.admin.get(`/v1/billing-groups/${g.id}/credits`)).items as { id: string }[];
    expect(applied).toHaveLength(30);
    expect(listed.map((c) => c.id)).toEqual(applied);
  });
});
