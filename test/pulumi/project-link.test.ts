/**
 * ProjectLink and GroupPermission providers driven directly against the real server:
 * check (each rule, unknowns), diff and replacement, create, drift, update, replace,
 * delete (back to main / revoke), adopt.
 */
import { UNKNOWN } from '../../provider/pulumi';
import { CARD, captureWarnings, check, checkAndCreate, codes, create, diff, outOfBand, read, remove, startWorld, update, type World } from './helpers';

let w: World;
let subA: string;
let subB: string;
beforeAll(async () => {
  w = await startWorld();
  await w.admin.updateGroup(w.mainId, { paymentMethod: CARD });
  const mk = async (name: string) =>
    (await w.admin.createGroup({ name, billingEmails: ['b@example.com'], invoiceEmails: ['t@example.com'], paymentMethod: CARD })).id;
  subA = await mk('Team A');
  subB = await mk('Team B');
});
afterAll(async () => {
  await w.server.close();
});

describe('ProjectLink', () => {
  test('check reports the rules the inputs and the live state tell', async () => {
    const p = await w.admin.createProject({ name: 'in-a' });
    await w.admin.linkProject(p.id, subA);
    const q = await w.admin.createProject({ name: 'in-main' });
    outOfBand();

    const notFound = await check('projectLink', {}, { projectId: 'prj_nope', billingGroupId: 'grp_nope' });
    expect(codes(notFound.failures)).toEqual(['PROJECT_NOT_FOUND', 'GROUP_NOT_FOUND']);
    expect(notFound.failures!.map((f) => f.property)).toEqual(['projectId', 'billingGroupId']);

    const transfer = await check('projectLink', {}, { projectId: p.id, billingGroupId: subB });
    expect(codes(transfer.failures)).toEqual(['TRANSFER_NOT_ACKNOWLEDGED']);
    expect(transfer.failures![0]).toMatchObject({ property: 'allowTransfer' });
    expect(transfer.failures![0].reason).toMatch(/set allowTransfer = true/);
    expect((await check('projectLink', {}, { projectId: p.id, billingGroupId: subB, allowTransfer: true })).failures).toEqual([]);
    expect((await check('projectLink', {}, { projectId: p.id, billingGroupId: subB, allowTransfer: UNKNOWN })).failures).toEqual([]);

    const unlinkMain = await check('projectLink', {}, { projectId: q.id, billingGroupId: w.mainId });
    expect(codes(unlinkMain.failures)).toEqual(['MAIN_UNLINK_FORBIDDEN']);

    const warnings = captureWarnings();
    try {
      const ok = await check('projectLink', {}, { projectId: q.id, billingGroupId: subA });
      expect(ok.failures).toEqual([]);
      expect(ok.inputs).toMatchObject({ allowTransfer: false });
      expect(warnings.lines.filter((l) => /^LINK_EFFECTIVE_NEXT_MONTH: .* from \d{4}-\d{2}-01/.test(l))).toHaveLength(1);
    } finally {
      warnings.restore();
    }
  });

  test('check with unknowns skips what depends on them', async () => {
    const p = await w.admin.createProject({ name: 'unknowns' });
    outOfBand();
    expect((await check('projectLink', {}, { projectId: p.id, billingGroupId: UNKNOWN })).failures).toEqual([]);
    expect((await check('projectLink', {}, { projectId: UNKNOWN, billingGroupId: subA })).failures).toEqual([]);
    expect((await check('projectLink', {}, { projectId: UNKNOWN, billingGroupId: UNKNOWN, allowTransfer: UNKNOWN })).failures).toEqual([]);
  });

  test('diff: projectId replaces (delete first when it may be the same project), the group updates in place', async () => {
    const olds = { projectId: 'p1', billingGroupId: 'g1', allowTransfer: false, effectiveFrom: '2026-12-01' };
    expect(await diff('projectLink', 'p1', olds, { projectId: 'p1', billingGroupId: 'g1' })).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await diff('projectLink', 'p1', olds, { projectId: 'p1', billingGroupId: 'g2' })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(await diff('projectLink', 'p1', olds, { projectId: 'p1', billingGroupId: 'g1', allowTransfer: true })).toMatchObject({ changes: true, replaces: [] });
    expect(await diff('projectLink', 'p1', olds, { projectId: 'p2', billingGroupId: 'g1' })).toEqual({ changes: true, replaces: ['projectId'], deleteBeforeReplace: false });
    expect(await diff('projectLink', 'p1', olds, { projectId: UNKNOWN, billingGroupId: 'g1' })).toEqual({ changes: true, replaces: ['projectId'], deleteBeforeReplace: true });
    expect(await diff('projectLink', 'p1', olds, { projectId: 'p1', billingGroupId: UNKNOWN })).toMatchObject({ changes: true, replaces: [] });
  });

  test('create, drift, update, replace, delete back to main', async () => {
    const p = await w.admin.createProject({ name: 'web' });
    const other = await w.admin.createProject({ name: 'api' });
    outOfBand();
    const inputs = { projectId: p.id, billingGroupId: subA };
    const c = await checkAndCreate('projectLink', inputs);
    expect(c.id).toBe(p.id);
    expect(c.outs).toMatchObject({ projectId: p.id, billingGroupId: subA, previousBillingGroupId: w.mainId, allowTransfer: false });
    expect(c.outs.effectiveFrom).toMatch(/^\d{4}-\d{2}-01$/);
    expect((await w.admin.getProject(p.id))!.billingGroupId).toBe(subA);

    // A re-check of the link in place is clean.
    expect((await check('projectLink', inputs, { ...inputs, allowTransfer: false })).failures).toEqual([]);

    // Moved outside Pulumi: read shows it, diff wants it back; the move back is a transfer.
    await w.admin.linkProject(p.id, subB, true);
    outOfBand();
    const r = await read('projectLink', p.id, c.outs);
    expect(r.props).toMatchObject({ billingGroupId: subB });
    expect((await diff('projectLink', p.id, r.props, c.outs)).changes).toBe(true);
    const back = await check('projectLink', c.outs, { ...inputs, allowTransfer: false });
    expect(codes(back.failures)).toEqual(['TRANSFER_NOT_ACKNOWLEDGED']);
    const u = await update('projectLink', p.id, r.props, { ...inputs, allowTransfer: true });
    expect(u.outs).toMatchObject({ billingGroupId: subA, previousBillingGroupId: subB, allowTransfer: true });

    // Replace: the new link is created, then the old one is deleted (its project back to main).
    const d = await diff('projectLink', p.id, u.outs, { projectId: other.id, billingGroupId: subA });
    expect(d).toMatchObject({ replaces: ['projectId'], deleteBeforeReplace: false });
    const n = await checkAndCreate('projectLink', { projectId: other.id, billingGroupId: subA });
    await remove('projectLink', p.id, u.outs);
    expect((await w.admin.getProject(p.id))!.billingGroupId).toBe(w.mainId);
    expect((await w.admin.getProject(other.id))!.billingGroupId).toBe(subA);

    // Delete returns the project to main; again is a no-op.
    await remove('projectLink', other.id, n.outs);
    expect((await w.admin.getProject(other.id))!.billingGroupId).toBe(w.mainId);
    await remove('projectLink', other.id, n.outs);
  });

  test('delete leaves a project that was moved elsewhere outside Pulumi, and warns LINK_MOVED_OUTSIDE (as every front end does)', async () => {
    const p = await w.admin.createProject({ name: 'moved-away' });
    outOfBand();
    const c = await checkAndCreate('projectLink', { projectId: p.id, billingGroupId: subA });
    await w.admin.linkProject(p.id, subB, true);
    const warnings = captureWarnings();
    try {
      await remove('projectLink', p.id, c.outs);
    } finally {
      warnings.restore();
    }
    expect((await w.admin.getProject(p.id))!.billingGroupId).toBe(subB);
    expect(warnings.lines).toEqual([expect.stringMatching(/^LINK_MOVED_OUTSIDE: Project "moved-away" is no longer where this link put it/)]);
  });

  test('adopt: a project already in the group is taken over without a write', async () => {
    const p = await w.admin.createProject({ name: 'adopted' });
    await w.admin.linkProject(p.id, subB);
    const events = (await w.admin.allEvents(subB)).length;
    outOfBand();
    const c = await checkAndCreate('projectLink', { projectId: p.id, billingGroupId: subB, adopt: true });
    expect(c.outs).toMatchObject({ projectId: p.id, billingGroupId: subB, adopt: true });
    expect((await w.admin.allEvents(subB)).length).toBe(events);
  });
});

