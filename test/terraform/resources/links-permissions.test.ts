/**
 * cloudbilling_project_link, cloudbilling_group_permission and the data sources against
 * the real Billing API server.
 */
import { startTestServer, type TestServer } from '../../helpers/server';
import { projectLinkResource as link } from '../../../provider/terraform/resources/project-link';
import { groupPermissionResource as perm } from '../../../provider/terraform/resources/group-permission';
import { dataSources, resources } from '../../../provider/terraform/resources';
import { UNKNOWN, type Values } from '../../../provider/terraform/framework';
import type { BillingClient } from '../../../provider/client';
import { adminClient, apply, CARD, codes, config, find, plan, processContext } from './harness';

let server: TestServer;
let api: BillingClient;
let mainId: string;
let teamA: string;
let teamB: string;
let n = 0;

const newProject = async () => (await api.createProject({ name: `proj-${++n}` })).id;
const linkConfig = (projectId: unknown, billingGroupId: unknown, over: Values = {}) =>
  config(link.definition, { projectId: projectId as string, billingGroupId: billingGroupId as string, ...over });

beforeAll(async () => {
  server = await startTestServer();
  api = adminClient(server);
  mainId = (await api.getDomain()).mainGroupId;
  await api.updateGroup(mainId, { paymentMethod: { type: 'card', reference: CARD.reference } });
  const group = (name: string) => api.createGroup({ name, billingEmails: ['b@example.com'], invoiceEmails: ['t@example.com'], paymentMethod: { type: 'card', reference: 'tok' } });
  teamA = (await group('Team A')).id;
  teamB = (await group('Team B')).id;
});
afterAll(() => server.close());

test('the registry holds every resource and data source of SPEC §5 by full type name', () => {
  expect(Object.keys(resources).sort()).toEqual([
    'cloudbilling_billing_group',
    'cloudbilling_group_permission',
    'cloudbilling_main_billing_group',
    'cloudbilling_project_link',
  ]);
  expect(Object.keys(dataSources).sort()).toEqual(['cloudbilling_billing_group', 'cloudbilling_domain', 'cloudbilling_invoices', 'cloudbilling_project']);
});

