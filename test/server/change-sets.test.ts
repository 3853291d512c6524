/** Change sets (SPEC §6): registered whole, applied whole or not at all, outcome stored. */
import { expectError, expectOk, Fixture, groupBody } from './client';
import { STORES } from '../helpers/stores';

describe.each(STORES)('%s store', (store) => {
  let f: Fixture;
  beforeAll(async () => {
    f = await Fixture.start({ store });
    await f.enableSubGroups();
  });
  afterAll(() => f.close());

  const ws = (name: string) => `test:${name}`;
  const events = async (groupId: string) => expectOk(await f.admin.get(`/v1/billing-groups/${groupId}/events?limit=200`)).items.length;
  const reserved = () => `bg-${[...Array(16)].map(() => Math.floor(Math.random() * 16).toString(16)).join('')}`;

  test('delete a group and move its project away in one set: valid whole, whatever the order', async () => {
    const old = await f.group('Old');
    const neu = await f.group('New');
    const p = await f.project('moving');
    await f.link(p.id, old.id);
    // The delete comes first in the list: a sequence would fail, the whole change is valid.
    const cs = expectOk(
      await f.admin.post('/v1/change-sets', {
        workspace: ws('move'),
        entries: [
          { key: 'group:old', changes: [{ op: 'deleteGroup', id: old.id }] },
          { key: 'link:moving', changes: [{ op: 'link', projectId: p.id, billingGroupId: neu.id, allowTransfer: true }] },
        ],
      }),
      201,
    );
    expect(cs).toMatchObject({ status: 'open', errors: [] });
    const applied = expectOk(await f.admin.post(`/v1/change-sets/${cs.id}/apply`));
    expect(applied.status).toBe('applied');
    expect(applied.results['link:moving'].link).toMatchObject({ projectId: p.id, billingGroupId: neu.id, previousBillingGroupId: old.id });
    expectError(await f.admin.get(`/v1/billing-groups/${old.id}`), 404, 'GROUP_NOT_FOUND');
    expect(expectOk(await f.admin.get(`/v1/projects/${p.id}`)).billingGroupId).toBe(neu.id);
    // Asking again answers the stored outcome, without doing it twice.
    const again = expectOk(await f.admin.post(`/v1/change-sets/${cs.id}/apply`));
    expect(again.results).toEqual(applied.results);
  });

  test('a set that breaks a rule writes nothing, not even its valid first entry, and stays refused', async () => {
    const keep = await f.group('Keep');
    const p = await f.project('stays');
    await f.link(p.id, keep.id);
    const before = await events(keep.id);
    const id = reserved();
    const cs = expectOk(
      await f.admin.post('/v1/change-sets', {
        workspace: ws('refused'),
        entries: [
          { key: 'group:fresh', changes: [{ op: 'createGroup', id, group: groupBody('Fresh') }] },
          { key: 'group:keep', changes: [{ op: 'updateGroup', id: keep.id, group: { name: 'Kept' } }] },
          { key: 'group:keep-delete', changes: [{ op: 'deleteGroup', id: keep.id }] },
        ],
      }),
      201,
    );
    // The registration already says what the API will refuse.
    expect(cs.errors.map((e: any) => e.code)).toEqual(expect.arrayContaining(['GROUP_NOT_FOUND']));
    const r = await f.admin.post(`/v1/change-sets/${cs.id}/apply`);
    expectError(r, 409, 'GROUP_NOT_FOUND');
    expect(r.data.error.message).toMatch(/nothing was applied/);
    expect(r.data.error.details.violations[0]).toMatchObject({ key: 'group:keep' });
    expectError(await f.admin.get(`/v1/billing-groups/${id}`), 404, 'GROUP_NOT_FOUND');
    expect(expectOk(await f.admin.get(`/v1/billing-groups/${keep.id}`)).name).toBe('Keep');
    expect(await events(keep.id)).toBe(before);
    expectError(await f.admin.post(`/v1/change-sets/${cs.id}/apply`), 409, 'GROUP_NOT_FOUND');
    expect(expectOk(await f.admin.get(`/v1/change-sets/${cs.id}`)).status).toBe('refused');
  });

  test('31 sub groups in one set: SUB_GROUP_LIMIT at registration and at apply, none created', async () => {
    const count = expectOk(await f.admin.get('/v1/billing-groups')).items.filter((g: any) => g.type === 'sub').length;
    const entries = Array.from({ length: 31 - count }, (_, i) => ({ key: `group:n${i}`, changes: [{ op: 'createGroup', id: reserved(), group: groupBody(`Many ${i}`) }] }));
    const cs = expectOk(await f.admin.post('/v1/change-sets', { workspace: ws('limit'), entries }), 201);
    expect(cs.errors.map((e: any) => e.code)).toContain('SUB_GROUP_LIMIT');
    expectError(await f.admin.post(`/v1/change-sets/${cs.id}/apply`), 409, 'SUB_GROUP_LIMIT');
    expect(expectOk(await f.admin.get('/v1/billing-groups')).items.filter((g: any) => g.type === 'sub')).toHaveLength(count);
  });

  test('reserved ids are the new groups ids and can be named by other entries', async () => {
    const id = reserved();
    const p = await f.project('to-new');
    const u = await f.user('member@example.com');
    const cs = expectOk(
      await f.admin.post('/v1/change-sets', {
        workspace: ws('reserved'),
        entries: [
          { key: 'link', changes: [{ op: 'link', projectId: p.id, billingGroupId: id }] },
          { key: 'perm', changes: [{ op: 'grant', userId: u.id, billingGroupId: id }] },
          { key: 'group', changes: [{ op: 'createGroup', id, group: groupBody('Reserved') }] },
        ],
      }),
      201,
    );
    const applied = expectOk(await f.admin.post(`/v1/change-sets/${cs.id}/apply`));
    expect(applied.results.group.group).toMatchObject({ id, name: 'Reserved', projectCount: 1 });
    expect(applied.results.perm.permission).toMatchObject({ userId: u.id, billingGroupId: id });
    expect(expectOk(await f.admin.get(`/v1/projects/${p.id}`)).billingGroupId).toBe(id);
    // An id that exists cannot be reserved again.
    expectError(
      await f.admin.post('/v1/change-sets', { workspace: ws('reserved'), entries: [{ key: 'g', changes: [{ op: 'createGroup', id, group: groupBody('Again') }] }] }),
      409,
    );
    expectError(
      await f.admin.post('/v1/change-sets', { workspace: ws('reserved'), entries: [{ key: 'g', changes: [{ op: 'createGroup', id: 'bg-nothex', group: groupBody('Again') }] }] }),
      400,
      'BAD_REQUEST',
    );
  });

  test('a newer plan of the workspace supersedes the open one; other workspaces are untouched', async () => {
    const body = (name: string) => ({ workspace: ws('super'), entries: [{ key: 'g', changes: [{ op: 'createGroup', id: reserved(), group: groupBody(name) }] }] });
    const first = expectOk(await f.admin.post('/v1/change-sets', body('First plan')), 201);
    const other = expectOk(await f.admin.post('/v1/change-sets', { ...body('Other ws'), workspace: ws('elsewhere') }), 201);
    const second = expectOk(await f.admin.post('/v1/change-sets', body('Second plan')), 201);
    expectError(await f.admin.post(`/v1/change-sets/${first.id}/apply`), 409, 'CHANGE_SET_SUPERSEDED');
    expect(expectOk(await f.admin.get(`/v1/change-sets?workspace=${encodeURIComponent(ws('super'))}&status=open`)).items.map((c: any) => c.id)).toEqual([second.id]);
    expect(expectOk(await f.admin.get(`/v1/change-sets/${other.id}`)).status).toBe('open');
    expectError(await f.admin.post('/v1/change-sets/cs-0000000000000000/apply'), 404, 'CHANGE_SET_NOT_FOUND');
  });

  test('bad bodies are 400 and non-admins cannot use change sets', async () => {
    expectError(await f.admin.post('/v1/change-sets', { workspace: 'w' }), 400, 'BAD_REQUEST');
    expectError(await f.admin.post('/v1/change-sets', { workspace: 'w', entries: [{ key: 'k', changes: [{ op: 'explode' }] }] }), 400, 'BAD_REQUEST');
    expectError(await f.admin.post('/v1/change-sets', { workspace: 'w', entries: [{ key: 'k', changes: [], extra: 1 }] }), 400, 'BAD_REQUEST');
    expectError(
      await f.admin.post('/v1/change-sets', { workspace: 'w', entries: [{ key: 'k', changes: [{ op: 'unlink', projectId: 'x' }] }, { key: 'k', changes: [{ op: 'unlink', projectId: 'y' }] }] }),
      400,
      'BAD_REQUEST',
    );
    const u = await f.user('plain@example.com');
    expectError(await f.as(u.token).post('/v1/change-sets', { workspace: 'w', entries: [] }), 403, 'FORBIDDEN');
  });
});
