/**
 * Acceptance: `cloudbilling_main_billing_group` on a fresh domain (the main group has no
 * payment method yet): MAIN_PAYMENT_REQUIRED at plan; adopting the main group and
 * creating dependent sub groups in one apply; import-verify; update; drift; destroy =
 * forget with a warning.
 */
import { startAcceptance, tfEngines, expectCode, fingerprint, output, stateOf, type Acceptance } from './harness';

describe.each(tfEngines())('%s', (engine) => {
  let acc: Acceptance;
  let mainId: string;

  beforeAll(async () => {
    acc = await startAcceptance(engine);
    mainId = (await acc.api.getDomain()).mainGroupId;
  });
  afterAll(() => acc?.close());

  const SUB = `
resource "cloudbilling_billing_group" "team" {
  name           = "Team"
  billing_emails = ["team@example.com"]
  invoice_emails = ["tax@example.com"]
  payment_method = { type = "card", reference = "tok_team" }
}
`;
  const main = (billing: string[], invoice: string[]) => `
resource "cloudbilling_main_billing_group" "main" {
  billing_emails = ${JSON.stringify(billing)}
  invoice_emails = ${JSON.stringify(invoice)}
  payment_method = { type = "account", reference = "acct_main" }
  details        = { company = "Example Corp", address_lines = ["1 Main St", "Springfield"], country_code = "US" }
}
`;

  test('the main group\'s name cannot be set: refused at plan, nothing written', async () => {
    const dir = acc.workdir({ 'main.tf': main(['cfo@example.com'], ['ap@example.com']).replace('resource "cloudbilling_main_billing_group" "main" {\n', 'resource "cloudbilling_main_billing_group" "main" {\n  name           = "Renamed"\n') });
    const before = await fingerprint(acc.api);
    const r = await acc.run(dir, 'plan', '-input=false');
    expectCode(r, 1);
    expect(output(r)).toMatch(/name/);
    expect(await fingerprint(acc.api)).toBe(before);
  });

  test('MAIN_PAYMENT_REQUIRED: a sub group alone fails at plan while the main group has no payment method', async () => {
    const dir = acc.workdir({ 'main.tf': SUB });
    const before = await fingerprint(acc.api);
    const r = await acc.run(dir, 'plan', '-input=false');
    expectCode(r, 1);
    expect(output(r)).toContain('Error: MAIN_PAYMENT_REQUIRED:');
    expect(output(r).replace(/\s+/g, ' ')).toContain('Register one on the main group first (payment_method)');
    expect(await fingerprint(acc.api)).toBe(before);
  });

  test('adopt → import-verify → update → drift → destroy (forget)', async () => {
    // No depends_on: the plan judges the whole change, so main's planned payment method counts
    // whatever order Terraform plans the two in, and one apply writes both (SPEC §6).
    const config = main(['cfo@example.com'], ['ap@example.com']) + SUB;
    const dir = acc.workdir({ 'main.tf': config });

    // One apply gives the main group its payment method and creates the sub group.
    const applied = await acc.run(dir, 'apply', '-auto-approve', '-input=false');
    expectCode(applied, 0);
    expect(output(applied)).not.toContain('MAIN_PAYMENT_REQUIRED');
    const live = (await acc.api.getGroup(mainId))!;
    expect(live).toMatchObject({
      billingEmails: ['cfo@example.com'],
      paymentMethod: { type: 'account', reference: 'acct_main' },
      details: { company: 'Example Corp', addressLines: ['1 Main St', 'Springfield'], countryCode: 'US', currency: 'USD' },
    });
    expect((await acc.api.listGroups()).map((g) => g.name)).toContain('Team');
    const s = (await stateOf(acc, dir, 'cloudbilling_main_billing_group.main'))!;
    expect(s).toMatchObject({ id: mainId, name: 'example', version: live.version });

    // Import-verify (any id works for the main group).
    const imp = acc.workdir({ 'main.tf': config });
    expectCode(await acc.run(imp, 'import', '-input=false', 'cloudbilling_main_billing_group.main', 'main'), 0);
    const teamId = (await stateOf(acc, dir, 'cloudbilling_billing_group.team'))!.id;
    expectCode(await acc.run(imp, 'import', '-input=false', 'cloudbilling_billing_group.team', teamId), 0);
    expectCode(await acc.run(imp, 'plan', '-detailed-exitcode', '-input=false'), 0);

    // Update.
    acc.write(dir, { 'main.tf': main(['cfo@example.com', 'controller@example.com'], ['ap@example.com']) + SUB });
    expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false'), 0);
    expect((await acc.api.getGroup(mainId))!.billingEmails).toEqual(['cfo@example.com', 'controller@example.com']);

    // Drift: the payment method removed in the console.
    await acc.api.updateGroup(mainId, { paymentMethod: null });
    const drift = await acc.run(dir, 'plan', '-detailed-exitcode', '-input=false');
    expectCode(drift, 2);
    expect(output(drift)).toContain('# cloudbilling_main_billing_group.main will be updated in-place');
    expect(output(drift)).toMatch(/\+ payment_method\s+= \{/);

    // Destroy: the sub group is deleted, the main group only forgotten (with a warning).
    const destroyed = await acc.run(dir, 'destroy', '-auto-approve', '-input=false');
    expectCode(destroyed, 0);
    expect(output(destroyed)).toContain('Warning: MAIN_GROUP_FORGOTTEN:');
    expect(await acc.api.getGroup(mainId)).toMatchObject({ billingEmails: ['cfo@example.com', 'controller@example.com'] });
    expect(await acc.api.getGroup(teamId)).toBeNull();
    const st = await acc.run(dir, 'state', 'list');
    expect(st.stdout.trim()).toBe('');
  });
});
