/** HTTP behaviour: error shape for fastify's own errors, rate limit, Idempotency-Key, events, plan validation. */
import { expectError, expectOk, Fixture, groupBody } from './client';
import { STORES } from '../helpers/stores';

describe.each(STORES)('%s store', (store) => {
  let f: Fixture;
  beforeAll(async () => {
    f = await Fixture.start({ store });
    await f.enableSubGroups();
  });
  afterAll(() => f.close());

  test('malformed JSON is 400, unsupported media type 415, unknown route 404, body > 1 MiB 413', async () => {
    const json = { 'content-type': 'application/json' };
    expectError(await f.admin.raw('POST', '/v1/projects', '{"name":', json), 400, 'BAD_REQUEST');
    expectError(await f.admin.raw('POST', '/v1/projects', '{"__proto__":{"x":1},"name":"a"}', json), 400, 'BAD_REQUEST');
    expectError(await f.admin.raw('POST', '/v1/projects', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await f.admin.raw('POST', '/v1/projects', 'hello', { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await f.admin.raw('POST', '/v1/projects', '[]', json), 400, 'BAD_REQUEST');
    expectError(await f.admin.raw('POST', '/v1/projects', 'null', json), 400, 'BAD_REQUEST');
    expectError(await f.admin.get('/v1/nothing-here'), 404, 'NOT_FOUND');
    expectError(await f.as(undefined).get('/v1/nothing-here'), 404, 'NOT_FOUND');
    expectError(await f.admin.raw('PATCH', '/v1/domain', {}), 404, 'NOT_FOUND');
    const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) });
    expectError(await f.admin.raw('POST', '/v1/projects', big, json), 413, 'PAYLOAD_TOO_LARGE');
    // A body just under the limit that breaks a rule is 422, not 413 or 400.
    const longName = await f.admin.post('/v1/billing-groups', groupBody('n'.repeat(500_000)));
    expectError(longName, 422, 'NAME_INVALID');
  });

  test('no stack traces or internals in error messages', async () => {
    const r = await f.admin.raw('POST', '/v1/plan', '{"changes":[{"op":"explode"}]}', { 'content-type': 'application/json' });
    expectError(r, 400, 'BAD_REQUEST');
    expect(JSON.stringify(r.data)).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  test('plan: well-formed requests answer 200, malformed 400', async () => {
    const p = await f.project('planned');
    const ok = expectOk(
      await f.admin.post('/v1/plan', {
        changes: [
          { op: 'createGroup', group: groupBody('Planned') },
          { op: 'link', projectId: p.id, billingGroupName: 'planned' },
          { op: 'createGroup', group: groupBody('PLANNED') },
        ],
      }),
    );
    expect(ok.errors).toEqual([{ code: 'NAME_TAKEN', message: expect.any(String), index: 2, path: ['name'] }]);
    expect(ok.warnings.map((w: { code: string; index: number }) => [w.code, w.index])).toEqual([['LINK_EFFECTIVE_NEXT_MONTH', 1]]);
    // Nothing was applied.
    expect(expectOk(await f.admin.get('/v1/billing-groups')).items.map((g: { name: string }) => g.name)).not.toContain('Planned');
    expectError(await f.admin.post('/v1/plan', {}), 400, 'BAD_REQUEST');
    expectError(await f.admin.post('/v1/plan', { changes: [{ op: 'link' }] }), 400, 'BAD_REQUEST');
    // A link or permission change must name its group, by id or by name.
    expectError(await f.admin.post('/v1/plan', { changes: [{ op: 'link', projectId: 'prj-x' }] }), 400, 'BAD_REQUEST');
    expectError(await f.admin.post('/v1/plan', { changes: [{ op: 'grant', userId: 'usr-x' }] }), 400, 'BAD_REQUEST');
    expectOk(await f.admin.post('/v1/plan', { changes: [{ op: 'grant', userId: 'usr-x', billingGroupName: 'anything' }] }));
    expectError(await f.admin.post('/v1/plan', { changes: [{ op: 'unlink', projectId: 5 }] }), 400, 'BAD_REQUEST');
    expectError(await f.admin.post('/v1/plan', { changes: [{ op: 'createGroup' }] }), 400, 'BAD_REQUEST');
    expectError(await f.admin.post('/v1/plan', { changes: [{ op: 'updateGroup', id: 'bg-x' }] }), 400, 'BAD_REQUEST');
    expect(expectOk(await f.admin.post('/v1/plan', { changes: [] }))).toEqual({ errors: [], warnings: [] });
    const nf = expectOk(await f.admin.post('/v1/plan', { changes: [{ op: 'grant', userId: 'usr-x', billingGroupName: 'nope' }] }));
    expect(nf.errors.map((e: { code: string }) => e.code).sort()).toEqual(['GROUP_NOT_FOUND', 'USER_NOT_FOUND']);
  });

  describe('Idempotency-Key', () => {
    test('same key and body replays the first result without doing it twice', async () => {
      const h = { 'idempotency-key': 'create-proj-1' };
      const r1 = await f.admin.post('/v1/projects', { name: 'once' }, h);
      const r2 = await f.admin.post('/v1/projects', { name: 'once' }, h);
      expect(r1.status).toBe(201);
      expect(r2.status).toBe(201);
      expect(r2.data).toEqual(r1.data);
      expect(r2.headers['idempotent-replayed']).toBe('true');
      const all = expectOk(await f.admin.get('/v1/projects')).items.filter((p: { name: string }) => p.name === 'once');
      expect(all).toHaveLength(1);
    });

    test('same key with another body is 409 CONFLICT', async () => {
      const h = { 'idempotency-key': 'create-proj-2' };
      expectOk(await f.admin.post('/v1/projects', { name: 'two' }, h), 201);
      const r = await f.admin.post('/v1/projects', { name: 'other' }, h);
      expectError(r, 409, 'CONFLICT');
      expect(r.data.error.message).toMatch(/Idempotency-Key/);
      expectError(await f.admin.put(`/v1/billing-groups/${f.mainId}/permissions/usr-x`, undefined, h), 409, 'CONFLICT');
    });

    test('keys are per token; group writes replay their ETag; a failed write is not recorded', async () => {
      const other = await f.user('idem@example.com', 'billing_admin');
      const h = { 'idempotency-key': 'shared-key' };
      const a = await f.admin.post('/v1/billing-groups', groupBody('Idem A'), h);
      const b = await f.as(other.token).post('/v1/billing-groups', groupBody('Idem B'), h);
      expect(a.status).toBe(201);
      expect(b.status).toBe(201);
      expect(b.data.id).not.toBe(a.data.id);
      const a2 = await f.admin.post('/v1/billing-groups', groupBody('Idem A'), h);
      expect(a2.data.id).toBe(a.data.id);
      expect(a2.headers.etag).toBe('"1"');

      const bad = { 'idempotency-key': 'fails-first' };
      expectError(await f.admin.post('/v1/billing-groups', groupBody('Idem A'), bad), 409, 'NAME_TAKEN');
      expect((await f.admin.post('/v1/billing-groups', groupBody('Idem C'), { 'idempotency-key': 'fails-first-2' })).status).toBe(201);
    });

    test('a replayed delete answers 204 again; a fresh delete of the gone group is 404', async () => {
      const g = await f.group('Idem Del');
      const h = { 'idempotency-key': 'del-1' };
      const first = await f.admin.del(`/v1/billing-groups/${g.id}?confirmName=Idem%20Del`, h);
      expect(first.status).toBe(204);
      const again = await f.admin.del(`/v1/billing-groups/${g.id}?confirmName=Idem%20Del`, h);
      expect(again.status).toBe(204);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expectError(await f.admin.del(`/v1/billing-groups/${g.id}?confirmName=Idem%20Del`), 404, 'GROUP_NOT_FOUND');
      expectError(await f.admin.del(`/v1/billing-groups/${g.id}?confirmName=Idem%20Del`, { 'idempotency-key': 'x'.repeat(256) }), 400, 'BAD_REQUEST');
    });

    test('a replayed link does not move the project back', async () => {
      const g1 = await f.group('Idem L1');
      const g2 = await f.group('Idem L2');
      const p = await f.project('idem-link');
      const h = { 'idempotency-key': 'link-1' };
      expectOk(await f.admin.put(`/v1/projects/${p.id}/billing-group`, { billingGroupId: g1.id }, h));
      await f.link(p.id, g2.id, true);
      const replay = expectOk(await f.admin.put(`/v1/projects/${p.id}/billing-group`, { billingGroupId: g1.id }, h));
      expect(replay.billingGroupId).toBe(g1.id);
      expect(expectOk(await f.admin.get(`/v1/projects/${p.id}`)).billingGroupId).toBe(g2.id);
    });
  });

  describe('events', () => {
    test('every change is recorded, newest first, with limit and cursor', async () => {
      const g = await f.group('Evented');
      const p = await f.project('ev');
      const u = await f.user('ev@example.com');
      expectOk(await f.admin.patch(`/v1/billing-groups/${g.id}`, { name: 'Evented 2' }));
      await f.link(p.id, g.id);
      expectOk(await f.admin.put(`/v1/billing-groups/${g.id}/permissions/${u.id}`));
      expectOk(await f.admin.del(`/v1/billing-groups/${g.id}/permissions/${u.id}`));
      const credit = expectOk(await f.admin.post(`/v1/billing-groups/${g.id}/credits`, { code: 'PAID-EV-10' }), 201);
      expectOk(await f.admin.post(`/v1/billing-groups/${g.id}/credits/${credit.id}/refund`));
      expectOk(await f.admin.del(`/v1/projects/${p.id}/billing-group`));

      const all = expectOk(await f.admin.get(`/v1/billing-groups/${g.id}/events`));
      expect(all.nextCursor).toBeUndefined();
      expect(all.items.map((e: { action: string }) => e.action)).toEqual([
        'project.unlinked',
        'credit.refunded',
        'credit.claimed',
        'permission.revoked',
        'permission.granted',
        'project.linked',
        'group.updated',
        'group.created',
      ]);
      const admin = expectOk(await f.admin.get('/v1/users')).items.find((x: { role: string }) => x.role === 'billing_admin');
      for (const e of all.items) {
        expect(Object.keys(e).sort()).toEqual(['action', 'actor', 'after', 'at', 'before', 'billingGroupId', 'id', 'managedBy', 'target']);
        expect(e).toMatchObject({ id: expect.stringMatching(/^evt-/), billingGroupId: g.id, at: expect.any(String), actor: admin.id, target: expect.any(String) });
      }
      const updated = all.items.find((e: { action: string }) => e.action === 'group.updated');
      expect(updated.before.name).toBe('Evented');
      expect(updated.after.name).toBe('Evented 2');
      expect(all.items.find((e: { action: string }) => e.action === 'group.created').before).toBeNull();

      // The main group got the other half of the link changes.
      const mainEvents = expectOk(await f.admin.get(`/v1/billing-groups/${f.mainId}/events?limit=200`)).items;
      const mine = mainEvents.filter((e: { target: string }) => e.target === p.id).map((e: { action: string }) => e.action);
      expect(mine).toEqual(['project.linked', 'project.unlinked', 'project.created']);

      // Pages.
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = expectOk(await f.admin.get(`/v1/billing-groups/${g.id}/events?limit=3${cursor ? `&cursor=${cursor}` : ''}`));
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((e: { id: string }) => e.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all.items.map((e: { id: string }) => e.id));

      for (const q of ['limit=0', 'limit=201', 'limit=abc', 'cursor=!!!', 'foo=1']) {
        expectError(await f.admin.get(`/v1/billing-groups/${g.id}/events?${q}`), 400, 'BAD_REQUEST');
      }
    });

    test('a no-op write records no event', async () => {
      const g = await f.group('Quiet');
      const before = expectOk(await f.admin.get(`/v1/billing-groups/${g.id}/events`)).items.length;
      expectOk(await f.admin.patch(`/v1/billing-groups/${g.id}`, { name: 'Quiet' }));
      const u = await f.user('quiet@example.com');
      expectOk(await f.admin.del(`/v1/billing-groups/${g.id}/permissions/${u.id}`));
      expect(expectOk(await f.admin.get(`/v1/billing-groups/${g.id}/events`)).items.length).toBe(before);
    });
  });

  test('rate limit: 429 with Retry-After once the burst is spent', async () => {
    const limited = await Fixture.start({ store, rateLimit: 5 });
    try {
      const other = expectOk(await limited.admin.post('/v1/users', { email: 'rl@example.com', name: 'rl' }), 201);
      // Fixture.start and the user creation spent two requests of the burst of 10.
      const sent = Date.now();
      const results = await Promise.all(Array.from({ length: 30 }, () => limited.admin.get('/v1/domain')));
      const seconds = (Date.now() - sent) / 1000;
      const statuses = results.map((r) => r.status);
      // What is left of the burst, plus what refilled (5/s) while the requests were served: a
      // slow machine refills more, so the bound follows the time the burst really took.
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(8);
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(8 + Math.ceil(5 * seconds) + 1);
      const limitedRes = results.find((r) => r.status === 429)!;
      expectError(limitedRes, 429, 'TOO_MANY_REQUESTS');
      expect(Number(limitedRes.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Health is not limited (no token).
      expect((await limited.as(undefined).get('/v1/health')).status).toBe(200);
      // Another token has its own bucket.
      expect((await limited.as(other.token).get('/v1/domain')).status).toBe(200);
      // The bucket refills.
      const start = Date.now();
      while (Date.now() - start < 1100) await new Promise((r) => setTimeout(r, 50));
      expect((await limited.admin.get('/v1/domain')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  test('a malformed percent-encoding in the URL is 400 in the error shape', async () => {
    expectError(await f.admin.get('/v1/billing-groups/%E0%A4%A'), 400, 'BAD_REQUEST');
  });
});
