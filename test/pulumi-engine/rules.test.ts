/**
 * Rules at `pulumi preview` under the real engine: an invalid move or delete stops the
 * preview with its SPEC §2 code and writes nothing, `up` of the same program writes
 * nothing either, and the valid version of the change applies. `BillingDomain` catches
 * whole-program rules (two links for one project, two new groups with one name).
 */
import { BillingDomain, BillingGroup, MainBillingGroup, ProjectLink } from '../../provider/pulumi';
import { failureOf, startPulumiWorld, type PulumiWorld } from '../helpers/pulumi';

jest.setTimeout(600_000);

const CARD = { type: 'card' as const, reference: 'tok_visa_4242' };
const group = (name: string) => ({ name, billingEmails: [`${name.toLowerCase()}@example.com`], invoiceEmails: ['ap@example.com'], paymentMethod: CARD });
let world: PulumiWorld;

beforeAll(async () => {
  world = await startPulumiWorld();
  await world.admin.updateGroup(world.mainId, { paymentMethod: CARD });
});
afterAll(async () => {
  await world?.close();
});

test('a move between sub groups without allowTransfer stops preview and up with TRANSFER_NOT_ACKNOWLEDGED', async () => {
  const { admin } = world;
  const a = await admin.createGroup(group('Alpha'));
  const b = await admin.createGroup(group('Beta'));
  const p = await admin.createProject({ name: 'moving' });
  await admin.linkProject(p.id, a.id);

  let allowTransfer = false;
  const stack = await world.stack(async () => {
    new ProjectLink('moving', { projectId: p.id, billingGroupId: b.id, allowTransfer });
  });
  const before = await world.live();
  const preview = await failureOf(stack.preview());
  expect(preview).toContain('TRANSFER_NOT_ACKNOWLEDGED');
  expect(await world.live()).toEqual(before);
  const up = await failureOf(stack.up());
  expect(up).toContain('TRANSFER_NOT_ACKNOWLEDGED');
  expect(await world.live()).toEqual(before);

  allowTransfer = true;
  expect((await stack.up()).summary.result).toBe('succeeded');
  expect((await admin.getProject(p.id))?.billingGroupId).toBe(b.id);
  await stack.destroy();
});

test('deleting a sub group that keeps projects stops preview with DELETE_HAS_PROJECTS; moving them in the same program applies', async () => {
  const { admin, mainId } = world;
  const p = await admin.createProject({ name: 'ours' });
  const q = await admin.createProject({ name: 'theirs' });
  let step = 1;
  const stack = await world.stack(async () => {
    const domain = new BillingDomain('billing');
    const main = new MainBillingGroup('main', { billingEmails: ['finance@example.com'], invoiceEmails: ['ap@example.com'], paymentMethod: CARD }, { parent: domain });
    if (step === 1) {
      const g = new BillingGroup('gamma', group('Gamma'), { parent: domain });
      new ProjectLink('ours', { projectId: p.id, billingGroupId: g.id }, { parent: domain });
    }
    if (step === 3) new ProjectLink('theirs', { projectId: q.id, billingGroupId: main.id }, { parent: domain });
  });
  const up1 = await stack.up();
  expect(up1.summary.result).toBe('succeeded');
  const gamma = (await admin.listGroups()).find((g) => g.name === 'Gamma')!;
  expect((await admin.getProject(p.id))?.billingGroupId).toBe(gamma.id);
  // Someone links another project to Gamma in the console.
  await admin.linkProject(q.id, gamma.id);

  // The program drops Gamma and its link: Gamma would keep "theirs".
  step = 2;
  const before = await world.live();
  const preview = await failureOf(stack.preview());
  expect(preview).toContain('DELETE_HAS_PROJECTS');
  expect(await world.live()).toEqual(before);
  const up = await failureOf(stack.up());
  expect(up).toContain('DELETE_HAS_PROJECTS');
  expect(await world.live()).toEqual(before);

  // The same program moving "theirs" to main as well: valid as a whole, applies.
  step = 3;
  await stack.preview();
  expect((await stack.up()).summary.result).toBe('succeeded');
  expect(await admin.getGroup(gamma.id)).toBeNull();
  expect((await admin.getProject(p.id))?.billingGroupId).toBe(mainId);
  expect((await admin.getProject(q.id))?.billingGroupId).toBe(mainId);
  await stack.destroy();
});

test('BillingDomain: two links for one project and two new groups with one name stop preview and up', async () => {
  const { admin } = world;
  const p = await admin.createProject({ name: 'twice' });
  let broken = true;
  const stack = await world.stack(async () => {
    const domain = new BillingDomain('billing');
    const d1 = new BillingGroup('delta-1', group('Delta'), { parent: domain });
    const d2 = new BillingGroup(broken ? 'delta-2' : 'epsilon', group(broken ? 'delta' : 'Epsilon'), { parent: domain });
    new ProjectLink('first', { projectId: p.id, billingGroupId: d1.id }, { parent: domain });
    if (broken) new ProjectLink('second', { projectId: p.id, billingGroupId: d2.id }, { parent: domain });
  });
  const before = await world.live();
  const preview = await failureOf(stack.preview());
  expect(preview).toContain('PROJECT_MULTI_LINK');
  expect(preview).toContain('NAME_TAKEN');
  expect(await world.live()).toEqual(before);
  const up = await failureOf(stack.up());
  expect(up).toContain('PROJECT_MULTI_LINK');
  expect(await world.live()).toEqual(before);

  broken = false;
  expect((await stack.up()).summary.result).toBe('succeeded');
  const names = (await admin.listGroups()).map((g) => g.name);
  expect(names).toEqual(expect.arrayContaining(['Delta', 'Epsilon']));
  await stack.destroy();
  expect((await admin.listGroups()).map((g) => g.name)).not.toContain('Delta');
});
