/**
 * BillingGroup (and MainBillingGroup) providers driven directly against the real server
 * through their whole life: check (each rule it can tell, unknowns), diff, create,
 * drift, update, delete rules, adopt.
 */
import { engine, UNKNOWN } from '../../provider/pulumi';
import {
  CARD,
  captureWarnings,
  check,
  checkAndCreate,
  codes,
  create,
  diff,
  groupArgs,
  outOfBand,
  read,
  remove,
  startWorld,
  update,
  type World,
} from './helpers';

let w: World;
beforeAll(async () => {
  w = await startWorld();
});
afterAll(async () => {
  await w.server.close();
});

describe('before the main group has a payment method', () => {
  test('check: MAIN_PAYMENT_REQUIRED, saying to register one on the main group first', async () => {
    const r = await check('billingGroup', {}, groupArgs('Engineering'));
    expect(codes(r.failures)).toEqual(['MAIN_PAYMENT_REQUIRED']);
    expect(r.failures![0].reason).toMatch(/^MAIN_PAYMENT_REQUIRED: .*Register one on the main group first/);
  });

  test('a MainBillingGroup with a payment method checked first (same process) lifts it, as in a preview', async () => {
    const main = await check('mainBillingGroup', {}, { billingEmails: ['boss@example.com'], invoiceEmails: ['tax@example.com'], paymentMethod: CARD });
    expect(main.failures).toEqual([]);
    const r = await check('billingGroup', {}, groupArgs('Engineering'));
    expect(r.failures).toEqual([]);
    outOfBand();
  });

  test('MainBillingGroup: check, create adopts the main group, read, update; delete only forgets it', async () => {
    const bad = await check('mainBillingGroup', {}, { billingEmails: [], invoiceEmails: ['a@example.com', 'b@example.com', 'c@example.com'] });
    expect(codes(bad.failures)).toEqual(['BILLING_EMAILS_COUNT', 'INVOICE_EMAILS_COUNT']);

    const warnings = captureWarnings();
    try {
      const noPay = await check('mainBillingGroup', {}, { billingEmails: ['boss@example.com'], invoiceEmails: ['tax@example.com'] });
      expect(noPay.failures).toEqual([]);
      expect(warnings.lines.some((l) => l.startsWith('NO_PAYMENT_METHOD: '))).toBe(true);
    } finally {
      warnings.restore();
    }

    const inputs = { billingEmails: ['boss@example.com'], invoiceEmails: ['tax@example.com'], paymentMethod: CARD };
    const c = await checkAndCreate('mainBillingGroup', inputs);
    expect(c.id).toBe(w.mainId);
    expect(c.outs).toMatchObject({ name: 'example', billingEmails: ['boss@example.com'], paymentMethod: CARD });
    expect(c.outs).not.toHaveProperty('token');

    const d0 = await diff('mainBillingGroup', c.id, c.outs, inputs);
    expect(d0.changes).toBe(false);

    await w.admin.updateGroup(w.mainId, { billingEmails: ['someone@example.com'] });
    const r = await read('mainBillingGroup', c.id, c.outs);
    expect(r.props!.billingEmails).toEqual(['someone@example.com']);
    const d1 = await diff('mainBillingGroup', c.id, r.props, inputs);
    expect(d1).toMatchObject({ changes: true, replaces: [] });

    const u = await update('mainBillingGroup', c.id, r.props, inputs);
    expect(u.outs!.billingEmails).toEqual(['boss@example.com']);

    const warned = captureWarnings();
    try {
      await remove('mainBillingGroup', c.id, u.outs);
      expect(warned.lines[0]).toMatch(/^MAIN_GROUP_FORGOTTEN: /);
    } finally {
      warned.restore();
    }
    expect(await w.admin.getGroup(w.mainId)).toMatchObject({ paymentMethod: CARD, billingEmails: ['boss@example.com'] });
  });
});

