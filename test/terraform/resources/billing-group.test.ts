/**
 * cloudbilling_billing_group and cloudbilling_main_billing_group handlers against the
 * real Billing API server: plan-time rules, apply, drift reads, import, destroy.
 */
import { startTestServer, type TestServer } from '../../helpers/server';
import { billingGroupResource as bg } from '../../../provider/terraform/resources/billing-group';
import { mainBillingGroupResource as main } from '../../../provider/terraform/resources/main-billing-group';
import { UNKNOWN, type Values } from '../../../provider/terraform/framework';
import type { BillingClient } from '../../../provider/client';
import { adminClient, apply, CARD, codes, config, find, plan, processContext } from './harness';

let server: TestServer;
let api: BillingClient;
let mainId: string;
let n = 0;

/** A fresh group name per test (the server is shared). */
const name = (base: string) => `${base} ${++n}`;
const groupConfig = (over: Values = {}) =>
  config(bg.definition, { name: name('Team'), billingEmails: ['billing@example.com'], invoiceEmails: ['tax@example.com'], paymentMethod: CARD, ...over });

beforeAll(async () => {
  server = await startTestServer();
  api = adminClient(server);
  mainId = (await api.getDomain()).mainGroupId;
});
afterAll(() => server.close());

describe('before the main group has a payment method', () => {
  test('creating a sub group fails at plan with MAIN_PAYMENT_REQUIRED; nothing is written', async () => {
    const ctx = processContext(server);
    const p = await plan(bg, ctx, null, groupConfig());
    const d = find(p.diagnostics, 'MAIN_PAYMENT_REQUIRED');
    expect(d.severity).toBe('error');
    expect(d.detail).toContain('example');
    expect(ctx.calls).toEqual(['GET /v1/change-sets', 'GET /v1/snapshot']); // the open change set (reserved ids), the live state
  });

  test('a plan that gives the main group a payment method lets dependent sub groups through', async () => {
    const ctx = processContext(server);
    const mp = await plan(main, ctx, null, config(main.definition, { billingEmails: ['cfo@example.com'], invoiceEmails: ['ap@example.com'], paymentMethod: CARD }));
    expect(codes(mp.diagnostics)).toEqual([]);
    expect(mp.planned).toMatchObject({ id: mainId, name: 'example', version: UNKNOWN });
    const p = await plan(bg, ctx, null, groupConfig());
    expect(codes(p.diagnostics)).toEqual([]);
  });

  test('adopting the main group applies the declared fields; NO_PAYMENT_METHOD warns when it has none', async () => {
    const ctx = processContext(server);
    const cfg = config(main.definition, { billingEmails: ['cfo@example.com'], invoiceEmails: ['ap@example.com'] });
    const p = await plan(main, ctx, null, cfg);
    expect(find(p.diagnostics, 'NO_PAYMENT_METHOD').severity).toBe('warning');
    const state = await apply(main, ctx, null, cfg);
    expect(state).toMatchObject({ id: mainId, name: 'example', billingEmails: ['cfo@example.com'], paymentMethod: null });
    expect((await api.getGroup(mainId))!.billingEmails).toEqual(['cfo@example.com']);
  });
});

