/**
 * Hostile input (issue 9, SPEC §10): the Unicode policy for names, bodies that nest too
 * deep or carry fields a route does not take, the window for usage `at`, and idempotent
 * replays of answers that hold a secret.
 */
import { expectError, expectOk, Fixture, groupBody } from './client';
import { STORES } from '../helpers/stores';

describe.each(STORES)('%s store', (store) => {
  let f: Fixture;
  beforeAll(async () => {
    f = await Fixture.start({ store });
    await f.enableSubGroups();
  });
  afterAll(() => f?.close());

  describe('names', () => {
    test.each([
      ['straße', 'STRASSE'],
      ['ΣΑΣ', 'σας'],
      ['Café', 'Cafe\u0301'],
      ['ﬁnance', 'FINANCE'],
      ['  Trim Me ', 'trim me'],
    ])('%j and %j clash (NFC, full case folding, trimmed)', async (a, b) => {
      const g = await f.group(a);
      const r = await f.admin.post('/v1/billing-groups', groupBody(b));
      expectError(r, 409, 'NAME_TAKEN');
      expect(r.data.error.details.violations[0].message).toContain(g.id);
      expect((await f.admin.del(`/v1/billing-groups/${g.id}?confirmName=${encodeURIComponent(a)}`)).status).toBe(204);
    });

    test.each([
      ['zero-width space only', '\u200b'],
      ['Hangul filler only', '\u3164'],
      ['soft hyphen only', '\u00ad'],
      ['invisible mix', '\u200b \u2060\ufeff\u3164'],
      ['a right-to-left override', 'Pay\u202eroll'],
      ['a left-to-right isolate', '\u2066Team'],
      ['an Arabic letter mark', 'Team\u061c'],
    ])('a name made of %s is NAME_INVALID', async (_what, name) => {
      const r = await f.admin.post('/v1/billing-groups', groupBody(name));
      expectError(r, 422, 'NAME_INVALID');
      expect(r.data.error.details.violations[0].path).toEqual(['name']);
      // The same rule in a plan, with its index.
      const plan = expectOk(await f.admin.post('/v1/plan', { changes: [{ op: 'createGroup', group: groupBody(name) }] }));
      expect(plan.errors.map((e: { code: string }) => e.code)).toContain('NAME_INVALID');
    });

    test('a lone surrogate anywhere in a body is 400 and nothing is stored', async () => {
      const before = expectOk(await f.admin.get('/v1/billing-groups')).items.length;
      for (const body of [groupBody('Repro\ud800'), groupBody('Ok', { details: { company: '\udc00' } }), { ...groupBody('Ok2'), ['k\ud800']: 1 }]) {
        const r = await f.admin.post('/v1/billing-groups', body);
        expectError(r, 400, 'BAD_REQUEST');
        expect(r.data.error.message).toMatch(/surrogate/);
      }
      expectError(await f.admin.post('/v1/projects', { name: 'p\ud801' }), 400, 'BAD_REQUEST');
      expectError(await f.admin.post('/v1/users', { email: 'x@example.com', name: '\ud83d' }), 400, 'BAD_REQUEST');
      expect(expectOk(await f.admin.get('/v1/billing-groups')).items.length).toBe(before);
    });

    test('visible non-ASCII names (emoji, CJK, combining marks) are accepted and deletable', async () => {
      const name = '🚀 Équipe 北京 ' + 'ä'.repeat(10);
      const g = await f.group(name);
      expect(g.name).toBe(name);
      const wrong = await f.admin.del(`/v1/billing-groups/${g.id}?confirmName=nope`);
      expectError(wrong, 409, 'DELETE_CONFIRMATION');
      expect(wrong.data.error.message).toContain(encodeURIComponent(name));
      expect((await f.admin.del(`/v1/billing-groups/${g.id}?confirmName=${encodeURIComponent(name)}`)).status).toBe(204);
    });
  });

  describe('bodies', () => {
    const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

    test('a deeply nested body with an Idempotency-Key is 400 on every write route', async () => {
      const g = await f.group('Deep');
      const p = await f.project('deep');
      const u = await f.user('deep@example.com');
      const paths: [string, string][] = [
        ['POST', '/v1/billing-periods/2025-01/close'],
        ['POST', '/v1/invoices/inv-ffffffffffffffff/pay'],
        ['POST', `/v1/billing-groups/${g.id}/credits/cr-ffffffffffffffff/refund`],
        ['DELETE', `/v1/projects/${p.id}/billing-group`],
        ['PUT', `/v1/billing-groups/${g.id}/permissions/${u.id}`],
        ['DELETE', `/v1/billing-groups/${g.id}/permissions/${u.id}`],
        ['DELETE', `/v1/billing-groups/${g.id}?confirmName=Deep`],
        ['POST', '/v1/billing-groups'],
        ['PATCH', `/v1/billing-groups/${g.id}`],
        ['POST', '/v1/plan'],
      ];
      for (const [method, path] of paths) {
        const r = await f.admin.raw(method, path, deep(10_000), { 'content-type': 'application/json', 'idempotency-key': `deep-${method}-${path}` });
        expectError(r, 400, 'BAD_REQUEST');
        expect(r.data.error.message).toMatch(/nests deeper than 32/);
      }
      // 32 levels are fine as JSON (the schema then refuses the shape).
      expectError(await f.admin.raw('POST', '/v1/plan', deep(31), { 'content-type': 'application/json' }), 400, 'BAD_REQUEST');
      expect(expectOk(await f.admin.get(`/v1/billing-groups/${g.id}`)).name).toBe('Deep');
    });

    test('routes without a body schema refuse unknown fields; no body or {} is fine', async () => {
      const r = await f.admin.post('/v1/billing-periods/2025-02/close', { totally: 'ignored' });
      expectError(r, 400, 'BAD_REQUEST');
      expect(r.data.error.details.fields).toEqual(['totally']);
      expectError(await f.admin.post('/v1/billing-periods/2025-02/close', [1]), 400, 'BAD_REQUEST');
      expectError(await f.admin.raw('POST', '/v1/billing-periods/2025-02/close', 'null', { 'content-type': 'application/json' }), 400, 'BAD_REQUEST');
      expect(expectOk(await f.admin.post('/v1/billing-periods/2025-02/close', {})).period).toBe('2025-02');
      expect(expectOk(await f.admin.post('/v1/billing-periods/2025-02/close')).period).toBe('2025-02');
    });
  });

  describe('usage window', () => {
    test('at may lie up to 24 h ahead, not more, and not before 1970', async () => {
      const p = await f.project('window');
      const at = (ms: number) => new Date(Date.now() + ms).toISOString();
      expectOk(await f.admin.post('/v1/usage', { projectId: p.id, service: 'compute', amount: 1, at: at(23 * 3600_000) }), 201);
      for (const bad of [at(25 * 3600_000), '9999-12-31T23:59:59-01:00', '1969-12-31T23:59:59Z', '0000-01-01T00:00:00+01:00']) {
        const r = await f.admin.post('/v1/usage', { projectId: p.id, service: 'compute', amount: 1, at: bad });
        expectError(r, 400, 'BAD_REQUEST');
        expect(r.data.error.details.path).toEqual(['at']);
      }
      expectOk(await f.admin.post('/v1/usage', { projectId: p.id, service: 'compute', amount: 1, at: '1970-01-01T00:00:00Z' }), 201);
      expect(expectOk(await f.admin.post('/v1/billing-periods/1970-01/close')).invoices).toHaveLength(1);
    });
  });

  describe('idempotent replays', () => {
    test('POST /v1/users with an Idempotency-Key replays the same user and token (sealed at rest)', async () => {
      const body = { email: 'replay@example.com', name: 'Replay' };
      const first = expectOk(await f.admin.post('/v1/users', body, { 'idempotency-key': 'user-replay-1' }), 201);
      const again = await f.admin.post('/v1/users', body, { 'idempotency-key': 'user-replay-1' });
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.data).toEqual(first);
      expectOk(await f.as(first.token).get('/v1/domain'));
      // Another caller cannot reach (or open) the admin's entry: the key is scoped by token.
      const other = await f.user('other-admin@example.com', 'billing_admin');
      expect((await f.as(other.token).post('/v1/users', body, { 'idempotency-key': 'user-replay-1' })).status).toBe(409);
    });
  });
});
