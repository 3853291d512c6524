/** Billing groups: create, read, list, patch (ETag / If-Match), delete; domain and snapshot. */
import { expectError, expectOk, Fixture, groupBody, PM } from './client';
import { STORES } from '../helpers/stores';

describe.each(STORES)('%s store', (store) => {
  let f: Fixture;
  beforeAll(async () => {
    f = await Fixture.start({ store, domain: 'acme', adminEmail: 'boss@acme.example' });
  });
  afterAll(() => f.close());

  test('first start creates the domain, its main group and the admin user', async () => {
    const d = expectOk(await f.admin.get('/v1/domain'));
    expect(d).toEqual({ id: expect.stringMatching(/^dom-/), name: 'acme', mainGroupId: expect.stringMatching(/^bg-[0-9a-f]{16}$/), subGroupLimit: 30 });
    const main = expectOk(await f.admin.get(`/v1/billing-groups/${d.mainGroupId}`));
    expect(main).toMatchObject({
      id: d.mainGroupId,
      name: 'acme',
      type: 'main',
      billingEmails: ['boss@acme.example'],
      invoiceEmails: ['boss@acme.example'],
      paymentMethod: null,
      details: { currency: 'USD' },
      version: 1,
      projectCount: 0,
      totalProjectCount: 0,
    });
    expect(main.finance).toBeUndefined();
    const users = expectOk(await f.admin.get('/v1/users')).items;
    expect(users).toEqual([{ id: expect.stringMatching(/^usr-/), email: 'boss@acme.example', name: expect.any(String), role: 'billing_admin' }]);
  });

  test('a sub group cannot be created before main has a payment method, then can', async () => {
    expectError(await f.admin.post('/v1/billing-groups', groupBody('early')), 409, 'MAIN_PAYMENT_REQUIRED');
    const r = await f.admin.patch(`/v1/billing-groups/${f.mainId}`, { paymentMethod: PM });
    expect(r.status).toBe(200);
    expect(r.data.version).toBe(2);
    expect(r.headers.etag).toBe('"2"');
    expect(r.data.warnings).toEqual([]);
  });

  test('create answers 201 with the group, ETag and warnings', async () => {
    const r = await f.admin.post('/v1/billing-groups', {
      name: 'Platform',
      billingEmails: ['a@acme.example', 'b@acme.example'],
      invoiceEmails: ['ap@acme.example'],
      details: { company: 'Acme Platform', addressLines: ['1 Road'], countryCode: 'DE', vatId: 'DE123' },
    });
    expect(r.status).toBe(201);
    expect(r.headers.etag).toBe('"1"');
    expect(r.data).toMatchObject({
      id: expect.stringMatching(/^bg-[0-9a-f]{16}$/),
      name: 'Platform',
      type: 'sub',
      paymentMethod: null,
      details: { company: 'Acme Platform', addressLines: ['1 Road'], countryCode: 'DE', vatId: 'DE123', currency: 'USD' },
      version: 1,
      projectCount: 0,
      createdBy: expect.stringMatching(/^usr-/),
    });
    expect(r.data.totalProjectCount).toBeUndefined();
    expect(r.data.warnings.map((w: { code: string }) => w.code)).toEqual(['NO_PAYMENT_METHOD']);
    const got = await f.admin.get(`/v1/billing-groups/${r.data.id}`);
    expect(got.headers.etag).toBe('"1"');
    const { warnings: _w, ...plain } = r.data;
    expect(got.data).toEqual(plain);
    const list = expectOk(await f.admin.get('/v1/billing-groups')).items;
    expect(list.map((g: { name: string }) => g.name)).toEqual(['acme', 'Platform']);
  });

  test('PATCH changes fields, bumps the version, honours If-Match', async () => {
    const g = await f.group('Data');
    const r1 = await f.admin.patch(`/v1/billing-groups/${g.id}`, { invoiceEmails: ['tax@acme.example', 'tax2@acme.example'] }, { 'if-match': '"1"' });
    expect(r1.status).toBe(200);
    expect(r1.data).toMatchObject({ version: 2, invoiceEmails: ['tax@acme.example', 'tax2@acme.example'], name: 'Data' });
    expect(r1.headers.etag).toBe('"2"');
    expectError(await f.admin.patch(`/v1/billing-groups/${g.id}`, { name: 'Data2' }, { 'if-match': '"1"' }), 412, 'STALE_VERSION');
    expect(expectOk(await f.admin.get(`/v1/billing-groups/${g.id}`)).name).toBe('Data');
    const r2 = await f.admin.patch(`/v1/billing-groups/${g.id}`, { name: 'Data2', paymentMethod: null }, { 'if-match': 'W/"2"' });
    expect(r2.data).toMatchObject({ name: 'Data2', version: 3, paymentMethod: null });
    expect(r2.data.warnings.map((w: { code: string }) => w.code)).toEqual(['NO_PAYMENT_METHOD']);
    // A PATCH that changes nothing is not a new version.
    const r3 = await f.admin.patch(`/v1/billing-groups/${g.id}`, { name: 'Data2' });
    expect(r3.data.version).toBe(3);
    expectError(await f.admin.patch(`/v1/billing-groups/${g.id}`, { name: 'x' }, { 'if-match': 'banana' }), 400, 'BAD_REQUEST');
    // A rule error leaves the group untouched.
    expectError(await f.admin.patch(`/v1/billing-groups/${g.id}`, { billingEmails: [] }), 422, 'BILLING_EMAILS_COUNT');
    expect(expectOk(await f.admin.get(`/v1/billing-groups/${g.id}`)).version).toBe(3);
  });

  test('PATCH of the main group keeps its name but may change the rest', async () => {
    const r = await f.admin.patch(`/v1/billing-groups/${f.mainId}`, { name: 'acme', billingEmails: ['finance@acme.example'] });
    expect(r.status).toBe(200);
    expect(r.data.name).toBe('acme');
    expectError(await f.admin.patch(`/v1/billing-groups/${f.mainId}`, { name: 'ACME Corp' }), 409, 'MAIN_GROUP_IMMUTABLE_NAME');
  });

  test('wrong types are 400, not 422', async () => {
    for (const body of [
      { ...groupBody('t'), name: 5 },
      { ...groupBody('t'), billingEmails: 'a@b.com' },
      { ...groupBody('t'), billingEmails: [1] },
      { ...groupBody('t'), paymentMethod: { type: 'cash', reference: 'x' } },
      { ...groupBody('t'), unknownField: true },
      { billingEmails: ['a@b.com'], invoiceEmails: ['a@b.com'] },
    ]) {
      expectError(await f.admin.post('/v1/billing-groups', body), 400, 'BAD_REQUEST');
    }
    expectError(await f.admin.patch(`/v1/billing-groups/${f.mainId}`, { name: null }), 400, 'BAD_REQUEST');
  });

  test('DELETE needs confirmName, answers 204 and the group is gone (name reusable)', async () => {
    const g = await f.group('Temp');
    expectError(await f.admin.del(`/v1/billing-groups/${g.id}`), 409, 'DELETE_CONFIRMATION');
    expectError(await f.admin.del(`/v1/billing-groups/${g.id}?confirmName=temp`), 409, 'DELETE_CONFIRMATION');
    const r = await f.admin.del(`/v1/billing-groups/${g.id}?confirmName=Temp`);
    expect(r.status).toBe(204);
    expect(r.data).toBe('');
    expectError(await f.admin.get(`/v1/billing-groups/${g.id}`), 404, 'GROUP_NOT_FOUND');
    expectError(await f.admin.del(`/v1/billing-groups/${g.id}?confirmName=Temp`), 404, 'GROUP_NOT_FOUND');
    expect(expectOk(await f.admin.get('/v1/billing-groups')).items.map((x: { id: string }) => x.id)).not.toContain(g.id);
    await f.group('Temp');
  });

  test('unknown and malformed group ids are 404 GROUP_NOT_FOUND', async () => {
    for (const id of ['bg-ffffffffffffffff', 'nope', '%20', 'prj-0123456789abcdef']) {
      expectError(await f.admin.get(`/v1/billing-groups/${id}`), 404, 'GROUP_NOT_FOUND');
      expectError(await f.admin.patch(`/v1/billing-groups/${id}`, { name: 'x' }), 404, 'GROUP_NOT_FOUND');
      expectError(await f.admin.get(`/v1/billing-groups/${id}/projects`), 404, 'GROUP_NOT_FOUND');
      expectError(await f.admin.get(`/v1/billing-groups/${id}/permissions`), 404, 'GROUP_NOT_FOUND');
      expectError(await f.admin.get(`/v1/billing-groups/${id}/events`), 404, 'GROUP_NOT_FOUND');
    }
  });

  test('snapshot has the whole view, with finance on groups', async () => {
    const p = await f.project('snap');
    const s = expectOk(await f.admin.get('/v1/snapshot'));
    expect(Object.keys(s).sort()).toEqual(['at', 'domain', 'groups', 'links', 'permissions', 'projects', 'users']);
    expect(s.domain.name).toBe('acme');
    expect(s.groups.every((g: { finance?: object }) => g.finance && 'unbilledUsage' in g.finance)).toBe(true);
    expect(s.projects.find((x: { id: string }) => x.id === p.id)).toMatchObject({ billingGroupId: f.mainId });
    expect(s.links).toContainEqual({ projectId: p.id, billingGroupId: f.mainId, effectiveFrom: p.effectiveFrom });
    const main = s.groups.find((g: { id: string }) => g.id === f.mainId);
    expect(main.totalProjectCount).toBe(s.projects.length);
    expect(new Date(s.at).toString()).not.toBe('Invalid Date');
  });
});