describe('sub groups', () => {
  test('check reports each rule the inputs can tell, with the code first and the property', async () => {
    outOfBand();
    const r = await check(
      'billingGroup',
      {},
      { name: '  ', billingEmails: ['not-an-email', 'a@example.com', 'A@example.com'], invoiceEmails: [], paymentMethod: { type: 'cash', reference: 'x' } },
    );
    expect(codes(r.failures).sort()).toEqual(['BILLING_EMAILS_COUNT', 'EMAIL_INVALID', 'INVOICE_EMAILS_COUNT', 'NAME_INVALID', 'VALUE_NOT_ALLOWED'].sort());
    const byCode = Object.fromEntries(r.failures!.map((f) => [f.reason.split(':')[0], f]));
    expect(byCode.NAME_INVALID.property).toBe('name');
    expect(byCode.EMAIL_INVALID.property).toBe('billingEmails[0]');
    expect(byCode.BILLING_EMAILS_COUNT.property).toBe('billingEmails[2]');
    expect(byCode.INVOICE_EMAILS_COUNT.property).toBe('invoiceEmails');
    expect(byCode.VALUE_NOT_ALLOWED.property).toBe('paymentMethod.type');
    for (const f of r.failures!) expect(f.reason).toMatch(/^[A-Z_]+: .+\. .+/);
  });

  test('check: a payment method without a reference and none to keep is PAYMENT_REFERENCE_REQUIRED on paymentMethod.reference (never a raw 400)', async () => {
    const r = await check('billingGroup', {}, { ...groupArgs('No Reference'), paymentMethod: { type: 'card' } });
    expect(codes(r.failures)).toEqual(['PAYMENT_REFERENCE_REQUIRED']);
    expect(r.failures![0].property).toBe('paymentMethod.reference');
    expect(r.failures![0].reason).toContain('paymentMethod.reference');
    // Unknown during preview: not guessed.
    expect((await check('billingGroup', {}, { ...groupArgs('Unknown Reference'), paymentMethod: { type: 'card', reference: UNKNOWN } })).failures).toEqual([]);
    // Once the group has one, leaving it out keeps the stored reference.
    const created = await checkAndCreate('billingGroup', { ...groupArgs('Has Reference'), paymentMethod: CARD });
    expect((await check('billingGroup', created.outs, { ...groupArgs('Has Reference'), paymentMethod: { type: 'card' } })).failures).toEqual([]);
  });

  test('check with unknown values (preview) validates nothing it cannot know and keeps them', async () => {
    const news = { name: UNKNOWN, billingEmails: [UNKNOWN, 'ok@example.com'], invoiceEmails: UNKNOWN, paymentMethod: UNKNOWN };
    const warnings = captureWarnings();
    try {
      const r = await check('billingGroup', {}, news);
      expect(r.failures).toEqual([]);
      expect(r.inputs).toMatchObject({ name: UNKNOWN, billingEmails: [UNKNOWN, 'ok@example.com'], invoiceEmails: UNKNOWN, paymentMethod: UNKNOWN, deletionProtection: false });
      expect(warnings.lines).toEqual([]); // NO_PAYMENT_METHOD is not guessed
    } finally {
      warnings.restore();
    }
  });

  test('MainBillingGroup check with unknowns validates nothing it cannot know', async () => {
    const r = await check('mainBillingGroup', {}, { billingEmails: UNKNOWN, invoiceEmails: [UNKNOWN], paymentMethod: UNKNOWN });
    expect(r.failures).toEqual([]);
    expect(r.inputs).toMatchObject({ billingEmails: UNKNOWN, invoiceEmails: [UNKNOWN], paymentMethod: UNKNOWN });
  });

  test('create, diff, drift, update, delete rules, delete', async () => {
    const warnings = captureWarnings();
    let c;
    try {
      c = await checkAndCreate('billingGroup', groupArgs('Engineering', { paymentMethod: undefined }));
      expect(warnings.lines.filter((l) => l.startsWith('NO_PAYMENT_METHOD: ')).length).toBeGreaterThan(0);
    } finally {
      warnings.restore();
    }
    expect(c.outs).toMatchObject({ name: 'Engineering', type: 'sub', version: 1, deletionProtection: false, paymentMethod: null });
    expect(await w.admin.getGroup(c.id)).toMatchObject({ name: 'Engineering' });

    // NAME_TAKEN against the live group (trimmed, case-insensitive), seen after our own write.
    const taken = await check('billingGroup', {}, groupArgs(' engineering '));
    expect(codes(taken.failures)).toEqual(['NAME_TAKEN']);
    expect(taken.failures![0].reason).toContain(c.id);

    const inputs = groupArgs('Engineering', { paymentMethod: undefined });
    expect(await diff('billingGroup', c.id, c.outs, inputs)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    // details are optional+computed: unset keeps the API's value; currency defaults.
    expect((await diff('billingGroup', c.id, c.outs, { ...inputs, details: { currency: 'USD' } })).changes).toBe(false);
    expect((await diff('billingGroup', c.id, c.outs, { ...inputs, details: { company: 'ACME' } })).changes).toBe(true);
    expect(await diff('billingGroup', c.id, c.outs, { ...inputs, name: 'Platform' })).toMatchObject({ changes: true, replaces: [] });
    expect((await diff('billingGroup', c.id, c.outs, { ...inputs, deletionProtection: true })).changes).toBe(true);
    expect((await diff('billingGroup', c.id, c.outs, { ...inputs, name: UNKNOWN })).changes).toBe(true);

    // Out-of-band rename: read shows it, diff wants it back.
    await w.admin.updateGroup(c.id, { name: 'Renamed outside' });
    const r = await read('billingGroup', c.id, c.outs);
    expect(r.id).toBe(c.id);
    expect(r.props).toMatchObject({ name: 'Renamed outside', version: 2, deletionProtection: false });
    expect(r.inputs).toMatchObject({ name: 'Renamed outside', deletionProtection: false });
    expect(r.inputs).not.toHaveProperty('version'); // refreshed inputs hold the writable attributes only
    expect((await diff('billingGroup', c.id, r.props, inputs)).changes).toBe(true);

    // Update (a rename is checked as an update of that group, not a create).
    outOfBand();
    const news = { ...inputs, name: 'Platform', paymentMethod: CARD, deletionProtection: true };
    const chk = await check('billingGroup', { ...inputs, name: 'Renamed outside' }, news);
    expect(chk.failures).toEqual([]);
    const u = await update('billingGroup', c.id, r.props, chk.inputs);
    expect(u.outs).toMatchObject({ name: 'Platform', paymentMethod: CARD, version: 3, deletionProtection: true });

    // deletionProtection blocks the delete.
    await expect(remove('billingGroup', c.id, u.outs)).rejects.toThrow(/^DELETION_PROTECTED: /);
    const unprotected = (await update('billingGroup', c.id, u.outs, { ...news, deletionProtection: false })).outs!;
    expect(unprotected.version).toBe(3); // a local setting: no API write

    // Delete rules of the API come back with their code.
    const project = await w.admin.createProject({ name: 'web' });
    await w.admin.linkProject(project.id, c.id);
    await expect(remove('billingGroup', c.id, unprotected)).rejects.toThrow(/^DELETE_HAS_PROJECTS: /);
    await w.admin.unlinkProject(project.id);

    await remove('billingGroup', c.id, unprotected);
    expect(await w.admin.getGroup(c.id)).toBeNull();
    expect(await read('billingGroup', c.id, unprotected)).toEqual({}); // vanished: dropped
    await remove('billingGroup', c.id, unprotected); // already gone: fine
  });

  test('delete: API delete rules come back with their code; the warnings of a delete are logged', async () => {
    outOfBand();
    const c = await checkAndCreate('billingGroup', groupArgs('Credits'));
    const paid = await w.admin.claimCredit(c.id, 'PAID-2026-300');
    await expect(remove('billingGroup', c.id, c.outs)).rejects.toThrow(/^DELETE_PAID_CREDITS: /);
    await w.admin.refundCredit(c.id, paid.id);
    await w.admin.claimCredit(c.id, 'FREE-2026-500');
    const warnings = captureWarnings();
    try {
      await remove('billingGroup', c.id, c.outs);
      expect(warnings.lines.map((l) => l.split(':')[0]).sort()).toEqual(['DELETE_IRREVERSIBLE', 'FREE_CREDITS_FORFEITED']);
    } finally {
      warnings.restore();
    }
    expect(await w.admin.getGroup(c.id)).toBeNull();
  });

  test('adopt takes over the group of that name instead of creating', async () => {
    const existing = await w.admin.createGroup({ name: 'Finance', billingEmails: ['f@example.com'], invoiceEmails: ['t@example.com'], paymentMethod: CARD });
    outOfBand();
    const withoutAdopt = await check('billingGroup', {}, groupArgs('finance'));
    expect(codes(withoutAdopt.failures)).toEqual(['NAME_TAKEN']);

    const args = groupArgs('Finance', { billingEmails: ['money@example.com'], adopt: true });
    const chk = await check('billingGroup', {}, args);
    expect(chk.failures).toEqual([]);
    const before = (await w.admin.listGroups()).length;
    const c = await create('billingGroup', chk.inputs);
    expect(c.id).toBe(existing.id);
    expect(c.outs).toMatchObject({ adopt: true, billingEmails: ['money@example.com'], version: 2 });
    expect((await w.admin.listGroups()).length).toBe(before);
  });

  test('adopt with no such group creates it', async () => {
    const c = await checkAndCreate('billingGroup', groupArgs('Brand new', { adopt: true }));
    expect(await w.admin.getGroup(c.id)).toMatchObject({ name: 'Brand new', version: 1 });
  });

  test('a token given as a resource argument is used and kept only for the provider (never logged)', async () => {
    const saved = process.env.CLOUDBILLING_TOKEN;
    process.env.CLOUDBILLING_TOKEN = 'wrong-token';
    outOfBand();
    try {
      const bad = check('billingGroup', {}, groupArgs('Via args'));
      await expect(bad).rejects.toThrow(/UNAUTHENTICATED/);
      await expect(bad).rejects.not.toThrow(/wrong-token/);
      const c = await checkAndCreate('billingGroup', groupArgs('Via args', { token: saved, apiUrl: w.server.url }));
      expect(c.outs).toMatchObject({ token: saved, apiUrl: w.server.url }); // stored as a secret output (additionalSecretOutputs)
      const r = await read('billingGroup', c.id, c.outs);
      expect(r.props).toMatchObject({ name: 'Via args' });
    } finally {
      process.env.CLOUDBILLING_TOKEN = saved;
      outOfBand();
    }
  });

  test('configure takes the stack config (cloudbilling:apiUrl, secret cloudbilling:token) over the environment', async () => {
    const saved = { url: process.env.CLOUDBILLING_API_URL, token: process.env.CLOUDBILLING_TOKEN };
    process.env.CLOUDBILLING_API_URL = 'http://127.0.0.1:9'; // nothing listens there
    process.env.CLOUDBILLING_TOKEN = 'wrong-token';
    outOfBand();
    try {
      const config = { 'cloudbilling:apiUrl': w.server.url, 'cloudbilling:token': w.server.adminToken } as Record<string, string>;
      await engine.configure({ config: { get: (k: string) => config[k], require: (k: string) => config[k] } });
      const r = await check('billingGroup', {}, groupArgs('Via config'));
      expect(r.failures).toEqual([]);
    } finally {
      process.env.CLOUDBILLING_API_URL = saved.url;
      process.env.CLOUDBILLING_TOKEN = saved.token;
      outOfBand();
    }
  });

  test('SUB_GROUP_LIMIT counts the live sub groups', async () => {
    const have = (await w.admin.listGroups()).filter((g) => g.type === 'sub').length;
    const { subGroupLimit } = await w.admin.getDomain();
    for (let i = have; i < subGroupLimit; i++) {
      await w.admin.createGroup({ name: `Filler ${i}`, billingEmails: ['f@example.com'], invoiceEmails: ['t@example.com'], paymentMethod: CARD });
    }
    outOfBand();
    const r = await check('billingGroup', {}, groupArgs('One too many'));
    expect(codes(r.failures)).toEqual(['SUB_GROUP_LIMIT']);
    expect(r.failures![0].reason).toMatch(/limit 30/);
  });

  test('check reads one snapshot per process and reuses it', async () => {
    outOfBand();
    const before = engine.requests;
    for (let i = 0; i < 20; i++) await check('billingGroup', {}, groupArgs(`Probe ${i}`));
    expect(engine.requests - before).toBe(1);
  });
});