describe('with a paying main group', () => {
  let mainState: Values;
  beforeAll(async () => {
    const ctx = processContext(server);
    mainState = await apply(main, ctx, null, config(main.definition, { billingEmails: ['cfo@example.com'], invoiceEmails: ['ap@example.com'], paymentMethod: CARD }));
  });

  test('main group: import then plan shows no change; drift and destroy = forget', async () => {
    const imported = await main.importState('anything', processContext(server));
    const ctx = processContext(server);
    const read = (await main.read(imported, ctx))!;
    expect(read).toEqual({ ...mainState, version: read.version, projectCount: read.projectCount, totalProjectCount: read.totalProjectCount });
    const cfg = config(main.definition, { billingEmails: ['cfo@example.com'], invoiceEmails: ['ap@example.com'], paymentMethod: CARD });
    const p = await plan(main, ctx, read, cfg);
    expect(p.planned).toEqual(read);
    expect(p.diagnostics).toEqual([]);

    // Out of band: a second billing e-mail.
    await api.updateGroup(mainId, { billingEmails: ['cfo@example.com', 'extra@example.com'] });
    const drifted = (await main.read(read, processContext(server)))!;
    expect(drifted.billingEmails).toEqual(['cfo@example.com', 'extra@example.com']);
    const fix = await plan(main, processContext(server), drifted, cfg);
    expect(fix.planned!.billingEmails).toEqual(['cfo@example.com']);
    const fixed = await apply(main, processContext(server), drifted, cfg);
    expect(fixed.billingEmails).toEqual(['cfo@example.com']);

    const destroy = await plan(main, processContext(server), fixed, null);
    expect(destroy.diagnostics.map((d) => [d.code, d.severity])).toEqual([['MAIN_GROUP_FORGOTTEN', 'warning']]);
    const del = await main.delete(fixed, processContext(server));
    expect(codes(del.diagnostics ?? [])).toEqual(['MAIN_GROUP_FORGOTTEN']);
    expect(await api.getGroup(mainId)).not.toBeNull();
  });

  test('validate: config-only rules with attribute paths; unknown values are skipped', () => {
    const bad = bg.validate!(groupConfig({ name: '  ', billingEmails: ['ok@example.com', 'not-an-email'], invoiceEmails: ['a@example.com', 'b@example.com', 'c@example.com'] }));
    expect(bad.map((d) => [d.code, d.path])).toEqual([
      ['NAME_INVALID', ['name']],
      ['EMAIL_INVALID', ['billingEmails', 1]],
      ['INVOICE_EMAILS_COUNT', ['invoiceEmails']],
    ]);
    expect(bg.validate!(groupConfig({ name: UNKNOWN, billingEmails: [UNKNOWN, 'x@example.com'], invoiceEmails: UNKNOWN }))).toEqual([]);
    const enumBad = bg.validate!(groupConfig({ paymentMethod: { type: 'cash', reference: 'r' } }));
    expect(enumBad.map((d) => [d.code, d.path])).toEqual([['VALUE_NOT_ALLOWED', ['paymentMethod', 'type']]]);
  });

  test('details left out of the configuration keep the API\'s value (SPEC §6 plain edits)', async () => {
    const cfg = groupConfig({ details: { company: 'Acme', addressLines: ['1 Main St'] } });
    const created = await apply(bg, processContext(server), null, cfg);
    const without = { ...cfg, details: null, billingEmails: ['ap@example.com'] };
    const p = await plan(bg, processContext(server), created, without);
    expect(p.planned!.details).toEqual(created.details); // planned as it is, not erased
    const updated = await apply(bg, processContext(server), created, without);
    expect(updated.details).toEqual(created.details);
    expect((await api.getGroup(created.id as string))!).toMatchObject({ billingEmails: ['ap@example.com'], details: { company: 'Acme', addressLines: ['1 Main St'] } });
  });

  test('create → read → rename → drift → destroy', async () => {
    const cfg = groupConfig({ details: { company: 'Acme' } });
    const ctx = processContext(server);
    const p = await plan(bg, ctx, null, cfg);
    expect(p.diagnostics).toEqual([]);
    expect(p.planned).toMatchObject({ id: expect.stringMatching(/^bg-[0-9a-f]{16}$/), type: 'sub', version: UNKNOWN, deletionProtection: false });
    expect(p.planned!.details).toEqual({ company: 'Acme', addressLines: null, countryCode: null, vatId: null, currency: 'USD' });
    const created = await apply(bg, ctx, null, cfg);
    const live = (await api.getGroup(created.id as string))!;
    expect(live).toMatchObject({ name: cfg.name, paymentMethod: CARD, details: { company: 'Acme', currency: 'USD' } });

    // A new process reads it back exactly: no change planned.
    const ctx2 = processContext(server);
    const read = (await bg.read(created, ctx2))!;
    expect(read).toEqual(created);
    const same = await plan(bg, ctx2, read, cfg);
    expect(same.planned).toEqual(read);
    expect(same.diagnostics).toEqual([]);

    // Rename: version and updatedAt are unknown until apply.
    const renamed = { ...cfg, name: name('Renamed') };
    const rp = await plan(bg, ctx2, read, renamed);
    expect(rp.planned).toMatchObject({ name: renamed.name, version: UNKNOWN, updatedAt: UNKNOWN, id: created.id, createdAt: created.createdAt });
    const after = await apply(bg, ctx2, read, renamed);
    expect(after.version).toBe((created.version as number) + 1);
    expect((await api.getGroup(created.id as string))!.name).toBe(renamed.name);

    // Out of band change: the read shows it, so the plan has a change.
    await api.updateGroup(created.id as string, { name: name('Console') });
    const drifted = (await bg.read(after, processContext(server)))!;
    expect(drifted.name).not.toBe(renamed.name);
    const dp = await plan(bg, processContext(server), drifted, renamed);
    expect(dp.planned!.name).toBe(renamed.name);

    // Destroy: warnings only; the group is gone and a read says so.
    const ctx3 = processContext(server);
    const destroy = await plan(bg, ctx3, drifted, null);
    expect(destroy.diagnostics.map((d) => [d.code, d.severity])).toEqual([['DELETE_IRREVERSIBLE', 'warning']]);
    expect(await bg.delete(drifted, ctx3)).toEqual({});
    expect(await api.getGroup(created.id as string)).toBeNull();
    expect(await bg.read(drifted, processContext(server))).toBeNull();
    // Deleting again (already gone) is fine.
    expect(await bg.delete(drifted, processContext(server))).toEqual({});
  });

  test('NAME_TAKEN against a live group, trimmed and case-insensitive; renames too', async () => {
    const ctx = processContext(server);
    const a = await apply(bg, ctx, null, groupConfig());
    const clash = await plan(bg, processContext(server), null, groupConfig({ name: `  ${(a.name as string).toUpperCase()} ` }));
    const d = find(clash.diagnostics, 'NAME_TAKEN');
    expect([d.severity, d.path]).toEqual(['error', ['name']]);
    expect(d.detail).toContain(a.id as string);

    const b = await apply(bg, processContext(server), null, groupConfig());
    const rename = await plan(bg, processContext(server), b, groupConfig({ name: a.name, paymentMethod: b.paymentMethod }));
    expect(codes(rename.diagnostics)).toEqual(['NAME_TAKEN']);
  });

  test('NAME_TAKEN among new groups of one plan, planned one after the other (each create gets its own id)', async () => {
    // Reproduces the CI failure: the second create's key equals the first's, and it was
    // given the first's reserved id, so the rules saw one group and no clash.
    const ctx = processContext(server);
    const twin = name('Twin');
    const first = await plan(bg, ctx, null, groupConfig({ name: twin }));
    const second = await plan(bg, ctx, null, groupConfig({ name: ` ${twin.toUpperCase()}` }));
    expect(second.planned!.id).not.toEqual(first.planned!.id);
    expect(codes([...first.diagnostics, ...second.diagnostics])).toContain('NAME_TAKEN');
  });

  test('NO_PAYMENT_METHOD warns on a sub group without one', async () => {
    const p = await plan(bg, processContext(server), null, groupConfig({ paymentMethod: null }));
    const d = find(p.diagnostics, 'NO_PAYMENT_METHOD');
    expect([d.severity, d.path]).toEqual(['warning', ['paymentMethod']]);
    // Unknown payment method: not guessed.
    const u = await plan(bg, processContext(server), null, groupConfig({ paymentMethod: UNKNOWN }));
    expect(u.diagnostics).toEqual([]);
  });

  test('destroy rules from live money: unbilled usage, open invoice, paid credits, free credits, projects', async () => {
    const g = await apply(bg, processContext(server), null, groupConfig());
    const id = g.id as string;
    const project = await api.createProject({ name: `p-${n}` });
    await api.linkProject(project.id, id);
    await api.recordUsage({ projectId: project.id, service: 'compute', amount: 12.5 });
    await api.claimCredit(id, 'PAID-TEST-100');
    await api.claimCredit(id, 'FREE-TEST-40');

    const ctx = processContext(server);
    const prior = (await bg.read(g, ctx))!;
    const p = await plan(bg, ctx, prior, null);
    expect(p.diagnostics.map((d) => [d.code, d.severity])).toEqual(
      expect.arrayContaining([
        ['DELETE_HAS_PROJECTS', 'warning'],
        ['DELETE_UNBILLED_USAGE', 'error'],
        ['DELETE_PAID_CREDITS', 'error'],
        ['FREE_CREDITS_FORFEITED', 'warning'],
        ['DELETE_IRREVERSIBLE', 'warning'],
      ]),
    );
    // DELETE_HAS_PROJECTS depends on the rest of the plan: a warning that says who decides.
    expect(find(p.diagnostics, 'DELETE_HAS_PROJECTS').detail).toMatch(/refuses the whole change and nothing is written.*cloudbilling review/);
    expect(p.diagnostics.every((d) => d.path === undefined)).toBe(true);

    // Invoice the usage: now it is an outstanding balance.
    const period = new Date().toISOString().slice(0, 7);
    await api.closePeriod(period);
    const p2 = await plan(bg, processContext(server), prior, null);
    expect(codes(p2.diagnostics)).toContain('DELETE_OUTSTANDING_BALANCE');
    expect(codes(p2.diagnostics)).not.toContain('DELETE_UNBILLED_USAGE');

    // The API enforces them at apply too: the rule code comes back.
    await expect(bg.delete(prior, processContext(server))).rejects.toMatchObject({ code: 'DELETE_HAS_PROJECTS' });
  });

  test('deletion_protection blocks destroy at plan and at apply; import sets it to false', async () => {
    const cfg = groupConfig({ deletionProtection: true });
    const g = await apply(bg, processContext(server), null, cfg);
    expect(g.deletionProtection).toBe(true);
    const p = await plan(bg, processContext(server), g, null);
    expect(find(p.diagnostics, 'DELETION_PROTECTED').severity).toBe('error');
    const del = await bg.delete(g, processContext(server));
    expect(codes(del.diagnostics ?? [])).toEqual(['DELETION_PROTECTED']);
    expect(await api.getGroup(g.id as string)).not.toBeNull();

    // Only the setting changes: no API write.
    const ctx = processContext(server);
    // Left out of the config: back to the default (Terraform proposes the prior value).
    const off = await apply(bg, ctx, g, { ...cfg, deletionProtection: null });
    expect(off).toEqual({ ...g, deletionProtection: false });
    expect(ctx.calls.filter((c) => !c.startsWith('GET'))).toEqual([]); // a Terraform-only setting: nothing written

    const imported = await bg.importState(g.id as string, processContext(server));
    const read = (await bg.read(imported, processContext(server)))!;
    expect(read).toEqual({ ...g, deletionProtection: false });
    const after = await plan(bg, processContext(server), read, { ...cfg, deletionProtection: null });
    expect(after.planned).toEqual(read);
  });

  test('a replacement (in-place plan, then a create with the same config) checks the delete rules, not NAME_TAKEN', async () => {
    const cfg = groupConfig({ deletionProtection: true });
    const g = await apply(bg, processContext(server), null, cfg);
    const ctx = processContext(server);
    // What Terraform does for `-replace`: an in-place plan, then a create plan with the same
    // config, handed the in-place call's planned private state.
    const inPlace = await plan(bg, ctx, g, cfg);
    expect(inPlace.diagnostics).toEqual([]);
    const replace = await plan(bg, ctx, null, cfg, inPlace.private);
    expect(replace.diagnostics.map((d) => [d.code, d.severity])).toEqual([
      ['DELETION_PROTECTED', 'error'],
      ['DELETE_IRREVERSIBLE', 'warning'],
    ]);
    // A second group with the same name (no in-place plan of it) is still NAME_TAKEN.
    expect(codes((await plan(bg, processContext(server), null, cfg)).diagnostics)).toEqual(['NAME_TAKEN']);
  });

  test('a copy-pasted resource block (same config as an unchanged group of the same plan) is NAME_TAKEN, never a replacement of it', async () => {
    const cfg = groupConfig();
    const g = await apply(bg, processContext(server), null, cfg);
    const ctx = processContext(server);
    expect((await plan(bg, ctx, g, cfg)).diagnostics).toEqual([]);
    const copy = await plan(bg, ctx, null, cfg);
    expect(codes(copy.diagnostics)).toEqual(['NAME_TAKEN']);
    expect(codes(copy.diagnostics)).not.toContain('DELETE_IRREVERSIBLE');
  });

  test('the main group imported as a billing group: rename and destroy are rule errors', async () => {
    const imported = await bg.importState(mainId, processContext(server));
    const ctx = processContext(server);
    const read = (await bg.read(imported, ctx))!;
    expect(read).toMatchObject({ id: mainId, type: 'main', name: 'example', deletionProtection: false });
    const renamed = config(bg.definition, {
      name: 'Not example',
      billingEmails: read.billingEmails,
      invoiceEmails: read.invoiceEmails,
      paymentMethod: read.paymentMethod,
    });
    const p = await plan(bg, ctx, read, renamed);
    const d = find(p.diagnostics, 'MAIN_GROUP_IMMUTABLE_NAME');
    expect([d.severity, d.path]).toEqual(['error', ['name']]);
    const destroy = await plan(bg, ctx, read, null);
    expect(find(destroy.diagnostics, 'MAIN_GROUP_UNDELETABLE').severity).toBe('error');
  });

  test('a plan of many groups reads the live state once', async () => {
    const ctx = processContext(server);
    for (let i = 0; i < 25; i++) await plan(bg, ctx, null, groupConfig());
    expect(ctx.calls).toEqual(['GET /v1/change-sets', 'GET /v1/snapshot']);
  });
});
