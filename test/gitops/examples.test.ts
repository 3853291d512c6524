/**
 * examples/gitops executed: the scripts the workflows run (review.sh on a pull request,
 * drift.sh on a schedule) against the real server with each real engine, on the example
 * configuration; and the workflows only call scripts that exist.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BillingClient } from '../../provider/client';
import { startTestServer, type TestServer } from '../helpers/server';
import { REPO_ROOT, prepareTerraform, runTerraform, tfEngines, type PreparedTerraform } from '../helpers/terraform';
import { requireBuild } from '../helpers/engines';
import { CLI } from './helpers';

const EXAMPLE = path.join(REPO_ROOT, 'examples', 'gitops');

function sh(script: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [path.join(EXAMPLE, 'scripts', script), ...args], { env: { ...process.env, ...env }, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

test('the workflows run the example scripts and comment/issue with the report markers', () => {
  const review = fs.readFileSync(path.join(EXAMPLE, 'workflows', 'billing-review.yml'), 'utf8');
  const drift = fs.readFileSync(path.join(EXAMPLE, 'workflows', 'billing-drift.yml'), 'utf8');
  for (const [text, script, marker] of [
    [review, 'review.sh', '<!-- cloudbilling-review -->'],
    [drift, 'drift.sh', null],
  ] as const) {
    const m = /run: (examples\/gitops\/scripts\/[\w.-]+)/.exec(text);
    expect(m?.[1]).toBe(`examples/gitops/scripts/${script}`);
    expect(fs.existsSync(path.join(REPO_ROOT, m![1]))).toBe(true);
    if (marker) expect(text).toContain(marker);
  }
  expect(review).toMatch(/on:\n  pull_request:/);
  expect(drift).toMatch(/schedule:\n    - cron:/);
});

describe.each(tfEngines())('%s: examples/gitops scripts with real Terraform', (engine) => {
  beforeAll(() => requireBuild()); // never skipped: without the build every test fails saying so
  let server: TestServer;
  let tf: PreparedTerraform;
  let work: string;
  let env: Record<string, string>;
  let ops: BillingClient;

  beforeAll(async () => {
    server = await startTestServer({ domain: 'example-co' });
    const admin = new BillingClient({ apiUrl: server.url, token: server.adminToken });
    const main = (await admin.getSnapshot()).domain.mainGroupId;
    await admin.updateGroup(main, { paymentMethod: { type: 'account', reference: 'acct_main' } });
    await admin.createProject({ name: 'web' });
    await admin.createProject({ name: 'api' });
    const o = await admin.createUser({ email: 'console-user@example.com', name: 'Console', role: 'billing_admin' });
    ops = new BillingClient({ apiUrl: server.url, token: o.token });
    tf = prepareTerraform(engine);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cb-examples-'));
    fs.cpSync(path.join(EXAMPLE, 'terraform'), path.join(work, 'billing'), { recursive: true });
    env = {
      ...tf.env,
      CLOUDBILLING_API_URL: server.url,
      CLOUDBILLING_TOKEN: server.adminToken,
      CLOUDBILLING: `${process.execPath} ${CLI}`,
      CLOUDBILLING_TF_ENGINE: tf.bin,
      TF_VAR_platform_payment_reference: 'tok_platform_SECRET',
      CI: '1',
    };
  }, 120_000);

  afterAll(async () => {
    tf?.cleanup();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    await server?.close();
  });

  const billing = () => path.join(work, 'billing');
  const report = (name: string) => fs.readFileSync(path.join(work, name), 'utf8');

  test('review.sh: a clean pull request, then one that breaks a whole-plan rule', async () => {
    expect(await sh('review.sh', [billing(), path.join(work, 'review.md')], env)).toBe(0);
    const md = report('review.md');
    expect(md).toContain('<!-- cloudbilling-review -->');
    expect(md).toContain('Terraform plan: 3 to create');
    expect(md).toContain('| web (`');
    expect(md).not.toContain('tok_platform_SECRET');
    expect(fs.existsSync(path.join(billing(), '.review-plan.json'))).toBe(false); // plan JSON holds secrets: removed

    fs.appendFileSync(path.join(billing(), 'main.tf'), '\nresource "cloudbilling_project_link" "web_again" {\n  project_id       = data.cloudbilling_project.web.id\n  billing_group_id = cloudbilling_billing_group.platform.id\n}\n');
    expect(await sh('review.sh', [billing(), path.join(work, 'review.md')], env)).toBe(1);
    expect(report('review.md')).toContain('**PROJECT_MULTI_LINK**');
    fs.writeFileSync(path.join(billing(), 'main.tf'), fs.readFileSync(path.join(EXAMPLE, 'terraform', 'main.tf')));
  });

  test('review.sh: a configuration Terraform cannot plan gives exit 2 and says so', async () => {
    const broken = path.join(work, 'broken');
    fs.mkdirSync(broken);
    fs.writeFileSync(path.join(broken, 'main.tf'), 'resource "cloudbilling_billing_group" "x" {\n');
    expect(await sh('review.sh', [broken, path.join(work, 'broken.md')], env)).toBe(2);
    expect(report('broken.md')).toMatch(new RegExp(`${engine} (init|plan) failed`));
  });

  test('drift.sh: none after apply, then a group created in the console', async () => {
    const apply = await runTerraform(tf, billing(), ['apply', '-auto-approve', '-input=false', '-no-color'], env);
    expect(apply.code).toBe(0);
    expect(await sh('drift.sh', [billing(), path.join(work, 'drift.md')], env)).toBe(0);
    expect(report('drift.md')).toContain('**no drift**');

    await ops.createGroup({ name: 'Shadow IT', billingEmails: ['shadow@example.com'], invoiceEmails: ['shadow@example.com'] });
    expect(await sh('drift.sh', [billing(), path.join(work, 'drift.md')], env)).toBe(2);
    const md = report('drift.md');
    expect(md).toContain('#### Unmanaged (not declared in code)');
    expect(md).toContain('Shadow IT');
    expect(md).toContain('console-user@example.com');
    expect(await sh('drift.sh', [billing(), path.join(work, 'drift.md')], { ...env, IGNORE_UNMANAGED: '1' })).toBe(0);
  });
});
