/**
 * `cloudbilling review` end to end: the real Billing API server, real `terraform plan`
 * with our provider, `terraform show -json`, then the built CLI. Each whole-plan rule is
 * broken by a plan that Terraform itself accepts (the provider defers whole-plan rules),
 * and review must report it with the right code, resource address and exit code.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BillingClient } from '../../provider/client';
import { startTestServer, type TestServer } from '../helpers/server';
import { prepareTerraform, runTerraform, tfEngines, type PreparedTerraform } from '../helpers/terraform';
import { requireBuild } from '../helpers/engines';
import { GROUP, planFails, cli, planJson, rewrite, tfDir } from './helpers';


interface Json {
  errors: { code: string; address: string; related?: string[] }[];
  warnings: { code: string; address: string }[];
  moves: { projectId: string; from: string; to: string | null; effectiveFrom: string }[];
  removals: { address: string; action: string }[];
  exitCode: number;
}

describe.each(tfEngines())('%s: cloudbilling review with real Terraform plans', (engine) => {
  beforeAll(() => requireBuild()); // never skipped: without the build every test fails saying so
  let server: TestServer;
  let tf: PreparedTerraform;
  let env: Record<string, string>;
  let work: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    server = await startTestServer({ domain: 'acme' });
    env = { CLOUDBILLING_API_URL: server.url, CLOUDBILLING_TOKEN: server.adminToken };
    const c = new BillingClient({ apiUrl: server.url, token: server.adminToken });
    const snap = await c.getSnapshot();
    ids.main = snap.domain.mainGroupId;
    await c.updateGroup(ids.main, { paymentMethod: { type: 'card', reference: 'tok_main_do_not_print' } });
    // 28 sub groups: room for two more, not three.
    for (let i = 1; i <= 28; i++) {
      const n = String(i).padStart(2, '0');
      const g = await c.createGroup({
        name: `Team ${n}`,
        billingEmails: ['billing@example.com'],
        invoiceEmails: ['tax@example.com'],
        paymentMethod: { type: 'card', reference: `tok_team${n}_do_not_print` },
      });
      ids[`team${n}`] = g.id;
    }
    for (const [p, group] of [['p1', 'team01'], ['p2', 'team01'], ['p3', 'team02'], ['p4', null]] as const) {
      const proj = await c.createProject({ name: `project-${p}` });
      ids[p] = proj.id;
      if (group) await c.linkProject(proj.id, ids[group]);
    }
    const u1 = await c.createUser({ email: 'dana@example.com', name: 'Dana' });
    ids.u1 = u1.id;
    await c.grantPermission(ids.team03, u1.id);
    tf = prepareTerraform(engine);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cb-review-'));
  }, 120_000);

  afterAll(async () => {
    tf?.cleanup();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    await server?.close();
  });

  const review = async (plan: string, extra: string[] = []) => {
    const r = await cli(['review', plan, '--format', 'json', ...extra], { env });
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('do_not_print');
    return { code: r.code, json: JSON.parse(r.stdout) as Json };
  };
  const codes = (xs: { code: string }[]) => xs.map((x) => x.code);

  test('SUB_GROUP_LIMIT: the third new group of a plan passes the limit of 30', async () => {
    // The provider judges the whole plan: terraform plan fails first, with the code (SPEC §6).
    const dir = await tfDir(tf, env, GROUP('new_a', 'New A') + GROUP('new_b', 'New B') + GROUP('new_c', 'New C'), work);
    expect(await planFails(tf, env, dir, 'SUB_GROUP_LIMIT')).toContain('limit 30');
  });

  test('NAME_TAKEN among new groups (trimmed, case-insensitive)', async () => {
    const dir = await tfDir(tf, env, GROUP('ops', 'Ops') + GROUP('ops_again', ' ops'), work);
    await planFails(tf, env, dir, 'NAME_TAKEN');
  });

  test('PROJECT_MULTI_LINK: two link resources for one project fail the plan', async () => {
    const body = `
resource "cloudbilling_project_link" "to_five" {
  project_id       = "${ids.p4}"
  billing_group_id = "${ids.team05}"
}
resource "cloudbilling_project_link" "to_six" {
  project_id       = "${ids.p4}"
  billing_group_id = "${ids.team06}"
}`;
    const dir = await tfDir(tf, env, body, work);
    await planFails(tf, env, dir, 'PROJECT_MULTI_LINK');
  });

  test('a transfer to a group created in the same plan fails the plan (TRANSFER_NOT_ACKNOWLEDGED)', async () => {
    // p3 is in sub group Team 02; the target's id is unknown at plan time, only its name is known.
    const body =
      GROUP('platform', 'Platform') +
      `
resource "cloudbilling_project_link" "p3" {
  project_id       = "${ids.p3}"
  billing_group_id = cloudbilling_billing_group.platform.id
}`;
    const dir = await tfDir(tf, env, body, work);
    // The new group's id is known at plan time (reserved), so the plan itself sees the transfer.
    expect(await planFails(tf, env, dir, 'TRANSFER_NOT_ACKNOWLEDGED')).toContain('allow_transfer');
  });

  test('a valid plan reports no error and no false alarm', async () => {
    const body =
      GROUP('platform', 'Platform') +
      `
resource "cloudbilling_project_link" "p4" {
  project_id       = "${ids.p4}"
  billing_group_id = cloudbilling_billing_group.platform.id
}
resource "cloudbilling_group_permission" "dana" {
  billing_group_id = cloudbilling_billing_group.platform.id
  user_id          = "${ids.u1}"
}`;
    const dir = await tfDir(tf, env, body, work);
    const plan = await planJson(tf, env, dir);
    const { code, json } = await review(plan);
    expect(code).toBe(0);
    expect(json.errors).toEqual([]);
    expect(codes(json.warnings)).toEqual(['LINK_EFFECTIVE_NEXT_MONTH']);
    expect(json.moves).toEqual([expect.objectContaining({ projectId: ids.p4, from: 'acme', to: 'Platform' })]);
    const md = await cli(['review', plan, '--format', 'markdown'], { env });
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('**no errors, 1 warning**');
    expect(md.stdout).not.toContain('do_not_print');
    // --strict turns the warning into an error.
    expect((await review(plan, ['--strict'])).code).toBe(1);
  });

  describe('with objects already in state (imported)', () => {
    let dir: string;
    const managed = (extra: string) =>
      GROUP('team01', 'Team 01') +
      `
resource "cloudbilling_group_permission" "dana" {
  billing_group_id = "${ids.team03}"
  user_id          = "${ids.u1}"
}
${extra}`;

    beforeAll(async () => {
      const imports = `
import {
  to = cloudbilling_billing_group.team01
  id = "${ids.team01}"
}
import {
  to = cloudbilling_group_permission.dana
  id = "${ids.team03}/${ids.u1}"
}`;
      dir = await tfDir(tf, env, managed(imports), work);
      const apply = await runTerraform(tf, dir, ['apply', '-auto-approve', '-input=false', '-no-color'], env);
      if (apply.code !== 0) throw new Error(`import apply failed:\n${apply.stdout}\n${apply.stderr}`);
      expect(apply.stdout).toMatch(/2 imported, 0 added, 0 changed, 0 destroyed/);
    }, 120_000);

    const move = (res: string, project: string) => `
resource "cloudbilling_project_link" "${res}" {
  project_id       = "${project}"
  billing_group_id = "${ids.team02}"
  allow_transfer   = true
}`;

    test('DELETE_HAS_PROJECTS when the plan moves only some of the projects away', async () => {
      rewrite(dir, `
resource "cloudbilling_group_permission" "dana" {
  billing_group_id = "${ids.team03}"
  user_id          = "${ids.u1}"
}
${move('p1', ids.p1)}`);
      const { code, json } = await review(await planJson(tf, env, dir));
      expect(code).toBe(1);
      expect(json.errors).toEqual([expect.objectContaining({ code: 'DELETE_HAS_PROJECTS', address: 'cloudbilling_billing_group.team01' })]);
      expect(json.removals).toEqual([expect.objectContaining({ address: 'cloudbilling_billing_group.team01', action: 'delete' })]);
    });

    test('no DELETE_HAS_PROJECTS when the same plan moves every project away; last membership warned', async () => {
      rewrite(dir, move('p1', ids.p1) + move('p2', ids.p2));
      const plan = await planJson(tf, env, dir);
      const { code, json } = await review(plan);
      expect(code).toBe(0);
      expect(json.errors).toEqual([]);
      expect(codes(json.warnings).sort()).toEqual(['DELETE_IRREVERSIBLE', 'LINK_EFFECTIVE_NEXT_MONTH', 'LINK_EFFECTIVE_NEXT_MONTH', 'USER_LOSES_BILLING_ACCESS']);
      expect(json.warnings.find((w) => w.code === 'USER_LOSES_BILLING_ACCESS')!.address).toBe('cloudbilling_group_permission.dana');
      expect(json.moves.map((m) => `${m.projectId}:${m.from}->${m.to}`).sort()).toEqual([`${ids.p1}:Team 01->Team 02`, `${ids.p2}:Team 01->Team 02`].sort());
      const strict = await review(plan, ['--strict']);
      expect(strict.code).toBe(1);
      expect(codes(strict.json.errors)).toContain('USER_LOSES_BILLING_ACCESS');
    });
  });

  test('a link removed from the configuration whose project was moved outside Terraform: review leaves the move alone, like apply', async () => {
    const c = new BillingClient({ apiUrl: server.url, token: server.adminToken });
    const p = await c.createProject({ name: 'review-moved-outside' });
    const body = `
resource "cloudbilling_project_link" "away" {
  project_id       = "${p.id}"
  billing_group_id = "${ids.team05}"
  allow_transfer   = true
}`;
    const dir = await tfDir(tf, env, body, work);
    const applied = await runTerraform(tf, dir, ['apply', '-auto-approve', '-input=false', '-no-color'], env);
    expect(applied.code).toBe(0);
    await c.linkProject(p.id, ids.team06, true); // in the console; the refresh will find Team 06
    rewrite(dir, '');
    const { code, json } = await review(await planJson(tf, env, dir));
    expect(code).toBe(0);
    expect(codes(json.warnings)).toEqual(['LINK_MOVED_OUTSIDE']);
    expect(json.moves).toEqual([]);
  });

  test('exit 2 when the plan cannot be read, the input is a state, or the API is unreachable', async () => {
    const bad = path.join(work, 'bad.json');
    fs.writeFileSync(bad, '{"not": "a plan"');
    const r1 = await cli(['review', bad], { env });
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/not JSON/);
    const state = path.join(work, 'state.json');
    fs.writeFileSync(state, JSON.stringify({ format_version: '1.0', terraform_version: '1.11.4', values: { root_module: {} } }));
    const r2 = await cli(['review', state], { env });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/state, not a plan/);
    const plan = path.join(work, 'empty-plan.json');
    fs.writeFileSync(plan, JSON.stringify({ format_version: '1.2', resource_changes: [] }));
    const r3 = await cli(['review', plan], { env: { CLOUDBILLING_API_URL: 'http://127.0.0.1:9', CLOUDBILLING_TOKEN: 'secret-token-xyz' } });
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/NETWORK_ERROR/);
    expect(r3.stderr).not.toContain('secret-token-xyz');
    const r4 = await cli(['review', plan], { env });
    expect(r4.code).toBe(0);
  });
});
