/**
 * The resources under the real `pulumi` engine (Automation API, inline program, local
 * file backend, passphrase secrets): preview writes nothing, up applies, a second preview
 * shows no changes, a change made outside Pulumi shows in `refresh` and is put back by the
 * next `up`, and `destroy` returns the projects to main, deletes the sub group and only
 * forgets the main group.
 */
import { BillingGroup, MainBillingGroup, ProjectLink } from '../../provider/pulumi';
import { startPulumiWorld, type PulumiWorld } from '../helpers/pulumi';

jest.setTimeout(600_000);

const CARD = { type: 'card' as const, reference: 'tok_visa_4242' };
let world: PulumiWorld;

beforeAll(async () => {
  world = await startPulumiWorld();
});
afterAll(async () => {
  await world?.close();
});

test('preview, up, no-change preview, refresh of a change made outside, destroy', async () => {
  const { admin, mainId } = world;
  const web = await admin.createProject({ name: 'web' });
  const api = await admin.createProject({ name: 'api' });

  const program = async () => {
    const main = new MainBillingGroup('main', { billingEmails: ['finance@example.com'], invoiceEmails: ['ap@example.com'], paymentMethod: CARD });
    const eng = new BillingGroup(
      'engineering',
      { name: 'Engineering', billingEmails: ['eng@example.com'], invoiceEmails: ['ap@example.com'], paymentMethod: CARD, details: { countryCode: 'DE', currency: 'EUR' } },
      { dependsOn: [main] },
    );
    new ProjectLink('web', { projectId: web.id, billingGroupId: eng.id });
    new ProjectLink('api', { projectId: api.id, billingGroupId: eng.id });
    return { engineeringId: eng.id, mainName: main.name };
  };
  const stack = await world.stack(program);

  const before = await world.live();
  const preview = await stack.preview();
  expect(preview.changeSummary).toMatchObject({ create: 5 }); // the stack + 4 resources
  expect(await world.live()).toEqual(before); // preview wrote nothing

  const up = await stack.up();
  expect(up.summary.result).toBe('succeeded');
  const engId = up.outputs.engineeringId.value as string;
  expect(up.outputs.mainName.value).toBe('example');
  const eng = await admin.getGroup(engId);
  expect(eng).toMatchObject({ name: 'Engineering', type: 'sub', billingEmails: ['eng@example.com'], projectCount: 2 });
  expect(eng?.details?.currency).toBe('EUR');
  expect((await admin.getGroup(mainId))?.paymentMethod).toEqual(CARD);
  expect((await admin.getProject(web.id))?.billingGroupId).toBe(engId);
  expect((await admin.getProject(api.id))?.billingGroupId).toBe(engId);

  // Nothing to do the second time: no update, no replace.
  const again = await stack.preview();
  expect(again.changeSummary).toEqual({ same: 5 });

  // A change made outside Pulumi (the console): refresh takes it into the state...
  await admin.updateGroup(engId, { billingEmails: ['someone-else@example.com'] });
  await admin.unlinkProject(api.id);
  const refresh = await stack.refresh();
  expect(refresh.summary.resourceChanges).toMatchObject({ update: 2 });
  const exported = JSON.stringify(await stack.exportStack());
  expect(exported).toContain('someone-else@example.com');
  // ...and the next preview shows the program's values coming back, the next up applies them.
  const drift = await stack.preview();
  expect(drift.changeSummary).toMatchObject({ update: 2 });
  await stack.up();
  expect((await admin.getGroup(engId))?.billingEmails).toEqual(['eng@example.com']);
  expect((await admin.getProject(api.id))?.billingGroupId).toBe(engId);
  expect((await stack.preview()).changeSummary).toEqual({ same: 5 });

  // destroy: projects back to main, the sub group deleted, the main group only forgotten.
  const destroy = await stack.destroy();
  expect(destroy.summary.result).toBe('succeeded');
  expect(await admin.getGroup(engId)).toBeNull();
  expect((await admin.getProject(web.id))?.billingGroupId).toBe(mainId);
  expect((await admin.getProject(api.id))?.billingGroupId).toBe(mainId);
  const main = await admin.getGroup(mainId);
  expect(main).toMatchObject({ name: 'example', paymentMethod: CARD, billingEmails: ['finance@example.com'] });
  expect(destroy.stdout).toContain('MAIN_GROUP_FORGOTTEN');
});