describe('cloudbilling_project_link', () => {
  test('create from main → LINK_EFFECTIVE_NEXT_MONTH; read; drift; destroy returns it to main', async () => {
    const pid = await newProject();
    const ctx = processContext(server);
    const cfg = linkConfig(pid, teamA);
    const p = await plan(link, ctx, null, cfg);
    expect(p.planned).toMatchObject({ id: pid, allowTransfer: false, previousBillingGroupId: UNKNOWN, effectiveFrom: UNKNOWN });
    const w = find(p.diagnostics, 'LINK_EFFECTIVE_NEXT_MONTH');
    expect(w.severity).toBe('warning');
    const state = await apply(link, ctx, null, cfg);
    expect(state).toMatchObject({ projectId: pid, billingGroupId: teamA, previousBillingGroupId: mainId });
    expect((await api.getProject(pid))!.billingGroupId).toBe(teamA);

    const read = (await link.read(state, processContext(server)))!;
    expect(read).toEqual(state);
    expect((await plan(link, processContext(server), read, cfg)).planned).toEqual(read);

    // Moved back to main outside Terraform: the read shows it, the plan moves it again.
    await api.unlinkProject(pid);
    const drifted = (await link.read(read, processContext(server)))!;
    expect(drifted.billingGroupId).toBe(mainId);
    const dp = await plan(link, processContext(server), drifted, cfg);
    expect(dp.planned).toMatchObject({ billingGroupId: teamA, effectiveFrom: UNKNOWN });
    expect(codes(dp.diagnostics)).toEqual(['LINK_EFFECTIVE_NEXT_MONTH']);
    const fixed = await apply(link, processContext(server), drifted, cfg);

    const ctx2 = processContext(server);
    const destroy = await plan(link, ctx2, fixed, null);
    expect(codes(destroy.diagnostics)).toEqual(['LINK_EFFECTIVE_NEXT_MONTH']);
    await link.delete(fixed, ctx2);
    expect((await api.getProject(pid))!.billingGroupId).toBe(mainId);
  });

  test('destroying a link whose project is already in main is a no-op', async () => {
    const pid = await newProject();
    const state = await apply(link, processContext(server), null, linkConfig(pid, teamA));
    await api.unlinkProject(pid);
    const ctx = processContext(server);
    const read = (await link.read(state, ctx))!;
    const destroy = await plan(link, ctx, read, null);
    expect(destroy.diagnostics).toEqual([]);
    expect(await link.delete(read, ctx)).toEqual({});
    // Even with a stale view (the API answers MAIN_UNLINK_FORBIDDEN), nothing fails.
    expect(await link.delete(state, processContext(server))).toEqual({});
    expect((await api.getProject(pid))!.billingGroupId).toBe(mainId);
  });

  test('TRANSFER_NOT_ACKNOWLEDGED between sub groups unless allow_transfer', async () => {
    const pid = await newProject();
    const state = await apply(link, processContext(server), null, linkConfig(pid, teamA));
    const moved = linkConfig(pid, teamB);
    const p = await plan(link, processContext(server), state, moved);
    const d = find(p.diagnostics, 'TRANSFER_NOT_ACKNOWLEDGED');
    expect([d.severity, d.path]).toEqual(['error', ['allowTransfer']]);
    // The API refuses it too.
    await expect(link.update(state, { ...p.planned! }, processContext(server))).rejects.toMatchObject({ code: 'TRANSFER_NOT_ACKNOWLEDGED' });
    expect((await api.getProject(pid))!.billingGroupId).toBe(teamA);

    const ok = await apply(link, processContext(server), state, { ...moved, allowTransfer: true });
    expect(ok).toMatchObject({ billingGroupId: teamB, previousBillingGroupId: teamA, allowTransfer: true });
  });

  test('PROJECT_NOT_FOUND and GROUP_NOT_FOUND; an unknown group is skipped, never guessed', async () => {
    const ctx = processContext(server);
    const p = await plan(link, ctx, null, linkConfig('prj_missing', teamA));
    expect(p.diagnostics.map((d) => [d.code, d.severity, d.path])).toEqual([['PROJECT_NOT_FOUND', 'error', ['projectId']]]);
    const pid = await newProject();
    const g = await plan(link, processContext(server), null, linkConfig(pid, 'bg_missing'));
    expect(g.diagnostics.map((d) => [d.code, d.path])).toEqual([['GROUP_NOT_FOUND', ['billingGroupId']]]);
    const u = await plan(link, processContext(server), null, linkConfig(pid, UNKNOWN));
    expect(u.diagnostics).toEqual([]);
    const up = await plan(link, processContext(server), null, linkConfig(UNKNOWN, teamA));
    expect(up.diagnostics).toEqual([]);
    expect(up.planned!.id).toBe(UNKNOWN);
  });

  test('changing project_id replaces; only allow_transfer changing writes nothing', async () => {
    const pid = await newProject();
    const state = await apply(link, processContext(server), null, linkConfig(pid, teamA));
    const other = await newProject();
    const r = await plan(link, processContext(server), state, linkConfig(other, teamA));
    expect(r.requiresReplace).toEqual(['projectId']);
    expect(codes(r.diagnostics)).toEqual(['LINK_EFFECTIVE_NEXT_MONTH']); // the old project returns to main

    const ctx = processContext(server);
    const events = (await api.allEvents(teamA)).length;
    const flipped = await apply(link, ctx, state, linkConfig(pid, teamA, { allowTransfer: true }));
    expect(flipped).toEqual({ ...state, allowTransfer: true });
    // The link is applied as part of the change (it declares the project's group) and moves nothing.
    expect(ctx.calls.filter((c) => !c.startsWith('GET') && !c.endsWith('/apply'))).toEqual([]);
    expect((await api.allEvents(teamA)).length).toBe(events);
  });

  test('within one process, a link planned after its group was created sees the group (apply walk)', async () => {
    const { billingGroupResource: bg } = await import('../../../provider/terraform/resources/billing-group');
    const ctx = processContext(server);
    const g = await apply(bg, ctx, null, config(bg.definition, { name: `Fresh ${++n}`, billingEmails: ['b@example.com'], invoiceEmails: ['t@example.com'], paymentMethod: CARD }));
    const pid = await newProject();
    // The project was created after this process read the snapshot: PROJECT_NOT_FOUND is honest here.
    expect(codes((await plan(link, ctx, null, linkConfig(pid, g.id))).diagnostics)).toEqual(['PROJECT_NOT_FOUND']);
    const ctx2 = processContext(server);
    await ctx2.snapshot();
    const g2 = await apply(bg, ctx2, null, config(bg.definition, { name: `Fresh ${++n}`, billingEmails: ['b@example.com'], invoiceEmails: ['t@example.com'], paymentMethod: CARD }));
    const p = await plan(link, ctx2, null, linkConfig(pid, g2.id));
    expect(codes(p.diagnostics)).toEqual(['LINK_EFFECTIVE_NEXT_MONTH']);
    expect(ctx2.calls.filter((c) => c.startsWith('GET'))).toEqual(['GET /v1/snapshot', 'GET /v1/change-sets']); // once each per process
  });

  test('import by project id, then plan shows no change', async () => {
    const pid = await newProject();
    await api.linkProject(pid, teamB);
    const imported = await link.importState(pid, processContext(server));
    const read = (await link.read(imported, processContext(server)))!;
    expect(read).toMatchObject({ projectId: pid, id: pid, billingGroupId: teamB, allowTransfer: false });
    const p = await plan(link, processContext(server), read, linkConfig(pid, teamB));
    expect(p.planned).toEqual(read);
    expect(p.diagnostics).toEqual([]);
    expect(await link.read(await link.importState('prj_nope', processContext(server)), processContext(server))).toBeNull();
  });
});

