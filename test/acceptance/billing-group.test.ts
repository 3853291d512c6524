/**
 * Acceptance: `cloudbilling_billing_group` through each real engine (terraform, tofu) and the
 * real API server. create → import-verify (`terraform import` and `import {}`) → update →
 * out-of-band change → plan exits 2 → destroy, checking the server after each step; then
 * the plan-time rules, each failing `terraform plan` before any API write.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startAcceptance, tfEngines, expectCode, fingerprint, hcl, output, stateOf, type Acceptance } from './harness';
import { runTerraform, prepareTerraform, type PreparedTerraform } from '../helpers/terraform';

describe.each(tfEngines())('%s', (engine) => {
  let acc: Acceptance;
  let mainId: string;

  beforeAll(async () => {
    acc = await startAcceptance(engine);
    mainId = (await acc.api.getDomain()).mainGroupId;
    await acc.api.updateGroup(mainId, { paymentMethod: { type: 'card', reference: 'tok_main' } });
  });
  afterAll(() => acc?.close());

  function group(address: string, name: string, extra = ''): string {
    return `
resource "cloudbilling_billing_group" ${hcl(address)} {
  name           = ${hcl(name)}
  billing_emails = ["billing@example.com"]
  invoice_emails = ["tax@example.com"]
  payment_method = { type = "card", reference = "tok_team" }
${extra}
}
`;
  }

  /** Run `terraform plan` expecting it to fail with `code` and to write nothing. */
  async function planFails(dir: string, code: string, ...args: string[]): Promise<string> {
    const before = await fingerprint(acc.api);
    const r = await acc.run(dir, 'plan', '-input=false', ...args);
    expectCode(r, 1);
    expect(output(r)).toContain(`Error: ${code}:`);
    expect(await fingerprint(acc.api)).toBe(before);
    return output(r);
  }

  test('create → import-verify → update → drift → destroy', async () => {
    const config = group('team', 'Platform', '  details = { company = "Acme Inc.", country_code = "DE" }');
    const dir = acc.workdir({ 'main.tf': config });

    // Create.
    const created = await acc.run(dir, 'apply', '-auto-approve', '-input=false');
    expectCode(created, 0);
    const s = (await stateOf(acc, dir, 'cloudbilling_billing_group.team'))!;
    const live = (await acc.api.getGroup(s.id))!;
    expect(live).toMatchObject({
      name: 'Platform',
      type: 'sub',
      billingEmails: ['billing@example.com'],
      paymentMethod: { type: 'card', reference: 'tok_team' },
      details: { company: 'Acme Inc.', countryCode: 'DE', currency: 'USD' },
    });
    expect(s).toMatchObject({ version: live.version, created_by: live.createdBy, deletion_protection: false });
    // The API records which engine and workspace manage it (SPEC §9 "managed by").
    expect(live.managedBy).toBe(`${engine === 'tofu' ? 'opentofu' : 'terraform'}:${path.basename(fs.realpathSync(dir))}/default`);
    // The payment reference is sensitive: never printed, and marked sensitive in the state.
    expect(output(created)).not.toContain('tok_team');
    const shown = JSON.parse((await acc.run(dir, 'show', '-json')).stdout);
    const res = shown.values.root_module.resources.find((r: { address: string }) => r.address === 'cloudbilling_billing_group.team');
    expect(res.sensitive_values.payment_method).toEqual({ reference: true });

    // Import-verify: `terraform import` into a fresh state, then no changes.
    const imp = acc.workdir({ 'main.tf': config });
    expectCode(await acc.run(imp, 'import', '-input=false', 'cloudbilling_billing_group.team', s.id), 0);
    expectCode(await acc.run(imp, 'plan', '-detailed-exitcode', '-input=false'), 0);
    // ... and with an `import {}` block: plan shows only the import, apply, then no changes.
    const blk = acc.workdir({ 'main.tf': `${config}\nimport {\n  to = cloudbilling_billing_group.team\n  id = ${hcl(s.id)}\n}\n` });
    const bp = await acc.run(blk, 'plan', '-input=false');
    expectCode(bp, 0);
    expect(output(bp)).toContain('1 to import, 0 to add, 0 to change, 0 to destroy');
    expectCode(await acc.run(blk, 'apply', '-auto-approve', '-input=false'), 0);
    expectCode(await acc.run(blk, 'plan', '-detailed-exitcode', '-input=false'), 0);

    // Update in place.
    acc.write(dir, { 'main.tf': group('team', 'Platform Engineering', '  details = { company = "Acme Inc.", country_code = "DE" }').replace('["billing@example.com"]', '["billing@example.com", "finance@example.com"]') });
    const upd = await acc.run(dir, 'apply', '-auto-approve', '-input=false');
    expectCode(upd, 0);
    expect(output(upd)).toContain('1 changed');
    expect(await acc.api.getGroup(s.id)).toMatchObject({ name: 'Platform Engineering', billingEmails: ['billing@example.com', 'finance@example.com'], version: live.version + 1 });

    // Out-of-band change: plan shows the drift as an in-place update and exits 2.
    await acc.api.updateGroup(s.id, { name: 'Renamed In Console' });
    const drift = await acc.run(dir, 'plan', '-detailed-exitcode', '-input=false');
    expectCode(drift, 2);
    expect(output(drift)).toMatch(/~ name\s+= "Renamed In Console" -> "Platform Engineering"/);
    expect((await acc.api.getGroup(s.id))!.name).toBe('Renamed In Console'); // plan wrote nothing

    // Deleted outside Terraform: plan re-creates it.
    const other = acc.workdir({ 'main.tf': group('gone', 'Short Lived') });
    expectCode(await acc.run(other, 'apply', '-auto-approve', '-input=false'), 0);
    const goneId = (await stateOf(acc, other, 'cloudbilling_billing_group.gone'))!.id;
    await acc.api.deleteGroup(goneId, 'Short Lived');
    const recreate = await acc.run(other, 'plan', '-detailed-exitcode', '-input=false');
    expectCode(recreate, 2);
    expect(output(recreate)).toContain('1 to add, 0 to change, 0 to destroy');

    // Destroy.
    const destroyed = await acc.run(dir, 'destroy', '-auto-approve', '-input=false');
    expectCode(destroyed, 0);
    expect(await acc.api.getGroup(s.id)).toBeNull();
    expectCode(await acc.run(blk, 'state', 'rm', 'cloudbilling_billing_group.team'), 0);
  });

  test('plan -generate-config-out: the generated configuration plans as a clean import, applies, then no changes', async () => {
    // Both engines have -generate-config-out (OpenTofu since 1.6); SPEC §6 promises it works.
    // Both write a sensitive value as `reference = null # sensitive`: the reference is
    // optional and computed, so that keeps the API's reference and plans clean.
    const live = await acc.api.createGroup({
      name: 'Generated',
      billingEmails: ['gen@example.com'],
      invoiceEmails: ['gen-tax@example.com'],
      paymentMethod: { type: 'card', reference: 'tok_generated' },
      details: { company: 'Gen Ltd', addressLines: ['1 Gen Way'], countryCode: 'GB' },
    });
    const dir = acc.workdir({ 'import.tf': `import {\n  to = cloudbilling_billing_group.gen\n  id = ${hcl(live.id)}\n}\n` });
    const gen = await acc.run(dir, 'plan', '-input=false', '-generate-config-out=generated.tf');
    expectCode(gen, 0);
    const generated = fs.readFileSync(path.join(dir, 'generated.tf'), 'utf8');
    expect(generated).toContain('resource "cloudbilling_billing_group" "gen"');
    expect(generated).toMatch(/reference\s*=\s*null/);
    expect(generated).not.toContain('tok_generated');
    const plan = await acc.run(dir, 'plan', '-input=false');
    expectCode(plan, 0);
    expect(output(plan)).toContain('1 to import, 0 to add, 0 to change, 0 to destroy');
    expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false'), 0);
    expectCode(await acc.run(dir, 'plan', '-detailed-exitcode', '-input=false'), 0);
    expect(await acc.api.getGroup(live.id)).toMatchObject({
      name: 'Generated',
      version: live.version,
      paymentMethod: { type: 'card', reference: 'tok_generated' },
      details: { company: 'Gen Ltd', countryCode: 'GB' },
    });
  });

  test('a first payment method without a reference fails plan on payment_method.reference; nothing is written', async () => {
    const before = (await acc.api.listGroups()).length;
    const dir = acc.workdir({
      'main.tf': `resource "cloudbilling_billing_group" "noref" {\n  name           = "No reference"\n  billing_emails = ["b@example.com"]\n  invoice_emails = ["t@example.com"]\n  payment_method = {\n    type = "card"\n  }\n}\n`,
    });
    const out = await planFails(dir, 'PAYMENT_REFERENCE_REQUIRED');
    expect(out).toContain('payment_method.reference is required here');
    expect(out).toMatch(/on main\.tf line 5/); // the attribute is highlighted
    expect((await acc.api.listGroups()).length).toBe(before);
  });

  describe('plan-time rules: terraform plan fails before any API write', () => {
    test('config-only rules (validate) with the attribute highlighted', async () => {
      const dir = acc.workdir({ 'main.tf': group('bad', 'Bad').replace('["tax@example.com"]', '["tax@example.com", "not an email"]') });
      const out = await planFails(dir, 'EMAIL_INVALID');
      expect(out).toContain('invoice_emails');
    });

    test('NAME_TAKEN against a live group (trimmed, case-insensitive)', async () => {
      await acc.api.createGroup({ name: 'Data', billingEmails: ['b@example.com'], invoiceEmails: ['t@example.com'], paymentMethod: { type: 'card', reference: 't' } });
      const dir = acc.workdir({ 'main.tf': group('dup', ' data ') });
      const out = await planFails(dir, 'NAME_TAKEN');
      expect(out).toMatch(/on main\.tf line 3/); // the name attribute is highlighted
    });

    test('MAIN_GROUP_IMMUTABLE_NAME: the main group imported as a billing group cannot be renamed', async () => {
      const dir = acc.workdir({
        'main.tf': `${group('main', 'Not the domain name')}\nimport {\n  to = cloudbilling_billing_group.main\n  id = ${hcl(mainId)}\n}\n`,
      });
      await planFails(dir, 'MAIN_GROUP_IMMUTABLE_NAME');
    });

    test('NO_PAYMENT_METHOD is a warning: the plan goes through', async () => {
      const dir = acc.workdir({ 'main.tf': group('free', 'No Card').replace('  payment_method = { type = "card", reference = "tok_team" }\n', '') });
      const r = await acc.run(dir, 'plan', '-input=false');
      expectCode(r, 0);
      expect(output(r)).toContain('Warning: NO_PAYMENT_METHOD:');
    });

    describe('destroy', () => {
      let dir: string;
      let id: string;
      beforeAll(async () => {
        dir = acc.workdir({ 'main.tf': group('money', 'Money Group', '  deletion_protection = true') });
        expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false'), 0);
        id = (await stateOf(acc, dir, 'cloudbilling_billing_group.money'))!.id;
      });

      test('DELETION_PROTECTED fails plan -destroy, plan -replace and terraform destroy; nothing is deleted', async () => {
        await planFails(dir, 'DELETION_PROTECTED', '-destroy');
        const replace = await planFails(dir, 'DELETION_PROTECTED', '-replace=cloudbilling_billing_group.money');
        expect(replace).not.toContain('NAME_TAKEN');
        const r = await acc.run(dir, 'destroy', '-auto-approve', '-input=false');
        expectCode(r, 1);
        expect(output(r)).toContain('Error: DELETION_PROTECTED:');
        expect(await acc.api.getGroup(id)).not.toBeNull();
        // Turning it off is a Terraform-only change: no API write.
        acc.write(dir, { 'main.tf': group('money', 'Money Group') });
        const before = await fingerprint(acc.api);
        expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false'), 0);
        expect(await fingerprint(acc.api)).toBe(before);
        // Now a replacement plans, with no NAME_TAKEN against the group it replaces. (Terraform
        // keeps the diagnostics of a replacement's create plan only when one is an error.)
        const replaced = await acc.run(dir, 'plan', '-input=false', '-replace=cloudbilling_billing_group.money');
        expectCode(replaced, 0);
        expect(output(replaced)).toContain('will be replaced, as requested');
      });

      test('DELETE_UNBILLED_USAGE, DELETE_PAID_CREDITS, DELETE_OUTSTANDING_BALANCE from live figures; warnings for the rest', async () => {
        const p = await acc.api.createProject({ name: 'money-project' });
        await acc.api.linkProject(p.id, id);
        await acc.api.recordUsage({ projectId: p.id, service: 'compute', amount: 30 });
        await acc.api.claimCredit(id, 'PAID-ACC-100');
        await acc.api.claimCredit(id, 'FREE-ACC-25');
        const out = await planFails(dir, 'DELETE_UNBILLED_USAGE', '-destroy');
        expect(out).toContain('Error: DELETE_PAID_CREDITS:');
        expect(out).toContain('Warning: DELETE_HAS_PROJECTS:'); // other resources may move them: the API decides
        expect(out).toContain('Warning: FREE_CREDITS_FORFEITED:');
        expect(out).toContain('Warning: DELETE_IRREVERSIBLE:');

        await acc.api.closePeriod(new Date().toISOString().slice(0, 7));
        const out2 = await planFails(dir, 'DELETE_OUTSTANDING_BALANCE', '-destroy');
        expect(out2).not.toContain('DELETE_UNBILLED_USAGE');

        // Everything settled: the destroy goes through once the project is moved away.
        for (const inv of await acc.api.listInvoices(id)) await acc.api.payInvoice(inv.id);
        for (const c of await acc.api.listCredits(id)) if (c.kind === 'paid' && c.status === 'active') await acc.api.refundCredit(id, c.id);
        // With the project still linked, the API refuses at apply with the rule code.
        const refused = await acc.run(dir, 'destroy', '-auto-approve', '-input=false');
        expectCode(refused, 1);
        expect(output(refused)).toContain('Error: DELETE_HAS_PROJECTS:');
        await acc.api.unlinkProject(p.id);
        const ok = await acc.run(dir, 'destroy', '-auto-approve', '-input=false');
        expectCode(ok, 0);
        expect(output(ok)).toContain('Warning: FREE_CREDITS_FORFEITED:');
        expect(await acc.api.getGroup(id)).toBeNull();
      });

      test('MAIN_GROUP_UNDELETABLE: destroying the main group imported as a billing group', async () => {
        const main = (await acc.api.getGroup(mainId))!;
        const cfg = `
resource "cloudbilling_billing_group" "main" {
  name           = ${hcl(main.name)}
  billing_emails = ${JSON.stringify(main.billingEmails)}
  invoice_emails = ${JSON.stringify(main.invoiceEmails)}
  payment_method = { type = "card", reference = "tok_main" }
}
`;
        const d = acc.workdir({ 'main.tf': cfg });
        expectCode(await acc.run(d, 'import', '-input=false', 'cloudbilling_billing_group.main', mainId), 0);
        expectCode(await acc.run(d, 'plan', '-detailed-exitcode', '-input=false'), 0);
        await planFails(d, 'MAIN_GROUP_UNDELETABLE', '-destroy');
      });
    });
  });
});

