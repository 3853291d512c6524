/**
 * Fuzz: random and malformed bodies, headers and path ids to every write endpoint.
 * Whatever comes in, the answer is below 500 and an error has the API's error shape.
 */
import fc from 'fast-check';
import { expectOk, Fixture, groupBody, type Res } from './client';
import { STORES } from '../helpers/stores';

describe.each(STORES)('%s store', (store) => {
  let f: Fixture;
  let ids: { group: string; project: string; user: string; invoice: string; credit: string };
  beforeAll(async () => {
    f = await Fixture.start({ store });
    await f.enableSubGroups();
    const g = await f.group('Fuzz');
    const p = await f.project('fuzz');
    const u = await f.user('fuzz@example.com');
    await f.usage(p.id, 3, 'compute', '2025-01-01T00:00:00Z');
    const inv = expectOk(await f.admin.post('/v1/billing-periods/2025-01/close')).invoices[0];
    const c = expectOk(await f.admin.post(`/v1/billing-groups/${g.id}/credits`, { code: 'PAID-FUZZ-1' }), 201);
    ids = { group: g.id, project: p.id, user: u.id, invoice: inv.id, credit: c.id };
  });
  afterAll(() => f.close());

  function checkShape(r: Res): void {
    if (r.status >= 500) throw new Error(`500 for ${r.config.method} ${r.config.url}: ${JSON.stringify(r.data)}`);
    if (r.status >= 400) {
      expect(r.data).toEqual({ error: { code: expect.any(String), message: expect.any(String), details: expect.any(Object) } });
      expect(JSON.stringify(r.data)).not.toMatch(/\n\s+at /);
    }
  }

  const idArb = () =>
    fc.oneof(
      fc.constantFrom('group', 'project', 'user', 'invoice', 'credit').map((k) => ids[k as keyof typeof ids]),
      fc.string({ maxLength: 30 }),
      fc.constantFrom('bg-0000000000000000', '..', '%2e%2e', 'null', '0', 'a'.repeat(300)),
    );

  const jsonValue = fc.jsonValue({ maxDepth: 4 });
  const groupish = fc.record(
    {
      name: fc.oneof(fc.string({ maxLength: 80 }), jsonValue),
      billingEmails: fc.oneof(fc.array(fc.oneof(fc.emailAddress(), fc.string({ maxLength: 20 })), { maxLength: 12 }), jsonValue),
      invoiceEmails: fc.oneof(fc.array(fc.emailAddress(), { maxLength: 3 }), jsonValue),
      paymentMethod: fc.oneof(fc.constant(null), fc.record({ type: fc.constantFrom('card', 'account', 'x'), reference: fc.string() }), jsonValue),
      details: fc.oneof(fc.constant(null), fc.record({ company: fc.string(), currency: fc.oneof(fc.string(), fc.constant(null)) }), jsonValue),
    },
    { requiredKeys: [] },
  );
  const body = fc.oneof(jsonValue, groupish, fc.constant(undefined));
  const rawBody = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.constantFrom('{', '{"a":', '[1,2', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{}}}', '\u0000', 'nul', '1e999999', '"\\ud800"'),
  );

  type Endpoint = (id1: string, id2: string) => { method: string; path: string };
  const endpoints: Endpoint[] = [
    () => ({ method: 'POST', path: '/v1/billing-groups' }),
    (a) => ({ method: 'PATCH', path: `/v1/billing-groups/${encodeURIComponent(a)}` }),
    (a, b) => ({ method: 'DELETE', path: `/v1/billing-groups/${encodeURIComponent(a)}?confirmName=${encodeURIComponent(b)}` }),
    () => ({ method: 'POST', path: '/v1/projects' }),
    (a) => ({ method: 'PUT', path: `/v1/projects/${encodeURIComponent(a)}/billing-group` }),
    (a) => ({ method: 'DELETE', path: `/v1/projects/${encodeURIComponent(a)}/billing-group` }),
    () => ({ method: 'POST', path: '/v1/users' }),
    (a, b) => ({ method: 'PUT', path: `/v1/billing-groups/${encodeURIComponent(a)}/permissions/${encodeURIComponent(b)}` }),
    (a, b) => ({ method: 'DELETE', path: `/v1/billing-groups/${encodeURIComponent(a)}/permissions/${encodeURIComponent(b)}` }),
    (a) => ({ method: 'POST', path: `/v1/billing-groups/${encodeURIComponent(a)}/credits` }),
    (a, b) => ({ method: 'POST', path: `/v1/billing-groups/${encodeURIComponent(a)}/credits/${encodeURIComponent(b)}/refund` }),
    () => ({ method: 'POST', path: '/v1/usage' }),
    (a) => ({ method: 'POST', path: `/v1/billing-periods/${encodeURIComponent(a)}/close` }),
    (a) => ({ method: 'POST', path: `/v1/invoices/${encodeURIComponent(a)}/pay` }),
    () => ({ method: 'POST', path: '/v1/plan' }),
  ];

  test('random JSON bodies to every write endpoint never give a 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(endpoints.length - 1), idArb(), idArb(), body, fc.option(fc.string({ maxLength: 20 })), async (e, a, b, data, ifMatch) => {
        const { method, path } = endpoints[e](a, b);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (ifMatch !== null) headers['if-match'] = ifMatch.replace(/[^\x20-\x7e]/g, '');
        const r = await f.admin.raw(method, path, data === undefined ? undefined : JSON.stringify(data), headers);
        checkShape(r);
      }),
      { numRuns: 400 },
    );
  });

  test('malformed bodies and odd content types never give a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(endpoints.length - 1),
        rawBody,
        fc.constantFrom('application/json', 'text/plain', 'application/xml', 'application/merge-patch+json', 'multipart/form-data; boundary=x'),
        async (e, data, type) => {
          const { method, path } = endpoints[e](ids.group, ids.user);
          checkShape(await f.admin.raw(method, path, data, { 'content-type': type }));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('random plan change lists answer 200 or 400, never 500', async () => {
    const change = fc.oneof(
      fc.record({ op: fc.constant('createGroup'), group: groupish }),
      fc.record({ op: fc.constant('updateGroup'), id: idArb(), group: groupish, expectedVersion: fc.integer() }, { requiredKeys: ['op', 'id', 'group'] }),
      fc.record({ op: fc.constant('deleteGroup'), id: idArb() }),
      fc.record(
        { op: fc.constant('link'), projectId: idArb(), billingGroupId: idArb(), billingGroupName: fc.string(), allowTransfer: fc.boolean() },
        { requiredKeys: ['op', 'projectId'] },
      ),
      fc.record({ op: fc.constant('unlink'), projectId: idArb() }),
      fc.record({ op: fc.constantFrom('grant', 'revoke'), userId: idArb(), billingGroupId: idArb() }, { requiredKeys: ['op', 'userId'] }),
      jsonValue,
    );
    await fc.assert(
      fc.asyncProperty(fc.array(change, { maxLength: 8 }), async (changes) => {
        const r = await f.admin.post('/v1/plan', { changes });
        checkShape(r);
        expect([200, 400]).toContain(r.status);
        if (r.status === 200) {
          for (const d of [...r.data.errors, ...r.data.warnings]) expect(d).toMatchObject({ code: expect.any(String), message: expect.any(String), index: expect.any(Number) });
        }
      }),
      { numRuns: 300 },
    );
  });

  test('after the fuzzing the state still keeps its invariants', async () => {
    const snap = expectOk(await f.admin.get('/v1/snapshot'));
    const groupIds = new Set(snap.groups.map((g: { id: string }) => g.id));
    expect(snap.projects.every((p: { billingGroupId: string }) => groupIds.has(p.billingGroupId))).toBe(true);
    expect(snap.groups.filter((g: { type: string }) => g.type === 'sub').length).toBeLessThanOrEqual(30);
    expect(snap.groups.filter((g: { type: string }) => g.type === 'main')).toHaveLength(1);
    const total = snap.groups.reduce((s: number, g: { projectCount: number }) => s + g.projectCount, 0);
    expect(total).toBe(snap.projects.length);
    expect((await f.admin.post('/v1/billing-groups', groupBody('Still works'))).status).toBeLessThan(500);
  });
});