describe('GroupPermission', () => {
  test('check: USER_NOT_FOUND, GROUP_NOT_FOUND; unknowns skipped', async () => {
    const u = await w.admin.createUser({ email: 'viewer1@example.com', name: 'Viewer' });
    outOfBand();
    const r = await check('groupPermission', {}, { billingGroupId: 'grp_nope', userId: 'usr_nope' });
    expect(codes(r.failures).sort()).toEqual(['GROUP_NOT_FOUND', 'USER_NOT_FOUND']);
    expect((await check('groupPermission', {}, { billingGroupId: subA, userId: UNKNOWN })).failures).toEqual([]);
    expect((await check('groupPermission', {}, { billingGroupId: UNKNOWN, userId: u.id })).failures).toEqual([]);
    expect((await check('groupPermission', {}, { billingGroupId: subA, userId: u.id })).failures).toEqual([]);
  });

  test('diff: both attributes replace; delete first when the key may stay the same', async () => {
    const olds = { billingGroupId: 'g1', userId: 'u1', createdAt: 'x' };
    expect(await diff('groupPermission', 'g1/u1', olds, { billingGroupId: 'g1', userId: 'u1' })).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await diff('groupPermission', 'g1/u1', olds, { billingGroupId: 'g2', userId: 'u1' })).toEqual({ changes: true, replaces: ['billingGroupId'], deleteBeforeReplace: false });
    expect(await diff('groupPermission', 'g1/u1', olds, { billingGroupId: 'g1', userId: 'u2' })).toEqual({ changes: true, replaces: ['userId'], deleteBeforeReplace: false });
    expect(await diff('groupPermission', 'g1/u1', olds, { billingGroupId: UNKNOWN, userId: 'u1' })).toEqual({ changes: true, replaces: ['billingGroupId'], deleteBeforeReplace: true });
  });

  test('create, drift (revoked outside), recreate, replace, delete, adopt', async () => {
    const u = await w.admin.createUser({ email: 'viewer2@example.com', name: 'Viewer 2' });
    outOfBand();
    const c = await checkAndCreate('groupPermission', { billingGroupId: subA, userId: u.id });
    expect(c.id).toBe(`${subA}/${u.id}`);
    expect(c.outs.createdAt).toEqual(expect.any(String));
    expect((await w.admin.listPermissions(subA)).map((p) => p.userId)).toContain(u.id);

    expect((await read('groupPermission', c.id, c.outs)).props).toMatchObject({ billingGroupId: subA, userId: u.id });
    await w.admin.revokePermission(subA, u.id);
    expect(await read('groupPermission', c.id, c.outs)).toEqual({}); // revoked: dropped, next up re-creates

    const again = await create('groupPermission', { billingGroupId: subA, userId: u.id });
    // Replace to group B: create the new membership, then delete the old one.
    const b = await checkAndCreate('groupPermission', { billingGroupId: subB, userId: u.id });
    const warnings = captureWarnings();
    try {
      await remove('groupPermission', again.id, again.outs);
      expect(warnings.lines).toEqual([]); // still a member of B
      await remove('groupPermission', b.id, b.outs);
      expect(warnings.lines.some((l) => l.startsWith('USER_LOSES_BILLING_ACCESS: '))).toBe(true);
    } finally {
      warnings.restore();
    }
    expect((await w.admin.listPermissions(subB)).map((p) => p.userId)).not.toContain(u.id);
    await remove('groupPermission', b.id, b.outs); // already revoked: fine

    await w.admin.grantPermission(subB, u.id);
    const events = (await w.admin.allEvents(subB)).length;
    const adopted = await checkAndCreate('groupPermission', { billingGroupId: subB, userId: u.id, adopt: true });
    expect(adopted.outs).toMatchObject({ adopt: true, userId: u.id });
    expect((await w.admin.allEvents(subB)).length).toBe(events);
  });
});