// One working directory, both engines: what Terraform applied, OpenTofu plans as no change
// after `tofu init` (it maps the state's registry.terraform.io address to its own host for a
// provider declared as `cloudbilling/cloudbilling`), then destroys. docs/index.md says so.
// It needs both engines, so it exists when TF_ENGINES selects both (the default); a missing
// binary fails it like every other suite.
if (tfEngines().length === 2) {
  describe('Terraform state, then OpenTofu', () => {
    let acc: Acceptance;
    let tofu: PreparedTerraform;

    beforeAll(async () => {
      acc = await startAcceptance('terraform');
      tofu = prepareTerraform('tofu');
      const mainId = (await acc.api.getDomain()).mainGroupId;
      await acc.api.updateGroup(mainId, { paymentMethod: { type: 'card', reference: 'tok_main' } });
    });
    afterAll(async () => {
      tofu?.cleanup();
      await acc?.close();
    });

    test('terraform apply; tofu init + plan shows no changes; tofu destroy deletes the group', async () => {
      const dir = acc.workdir({
        'main.tf': `
resource "cloudbilling_billing_group" "team" {
  name           = "Team"
  billing_emails = ["billing@example.com"]
  invoice_emails = ["tax@example.com"]
}
`,
      });
      expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false'), 0);
      const state = JSON.parse(fs.readFileSync(path.join(dir, 'terraform.tfstate'), 'utf8'));
      expect(state.resources[0].provider).toBe('provider["registry.terraform.io/cloudbilling/cloudbilling"]');

      const env = { CLOUDBILLING_API_URL: acc.server.url, CLOUDBILLING_TOKEN: acc.server.adminToken };
      const tofuRun = (...args: string[]) => runTerraform(tofu, dir, [args[0], '-no-color', ...args.slice(1)], env);
      expectCode(await tofuRun('init', '-input=false'), 0);
      const plan = await tofuRun('plan', '-detailed-exitcode', '-input=false');
      expectCode(plan, 0);
      expect(output(plan)).toContain('No changes.');

      expectCode(await tofuRun('destroy', '-auto-approve', '-input=false'), 0);
      expect((await acc.api.listGroups()).map((g) => g.name)).not.toContain('Team');
    });
  });
}
