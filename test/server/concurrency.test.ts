/**
 * Many parallel clients against one server: the invariants hold because every write runs
 * read-evaluate-write in one transaction holding the store's write lock (both stores).
 */
import http from 'node:http';
import axios from 'axios';
import { expectOk, Fixture, groupBody } from './client';
import { STORES } from '../helpers/stores';

describe.each(STORES)('%s store', (store) => {
  let f: Fixture;
  beforeEach(async () => {
    f = await Fixture.start({ store });
    await f.enableSubGroups();
  });
  afterEach(() => f.close());

  /** Separate connections, like separate clients. */
  function freshClient(token: string) {
    const agent = new http.Agent({ keepAlive: false });
    return (method: string, path: string, data?: unknown) =>
      axios.request({ method, url: f.server.url + path, data, headers: { authorization: `Bearer ${token}` }, validateStatus: () => true, httpAgent: agent });
  }

  test('40 parallel creates never yield more than 30 sub groups', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => freshClient(f.admin.token)('POST', '/v1/billing-groups', groupBody(`parallel-${i}`))));
    const created = results.filter((r) => r.status === 201);
    const limited = results.filter((r) => r.status === 409);
    expect(created).toHaveLength(30);
    expect(limited).toHaveLength(10);
    expect(limited.every((r) => r.data.error.code === 'SUB_GROUP_LIMIT')).toBe(true);
    const groups = expectOk(await f.admin.get('/v1/billing-groups')).items;
    expect(groups.filter((g: { type: string }) => g.type === 'sub')).toHaveLength(30);
  });

  test('parallel creates with one name: exactly one wins', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => freshClient(f.admin.token)('POST', '/v1/billing-groups', groupBody('Same Name'))));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && r.data.error.code === 'NAME_TAKEN')).toHaveLength(19);
  });

  test('parallel conflicting link moves keep every project in exactly one group', async () => {
    const groups = [await f.group('G1'), await f.group('G2'), await f.group('G3')];
    const projects = [];
    for (let i = 0; i < 10; i++) projects.push(await f.project(`c${i}`));
    const ops: Promise<unknown>[] = [];
    for (let round = 0; round < 20; round++) {
      for (const [i, p] of projects.entries()) {
        const c = freshClient(f.admin.token);
        const target = groups[(round + i) % groups.length];
        ops.push(
          round % 7 === 6
            ? c('DELETE', `/v1/projects/${p.id}/billing-group`)
            : c('PUT', `/v1/projects/${p.id}/billing-group`, { billingGroupId: target.id, allowTransfer: round % 5 !== 4 }),
        );
      }
    }
    // A delete racing with the moves must never leave a project in a deleted group.
    const doomed = groups[2];
    ops.push(freshClient(f.admin.token)('DELETE', `/v1/billing-groups/${doomed.id}?confirmName=G3`));
    const results = (await Promise.all(ops)) as { status: number }[];
    expect(results.every((r) => r.status < 500)).toBe(true);

    const snap = expectOk(await f.admin.get('/v1/snapshot'));
    const liveIds = new Set(snap.groups.map((g: { id: string }) => g.id));
    for (const p of projects) {
      const inSnap = snap.projects.filter((x: { id: string }) => x.id === p.id);
      expect(inSnap).toHaveLength(1);
      expect(liveIds.has(inSnap[0].billingGroupId)).toBe(true);
      const one = expectOk(await f.admin.get(`/v1/projects/${p.id}`));
      expect(one.billingGroupId).toBe(inSnap[0].billingGroupId);
    }
    // Counts agree with the project lists of every group.
    let total = 0;
    for (const g of snap.groups) {
      const items = expectOk(await f.admin.get(`/v1/billing-groups/${g.id}/projects`)).items;
      expect(items).toHaveLength(g.projectCount);
      total += g.projectCount;
    }
    expect(total).toBe(snap.projects.length);
    const main = snap.groups.find((g: { type: string }) => g.type === 'main');
    expect(main.totalProjectCount).toBe(snap.projects.length);

    // The event log has a matching pair (unlinked from, linked to) for every move.
    let linked = 0;
    let unlinked = 0;
    for (const g of [...groups, { id: f.mainId }]) {
      let cursor: string | undefined;
      do {
        const page = expectOk(await f.admin.get(`/v1/billing-groups/${g.id}/events?limit=200${cursor ? `&cursor=${cursor}` : ''}`));
        linked += page.items.filter((e: { action: string }) => e.action === 'project.linked').length;
        unlinked += page.items.filter((e: { action: string }) => e.action === 'project.unlinked').length;
        cursor = page.nextCursor;
      } while (cursor);
    }
    expect(linked).toBe(unlinked);
    expect(linked).toBeGreaterThan(0);
  });

  test('parallel grants and revokes of one membership leave a consistent list', async () => {
    const g = await f.group('Perm');
    const u = await f.user('race@example.com');
    const ops = Array.from({ length: 40 }, (_, i) =>
      freshClient(f.admin.token)(i % 2 ? 'DELETE' : 'PUT', `/v1/billing-groups/${g.id}/permissions/${u.id}`),
    );
    const results = await Promise.all(ops);
    expect(results.every((r) => r.status === 200)).toBe(true);
    const perms = expectOk(await f.admin.get(`/v1/billing-groups/${g.id}/permissions`)).items;
    expect(perms.length).toBeLessThanOrEqual(1);
    const events = expectOk(await f.admin.get(`/v1/billing-groups/${g.id}/events?limit=200`)).items;
    const granted = events.filter((e: { action: string }) => e.action === 'permission.granted').length;
    const revoked = events.filter((e: { action: string }) => e.action === 'permission.revoked').length;
    expect(granted - revoked).toBe(perms.length);
  });
});
