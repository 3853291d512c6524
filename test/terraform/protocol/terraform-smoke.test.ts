/**
 * End-to-end smoke with the real `terraform` binary, offline, no Billing API: install
 * with the built installer into a temp mirror + CLI config, `terraform init`,
 * `terraform validate` (ValidateResourceConfig diagnostics with source positions), and
 * `terraform providers schema -json`, which must equal `providersSchemaJson()`.
 * Needs `npm run build` and terraform on PATH.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { providersSchemaJson } from '../../../provider/terraform/protocol/schema';
import { prepareTerraform, runTerraform, terraformWorkdir, REQUIRED_PROVIDERS, type PreparedTerraform } from '../../helpers/terraform';

let tf: PreparedTerraform;
let dir: string;

const CONFIG = `${REQUIRED_PROVIDERS}
provider "cloudbilling" {
  api_url = "http://127.0.0.1:9"
  token   = "not-used-by-validate"
}

resource "cloudbilling_billing_group" "team" {
  name           = "Team A"
  billing_emails = ["billing@example.com"]
  invoice_emails = ["tax@example.com"]
  payment_method = { type = "card", reference = "tok_visa_4242" }
  details        = { company = "ACME", address_lines = ["1 Main St"] }
}

resource "cloudbilling_project_link" "web" {
  project_id       = "p-1"
  billing_group_id = cloudbilling_billing_group.team.id
}
`;

beforeAll(() => {
  tf = prepareTerraform();
  dir = terraformWorkdir({ 'main.tf': CONFIG }, tf.root);
});
afterAll(() => tf?.cleanup());

test('the installer wrote the mirror and a provider_installation block into TF_CLI_CONFIG_FILE', () => {
  expect(tf.installerOutput).toMatch(/installed registry.terraform.io\/cloudbilling\/cloudbilling 0\.1\.0/);
  const rc = fs.readFileSync(tf.cliConfig, 'utf8');
  expect(rc).toContain('filesystem_mirror');
  expect(rc).toContain(JSON.stringify(tf.pluginsDir));
  const pkgDir = path.join(tf.pluginsDir, 'registry.terraform.io/cloudbilling/cloudbilling/0.1.0/linux_amd64');
  expect(fs.statSync(path.join(pkgDir, 'terraform-provider-cloudbilling_v0.1.0')).mode & 0o111).toBeTruthy();
  expect(fs.existsSync(path.join(pkgDir, 'provider.bundle.js'))).toBe(true);
});

test('terraform init works offline from the mirror', async () => {
  const r = await runTerraform(dir, ['init', '-input=false', '-no-color'], tf.env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/Installed cloudbilling\/cloudbilling v0\.1\.0/);
});

test('terraform validate accepts a valid configuration', async () => {
  const r = await runTerraform(dir, ['validate', '-no-color'], tf.env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/The configuration is valid/);
});

test('terraform providers schema -json is exactly providersSchemaJson()', async () => {
  const r = await runTerraform(dir, ['providers', 'schema', '-json'], tf.env);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual(JSON.parse(JSON.stringify(providersSchemaJson())));
});

test('terraform validate reports rule codes from ValidateResourceConfig at the attribute', async () => {
  const bad = terraformWorkdir(
    {
      'main.tf': `${REQUIRED_PROVIDERS}
resource "cloudbilling_billing_group" "team" {
  name           = "Team A"
  billing_emails = ["billing@example.com", "not-an-email"]
  invoice_emails = ["tax@example.com"]
}
`,
    },
    tf.root,
  );
  expect((await runTerraform(bad, ['init', '-input=false', '-no-color'], tf.env)).code).toBe(0);
  const r = await runTerraform(bad, ['validate', '-json'], tf.env);
  expect(r.code).toBe(1);
  const out = JSON.parse(r.stdout) as { valid: boolean; diagnostics: { severity: string; summary: string; range?: { start: { line: number } } }[] };
  expect(out.valid).toBe(false);
  const d = out.diagnostics.find((x) => x.summary.startsWith('EMAIL_INVALID: '));
  expect(d).toBeDefined();
  expect(d!.severity).toBe('error');
  // The attribute path points at billing_emails (line 11 of main.tf).
  expect(d!.range?.start.line).toBe(11);
});
