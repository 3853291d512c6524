/**
 * `cloudbilling export` and `cloudbilling drift` end to end with the real server and real
 * Terraform: export a seeded domain, `terraform plan` shows imports only (and `review`
 * is clean), apply the imports, the next plan shows no changes and drift finds none;
 * then another admin changes things in the "console" and drift reports each change with
 * that admin and the time from the event log.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import ts from 'typescript';
import { BillingClient } from '../../provider/client';
import { startTestServer, type TestServer } from '../helpers/server';
import { REPO_ROOT, prepareTerraform, runTerraform, tfEngines, type PreparedTerraform } from '../helpers/terraform';
import { requireBuild } from '../helpers/engines';
import { cli } from './helpers';


describe.each(tfEngines())('%s: export → terraform import → drift', (engine) => {
  beforeAll(() => requireBuild()); // never skipped: without the build every test fails saying so
  let server: TestServer;
  let tf: PreparedTerraform;
  let env: Record<string, string>;
  let dir: string;
  let admin: BillingClient;
  let ops: BillingClient;
  let opsId: string;
  const ids: Record<string, string> = {};
  const tfRun = (args: string[]) => runTerraform(tf, dir, args, env);

  beforeAll(async () => {
    server = await startTestServer({ domain: 'globex' });
    env = { CLOUDBILLING_API_URL: server.url, CLOUDBILLING_TOKEN: server.adminToken };
    admin = new BillingClient({ apiUrl: server.url, token: server.adminToken });
    const snap = await admin.getSnapshot();
    ids.main = snap.domain.mainGroupId;
    await admin.updateGroup(ids.main, { paymentMethod: { type: 'account', reference: 'acct_main_SECRET1' }, billingEmails: ['ap@globex.example', 'cfo@globex.example'] });
    const alpha = await admin.createGroup({
      name: 'Alpha "R&D" ${team}',
      billingEmails: ['alpha@globex.example'],
      invoiceEmails: ['alpha-tax@globex.example'],
      paymentMethod: { type: 'card', reference: 'tok_alpha_SECRET2' },
      details: { company: 'Globex R&D GmbH', addressLines: ['Hauptstr. 1', '10115 Berlin'], countryCode: 'DE', vatId: 'DE123456789', currency: 'EUR' },
    });
    const beta = await admin.createGroup({ name: 'Beta', billingEmails: ['beta@globex.example'], invoiceEmails: ['beta@globex.example'] });
    ids.alpha = alpha.id;
    ids.beta = beta.id;
    for (const [p, g] of [['x', alpha.id], ['y', beta.id], ['z', null]] as const) {
      const proj = await admin.createProject({ name: `service-${p}` });
      ids[p] = proj.id;
      if (g) await admin.linkProject(proj.id, g);
    }
    const u = await admin.createUser({ email: 'member@globex.example', name: 'Member' });
    ids.u = u.id;
    await admin.grantPermission(alpha.id, u.id);
    await admin.grantPermission(ids.main, u.id);
    const o = await admin.createUser({ email: 'ops@globex.example', name: 'Ops', role: 'billing_admin' });
    opsId = o.id;
    ops = new BillingClient({ apiUrl: server.url, token: o.token });
    tf = prepareTerraform(engine);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cb-export-'));
  }, 120_000);

  afterAll(async () => {
    tf?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await server?.close();
  });

  test('export writes HCL with import blocks and keeps payment references out of the code', async () => {
    const r = await cli(['export', '--format', 'terraform', '--out', dir], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/3 groups, 2 links, 2 memberships/);
    const main = fs.readFileSync(path.join(dir, 'main.tf'), 'utf8');
    expect(main.match(/^import \{/gm)).toHaveLength(7);
    expect(main).not.toMatch(/SECRET/);
    expect(main).toContain('$${team}'); // HCL template escape of a literal ${
    const secrets = path.join(dir, 'secrets.auto.tfvars');
    expect(fs.readFileSync(secrets, 'utf8')).toContain('tok_alpha_SECRET2');
    expect(fs.statSync(secrets).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8')).toContain('secrets.auto.tfvars');
    // A second export refuses to overwrite.
    expect((await cli(['export', '--format', 'terraform', '--out', dir], { env })).code).toBe(2);
  });

  test('the first plan only imports, review is clean, and after apply there are no changes', async () => {
    expect((await tfRun(['init', '-input=false', '-no-color'])).code).toBe(0);
    const plan = await tfRun(['plan', '-input=false', '-no-color', '-out=import.tfplan']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/Plan: 7 to import, 0 to add, 0 to change, 0 to destroy/);
    const show = await tfRun(['show', '-json', 'import.tfplan']);
    const json = JSON.parse(show.stdout);
    for (const rc of json.resource_changes) expect(rc.change.actions).toEqual(['no-op']);
    fs.writeFileSync(path.join(dir, 'import-plan.json'), show.stdout);
    const review = await cli(['review', path.join(dir, 'import-plan.json'), '--format', 'json', '--strict'], { env });
    expect(review.code).toBe(0);
    expect(JSON.parse(review.stdout).errors).toEqual([]);
    expect(JSON.parse(review.stdout).counts).toEqual(expect.objectContaining({ import: 7, create: 0, update: 0, delete: 0, unchanged: 0 }));

    const apply = await tfRun(['apply', '-input=false', '-no-color', 'import.tfplan']);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toMatch(/7 imported, 0 added, 0 changed, 0 destroyed/);
    const again = await tfRun(['plan', '-input=false', '-no-color', '-detailed-exitcode']);
    expect(again.stdout).toContain('No changes.');
    expect(again.code).toBe(0);
  });

  test('drift finds nothing right after the import', async () => {
    const state = await tfRun(['show', '-json']);
    fs.writeFileSync(path.join(dir, 'state.json'), state.stdout);
    const r = await cli(['drift', '--terraform-state', path.join(dir, 'state.json'), '--format', 'json'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.items).toEqual([]);
    expect(json.managed).toBe(7);
  });

  test('the CDKTF export synthesizes and its first plan only imports', async () => {
    const cdk = path.join(dir, 'cdktf');
    const r = await cli(['export', '--format', 'cdktf', '--out', cdk], { env });
    expect(r.code).toBe(0);
    const source = fs.readFileSync(path.join(cdk, 'main.ts'), 'utf8');
    fs.writeFileSync(path.join(cdk, 'main.js'), ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText);
    // Resolve `cloudbilling/cdktf` to this package's build, `cdktf` to its dependencies.
    const nodePath = path.join(dir, 'node_path');
    fs.mkdirSync(nodePath);
    fs.symlinkSync(REPO_ROOT, path.join(nodePath, 'cloudbilling'));
    const synth = spawnSync(process.execPath, ['main.js'], {
      cwd: cdk,
      env: { ...process.env, NODE_PATH: [nodePath, path.join(REPO_ROOT, 'node_modules')].join(path.delimiter), CHECKPOINT_DISABLE: '1' },
      encoding: 'utf8',
    });
    expect(synth.stderr).toBe('');
    expect(synth.status).toBe(0);
    const stack = path.join(cdk, 'cdktf.out', 'stacks', 'billing');
    const secrets = Object.fromEntries(
      [...fs.readFileSync(path.join(cdk, 'secrets.env'), 'utf8').matchAll(/^export (TF_VAR_\w+)='([^']*)'$/gm)].map((m) => [m[1], m[2]]),
    );
    expect(Object.keys(secrets)).toHaveLength(2);
    const tfEnv = { ...tf.env, ...env, ...secrets };
    expect((await runTerraform(tf, stack, ['init', '-input=false', '-no-color'], tfEnv)).code).toBe(0);
    const plan = await runTerraform(tf, stack, ['plan', '-input=false', '-no-color'], tfEnv);
    expect(plan.stderr).toBe('');
    expect(plan.stdout).toMatch(/Plan: 7 to import, 0 to add, 0 to change, 0 to destroy/);
  });

  test('out-of-band changes are reported with who and when', async () => {
    const before = new Date().toISOString();
    await ops.updateGroup(ids.beta, { name: 'Beta Team' });
    await ops.updateGroup(ids.main, { invoiceEmails: ['tax@globex.example'] });
    await ops.updateGroup(ids.alpha, { paymentMethod: { type: 'card', reference: 'tok_alpha_SECRET3' } });
    await ops.linkProject(ids.x, ids.beta, true);
    await ops.revokePermission(ids.alpha, ids.u);
    const consoleGroup = await ops.createGroup({ name: 'Console Group', billingEmails: ['c@globex.example'], invoiceEmails: ['c@globex.example'] });
    const after = new Date().toISOString();

    const r = await cli(['drift', '--terraform-state', path.join(dir, 'state.json'), '--format', 'json'], { env });
    expect(r.code).toBe(2);
    expect(r.stdout).not.toMatch(/SECRET/);
    const items = JSON.parse(r.stdout).items as {
      status: string;
      kind: string;
      id: string;
      address: string | null;
      fields: { field: string; desired: unknown; actual: unknown }[];
      changedBy?: string;
      changedAt?: string;
      event?: string;
    }[];
    const find = (status: string, id: string) => {
      const it = items.find((i) => i.status === status && i.id === id);
      if (!it) throw new Error(`no ${status} item for ${id} in ${JSON.stringify(items, null, 1)}`);
      return it;
    };
    const byOps = (it: { changedBy?: string; changedAt?: string; changedVia?: string | null }) => {
      expect(it.changedBy).toBe(`ops@globex.example (${opsId})`);
      expect(it.changedVia).toBeNull(); // a change outside IaC (the console's way of writing)
      expect(it.changedAt! >= before && it.changedAt! <= after).toBe(true);
    };

    const beta = find('changed', ids.beta);
    expect(beta.fields).toEqual([{ field: 'name', desired: 'Beta', actual: 'Beta Team' }]);
    expect(beta.event).toBe('group.updated');
    byOps(beta);

    const alpha = find('changed', ids.alpha);
    expect(alpha.fields.map((f) => f.field)).toEqual(['paymentMethod.reference']);
    byOps(alpha);

    const link = find('changed', ids.x);
    expect(link.kind).toBe('projectLink');
    expect(link.fields[0].desired).toContain(ids.alpha);
    expect(link.fields[0].actual).toContain(ids.beta);
    expect(link.event).toBe('project.linked');
    byOps(link);

    const perm = find('missing', `${ids.alpha}/${ids.u}`);
    expect(perm.event).toBe('permission.revoked');
    byOps(perm);

    const main = find('changed', ids.main);
    expect(main.kind).toBe('mainBillingGroup');
    expect(main.fields).toEqual([{ field: 'invoiceEmails', desired: ['admin@example.com'], actual: ['tax@globex.example'] }]);
    byOps(main);

    const unmanaged = find('unmanaged', consoleGroup.id);
    expect(unmanaged.address).toBeNull();
    expect(unmanaged.event).toBe('group.created');
    byOps(unmanaged);
    expect(items).toHaveLength(6);

    const md = await cli(['drift', '--terraform-state', path.join(dir, 'state.json'), '--format', 'markdown'], { env });
    expect(md.code).toBe(2);
    expect(md.stdout).toContain('#### Unmanaged (not declared in code)');
    expect(md.stdout).toContain('ops@globex.example');
    expect(md.stdout).not.toMatch(/SECRET/);
  });

  test('drift exits 2 with a message for an unreadable state', async () => {
    const r = await cli(['drift', '--pulumi-stack', path.join(dir, 'state.json')], { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/not a Pulumi stack export/);
  });
});
