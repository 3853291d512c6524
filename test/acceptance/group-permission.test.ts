/**
 * Acceptance: `cloudbilling_group_permission` under terraform and tofu: grant →
 * import-verify (`GROUP_ID/USER_ID`) → replace (another user) → revoked outside → plan
 * exits 2 → destroy with USER_LOSES_BILLING_ACCESS; USER_NOT_FOUND at plan.
 */
import { startAcceptance, tfEngines, expectCode, fingerprint, hcl, output, stateOf, type Acceptance } from './harness';

describe.each(tfEngines())('%s', (engine) => {
  let acc: Acceptance;
  let team: string;

  beforeAll(async () => {
    acc = await startAcceptance(engine);
    const mainId = (await acc.api.getDomain()).mainGroupId;
    await acc.api.updateGroup(mainId, { paymentMethod: { type: 'card', reference: 'tok_main' } });
    team = (await acc.api.createGroup({ name: 'Team', billingEmails: ['b@example.com'], invoiceEmails: ['t@example.com'], paymentMethod: { type: 'card', reference: 'tok' } })).id;
  });
  afterAll(() => acc?.close());

  const permission = (userId: string) => `
resource "cloudbilling_group_permission" "p" {
  billing_group_id = ${hcl(team)}
  user_id          = ${hcl(userId)}
}
`;

  test('grant → import-verify → replace → drift → destroy', async () => {
    const alice = await acc.api.createUser({ email: 'alice@example.com', name: 'Alice' });
    const bob = await acc.api.createUser({ email: 'bob@example.com', name: 'Bob' });
    const dir = acc.workdir({ 'main.tf': permission(alice.id) });
    const members = async () => (await acc.api.listPermissions(team)).map((p) => p.userId).sort();

    expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false'), 0);
    expect(await members()).toEqual([alice.id]);
    expect(await stateOf(acc, dir, 'cloudbilling_group_permission.p')).toMatchObject({ id: `${team}/${alice.id}` });

    const imp = acc.workdir({ 'main.tf': permission(alice.id) });
    expectCode(await acc.run(imp, 'import', '-input=false', 'cloudbilling_group_permission.p', `${team}/${alice.id}`), 0);
    expectCode(await acc.run(imp, 'plan', '-detailed-exitcode', '-input=false'), 0);
    const badDir = acc.workdir({ 'main.tf': permission(alice.id) });
    const bad = await acc.run(badDir, 'import', '-input=false', 'cloudbilling_group_permission.p', 'not-a-pair');
    expect(bad.code).not.toBe(0);
    expect(output(bad)).toContain('IMPORT_ID_INVALID');

    // Another user: replaced (revoke Alice, grant Bob); Alice loses her only membership.
    acc.write(dir, { 'main.tf': permission(bob.id) });
    const replaced = await acc.run(dir, 'apply', '-auto-approve', '-input=false');
    expectCode(replaced, 0);
    expect(output(replaced)).toMatch(/must be replaced/);
    expect(output(replaced)).toContain('Warning: USER_LOSES_BILLING_ACCESS:');
    expect(await members()).toEqual([bob.id]);

    // Revoked in the console: plan grants it again (exit 2).
    await acc.api.revokePermission(team, bob.id);
    const drift = await acc.run(dir, 'plan', '-detailed-exitcode', '-input=false');
    expectCode(drift, 2);
    expect(output(drift)).toContain('1 to add, 0 to change, 0 to destroy');
    expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false'), 0);
    expect(await members()).toEqual([bob.id]);

    const destroyed = await acc.run(dir, 'destroy', '-auto-approve', '-input=false');
    expectCode(destroyed, 0);
    expect(output(destroyed)).toContain('Warning: USER_LOSES_BILLING_ACCESS:');
    expect(await members()).toEqual([]);
  });

  test('USER_NOT_FOUND fails the plan before any write', async () => {
    const dir = acc.workdir({ 'main.tf': permission('usr-does-not-exist') });
    const before = await fingerprint(acc.api);
    const r = await acc.run(dir, 'plan', '-input=false');
    expectCode(r, 1);
    expect(output(r)).toContain('Error: USER_NOT_FOUND:');
    expect(output(r)).toMatch(/on main\.tf line 4/);
    expect(await fingerprint(acc.api)).toBe(before);
  });
});
