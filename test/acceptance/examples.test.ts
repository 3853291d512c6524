/**
 * Every folder of examples/terraform/ runs as written, under terraform and tofu, against
 * the demo domain (`startTestServer({demo: true})`, the same seed as `cloudbilling serve
 * --demo`): examples/terraform/import imports without changes; examples/terraform
 * applies, plans clean and destroys.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startAcceptance, tfEngines, expectCode, output, type Acceptance } from './harness';
import { REPO_ROOT } from '../helpers/terraform';

const EXAMPLES = path.join(REPO_ROOT, 'examples', 'terraform');

describe.each(tfEngines())('%s', (engine) => {
  let acc: Acceptance;
  let userId: (email: string) => Promise<string>;

  beforeAll(async () => {
    acc = await startAcceptance(engine, { demo: true });
    userId = async (email) => (await acc.api.listUsers()).find((u) => u.email === email)!.id;
  });
  afterAll(() => acc?.close());

  /** A working directory holding the example's *.tf files exactly as committed. */
  function exampleDir(folder: string): string {
    const files: Record<string, string> = {};
    for (const f of fs.readdirSync(folder)) if (f.endsWith('.tf')) files[f] = fs.readFileSync(path.join(folder, f), 'utf8');
    const dir = acc.workdir({});
    fs.rmSync(path.join(dir, 'versions.tf')); // the example declares its own required_providers
    acc.write(dir, files);
    return dir;
  }

  test('examples/terraform/import: four import blocks, no other change', async () => {
    const dir = exampleDir(path.join(EXAMPLES, 'import'));
    const vars = ['-var', `platform_lead_user_id=${await userId('platform.lead@example.com')}`];
    const plan = await acc.run(dir, 'plan', '-input=false', ...vars);
    expectCode(plan, 0);
    expect(output(plan)).toContain('Plan: 4 to import, 0 to add, 0 to change, 0 to destroy.');
    expectCode(await acc.run(dir, 'apply', '-auto-approve', '-input=false', ...vars), 0);
    expectCode(await acc.run(dir, 'plan', '-detailed-exitcode', '-input=false', ...vars), 0);
    const list = await acc.run(dir, 'state', 'list');
    expect(list.stdout.trim().split('\n').filter((l) => l.startsWith('cloudbilling_')).sort()).toEqual([
      'cloudbilling_billing_group.platform',
      'cloudbilling_group_permission.platform_lead',
      'cloudbilling_main_billing_group.main',
      'cloudbilling_project_link.api_gateway',
    ]);
  });

  test('examples/terraform: apply, plan shows no changes, destroy', async () => {
    const dir = exampleDir(EXAMPLES);
    const lead = await userId('cto@example.com');
    const vars = ['-var', `mobile_lead_user_id=${lead}`];
    const applied = await acc.run(dir, 'apply', '-auto-approve', '-input=false', ...vars);
    expectCode(applied, 0);
    expect(output(applied)).not.toContain('pm_example'); // payment references are sensitive

    const groups = await acc.api.listGroups();
    const byName = (n: string) => groups.find((g) => g.name === n)!;
    expect(byName('Mobile')).toMatchObject({ billingEmails: ['mobile-billing@example.com', 'finance@example.com'] });
    expect(byName('Security')).toBeDefined();
    expect(byName('Partnerships')).toBeDefined();
    const main = byName('example');
    expect(main).toMatchObject({ type: 'main', paymentMethod: { type: 'account', reference: 'pm_example_company_account' } });
    const projects = await acc.api.listProjects();
    const groupOf = (n: string) => projects.find((p) => p.name === n)!.billingGroupId;
    expect([groupOf('chatbot'), groupOf('sandbox'), groupOf('shared-vpc')]).toEqual([byName('Mobile').id, byName('Security').id, byName('Security').id]);
    expect((await acc.api.listPermissions(byName('Mobile').id)).map((p) => p.userId)).toEqual([lead]);

    expectCode(await acc.run(dir, 'plan', '-detailed-exitcode', '-input=false', ...vars), 0);

    const destroyed = await acc.run(dir, 'destroy', '-auto-approve', '-input=false', ...vars);
    expectCode(destroyed, 0);
    const after = (await acc.api.listGroups()).map((g) => g.name);
    expect(after).not.toContain('Mobile');
    expect(after).not.toContain('Security');
    expect(after).toContain('example'); // the main group is only forgotten
    const projectsAfter = await acc.api.listProjects();
    expect(projectsAfter.find((p) => p.name === 'chatbot')!.billingGroupId).toBe(main.id);
  });
});
