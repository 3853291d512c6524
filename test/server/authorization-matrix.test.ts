/**
 * The authorization matrix (SPEC §10, issue 9): every route × {admin, main member, sub-A
 * member, sub-B member, no membership}, aimed at sub group B's objects, and the same route
 * with an unknown id. Checks the status of each cell, that an object outside the caller's
 * view answers exactly like an unknown id (no probing), and that no answer names an object
 * outside the caller's view (group, project and user names, e-mails, payment references).
 */
import { expectOk, Fixture, type Api, type Res } from './client';
import { STORES } from '../helpers/stores';

describe.each(STORES)('%s store', (store) => {
  type Caller = 'admin' | 'mainMember' | 'aMember' | 'bMember' | 'nobody';
  // Admins last: their writes succeed, and each route's write by an admin is harmless for the
  // routes after it (no-ops, or the move of the last route).
  const CALLERS: Caller[] = ['mainMember', 'aMember', 'bMember', 'nobody', 'admin'];

  let f: Fixture;
  const api = {} as Record<Caller, Api>;
  const o: Record<string, string> = {};
  /** Secret-looking text that only some callers may see, by the object it belongs to. */
  const SECRET = {
    groupA: 'Alpha Unit',
    groupB: 'Bravo Unit',
    refMain: 'pm_main_ref_9f3a',
    refA: 'pm_alpha_ref_51c2',
    refB: 'pm_bravo_ref_77d0',
    projA: 'proj-alpha-secret',
    projB: 'proj-bravo-secret',
    projM: 'proj-main-secret',
    emailB: 'bravo-billing@bravo.example.com',
    bMemberEmail: 'b.member@example.com',
    aMemberEmail: 'a.member@example.com',
    mainMemberEmail: 'main.member@example.com',
    nobodyEmail: 'no.body@example.com',
  };

  beforeAll(async () => {
    f = await Fixture.start({ store, domain: 'Matrix Domain' });
    api.admin = f.admin;
    expectOk(await f.admin.patch(`/v1/billing-groups/${f.mainId}`, { paymentMethod: { type: 'card', reference: SECRET.refMain } }));
    const mk = async (name: string, ref: string, email: string) =>
      expectOk(await f.admin.post('/v1/billing-groups', { name, billingEmails: [email], invoiceEmails: ['ap@example.com'], paymentMethod: { type: 'card', reference: ref } }), 201);
    o.main = f.mainId;
    o.A = (await mk(SECRET.groupA, SECRET.refA, 'alpha@alpha.example.com')).id;
    o.B = (await mk(SECRET.groupB, SECRET.refB, SECRET.emailB)).id;
    o.pM = (await f.project(SECRET.projM)).id;
    o.pA = (await f.project(SECRET.projA)).id;
    o.pB = (await f.project(SECRET.projB)).id;
    await f.link(o.pA, o.A);
    await f.link(o.pB, o.B);
    const users: Record<Exclude<Caller, 'admin'>, [string, string | undefined]> = {
      mainMember: [SECRET.mainMemberEmail, o.main],
      aMember: [SECRET.aMemberEmail, o.A],
      bMember: [SECRET.bMemberEmail, o.B],
      nobody: [SECRET.nobodyEmail, undefined],
    };
    for (const [who, [email, group]] of Object.entries(users) as [Exclude<Caller, 'admin'>, [string, string | undefined]][]) {
      const u = await f.user(email);
      o[who] = u.id;
      api[who] = f.as(u.token);
      if (group) expectOk(await f.admin.put(`/v1/billing-groups/${group}/permissions/${u.id}`));
    }
    await f.usage(o.pB, 2, 'compute', '2025-05-01T00:00:00Z');
    o.invB = expectOk(await f.admin.post('/v1/billing-periods/2025-05/close')).invoices.find((i: { billingGroupId: string }) => i.billingGroupId === o.B).id;
    o.crB = expectOk(await f.admin.post(`/v1/billing-groups/${o.B}/credits`, { code: 'PAID-MATRIX-10' }), 201).id;
    // A change on B with a payment reference in the event log.
    expectOk(await f.admin.patch(`/v1/billing-groups/${o.B}`, { paymentMethod: { type: 'account', reference: SECRET.refB } }));
  }, 60_000);
  afterAll(() => f?.close());

  /** What each caller may see (the secrets of the rest must never appear in their answers). */
  function visibleSecrets(c: Caller): Set<string> {
    const all = Object.values(SECRET);
    if (c === 'admin') return new Set(all);
    const own = { mainMember: SECRET.mainMemberEmail, aMember: SECRET.aMemberEmail, bMember: SECRET.bMemberEmail, nobody: SECRET.nobodyEmail }[c];
    const v = new Set<string>([own]);
    if (c === 'mainMember') [SECRET.projA, SECRET.projB, SECRET.projM].forEach((s) => v.add(s));
    if (c === 'aMember') [SECRET.groupA, SECRET.projA].forEach((s) => v.add(s));
    if (c === 'bMember') [SECRET.groupB, SECRET.projB, SECRET.emailB].forEach((s) => v.add(s));
    return v; // payment references: admins only
  }

  function expectNoLeak(c: Caller, r: Res, what: string): void {
    const text = typeof r.data === 'string' ? r.data : JSON.stringify(r.data);
    const allowed = visibleSecrets(c);
    for (const s of Object.values(SECRET)) {
      if (!allowed.has(s) && text.includes(s)) throw new Error(`${c} ${what}: the answer names ${JSON.stringify(s)}: ${text.slice(0, 300)}`);
    }
  }

  type Expect = Record<Caller, number | 'ok'>;
  const read = (others: number, extra: Partial<Expect> = {}): Expect => ({ admin: 200, bMember: 200, mainMember: others, aMember: others, nobody: others, ...extra });
  const write = (others: number, extra: Partial<Expect> = {}): Expect => ({ admin: 'ok', bMember: 403, mainMember: others, aMember: others, nobody: others, ...extra });

  /** [name, method, path (with B's ids or unknown ones), body, expected per caller]. */
  const ROUTES: [string, string, (x: Record<string, string>) => string, (x: Record<string, string>) => unknown, Expect][] = [
    ['group', 'GET', (x) => `/v1/billing-groups/${x.B}`, () => undefined, read(404)],
    ['group projects', 'GET', (x) => `/v1/billing-groups/${x.B}/projects`, () => undefined, read(404)],
    ['group permissions', 'GET', (x) => `/v1/billing-groups/${x.B}/permissions`, () => undefined, read(404)],
    ['group credits', 'GET', (x) => `/v1/billing-groups/${x.B}/credits`, () => undefined, read(404)],
    ['group invoices', 'GET', (x) => `/v1/billing-groups/${x.B}/invoices`, () => undefined, read(404)],
    ['group events', 'GET', (x) => `/v1/billing-groups/${x.B}/events`, () => undefined, read(404)],
    ['project', 'GET', (x) => `/v1/projects/${x.pB}`, () => undefined, read(404, { mainMember: 200 })],
    ['invoice', 'GET', (x) => `/v1/invoices/${x.invB}`, () => undefined, read(404)],
    ['invoice csv', 'GET', (x) => `/v1/invoices/${x.invB}?format=csv`, () => undefined, read(404)],
    ['user', 'GET', (x) => `/v1/users/${x.bMember}`, () => undefined, read(404)],
    ['patch group', 'PATCH', (x) => `/v1/billing-groups/${x.B}`, () => ({ billingEmails: [SECRET.emailB] }), write(404)],
    ['delete group', 'DELETE', (x) => `/v1/billing-groups/${x.B}?confirmName=nope`, () => undefined, write(404)],
    ['link project', 'PUT', (x) => `/v1/projects/${x.pB}/billing-group`, () => ({ billingGroupId: o.B }), write(404)],
    ['link into an invisible group', 'PUT', () => `/v1/projects/${o.pA}/billing-group`, (x) => ({ billingGroupId: x.B }), write(404, { bMember: 404 })],
    ['grant', 'PUT', (x) => `/v1/billing-groups/${x.B}/permissions/${x.bMember}`, () => undefined, write(404)],
    ['revoke', 'DELETE', (x) => `/v1/billing-groups/${x.B}/permissions/${x.nobody}`, () => undefined, write(404, { bMember: 404 })],
    ['claim credit', 'POST', (x) => `/v1/billing-groups/${x.B}/credits`, () => ({ code: 'FREE-MATRIX-1' }), write(404)],
    ['refund credit', 'POST', (x) => `/v1/billing-groups/${x.B}/credits/${x.crB}/refund`, () => undefined, write(404)],
    ['pay invoice', 'POST', (x) => `/v1/invoices/${x.invB}/pay`, () => undefined, write(404)],
    ['record usage', 'POST', () => '/v1/usage', (x) => ({ projectId: x.pB, service: 'compute', amount: 1, at: '2025-06-01T00:00:00Z' }), write(404, { mainMember: 403 })],
    // Last: the admin's unlink moves pB to main.
    ['unlink project', 'DELETE', (x) => `/v1/projects/${x.pB}/billing-group`, () => undefined, write(404, { mainMember: 403 })],
  ];

  const unknownId = (k: string) =>
    k.startsWith('p') ? 'prj-ffffffffffffffff' : k.startsWith('inv') ? 'inv-ffffffffffffffff' : k.startsWith('cr') ? 'cr-ffffffffffffffff' : /member|nobody/i.test(k) ? 'usr-ffffffffffffffff' : 'bg-ffffffffffffffff';
  /** Every id unknown to the server (main excepted: it always exists). */
  const UNKNOWN = new Proxy({} as Record<string, string>, { get: (_t, k: string) => (k === 'main' ? o.main : unknownId(k)) });
  /** The ids a caller can see. */
  const VISIBLE: Record<Caller, string[]> = {
    admin: [],
    mainMember: ['main', 'pM', 'pA', 'pB', 'mainMember'],
    aMember: ['A', 'pA', 'aMember'],
    bMember: ['B', 'pB', 'invB', 'crB', 'bMember'],
    nobody: ['nobody'],
  };
  /** The caller's visible ids real, every other id unknown: what it must not tell apart from `o`. */
  const unknownFor = (c: Caller) => new Proxy({} as Record<string, string>, { get: (_t, k: string) => (k === 'main' || VISIBLE[c].includes(k) ? o[k] : unknownId(k)) });

  function call(a: Api, method: string, path: string, body: unknown): Promise<Res> {
    return a.raw(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? {} : { 'content-type': 'application/json' });
  }

  /** Replace every id in a message by a placeholder, to compare the text of two 404s. */
  const shape = (r: Res) => ({ status: r.status, code: r.data?.error?.code, message: String(r.data?.error?.message ?? '').replace(/\b(?:bg|prj|usr|inv|cr)-[0-9a-f]{16}\b/g, 'ID') });

  test.each(CALLERS)('lists and the snapshot as %s name nothing outside the view; references only for admins', async (caller) => {
    for (const p of ['/v1/billing-groups', '/v1/projects', '/v1/users', '/v1/snapshot', '/v1/domain', `/v1/billing-groups/${o.A}/events`, `/v1/billing-groups/${o.B}/events`, `/v1/billing-groups/${o.main}`]) {
      const r = await api[caller].get(p);
      expect(r.status).toBeLessThan(500);
      expectNoLeak(caller, r, p);
      if (caller !== 'admin' && r.status === 200) {
        const text = JSON.stringify(r.data);
        for (const ref of [SECRET.refMain, SECRET.refA, SECRET.refB]) expect(text).not.toContain(ref);
      }
    }
    const snap = expectOk(await api[caller].get('/v1/snapshot'));
    for (const g of snap.groups) {
      if (g.paymentMethod) expect(g.paymentMethod.reference === null).toBe(caller !== 'admin');
    }
  });

  describe.each(ROUTES)('%s', (name, method, path, body, expected) => {
    test.each(CALLERS)('as %s', async (caller) => {
      const r = await call(api[caller], method, path(o), body(o));
      const want = expected[caller];
      if (want === 'ok') expect([200, 201, 204, 409]).toContain(r.status);
      else if (r.status !== want) throw new Error(`${name} as ${caller}: expected ${want}, got ${r.status} ${JSON.stringify(r.data)}`);
      if (r.status === 403) expect(r.data.error.code).toBe('FORBIDDEN');
      if (r.status === 404) expect(r.data.error.code).toMatch(/NOT_FOUND$/);
      expectNoLeak(caller, r, name);
      // An object the caller cannot see answers exactly like an unknown id.
      const x = caller === 'admin' ? UNKNOWN : unknownFor(caller);
      const u = await call(api[caller], method, path(x), body(x));
      if (want === 404) expect(shape(r)).toEqual(shape(u));
      else if (caller === 'admin') expect(u.status).toBe(404);
      expectNoLeak(caller, u, `${name} (unknown id)`);
    });
  });
});
