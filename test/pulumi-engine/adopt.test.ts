/**
 * `adopt: true` under the real engine: `pulumi up` takes over a group made outside
 * Pulumi (same id, the program's values applied, no second group), and a project already
 * in the declared group; `pulumi import` of dynamic resources is broken upstream
 * (pulumi/pulumi#16175), so adoption is the way in. Destroying an adopted group deletes it.
 */
import { BillingGroup, ProjectLink } from '../../provider/pulumi';
import { startPulumiWorld, type PulumiWorld } from '../helpers/pulumi';

jest.setTimeout(600_000);

const CARD = { type: 'card' as const, reference: 'tok_visa_4242' };
let world: PulumiWorld;

beforeAll(async () => {
  world = await startPulumiWorld();
  await world.admin.updateGroup(world.mainId, { paymentMethod: CARD });
});
afterAll(async () => {
  await world?.close();
});

test('adopt an existing group and its project link', async () => {
  const { admin, mainId } = world;
  const existing = await admin.createGroup({ name: 'Marketing', billingEmails: ['old@example.com'], invoiceEmails: ['ap@example.com'], paymentMethod: CARD });
  const p = await admin.createProject({ name: 'site' });
  await admin.linkProject(p.id, existing.id);

  const stack = await world.stack(async () => {
    const mkt = new BillingGroup('marketing', { name: 'Marketing', billingEmails: ['mkt@example.com'], invoiceEmails: ['ap@example.com'], paymentMethod: CARD, adopt: true });
    new ProjectLink('site', { projectId: p.id, billingGroupId: mkt.id, adopt: true });
    return { id: mkt.id };
  });
  const preview = await stack.preview();
  expect(preview.changeSummary).toMatchObject({ create: 3 });
  const up = await stack.up();
  expect(up.outputs.id.value).toBe(existing.id);
  const groups = (await admin.listGroups()).filter((g) => g.type === 'sub');
  expect(groups).toHaveLength(1);
  expect(groups[0]).toMatchObject({ id: existing.id, billingEmails: ['mkt@example.com'], projectCount: 1 });
  expect((await stack.preview()).changeSummary).toEqual({ same: 3 });

  await stack.destroy();
  expect(await admin.getGroup(existing.id)).toBeNull();
  expect((await admin.getProject(p.id))?.billingGroupId).toBe(mainId);
});
