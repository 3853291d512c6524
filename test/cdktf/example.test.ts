/**
 * examples/cdktf end to end, the way a CDKTF user runs it: the `app` command of the root
 * cdktf.json synthesizes the stack (CDKTF_OUTDIR set, as cdktf-cli does), then the real
 * `terraform` binary with our provider (installed offline by `cloudbilling terraform-setup`)
 * applies it against the real Billing API server, plans again with no changes, and
 * destroys it. Needs `npm run build` (the app imports `cloudbilling/cdktf` from dist/, the
 * provider runs from dist/).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BillingClient } from '../../provider/client';
import { startTestServer, type TestServer } from '../helpers/server';
import { prepareTerraform, tfEngines, REPO_ROOT, runTerraform, type PreparedTerraform, type TerraformResult } from '../helpers/terraform';

jest.setTimeout(600_000);

describe.each(tfEngines())('%s', (engine) => {
  let server: TestServer;
  let tf: PreparedTerraform;
  let client: BillingClient;
  let outdir: string;
  let stackDir: string;
  let env: Record<string, string>;
  const projectIds: Record<string, string> = {};
  let financeUserId: string;

  function ok(r: TerraformResult, what: string): TerraformResult {
    if (r.code !== 0) throw new Error(`${tf.engine} ${what} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r;
  }

  beforeAll(async () => {
    server = await startTestServer();
    tf = prepareTerraform(engine);
    client = new BillingClient({ apiUrl: server.url, token: server.adminToken, retries: 0 });
    for (const name of ['web-frontend', 'api-gateway', 'etl-nightly', 'untouched']) projectIds[name] = (await client.createProject({ name })).id;
    financeUserId = (await client.createUser({ email: 'finance@example.com', name: 'Fay Finance' })).id;
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-example-'));
    stackDir = path.join(outdir, 'stacks', 'billing');
    env = {
      ...tf.env,
      CLOUDBILLING_API_URL: server.url,
      CLOUDBILLING_TOKEN: server.adminToken,
      TF_VAR_finance_user_id: financeUserId,
    };
  });

  afterAll(async () => {
    // Never leave objects behind when a step failed half way.
    if (stackDir && fs.existsSync(path.join(stackDir, 'terraform.tfstate'))) {
      await runTerraform(tf, stackDir, ['destroy', '-auto-approve', '-input=false', '-no-color'], env);
    }
    await server?.close();
    tf?.cleanup();
    if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
  });

  describe('examples/cdktf', () => {
    it('synthesizes with the app command of cdktf.json', () => {
      const config = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdktf.json'), 'utf8')) as { app: string; language: string };
      expect(config.language).toBe('typescript');
      const r = spawnSync(config.app, {
        cwd: REPO_ROOT,
        shell: true,
        encoding: 'utf8',
        env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: '1' },
      });
      if (r.status !== 0) throw new Error(`the app failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
      const synthesized = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
      // The version pin cdktf-cli needs, and the seed lock that keeps `cdktf deploy` offline.
      const version = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version;
      expect(synthesized.terraform.required_providers).toEqual({ cloudbilling: { source: 'cloudbilling/cloudbilling', version } });
      expect(fs.readFileSync(path.join(stackDir, '.terraform.lock.hcl'), 'utf8')).toContain(`version     = "${version}"`);
      expect(Object.keys(synthesized.resource).sort()).toEqual([
        'cloudbilling_billing_group',
        'cloudbilling_group_permission',
        'cloudbilling_main_billing_group',
        'cloudbilling_project_link',
      ]);
      expect(Object.keys(synthesized.resource.cloudbilling_project_link)).toHaveLength(3);
    });

    it('applies with terraform and our provider against the real server', async () => {
      ok(await runTerraform(tf, stackDir, ['init', '-input=false', '-no-color'], env), 'init');
      const apply = ok(await runTerraform(tf, stackDir, ['apply', '-auto-approve', '-input=false', '-no-color'], env), 'apply');
      expect(apply.stdout).toMatch(/Apply complete! Resources: 8 added, 0 changed, 0 destroyed/);

      const groups = await client.listGroups();
      const byName = new Map(groups.map((g) => [g.name, g]));
      const main = groups.find((g) => g.type === 'main')!;
      expect(main.paymentMethod).toEqual({ type: 'account', reference: 'pm_example_main_account' });
      expect(main.billingEmails).toEqual(['billing@example.com']);
      const platform = byName.get('Platform')!;
      const data = byName.get('Data & Analytics')!;
      expect(platform.billingEmails).toEqual(['platform-billing@example.com', 'platform-lead@example.com']);
      expect(platform.details.company).toBe('Example Inc. (Platform)');
      expect(data.paymentMethod).toEqual({ type: 'card', reference: 'pm_example_card_data' });
      expect(groups.filter((g) => g.type === 'sub')).toHaveLength(2);

      const groupOf = async (name: string) => (await client.getProject(projectIds[name]!))!.billingGroupId;
      expect(await groupOf('web-frontend')).toBe(platform.id);
      expect(await groupOf('api-gateway')).toBe(platform.id);
      expect(await groupOf('etl-nightly')).toBe(data.id);
      expect(await groupOf('untouched')).toBe(main.id);
      for (const g of [platform, data]) {
        expect((await client.listPermissions(g.id)).map((p) => p.userId)).toEqual([financeUserId]);
      }

      const output = JSON.parse(ok(await runTerraform(tf, stackDir, ['output', '-json', '-no-color'], env), 'output').stdout);
      expect(output.platform_group_id.value).toBe(platform.id);
      expect(output.data_group_id.value).toBe(data.id);
      expect(output.main_group_id.value).toBe(main.id);
      expect(output.domain_name.value).toBe(main.name);
      expect(output.platform_invoice_count.value).toBe(0);
    });

    it('plans again with no changes', async () => {
      const plan = await runTerraform(tf, stackDir, ['plan', '-detailed-exitcode', '-input=false', '-no-color'], env);
      if (plan.code !== 0) throw new Error(`expected no changes (exit 0), got exit ${plan.code}:\n${plan.stdout}\n${plan.stderr}`);
      expect(plan.stdout).toMatch(/No changes\./);
    });

    it('destroys: sub groups deleted, projects back in the main group, permissions revoked, main group kept', async () => {
      const before = await client.listGroups();
      const main = before.find((g) => g.type === 'main')!;
      const subs = before.filter((g) => g.type === 'sub');
      const destroy = ok(await runTerraform(tf, stackDir, ['destroy', '-auto-approve', '-input=false', '-no-color'], env), 'destroy');
      expect(destroy.stdout).toMatch(/Destroy complete! Resources: 8 destroyed/);

      const after = await client.listGroups();
      expect(after.map((g) => g.id)).toEqual([main.id]);
      for (const g of subs) expect(await client.getGroup(g.id)).toBeNull();
      for (const id of Object.values(projectIds)) expect((await client.getProject(id))!.billingGroupId).toBe(main.id);
      // The main group is only forgotten: it keeps what the stack set.
      expect((await client.getGroup(main.id))!.paymentMethod).toEqual({ type: 'account', reference: 'pm_example_main_account' });
    });
  });
});
