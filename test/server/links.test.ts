/** Projects and links: create, move, transfer, unlink, no-ops, counts, usage follows the group. */
import { firstOfMonth, firstOfNextMonth } from '../../provider/domain/rules';
import { expectError, expectOk, Fixture } from './client';
import { STORES } from '../helpers/stores';

describe.each(STORES)('%s store', (store) => {
  let f: Fixture;
  let a: any;
  let b: any;
  beforeAll(async () => {
    f = await Fixture.start({ store });
    await f.enableSubGroups();
    a = await f.group('A');
    b = await f.group('B');
  });
  afterAll(() => f.close());

  test('a new project lands in main, effective from the first day of this month', async () => {
    const r = await f.admin.post('/v1/projects', { name: 'web' });
    expect(r.status).toBe(201);
    expect(r.data).toEqual({
      id: expect.stringMatching(/^prj-[0-9a-f]{16}$/),
      name: 'web',
      billingGroupId: f.mainId,
      effectiveFrom: firstOfMonth(new Date()),
      createdAt: expect.any(String),
      managedBy: null,
      warnings: [],
    });
    expect(expectOk(await f.admin.get(`/v1/projects/${r.data.id}`))).toMatchObject({ id: r.data.id, billingGroupId: f.mainId });
    expectError(await f.admin.post('/v1/projects', { name: '' }), 400, 'BAD_REQUEST');
    expectError(await f.admin.post('/v1/projects', {}), 400, 'BAD_REQUEST');
  });

  test('link from main, no-op relink, transfer with allowTransfer, unlink back to main', async () => {
    const p = await f.project('svc');
    const r1 = await f.admin.put(`/v1/projects/${p.id}/billing-group`, { billingGroupId: a.id });
    expect(r1.status).toBe(200);
    expect(r1.data).toEqual({
      projectId: p.id,
      billingGroupId: a.id,
      previousBillingGroupId: f.mainId,
      effectiveFrom: firstOfNextMonth(new Date()),
      warnings: [{ code: 'LINK_EFFECTIVE_NEXT_MONTH', message: expect.stringContaining(firstOfNextMonth(new Date())) }],
    });
    expect(expectOk(await f.admin.get(`/v1/projects/${p.id}`)).billingGroupId).toBe(a.id);

    const same = expectOk(await f.admin.put(`/v1/projects/${p.id}/billing-group`, { billingGroupId: a.id }));
    expect(same).toMatchObject({ billingGroupId: a.id, previousBillingGroupId: a.id, warnings: [] });

    expectError(await f.admin.put(`/v1/projects/${p.id}/billing-group`, { billingGroupId: b.id }), 409, 'TRANSFER_NOT_ACKNOWLEDGED');
    expectError(await f.admin.put(`/v1/projects/${p.id}/billing-group`, { billingGroupId: b.id, allowTransfer: false }), 409, 'TRANSFER_NOT_ACKNOWLEDGED');
    const moved = expectOk(await f.admin.put(`/v1/projects/${p.id}/billing-group`, { billingGroupId: b.id, allowTransfer: true }));
    expect(moved).toMatchObject({ billingGroupId: b.id, previousBillingGroupId: a.id });

    const back = expectOk(await f.admin.del(`/v1/projects/${p.id}/billing-group`));
    expect(back).toMatchObject({ projectId: p.id, billingGroupId: f.mainId, previousBillingGroupId: b.id });
    expect(back.warnings.map((w: { code: string }) => w.code)).toEqual(['LINK_EFFECTIVE_NEXT_MONTH']);
    expectError(await f.admin.del(`/v1/projects/${p.id}/billing-group`), 409, 'MAIN_UNLINK_FORBIDDEN');
    expectError(await f.admin.put(`/v1/projects/${p.id}/billing-group`, { billingGroupId: f.mainId }), 409, 'MAIN_UNLINK_FORBIDDEN');
  });

  test('linking to main from a sub group is an unlink (no allowTransfer needed)', async () => {
    const p = await f.project('to-main');
    await f.link(p.id, a.id);
    const r = expectOk(await f.admin.put(`/v1/projects/${p.id}/billing-group`, { billingGroupId: f.mainId }));
    expect(r).toMatchObject({ billingGroupId: f.mainId, previousBillingGroupId: a.id });
  });

  test('project counts follow the links', async () => {
    const g = await f.group('Counted');
    const ps = [await f.project('c1'), await f.project('c2'), await f.project('c3')];
    for (const p of ps) await f.link(p.id, g.id);
    expect(expectOk(await f.admin.get(`/v1/billing-groups/${g.id}`)).projectCount).toBe(3);
    const items = expectOk(await f.admin.get(`/v1/billing-groups/${g.id}/projects`)).items;
    expect(items.map((p: { id: string }) => p.id).sort()).toEqual(ps.map((p) => p.id).sort());
    const all = expectOk(await f.admin.get('/v1/projects')).items;
    const main = expectOk(await f.admin.get(`/v1/billing-groups/${f.mainId}`));
    expect(main.totalProjectCount).toBe(all.length);
    const groups = expectOk(await f.admin.get('/v1/billing-groups')).items;
    expect(groups.reduce((s: number, x: { projectCount: number }) => s + x.projectCount, 0)).toBe(all.length);
  });

  test('link body and path errors', async () => {
    const p = await f.project('errs');
    expectError(await f.admin.put('/v1/projects/nope/billing-group', { billingGroupId: a.id }), 404, 'PROJECT_NOT_FOUND');
    expectError(await f.admin.get('/v1/projects/prj-ffffffffffffffff'), 404, 'PROJECT_NOT_FOUND');
    expectError(await f.admin.del('/v1/projects/prj-ffffffffffffffff/billing-group'), 404, 'PROJECT_NOT_FOUND');
    expectError(await f.admin.put(`/v1/projects/${p.id}/billing-group`, { billingGroupId: 'bg-ffffffffffffffff' }), 404, 'GROUP_NOT_FOUND');
    expectError(await f.admin.put(`/v1/projects/${p.id}/billing-group`, {}), 400, 'BAD_REQUEST');
    expectError(await f.admin.put(`/v1/projects/${p.id}/billing-group`, { billingGroupId: a.id, allowTransfer: 'yes' }), 400, 'BAD_REQUEST');
    expectError(await f.admin.put(`/v1/projects/${p.id}/billing-group`, { billingGroupId: 7 }), 400, 'BAD_REQUEST');
  });

  test('usage belongs to the group the project was in when it was recorded', async () => {
    const p = await f.project('metered');
    await f.link(p.id, a.id);
    const u1 = await f.usage(p.id, 10.25);
    expect(u1).toMatchObject({ projectId: p.id, billingGroupId: a.id, amount: 10.25, service: 'compute' });
    await f.link(p.id, b.id, true);
    const u2 = await f.usage(p.id, 4.75);
    expect(u2.billingGroupId).toBe(b.id);
    const snap = expectOk(await f.admin.get('/v1/snapshot'));
    const fin = (id: string) => snap.groups.find((g: { id: string }) => g.id === id).finance;
    expect(fin(a.id).unbilledUsage).toBe(10.25);
    expect(fin(b.id).unbilledUsage).toBe(4.75);
  });
});
