/**
 * SPEC §6 under the real engine: a change applies whole or not at all, a valid whole change
 * always applies, and the plan says it first. Each case runs at -parallelism=1 without a
 * saved plan and at -parallelism=10 with one; "nothing written" is checked on the server
 * (snapshot and every event log unchanged).
 */
import { expectCode, fingerprint, hcl, output, startAcceptance, tfEngines, type Acceptance } from './harness';

const group = (key: string, name: string) => `
resource "cloudbilling_billing_group" ${hcl(key)} {
  name           = ${hcl(name)}
  billing_emails = ["billing@example.com"]
  invoice_emails = ["tax@example.com"]
  payment_method = { type = "card", reference = "tok_${key}" }
}
`;
const link = (key: string, projectId: string, groupExpr: string, extra = '') => `
resource "cloudbilling_project_link" ${hcl(key)} {
  project_id       = ${hcl(projectId)}
  billing_group_id = ${groupExpr}
${extra}}
`;

const MODES = [
  { name: '-parallelism=1, no saved plan', parallelism: 1, saved: false },
  { name: '-parallelism=10, saved plan', parallelism: 10, saved: true },
];

describe.each(tfEngines())('%s', (engine) => {
  let acc: Acceptance;
  beforeAll(async () => {
    acc = await startAcceptance(engine);
    const main = (await acc.api.getDomain()).mainGroupId;
    await acc.api.updateGroup(main, { paymentMethod: { type: 'card', reference: 'tok_main' } });
  });
  afterAll(() => acc?.close());

  /** `terraform apply` the mode's way: `plan -out` + `apply PLAN`, or `apply -auto-approve`. */
  async function apply(dir: string, mode: (typeof MODES)[number]) {
    const p = `-parallelism=${mode.parallelism}`;
    if (!mode.saved) return acc.run(dir, 'apply', '-auto-approve', '-input=false', p);
    const planned = await acc.run(dir, 'plan', '-input=false', '-out=tf.plan', p);
    if (planned.code !== 0) return planned;
    return acc.run(dir, 'apply', '-input=false', p, 'tf.plan');
  }

  describe.each(MODES)('$name', (mode) => {
    test('a valid whole change applies in one run: delete Old while its project moves to New', async () => {
      const p = await acc.api.createProject({ name: `mover-${mode.parallelism}` });
      const dir = acc.workdir({ 'main.tf': group('old', `Old ${mode.parallelism}`) + group('new', `New ${mode.parallelism}`) + link('p', p.id, 'cloudbilling_billing_group.old.id') });
      expectCode(await apply(dir, mode), 0);
      const oldId = (await acc.api.getProject(p.id))!.billingGroupId;
      // Terraform destroys Old and updates the link in an order of its own; the API applies both at once.
      acc.write(dir, { 'main.tf': group('new', `New ${mode.parallelism}`) + link('p', p.id, 'cloudbilling_billing_group.new.id', '  allow_transfer   = true\n') });
      const r = await apply(dir, mode);
      expectCode(r, 0);
      expect(await acc.api.getGroup(oldId)).toBeNull();
      const moved = (await acc.api.getProject(p.id))!;
      expect((await acc.api.getGroup(moved.billingGroupId))!.name).toBe(`New ${mode.parallelism}`);
      expectCode(await acc.run(dir, 'plan', '-detailed-exitcode', '-input=false'), 0);
    });

    test('a resource renamed without a moved block: a membership is kept; a link is PROJECT_MULTI_LINK until moved', async () => {
      const p = await acc.api.createProject({ name: `renamed-link-${mode.parallelism}` });
      const u = await acc.api.createUser({ email: `renamed-${mode.parallelism}@example.com`, name: 'Renamed' });
      const perm = (key: string, groupExpr: string) => `
resource "cloudbilling_group_permission" ${hcl(key)} {
  billing_group_id = ${groupExpr}
  user_id          = ${hcl(u.id)}
}
`;
      const a = `cloudbilling_billing_group.a.id`;
      const groups = group('a', `Rename A ${mode.parallelism}`);
      const dir = acc.workdir({ 'main.tf': groups + link('first', p.id, a) + perm('first', a) });
      expectCode(await apply(dir, mode), 0);
      const aId = (await acc.api.getProject(p.id))!.billingGroupId;
      const granted = (await acc.api.listPermissions(aId)).find((m) => m.userId === u.id)!;
      const events = (await acc.api.allEvents(aId)).length;
      // Terraform destroys the old address and creates the new one, in an order of its own:
      // the membership is never revoked in between.
      acc.write(dir, { 'main.tf': groups + link('first', p.id, a) + perm('second', a) });
      expectCode(await apply(dir, mode), 0);
      expect((await acc.api.listPermissions(aId)).find((m) => m.userId === u.id)).toEqual(granted);
      expect((await acc.api.allEvents(aId)).length).toBe(events);
      expectCode(await acc.run(dir, 'plan', '-detailed-exitcode', '-input=false'), 0);
      // A link renamed that way would pass its project through the main group: the plan says how to keep it.
      acc.write(dir, { 'main.tf': groups + link('second', p.id, a) + perm('second', a) });
      const before = await fingerprint(acc.api);
      const r = await acc.run(dir, 'plan', '-input=false');
      expectCode(r, 1);
      expect(output(r)).toContain('Error: PROJECT_MULTI_LINK:');
      expect(output(r).replace(/\s+/g, ' ')).toContain('`moved` block');
      expect(await fingerprint(acc.api)).toBe(before);
      acc.write(dir, { 'main.tf': groups + link('second', p.id, a) + perm('second', a) + 'moved {\n  from = cloudbilling_project_link.first\n  to   = cloudbilling_project_link.second\n}\n' });
      expectCode(await apply(dir, mode), 0);
      expect((await acc.api.allEvents(aId)).length).toBe(events);
      expectCode(await acc.run(dir, 'plan', '-detailed-exitcode', '-input=false'), 0);
    });

    test('a removed link whose project was moved outside, next to a new link for that project: applied whole', async () => {
      const p = await acc.api.createProject({ name: `relinked-${mode.parallelism}` });
      const groups = group('a', `Relink A ${mode.parallelism}`) + group('b', `Relink B ${mode.parallelism}`) + group('c', `Relink C ${mode.parallelism}`);
      const dir = acc.workdir({ 'main.tf': groups + link('old', p.id, 'cloudbilling_billing_group.a.id') });
      expectCode(await apply(dir, mode), 0);
      const bId = (await acc.api.listGroups()).find((g) => g.name === `Relink B ${mode.parallelism}`)!.id;
      await acc.api.linkProject(p.id, bId, true); // in the console
      acc.write(dir, { 'main.tf': groups + link('new', p.id, 'cloudbilling_billing_group.c.id', '  allow_transfer   = true\n') });
      const planned = await acc.run(dir, 'plan', '-input=false');
      expectCode(planned, 0);
      expect(output(planned)).toContain('Warning: LINK_MOVED_OUTSIDE:');
      expectCode(await apply(dir, mode), 0);
      const moved = (await acc.api.getProject(p.id))!;
      expect((await acc.api.getGroup(moved.billingGroupId))!.name).toBe(`Relink C ${mode.parallelism}`);
      expectCode(await acc.run(dir, 'plan', '-detailed-exitcode', '-input=false'), 0);
    });

    test('refused whole: a delete blocked by a project linked outside Terraform leaves the managed links alone', async () => {
      const managed = await acc.api.createProject({ name: `managed-${mode.parallelism}` });
      const outside = await acc.api.createProject({ name: `outside-${mode.parallelism}` });
      const dir = acc.workdir({ 'main.tf': group('team', `Team ${mode.parallelism}`) + link('m', managed.id, 'cloudbilling_billing_group.team.id') });
      expectCode(await apply(dir, mode), 0);
      const teamId = (await acc.api.getProject(managed.id))!.billingGroupId;
      await acc.api.linkProject(outside.id, teamId);
      acc.write(dir, { 'main.tf': '' });
      const before = await fingerprint(acc.api);
      // The plan cannot know the API's verdict for sure (other resources might move the project): it warns.
      const planned = await acc.run(dir, 'plan', '-input=false');
      expectCode(planned, 0);
      expect(output(planned)).toContain('Warning: DELETE_HAS_PROJECTS:');
      expect(output(planned).replace(/\s+/g, ' ')).toContain('refuses the whole change and nothing is written');
      const r = await apply(dir, mode);
      expectCode(r, 1);
      expect(output(r)).toContain('Error: DELETE_HAS_PROJECTS:');
      expect(output(r).replace(/\s+/g, ' ')).toContain('refused the whole change; nothing was applied');
      // Not unlinked first, not half-applied: the server is exactly as before.
      expect(await fingerprint(acc.api)).toBe(before);
      expect((await acc.api.getProject(managed.id))!.billingGroupId).toBe(teamId);
    });
  });

  describe('whole-plan rules fail terraform plan with their code; nothing is written', () => {
    const planFails = async (files: Record<string, string>, code: string) => {
      const dir = acc.workdir(files);
      const before = await fingerprint(acc.api);
      const r = await acc.run(dir, 'plan', '-input=false', '-parallelism=10');
      expectCode(r, 1);
      expect(output(r)).toContain(`Error: ${code}:`);
      expect(await fingerprint(acc.api)).toBe(before);
      return output(r);
    };

    test('SUB_GROUP_LIMIT: count = 31 sub groups', async () => {
      const existing = (await acc.api.listGroups()).filter((g) => g.type === 'sub').length;
      const many = `
resource "cloudbilling_billing_group" "many" {
  count          = ${31 - existing}
  name           = "Many \${count.index}"
  billing_emails = ["billing@example.com"]
  invoice_emails = ["tax@example.com"]
  payment_method = { type = "card", reference = "tok" }
}
`;
      const out = await planFails({ 'main.tf': many }, 'SUB_GROUP_LIMIT');
      expect(out).toContain('limit 30');
    });

    test('NAME_TAKEN among new groups (trimmed, case-insensitive)', async () => {
      await planFails({ 'main.tf': group('a', 'Twins') + group('b', ' twins ') }, 'NAME_TAKEN');
    });

    test('PROJECT_MULTI_LINK: two link resources for one project, one of them unchanged', async () => {
      const p = await acc.api.createProject({ name: 'twice' });
      const g = await acc.api.createGroup({ name: 'Twice', billingEmails: ['b@example.com'], invoiceEmails: ['t@example.com'] });
      const dir = acc.workdir({ 'main.tf': link('one', p.id, hcl(g.id)) });
      expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false'), 0);
      acc.write(dir, { 'main.tf': link('one', p.id, hcl(g.id)) + link('two', p.id, hcl((await acc.api.getDomain()).mainGroupId)) });
      const before = await fingerprint(acc.api);
      const r = await acc.run(dir, 'plan', '-input=false');
      expectCode(r, 1);
      expect(output(r)).toContain('Error: PROJECT_MULTI_LINK:');
      expect(await fingerprint(acc.api)).toBe(before);
    });

    test('PROJECT_MULTI_LINK: a second link next to an unchanged link to main (its project in main)', async () => {
      const p = await acc.api.createProject({ name: 'back-to-main' });
      const g = await acc.api.createGroup({ name: 'Before Main', billingEmails: ['b@example.com'], invoiceEmails: ['t@example.com'] });
      await acc.api.linkProject(p.id, g.id);
      const main = hcl((await acc.api.getDomain()).mainGroupId);
      const dir = acc.workdir({ 'main.tf': link('home', p.id, main) });
      expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false'), 0);
      expectCode(await acc.run(dir, 'plan', '-detailed-exitcode', '-input=false'), 0);
      acc.write(dir, { 'main.tf': link('home', p.id, main) + link('away', p.id, hcl(g.id)) });
      const before = await fingerprint(acc.api);
      const r = await acc.run(dir, 'plan', '-input=false');
      expectCode(r, 1);
      expect(output(r)).toContain('Error: PROJECT_MULTI_LINK:');
      expect(await fingerprint(acc.api)).toBe(before);
    });

    test('a transfer to a group created in the same plan needs allow_transfer', async () => {
      const p = await acc.api.createProject({ name: 'transfer-to-new' });
      const from = await acc.api.createGroup({ name: 'Transfer From', billingEmails: ['b@example.com'], invoiceEmails: ['t@example.com'] });
      await acc.api.linkProject(p.id, from.id);
      const out = await planFails({ 'main.tf': group('to', 'Transfer To') + link('p', p.id, 'cloudbilling_billing_group.to.id') }, 'TRANSFER_NOT_ACKNOWLEDGED');
      expect(out).toContain('allow_transfer');
    });

    test('DUPLICATE_RESOURCE: two resources for one membership, or two main groups', async () => {
      const u = await acc.api.createUser({ email: 'twice-member@example.com', name: 'Twice' });
      const g = await acc.api.createGroup({ name: 'Twice Member', billingEmails: ['b@example.com'], invoiceEmails: ['t@example.com'] });
      const perm = (key: string) => `
resource "cloudbilling_group_permission" ${hcl(key)} {
  billing_group_id = ${hcl(g.id)}
  user_id          = ${hcl(u.id)}
}
`;
      expect(await planFails({ 'main.tf': perm('one') + perm('two') }, 'DUPLICATE_RESOURCE')).toContain('cloudbilling_group_permission');
      const main = (key: string, email: string) => `
resource "cloudbilling_main_billing_group" ${hcl(key)} {
  billing_emails = [${hcl(email)}]
  invoice_emails = ["ap@example.com"]
}
`;
      expect(await planFails({ 'main.tf': main('one', 'cfo@example.com') + main('two', 'ceo@example.com') }, 'DUPLICATE_RESOURCE')).toContain('main billing group');
    });

    test('a permission on a group this plan deletes', async () => {
      const u = await acc.api.createUser({ email: 'doomed-member@example.com', name: 'Member' });
      const dir = acc.workdir({ 'main.tf': group('doomed', 'Doomed') });
      expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false'), 0);
      const doomed = (await acc.api.listGroups()).find((g) => g.name === 'Doomed')!;
      acc.write(dir, {
        'main.tf': `
resource "cloudbilling_group_permission" "late" {
  billing_group_id = ${hcl(doomed.id)}
  user_id          = ${hcl(u.id)}
}
`,
      });
      const before = await fingerprint(acc.api);
      const r = await acc.run(dir, 'plan', '-input=false');
      expectCode(r, 1);
      expect(output(r)).toContain('Error: GROUP_NOT_FOUND:');
      expect(await fingerprint(acc.api)).toBe(before);
    });
  });

  describe('a saved plan is the change that is applied, or nothing is', () => {
    test('a saved plan that the live state has made invalid is refused whole', async () => {
      const p = await acc.api.createProject({ name: 'stale' });
      const dir = acc.workdir({ 'main.tf': group('fresh', 'Fresh Stale') + group('other', 'Other Stale') + link('p', p.id, 'cloudbilling_billing_group.fresh.id') });
      expectCode(await acc.run(dir, 'plan', '-input=false', '-out=tf.plan'), 0);
      // Meanwhile someone creates a group with one of the planned names in the console.
      await acc.api.createGroup({ name: 'Other Stale', billingEmails: ['b@example.com'], invoiceEmails: ['t@example.com'] });
      const before = await fingerprint(acc.api);
      const r = await acc.run(dir, 'apply', '-input=false', 'tf.plan');
      expectCode(r, 1);
      expect(output(r)).toContain('Error: NAME_TAKEN:');
      expect(await fingerprint(acc.api)).toBe(before);
      expect((await acc.api.getProject(p.id))!.billingGroupId).toBe((await acc.api.getDomain()).mainGroupId);
    });

    test('an older saved plan of the workspace is refused after a newer plan; a new apply goes through', async () => {
      const dir = acc.workdir({ 'main.tf': group('a', 'First Plan Group') });
      expectCode(await acc.run(dir, 'plan', '-input=false', '-out=first.plan'), 0);
      acc.write(dir, { 'main.tf': group('a', 'Second Plan Group') });
      expectCode(await acc.run(dir, 'plan', '-input=false', '-out=second.plan'), 0);
      const before = await fingerprint(acc.api);
      const r = await acc.run(dir, 'apply', '-input=false', 'first.plan');
      expectCode(r, 1);
      expect(output(r)).toContain('Error: NOT_IN_CHANGE_SET:');
      expect(await fingerprint(acc.api)).toBe(before);
      // Terraform counts the failed apply as a state change (second.plan is now stale to it): plan again.
      expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false'), 0);
      expect((await acc.api.listGroups()).map((g) => g.name)).toContain('Second Plan Group');
    });
  });
});