describe('cloudbilling_group_permission', () => {
  test('grant → read → revoked outside → read null → destroy revokes with USER_LOSES_BILLING_ACCESS', async () => {
    const user = await api.createUser({ email: `u${++n}@example.com`, name: 'Member' });
    const cfg = config(perm.definition, { billingGroupId: teamA, userId: user.id });
    const ctx = processContext(server);
    const p = await plan(perm, ctx, null, cfg);
    expect(p.diagnostics).toEqual([]);
    expect(p.planned).toMatchObject({ id: `${teamA}/${user.id}`, createdAt: UNKNOWN });
    const state = await apply(perm, ctx, null, cfg);
    expect((await api.listPermissions(teamA)).map((x) => x.userId)).toContain(user.id);

    const read = (await perm.read(state, processContext(server)))!;
    expect(read).toEqual(state);

    const destroy = await plan(perm, processContext(server), read, null);
    expect(destroy.diagnostics.map((d) => [d.code, d.severity])).toEqual([['USER_LOSES_BILLING_ACCESS', 'warning']]);

    await api.revokePermission(teamA, user.id);
    expect(await perm.read(read, processContext(server))).toBeNull();
    // Revoking what is already revoked is fine.
    expect(await perm.delete(read, processContext(server))).toEqual({});

    const again = await apply(perm, processContext(server), null, cfg);
    await perm.delete(again, processContext(server));
    expect((await api.listPermissions(teamA)).map((x) => x.userId)).not.toContain(user.id);
  });

  test('USER_NOT_FOUND and GROUP_NOT_FOUND at plan', async () => {
    const p = await plan(perm, processContext(server), null, config(perm.definition, { billingGroupId: teamA, userId: 'usr_missing' }));
    expect(p.diagnostics.map((d) => [d.code, d.path])).toEqual([['USER_NOT_FOUND', ['userId']]]);
    const user = await api.createUser({ email: `u${++n}@example.com`, name: 'Member' });
    const g = await plan(perm, processContext(server), null, config(perm.definition, { billingGroupId: 'bg_missing', userId: user.id }));
    expect(g.diagnostics.map((d) => [d.code, d.path])).toEqual([['GROUP_NOT_FOUND', ['billingGroupId']]]);
  });

  test('moving a membership replaces it without a lost-access warning; import by GROUP/USER', async () => {
    const user = await api.createUser({ email: `u${++n}@example.com`, name: 'Mover' });
    const state = await apply(perm, processContext(server), null, config(perm.definition, { billingGroupId: teamA, userId: user.id }));
    const r = await plan(perm, processContext(server), state, config(perm.definition, { billingGroupId: teamB, userId: user.id }));
    expect(r.requiresReplace).toEqual(['billingGroupId']);
    expect(r.diagnostics).toEqual([]);

    const imported = await perm.importState(`${teamA}/${user.id}`, processContext(server));
    const read = (await perm.read(imported, processContext(server)))!;
    expect(read).toEqual(state);
    await expect(perm.importState('no-slash', processContext(server))).rejects.toThrow(/IMPORT_ID_INVALID.*GROUP_ID\/USER_ID/);
  });
});

