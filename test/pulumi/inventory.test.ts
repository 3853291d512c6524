/**
 * The `BillingDomain` inventory's check (inventory.ts), driven directly against the real
 * server: a group no longer declared is a delete judged with the moves of the same
 * program; nothing removed, no API call.
 */
import { engine, inventory } from '../../provider/pulumi';
import { CARD, codes, groupArgs, startWorld, type World } from './helpers';

let w: World;
beforeAll(async () => {
  w = await startWorld();
  await w.admin.updateGroup(w.mainId, { paymentMethod: CARD });
});
afterAll(async () => {
  await w.server.close();
});
beforeEach(() => engine.reset());

test('a removed group that keeps a project fails with DELETE_HAS_PROJECTS; moving it in the same program passes', async () => {
  const g = await w.admin.createGroup(groupArgs('Inv Gamma') as never);
  const other = await w.admin.createGroup(groupArgs('Inv Other') as never);
  const ours = await w.admin.createProject({ name: 'inv-ours' });
  const theirs = await w.admin.createProject({ name: 'inv-theirs' });
  await w.admin.linkProject(ours.id, g.id);
  await w.admin.linkProject(theirs.id, g.id);
  const olds = { groups: ['Inv Gamma', 'Inv Other'], links: [{ projectId: ours.id, billingGroupName: 'Inv Gamma' }] };

  // Gamma and its link dropped: "theirs" (linked outside Pulumi) stays in it.
  const dropped = await inventory.check(olds, { groups: ['Inv Other'], links: [] });
  expect(codes(dropped.failures)).toEqual(['DELETE_HAS_PROJECTS']);
  expect(dropped.failures![0].reason).toContain(theirs.id);
  expect(dropped.failures![0].reason).not.toContain(ours.id); // its link's delete returns it to main

  // The same program moving "theirs" to another group, or to main: valid.
  for (const link of [{ projectId: theirs.id, billingGroupName: 'inv other' }, { projectId: theirs.id, billingGroupId: w.mainId }]) {
    const moved = await inventory.check(olds, { groups: ['Inv Other'], links: [link] });
    expect(moved.failures).toEqual([]);
  }
  // Renaming case or spacing is the same group, not a delete.
  expect((await inventory.check(olds, { groups: [' inv gamma ', 'INV OTHER'], links: [] })).failures).toEqual([]);
  void other;
});

test('nothing removed: no snapshot is read', async () => {
  const before = engine.requests;
  const r = await inventory.check({ groups: ['A'], links: [] }, { groups: ['A', 'B'], links: [] });
  expect(r.failures).toEqual([]);
  expect(engine.requests).toBe(before);
});
