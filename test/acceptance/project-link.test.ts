/**
 * Acceptance: `cloudbilling_project_link` (with the `cloudbilling_project` and
 * `cloudbilling_billing_group` data sources) under terraform and tofu: create →
 * import-verify → update (a transfer with allow_transfer) → project moved outside →
 * plan exits 2 → destroy returns it to main; plan-time rules.
 */
import { startAcceptance, tfEngines, expectCode, fingerprint, hcl, output, stateOf, type Acceptance } from './harness';

describe.each(tfEngines())('%s', (engine) => {
  let acc: Acceptance;
  let mainId: string;
  let teamA: string;
  let teamB: string;

  beforeAll(async () => {
    acc = await startAcceptance(engine);
    mainId = (await acc.api.getDomain()).mainGroupId;
    await acc.api.updateGroup(mainId, { paymentMethod: { type: 'card', reference: 'tok_main' } });
    const group = async (name: string) =>
      (await acc.api.createGroup({ name, billingEmails: ['b@example.com'], invoiceEmails: ['t@example.com'], paymentMethod: { type: 'card', reference: 'tok' } })).id;
    teamA = await group('Team A');
    teamB = await group('Team B');
  });
  afterAll(() => acc?.close());

  function linkConfig(project: string, group: string, extra = ''): string {
    return `
data "cloudbilling_project" "p" {
  name = ${hcl(project)}
}
data "cloudbilling_billing_group" "g" {
  name = ${hcl(group)}
}
resource "cloudbilling_project_link" "l" {
  project_id       = data.cloudbilling_project.p.id
  billing_group_id = data.cloudbilling_billing_group.g.id
${extra}
}
`;
  }

  async function planFails(dir: string, code: string): Promise<string> {
    const before = await fingerprint(acc.api);
    const r = await acc.run(dir, 'plan', '-input=false');
    expectCode(r, 1);
    expect(output(r)).toContain(`Error: ${code}:`);
    expect(await fingerprint(acc.api)).toBe(before);
    return output(r);
  }

  test('create → import-verify → transfer → drift → destroy', async () => {
    const p = await acc.api.createProject({ name: 'checkout' });
    const dir = acc.workdir({ 'main.tf': linkConfig('checkout', 'team a') });

    const created = await acc.run(dir, 'apply', '-auto-approve', '-input=false');
    expectCode(created, 0);
    expect(output(created)).toContain('Warning: LINK_EFFECTIVE_NEXT_MONTH:');
    expect((await acc.api.getProject(p.id))!.billingGroupId).toBe(teamA);
    expect(await stateOf(acc, dir, 'cloudbilling_project_link.l')).toMatchObject({ id: p.id, previous_billing_group_id: mainId, allow_transfer: false });

    const imp = acc.workdir({ 'main.tf': linkConfig('checkout', 'team a') });
    expectCode(await acc.run(imp, 'import', '-input=false', 'cloudbilling_project_link.l', p.id), 0);
    expectCode(await acc.run(imp, 'plan', '-detailed-exitcode', '-input=false'), 0);

    // A transfer between sub groups needs allow_transfer.
    acc.write(dir, { 'main.tf': linkConfig('checkout', 'Team B') });
    // In Terraform's words: the attribute as it is spelled in HCL, the project by name and id.
    const refused = (await planFails(dir, 'TRANSFER_NOT_ACKNOWLEDGED')).replace(/\s+/g, ' ');
    expect(refused).toContain(`Moving project "${p.name}" (${p.id}) between sub groups needs allow_transfer`);
    expect(refused).toContain('set allow_transfer = true.');
    expect(refused).not.toContain('allowTransfer');
    acc.write(dir, { 'main.tf': linkConfig('checkout', 'Team B', '  allow_transfer   = true') });
    const moved = await acc.run(dir, 'apply', '-auto-approve', '-input=false');
    expectCode(moved, 0);
    expect((await acc.api.getProject(p.id))!.billingGroupId).toBe(teamB);
    expect(await stateOf(acc, dir, 'cloudbilling_project_link.l')).toMatchObject({ billing_group_id: teamB, previous_billing_group_id: teamA });

    // Moved back to main in the console: drift.
    await acc.api.unlinkProject(p.id);
    const drift = await acc.run(dir, 'plan', '-detailed-exitcode', '-input=false');
    expectCode(drift, 2);
    expect(output(drift)).toMatch(new RegExp(`~ billing_group_id\\s+= "${mainId}" -> "${teamB}"`));

    // Destroy while it is already in main: nothing to undo, no error.
    const noop = await acc.run(dir, 'destroy', '-auto-approve', '-input=false');
    expectCode(noop, 0);
    expect((await acc.api.getProject(p.id))!.billingGroupId).toBe(mainId);

    // And a normal destroy returns the project to main.
    acc.write(dir, { 'main.tf': linkConfig('checkout', 'Team A') });
    expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false'), 0);
    expect((await acc.api.getProject(p.id))!.billingGroupId).toBe(teamA);
    const destroyed = await acc.run(dir, 'destroy', '-auto-approve', '-input=false');
    expectCode(destroyed, 0);
    expect(output(destroyed)).toContain('Warning: LINK_EFFECTIVE_NEXT_MONTH:');
    expect((await acc.api.getProject(p.id))!.billingGroupId).toBe(mainId);
  });

  test('removing a link whose project was moved to another sub group outside Terraform leaves the move alone and warns', async () => {
    const p = await acc.api.createProject({ name: 'moved-outside' });
    const dir = acc.workdir({ 'main.tf': linkConfig('moved-outside', 'team a') });
    expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false'), 0);
    // In the console, someone transfers it to Team B; the refresh shows billing_group_id = Team B.
    await acc.api.linkProject(p.id, teamB, true);
    acc.write(dir, { 'main.tf': '' });
    const planned = await acc.run(dir, 'plan', '-input=false', '-out=tf.plan');
    expectCode(planned, 0);
    expect(output(planned)).toContain('Warning: LINK_MOVED_OUTSIDE:');
    const before = await fingerprint(acc.api);
    const r = await acc.run(dir, 'apply', '-input=false', 'tf.plan');
    expectCode(r, 0);
    expect((await acc.api.getProject(p.id))!.billingGroupId).toBe(teamB);
    expect(await fingerprint(acc.api)).toBe(before);
    expectCode(await acc.run(dir, 'plan', '-detailed-exitcode', '-input=false'), 0);

    // The same with `terraform destroy` (it refreshes first, and the refresh finds Team B).
    acc.write(dir, { 'main.tf': linkConfig('moved-outside', 'team a', '  allow_transfer   = true') });
    expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false'), 0);
    expect((await acc.api.getProject(p.id))!.billingGroupId).toBe(teamA);
    await acc.api.linkProject(p.id, teamB, true);
    const destroyed = await acc.run(dir, 'destroy', '-auto-approve', '-input=false');
    expectCode(destroyed, 0);
    expect(output(destroyed)).toContain('Warning: LINK_MOVED_OUTSIDE:');
    expect((await acc.api.getProject(p.id))!.billingGroupId).toBe(teamB);

    // Without allow_transfer, Terraform's pre-destroy refresh (a normal plan) refuses the move
    // back, and that stops the destroy; `-refresh=false` destroys from the state as applied
    // (docs/adr/0005, "The cases").
    acc.write(dir, { 'main.tf': linkConfig('moved-outside', 'team a', '  allow_transfer   = true') });
    expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false'), 0);
    acc.write(dir, { 'main.tf': linkConfig('moved-outside', 'team a') });
    expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false'), 0);
    await acc.api.linkProject(p.id, teamB, true);
    const stopped = await acc.run(dir, 'destroy', '-auto-approve', '-input=false');
    expectCode(stopped, 1);
    expect(output(stopped)).toContain('Error: TRANSFER_NOT_ACKNOWLEDGED:');
    const unrefreshed = await acc.run(dir, 'destroy', '-auto-approve', '-input=false', '-refresh=false');
    expectCode(unrefreshed, 0);
    expect(output(unrefreshed)).toContain('Warning: LINK_MOVED_OUTSIDE:');
    expect((await acc.api.getProject(p.id))!.billingGroupId).toBe(teamB);
  });

  test('a link to a group created in the same plan: its id is unknown at plan time and not guessed', async () => {
    const p = await acc.api.createProject({ name: 'new-team-project' });
    const dir = acc.workdir({
      'main.tf': `
resource "cloudbilling_billing_group" "new" {
  name           = "New Team"
  billing_emails = ["new@example.com"]
  invoice_emails = ["tax@example.com"]
  payment_method = { type = "card", reference = "tok_new" }
}
resource "cloudbilling_project_link" "l" {
  project_id       = ${hcl(p.id)}
  billing_group_id = cloudbilling_billing_group.new.id
}
`,
    });
    const r = await acc.run(dir, 'apply', '-auto-approve', '-input=false');
    expectCode(r, 0);
    const g = (await stateOf(acc, dir, 'cloudbilling_billing_group.new'))!;
    expect((await acc.api.getProject(p.id))!.billingGroupId).toBe(g.id);
    // Destroy in dependency order: the link first (project back to main), then the group.
    expectCode(await acc.run(dir, 'destroy', '-auto-approve', '-input=false'), 0);
    expect(await acc.api.getGroup(g.id)).toBeNull();
    expect((await acc.api.getProject(p.id))!.billingGroupId).toBe(mainId);
  });

  describe('plan-time rules', () => {
    test('PROJECT_NOT_FOUND', async () => {
      const dir = acc.workdir({ 'main.tf': `resource "cloudbilling_project_link" "l" {\n  project_id       = "prj-does-not-exist"\n  billing_group_id = ${hcl(teamA)}\n}\n` });
      const out = await planFails(dir, 'PROJECT_NOT_FOUND');
      expect(out).toMatch(/on main\.tf line 2/);
      // Machine-readable too (`terraform plan -json`): the code leads the summary, with the
      // resource address and the source range of the attribute.
      const json = await acc.run(dir, 'plan', '-input=false', '-json');
      const diags = json.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
        .filter((m) => m.type === 'diagnostic');
      expect(diags).toEqual([
        expect.objectContaining({
          diagnostic: expect.objectContaining({
            severity: 'error',
            summary: expect.stringMatching(/^PROJECT_NOT_FOUND: /),
            address: 'cloudbilling_project_link.l',
            range: expect.objectContaining({ filename: 'main.tf', start: expect.objectContaining({ line: 2 }) }),
          }),
        }),
      ]);
    });

    test('GROUP_NOT_FOUND', async () => {
      const p = await acc.api.createProject({ name: 'orphan' });
      const dir = acc.workdir({ 'main.tf': `resource "cloudbilling_project_link" "l" {\n  project_id       = ${hcl(p.id)}\n  billing_group_id = "bg-does-not-exist"\n}\n` });
      const out = await planFails(dir, 'GROUP_NOT_FOUND');
      expect(out).toMatch(/on main\.tf line 3/);
    });

    test('a lookup by name that finds nothing fails the plan too', async () => {
      const dir = acc.workdir({ 'main.tf': linkConfig('no-such-project', 'Team A') });
      await planFails(dir, 'PROJECT_NOT_FOUND');
    });
  });

  test('a warning many links share is shown once, with the specifics and a count of the others', async () => {
    const ids = [];
    for (const name of ['bulk-1', 'bulk-2', 'bulk-3']) ids.push((await acc.api.createProject({ name })).id);
    const dir = acc.workdir({
      'main.tf': ids
        .map((id, i) => `resource "cloudbilling_project_link" "b${i}" {\n  project_id       = ${hcl(id)}\n  billing_group_id = ${hcl(teamB)}\n}\n`)
        .join(''),
    });
    const applied = await acc.run(dir, 'apply', '-auto-approve', '-input=false');
    expectCode(applied, 0);
    const out = output(applied);
    expect(out.split('Warning: LINK_EFFECTIVE_NEXT_MONTH: A link change shows on the bill of the following month').length - 1).toBe(1);
    // Terraform repeats a plan's warnings when it plans again at apply: 2 or 5 more, both fine.
    expect(out).toMatch(/\(and [25] more similar warnings elsewhere\)/);
    expect(out.replace(/\s+/g, ' ')).toMatch(/Project ".+" \(prj-[0-9a-f]+\) is billed to "Team B" from \d{4}-\d{2}-01/);
    for (const id of ids) expect((await acc.api.getProject(id))!.billingGroupId).toBe(teamB);
    expectCode(await acc.run(dir, 'destroy', '-auto-approve', '-input=false'), 0);
  });
});
