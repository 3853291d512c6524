/**
 * The managed-by record (SPEC §9): an IaC client's X-Cloudbilling-Managed-By marks what its
 * writes create or change; a write without it (the console) keeps the mark; events record
 * who wrote them. Also through a change set, whose label is the workspace that planned it.
 */
import { BillingClient } from '../../provider/client';
import { expectError, expectOk, Fixture, groupBody } from './client';
import { STORES } from '../helpers/stores';

describe.each(STORES)('%s store', (store) => {
  let f: Fixture;
  beforeAll(async () => {
    f = await Fixture.start({ store });
    await f.enableSubGroups();
  });
  afterAll(() => f.close());

  const TF = { 'x-cloudbilling-managed-by': 'terraform:infra/default' };
  const events = async (groupId: string) => expectOk(await f.admin.get(`/v1/billing-groups/${groupId}/events?limit=200`)).items;

  test('a write with the header marks the group; a console write keeps the mark; events say who wrote', async () => {
    const g = expectOk(await f.admin.post('/v1/billing-groups', groupBody('Managed'), TF), 201);
    expect(g.managedBy).toBe('terraform:infra/default');
    expect(expectOk(await f.admin.get(`/v1/billing-groups/${g.id}`)).managedBy).toBe('terraform:infra/default');

    // The console edits it: the mark stays (the next plan shows the edit as drift).
    const edited = expectOk(await f.admin.patch(`/v1/billing-groups/${g.id}`, { name: 'Managed edited' }));
    expect(edited.managedBy).toBe('terraform:infra/default');
    const ev = await events(g.id);
    expect(ev.map((e: any) => [e.action, e.managedBy])).toEqual([
      ['group.updated', null],
      ['group.created', 'terraform:infra/default'],
    ]);

    // Another workspace takes it over with a write: the mark follows, even with no other change.
    const taken = expectOk(await f.admin.patch(`/v1/billing-groups/${g.id}`, { name: 'Managed edited' }, { 'x-cloudbilling-managed-by': 'pulumi:acme/billing/prod' }));
    expect(taken.managedBy).toBe('pulumi:acme/billing/prod');
  });

  test('a group created outside IaC is not managed', async () => {
    const g = await f.group('Console made');
    expect(g.managedBy).toBeNull();
    expect(expectOk(await f.admin.get('/v1/billing-groups')).items.find((x: any) => x.id === g.id).managedBy).toBeNull();
  });

  test('links and memberships carry the mark; an IaC unlink leaves the project unmanaged in main, a console unlink keeps it', async () => {
    const g = await f.group('Linked');
    const p = await f.project('marked');
    expectOk(await f.admin.put(`/v1/projects/${p.id}/billing-group`, { billingGroupId: g.id }, TF));
    expect(expectOk(await f.admin.get(`/v1/projects/${p.id}`)).managedBy).toBe('terraform:infra/default');
    expectOk(await f.admin.del(`/v1/projects/${p.id}/billing-group`, TF));
    expect(expectOk(await f.admin.get(`/v1/projects/${p.id}`))).toMatchObject({ billingGroupId: f.mainId, managedBy: null });

    const q = await f.project('console-unlinked');
    expectOk(await f.admin.put(`/v1/projects/${q.id}/billing-group`, { billingGroupId: g.id }, TF));
    expectOk(await f.admin.del(`/v1/projects/${q.id}/billing-group`));
    expect(expectOk(await f.admin.get(`/v1/projects/${q.id}`)).managedBy).toBe('terraform:infra/default');

    const u = await f.user('member-mark@example.com');
    expectOk(await f.admin.put(`/v1/billing-groups/${g.id}/permissions/${u.id}`, undefined, TF));
    const perms = expectOk(await f.admin.get(`/v1/billing-groups/${g.id}/permissions`)).items;
    expect(perms.find((x: any) => x.userId === u.id).managedBy).toBe('terraform:infra/default');
  });

  test('a change set marks what it writes with the workspace that planned it', async () => {
    const p = await f.project('set-marked');
    const id = `bg-${'a1'.repeat(8)}`;
    const cs = expectOk(
      await f.admin.post('/v1/change-sets', {
        workspace: 'terraform:/srv/infra#prod',
        managedBy: 'terraform:infra/prod',
        entries: [
          { key: 'group:new:set', changes: [{ op: 'createGroup', id, group: groupBody('From a set') }] },
          { key: `link:${p.id}`, changes: [{ op: 'link', projectId: p.id, billingGroupId: id }] },
        ],
      }),
      201,
    );
    expect(expectOk(await f.admin.post(`/v1/change-sets/${cs.id}/apply`)).status).toBe('applied');
    expect(expectOk(await f.admin.get(`/v1/billing-groups/${id}`)).managedBy).toBe('terraform:infra/prod');
    expect(expectOk(await f.admin.get(`/v1/projects/${p.id}`)).managedBy).toBe('terraform:infra/prod');
    expect((await events(id)).every((e: any) => e.managedBy === 'terraform:infra/prod')).toBe(true);
  });

  test('a bad label is refused with 400 and writes nothing', async () => {
    const before = expectOk(await f.admin.get('/v1/billing-groups')).items.length;
    for (const label of ['', 'x'.repeat(201), 'tab\there']) {
      const r = await f.admin.post('/v1/billing-groups', groupBody(`Bad label ${label.length}`), { 'x-cloudbilling-managed-by': label });
      expectError(r, 400, 'BAD_REQUEST');
      expect(r.data.error.message).toMatch(/X-Cloudbilling-Managed-By must be 1 to 200 printable characters/);
    }
    expect(expectOk(await f.admin.get('/v1/billing-groups')).items.length).toBe(before);
  });

  test('the client sends its label on writes, percent-encoding what a header cannot carry', async () => {
    const client = new BillingClient({ apiUrl: f.server.url, token: f.server.adminToken, managedBy: 'terraform:café/default' });
    const g = await client.createGroup(groupBody('Client marked'));
    expect(g.managedBy).toBe('terraform:caf%C3%A9/default');
  });
});
