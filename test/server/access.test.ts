/** Authentication, roles and visibility: who may write, who sees which groups and projects. */
import { expectError, expectOk, Fixture } from './client';
import { STORES } from '../helpers/stores';

describe.each(STORES)('%s store', (store) => {
  let f: Fixture;
  let sub: any;
  let other: any;
  let pMain: any;
  let pSub: any;
  let pOther: any;
  let mainMember: any;
  let subMember: any;
  let nobody: any;
  let admin2: any;

  beforeAll(async () => {
    f = await Fixture.start({ store });
    await f.enableSubGroups();
    sub = await f.group('Sub');
    other = await f.group('Other');
    pMain = await f.project('in-main');
    pSub = await f.project('in-sub');
    pOther = await f.project('in-other');
    await f.link(pSub.id, sub.id);
    await f.link(pOther.id, other.id);
    mainMember = await f.user('cfo@example.com');
    subMember = await f.user('lead@example.com');
    nobody = await f.user('nobody@example.com');
    admin2 = await f.user('admin2@example.com', 'billing_admin');
    expectOk(await f.admin.put(`/v1/billing-groups/${f.mainId}/permissions/${mainMember.id}`));
    expectOk(await f.admin.put(`/v1/billing-groups/${sub.id}/permissions/${subMember.id}`));
  });
  afterAll(() => f.close());

  test('health and openapi need no token; everything else does', async () => {
    const anon = f.as(undefined);
    expect(expectOk(await anon.get('/v1/health'))).toEqual({ status: 'ok' });
    const doc = expectOk(await anon.get('/v1/openapi.json'));
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/billing-groups', '/v1/projects/{id}/billing-group', '/v1/plan']));
    const r = await anon.get('/v1/domain');
    expectError(r, 401, 'UNAUTHENTICATED');
    expect(r.headers['www-authenticate']).toBe('Bearer');
    expectError(await f.as('wrong-token').get('/v1/domain'), 401, 'UNAUTHENTICATED');
    expectError(await anon.raw('GET', '/v1/domain', undefined, { authorization: 'Basic abc' }), 401, 'UNAUTHENTICATED');
    expectError(await anon.post('/v1/billing-groups', {}), 401, 'UNAUTHENTICATED');
  });

  test('users: created with a token shown once; the token works; e-mails are unique and valid', async () => {
    const r = await f.admin.post('/v1/users', { email: 'new@example.com', name: 'New' });
    expect(r.status).toBe(201);
    expect(r.data).toEqual({ id: expect.stringMatching(/^usr-[0-9a-f]{16}$/), email: 'new@example.com', name: 'New', role: null, token: expect.any(String), warnings: [] });
    const me = f.as(r.data.token);
    expect(expectOk(await me.get('/v1/users')).items).toEqual([{ id: r.data.id, email: 'new@example.com', name: 'New', role: null }]);
    expect(expectOk(await me.get(`/v1/users/${r.data.id}`))).toEqual({ id: r.data.id, email: 'new@example.com', name: 'New', role: null });
    // Another user is outside a non-admin's view: 404 like an unknown id (SPEC §10).
    expectError(await me.get(`/v1/users/${admin2.id}`), 404, 'USER_NOT_FOUND');
    expectError(await f.admin.get('/v1/users/usr-ffffffffffffffff'), 404, 'USER_NOT_FOUND');
    const all = expectOk(await f.admin.get('/v1/users')).items;
    expect(all.length).toBeGreaterThanOrEqual(6);
    expect(all.every((u: Record<string, unknown>) => !('token' in u))).toBe(true);
    expectError(await f.admin.post('/v1/users', { email: 'NEW@example.com', name: 'dup' }), 409, 'CONFLICT');
    expectError(await f.admin.post('/v1/users', { email: 'not-an-email', name: 'x' }), 422, 'EMAIL_INVALID');
    expectError(await f.admin.post('/v1/users', { email: 'x@example.com', name: 'x', role: 'owner' }), 400, 'BAD_REQUEST');
    expectError(await me.post('/v1/users', { email: 'y@example.com', name: 'y' }), 403, 'FORBIDDEN');
  });

  test('non-admins cannot write anything (403 on visible objects, 404 on the others)', async () => {
    const u = f.as(mainMember.token);
    const writes = [
      () => u.post('/v1/billing-groups', { name: 'x', billingEmails: ['a@b.com'], invoiceEmails: ['a@b.com'] }),
      () => u.patch(`/v1/billing-groups/${f.mainId}`, { billingEmails: ['a@b.com'] }),
      () => u.post('/v1/projects', { name: 'x' }),
      () => u.put(`/v1/projects/${pMain.id}/billing-group`, { billingGroupId: f.mainId }),
      () => u.del(`/v1/projects/${pSub.id}/billing-group`),
      () => u.put(`/v1/billing-groups/${f.mainId}/permissions/${mainMember.id}`),
      () => u.del(`/v1/billing-groups/${f.mainId}/permissions/${mainMember.id}`),
      () => u.post('/v1/users', { email: 'z@example.com', name: 'z' }),
      () => u.post('/v1/usage', { projectId: pMain.id, service: 'compute', amount: 1 }),
      () => u.post('/v1/billing-periods/2026-01/close'),
      () => u.post(`/v1/billing-groups/${f.mainId}/credits`, { code: 'FREE-10' }),
    ];
    for (const w of writes) expectError(await w(), 403, 'FORBIDDEN');
    // The sub group is outside a main member's view: it does not exist for them.
    expectError(await u.del(`/v1/billing-groups/${sub.id}?confirmName=Sub`), 404, 'GROUP_NOT_FOUND');
    expectError(await u.put(`/v1/projects/${pMain.id}/billing-group`, { billingGroupId: sub.id }), 404, 'GROUP_NOT_FOUND');
    expectError(await u.put(`/v1/billing-groups/${sub.id}/permissions/${mainMember.id}`), 404, 'GROUP_NOT_FOUND');
    expectError(await u.patch('/v1/billing-groups/bg-ffffffffffffffff', { name: 'x' }), 404, 'GROUP_NOT_FOUND');
    expectError(await u.put('/v1/projects/prj-ffffffffffffffff/billing-group', { billingGroupId: sub.id }), 404, 'PROJECT_NOT_FOUND');
    expectError(await u.put(`/v1/billing-groups/${f.mainId}/permissions/usr-ffffffffffffffff`), 404, 'USER_NOT_FOUND');
    expectError(await u.put(`/v1/billing-groups/${f.mainId}/permissions/${subMember.id}`), 404, 'USER_NOT_FOUND');
    // Nothing changed.
    expect(expectOk(await f.admin.get(`/v1/projects/${pMain.id}`)).billingGroupId).toBe(f.mainId);
    // A second billing_admin may write.
    expect((await f.as(admin2.token).post('/v1/projects', { name: 'by-admin2' })).status).toBe(201);
  });

  test('plan answers 200 with FORBIDDEN errors for a non-admin', async () => {
    const r = expectOk(await f.as(subMember.token).post('/v1/plan', { changes: [{ op: 'unlink', projectId: pSub.id }] }));
    expect(r.errors.map((e: { code: string; index: number }) => [e.code, e.index])).toEqual([['FORBIDDEN', 0]]);
  });

  test('a main-group member sees the main group and every project', async () => {
    const u = f.as(mainMember.token);
    expect(expectOk(await u.get('/v1/billing-groups')).items.map((g: { id: string }) => g.id)).toEqual([f.mainId]);
    const projects = expectOk(await u.get('/v1/projects')).items.map((p: { id: string }) => p.id);
    expect(projects).toEqual(expect.arrayContaining([pMain.id, pSub.id, pOther.id]));
    expect(expectOk(await u.get(`/v1/projects/${pOther.id}`)).id).toBe(pOther.id);
    expectError(await u.get(`/v1/billing-groups/${sub.id}`), 404, 'GROUP_NOT_FOUND');
    expectError(await u.get(`/v1/billing-groups/${sub.id}/projects`), 404, 'GROUP_NOT_FOUND');
  });

  test('a sub-group member sees only that group and its projects', async () => {
    const u = f.as(subMember.token);
    expect(expectOk(await u.get('/v1/billing-groups')).items.map((g: { id: string }) => g.id)).toEqual([sub.id]);
    expect(expectOk(await u.get(`/v1/billing-groups/${sub.id}`)).id).toBe(sub.id);
    expect(expectOk(await u.get('/v1/projects')).items.map((p: { id: string }) => p.id)).toEqual([pSub.id]);
    expectError(await u.get(`/v1/projects/${pMain.id}`), 404, 'PROJECT_NOT_FOUND');
    expectError(await u.get(`/v1/billing-groups/${f.mainId}`), 404, 'GROUP_NOT_FOUND');
    expectError(await u.get(`/v1/billing-groups/${other.id}/permissions`), 404, 'GROUP_NOT_FOUND');
    expectError(await u.get('/v1/billing-groups/bg-ffffffffffffffff'), 404, 'GROUP_NOT_FOUND');
    const perms = expectOk(await u.get(`/v1/billing-groups/${sub.id}/permissions`)).items;
    expect(perms).toEqual([{ userId: subMember.id, billingGroupId: sub.id, createdAt: expect.any(String), managedBy: null }]);
    const snap = expectOk(await u.get('/v1/snapshot'));
    expect(snap.groups.map((g: { id: string }) => g.id)).toEqual([sub.id]);
    expect(snap.projects.map((p: { id: string }) => p.id)).toEqual([pSub.id]);
    expect(snap.links).toEqual([{ projectId: pSub.id, billingGroupId: sub.id, effectiveFrom: expect.any(String) }]);
    expect(snap.users.map((x: { id: string }) => x.id)).toEqual([subMember.id]);
    expect(snap.permissions).toEqual(perms);
  });

  test('moving a project changes who sees it at once', async () => {
    const p = await f.project('moving');
    const u = f.as(subMember.token);
    expectError(await u.get(`/v1/projects/${p.id}`), 404, 'PROJECT_NOT_FOUND');
    await f.link(p.id, sub.id);
    expect(expectOk(await u.get(`/v1/projects/${p.id}`)).billingGroupId).toBe(sub.id);
  });

  test('a user without memberships sees nothing', async () => {
    const u = f.as(nobody.token);
    expect(expectOk(await u.get('/v1/billing-groups')).items).toEqual([]);
    expect(expectOk(await u.get('/v1/projects')).items).toEqual([]);
    expect(expectOk(await u.get('/v1/domain')).mainGroupId).toBe(f.mainId);
  });

  test('permissions: grant is idempotent, revoke of a missing membership is 200, last revoke warns', async () => {
    const u = await f.user('perm@example.com');
    const g1 = await f.admin.put(`/v1/billing-groups/${sub.id}/permissions/${u.id}`);
    expect(g1.status).toBe(200);
    expect(g1.data).toEqual({ userId: u.id, billingGroupId: sub.id, createdAt: expect.any(String), managedBy: null, warnings: [] });
    const g2 = expectOk(await f.admin.put(`/v1/billing-groups/${sub.id}/permissions/${u.id}`));
    expect(g2.createdAt).toBe(g1.data.createdAt);
    expectOk(await f.admin.put(`/v1/billing-groups/${other.id}/permissions/${u.id}`));
    const r1 = expectOk(await f.admin.del(`/v1/billing-groups/${sub.id}/permissions/${u.id}`));
    expect(r1).toEqual({ userId: u.id, billingGroupId: sub.id, warnings: [] });
    const r2 = expectOk(await f.admin.del(`/v1/billing-groups/${other.id}/permissions/${u.id}`));
    expect(r2.warnings.map((w: { code: string }) => w.code)).toEqual(['USER_LOSES_BILLING_ACCESS']);
    const r3 = expectOk(await f.admin.del(`/v1/billing-groups/${other.id}/permissions/${u.id}`));
    expect(r3).toEqual({ userId: u.id, billingGroupId: other.id, warnings: [] });
    expectError(await f.admin.del(`/v1/billing-groups/${other.id}/permissions/usr-ffffffffffffffff`), 404, 'USER_NOT_FOUND');
    expectError(await f.admin.del(`/v1/billing-groups/bg-ffffffffffffffff/permissions/${u.id}`), 404, 'GROUP_NOT_FOUND');
  });

  test('deleting a group removes its memberships', async () => {
    const g = await f.group('Short-lived');
    const u = await f.user('short@example.com');
    expectOk(await f.admin.put(`/v1/billing-groups/${g.id}/permissions/${u.id}`));
    expect((await f.admin.del(`/v1/billing-groups/${g.id}?confirmName=Short-lived`)).status).toBe(204);
    const snap = expectOk(await f.admin.get('/v1/snapshot'));
    expect(snap.permissions.filter((p: { userId: string }) => p.userId === u.id)).toEqual([]);
    expect(expectOk(await f.as(u.token).get('/v1/billing-groups')).items).toEqual([]);
  });
});