describe('data sources', () => {
  test('domain, billing group by name, project by name, invoices', async () => {
    const ctx = processContext(server);
    const d = await dataSources.cloudbilling_domain.read(config(dataSources.cloudbilling_domain.definition, {}), ctx);
    expect(d.state).toMatchObject({ name: 'example', mainGroupId: mainId, subGroupLimit: 30 });

    const g = await dataSources.cloudbilling_billing_group.read(config(dataSources.cloudbilling_billing_group.definition, { name: ' team a ' }), ctx);
    expect(g.state).toMatchObject({ id: teamA, type: 'sub', billingEmails: ['b@example.com'] });
    const missing = await dataSources.cloudbilling_billing_group.read(config(dataSources.cloudbilling_billing_group.definition, { name: 'Nope' }), ctx);
    expect(missing.diagnostics!.map((x) => [x.code, x.path])).toEqual([['GROUP_NOT_FOUND', ['name']]]);

    const pid = await newProject();
    const ctx2 = processContext(server);
    const p = await dataSources.cloudbilling_project.read(config(dataSources.cloudbilling_project.definition, { name: `proj-${n}` }), ctx2);
    expect(p.state).toMatchObject({ id: pid, billingGroupId: mainId });
    const np = await dataSources.cloudbilling_project.read(config(dataSources.cloudbilling_project.definition, { name: 'nope' }), ctx2);
    expect(codes(np.diagnostics!)).toEqual(['PROJECT_NOT_FOUND']);

    await api.linkProject(pid, teamB);
    await api.recordUsage({ projectId: pid, service: 'storage', amount: 7 });
    await api.closePeriod(new Date().toISOString().slice(0, 7));
    const inv = await dataSources.cloudbilling_invoices.read(config(dataSources.cloudbilling_invoices.definition, { billingGroupId: teamB }), ctx2);
    const invoices = inv.state.invoices as Values[];
    expect(invoices.length).toBeGreaterThan(0);
    expect(invoices.at(-1)).toMatchObject({ status: 'open', total: 7, lines: [{ projectId: pid, service: 'storage', amount: 7 }] });
    const bad = await dataSources.cloudbilling_invoices.read(config(dataSources.cloudbilling_invoices.definition, { billingGroupId: 'bg_missing' }), ctx2);
    expect(codes(bad.diagnostics!)).toEqual(['GROUP_NOT_FOUND']);
  });
});
