/**
 * End-to-end smoke with each real engine (`terraform`, `tofu`), offline, no Billing API: install
 * with the built installer into a temp mirror + CLI config, `terraform init`,
 * `terraform validate` (ValidateResourceConfig diagnostics with source positions), and
 * `terraform providers schema -json`, which must equal `providersSchemaJson()` (under the
 * engine's own registry host). Needs `npm run build` and the engines (see tfEngines()).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { providersSchemaJson, PROVIDER_SOURCE } from '../../../provider/terraform/protocol/schema';
import { prepareTerraform, tfEngines, runTerraform, terraformWorkdir, REPO_ROOT, REQUIRED_PROVIDERS, type PreparedTerraform } from '../../helpers/terraform';

describe.each(tfEngines())('%s', (engine) => {
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
    tf = prepareTerraform(engine);
    dir = terraformWorkdir({ 'main.tf': CONFIG }, tf.root);
  });
  afterAll(() => tf?.cleanup());

  test('the installer wrote the mirror and a provider_installation block into TF_CLI_CONFIG_FILE', () => {
    expect(tf.installerOutput).toContain(`installed ${tf.providerAddress} 0.1.0`);
    const rc = fs.readFileSync(tf.cliConfig, 'utf8');
    expect(rc).toContain('filesystem_mirror');
    expect(rc).toContain(JSON.stringify(tf.pluginsDir));
    const pkgDir = path.join(tf.pluginsDir, tf.providerAddress, '0.1.0/linux_amd64');
    expect(fs.statSync(path.join(pkgDir, 'terraform-provider-cloudbilling_v0.1.0')).mode & 0o111).toBeTruthy();
    expect(fs.existsSync(path.join(pkgDir, 'provider.bundle.js'))).toBe(true);
  });

  test('terraform init works offline from the mirror', async () => {
    const r = await runTerraform(tf, dir, ['init', '-input=false', '-no-color']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Installed cloudbilling\/cloudbilling v0\.1\.0/);
  });

  test('the default install (the implied mirror ~/.terraform.d/plugins, no CLI config at all) works offline', async () => {
    // Only HOME: no TF_CLI_CONFIG_FILE (this machine sets one), no XDG dirs, no ~/.terraformrc or ~/.tofurc.
    const home = path.join(tf.root, 'implied-home');
    fs.mkdirSync(home);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
    const setup = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'cloudbilling.js'), 'terraform-setup'], { env, encoding: 'utf8' });
    expect(setup.status).toBe(0);
    expect(setup.stdout).toContain(`installed ${tf.providerAddress} 0.1.0 in ${path.join(home, '.terraform.d', 'plugins', tf.providerAddress)}`);
    expect(fs.readdirSync(home).sort()).toEqual(['.terraform.d']); // no CLI config written
    const wd = terraformWorkdir({ 'main.tf': REQUIRED_PROVIDERS }, tf.root);
    const init = spawnSync(tf.bin, ['init', '-input=false', '-no-color'], { cwd: wd, env, encoding: 'utf8' });
    expect(init.stderr).toBe('');
    expect(init.status).toBe(0);
    expect(init.stdout).toMatch(/Installed cloudbilling\/cloudbilling v0\.1\.0/);
  });

  test('terraform validate accepts a valid configuration', async () => {
    const r = await runTerraform(tf, dir, ['validate', '-no-color']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/The configuration is valid/);
  });

  test('terraform providers schema -json is exactly providersSchemaJson()', async () => {
    const r = await runTerraform(tf, dir, ['providers', 'schema', '-json']);
    expect(r.code).toBe(0);
    // Each engine names the provider by its own default host (registry.opentofu.org for tofu).
    const expected = JSON.parse(JSON.stringify(providersSchemaJson()));
    expected.provider_schemas = { [tf.providerAddress]: expected.provider_schemas[PROVIDER_SOURCE] };
    expect(JSON.parse(r.stdout)).toEqual(expected);
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
    expect((await runTerraform(tf, bad, ['init', '-input=false', '-no-color'])).code).toBe(0);
    const r = await runTerraform(tf, bad, ['validate', '-json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { valid: boolean; diagnostics: { severity: string; summary: string; range?: { start: { line: number } } }[] };
    expect(out.valid).toBe(false);
    const d = out.diagnostics.find((x) => x.summary.startsWith('EMAIL_INVALID: '));
    expect(d).toBeDefined();
    expect(d!.severity).toBe('error');
    // The attribute path points at billing_emails (line 11 of main.tf).
    expect(d!.range?.start.line).toBe(11);
  });
});
