/**
 * `cloudbilling/cdktn`: the same synth-time rules and provider set-up over CDK Terrain's
 * construct tree (`cdktn` 0.24) as `cloudbilling/cdktf` over cdktf's. The rules are one
 * module (provider/cdk/billing-rules.ts, tested in full in billing-rules.test.ts); this
 * checks that they run under cdktn, at `app.synth()`, and that its stacks pin and lock the
 * provider version.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, TerraformStack, TerraformVariable } from 'cdktn';
import { BillingGroup, CloudbillingProvider, DataCloudbillingProject, MainBillingGroup, ProjectLink, checkBillingStack, enableBillingRules } from 'cloudbilling/cdktn';

const version = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version as string;
const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function newStack(): { app: App; stack: TerraformStack; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktn-rules-'));
  outdirs.push(outdir);
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 'billing');
  new CloudbillingProvider(stack, 'cloudbilling');
  return { app, stack, outdir };
}

function group(stack: TerraformStack, id: string, name: string): BillingGroup {
  return new BillingGroup(stack, id, { name, billingEmails: [`${id}@example.com`], invoiceEmails: ['ap@example.com'], paymentMethod: { type: 'card', reference: `pm_${id}` } });
}

describe('cloudbilling/cdktn', () => {
  it('fails app.synth() with every whole-stack violation, as under cdktf', () => {
    const { app, stack } = newStack();
    new MainBillingGroup(stack, 'main', { billingEmails: ['billing@example.com'], invoiceEmails: ['ap@example.com'], paymentMethod: { type: 'account', reference: 'pm_main' } });
    const platform = group(stack, 'platform', 'Platform');
    group(stack, 'platform-2', 'platform ');
    const web = new DataCloudbillingProject(stack, 'web', { name: 'web-frontend' });
    new ProjectLink(stack, 'web-link', { projectId: web.id, billingGroupId: platform.id });
    new ProjectLink(stack, 'web-again', { projectId: web.id, billingGroupId: platform.id });
    expect(() => app.synth()).toThrow(/\[billing\/platform-2\] NAME_TAKEN \(name\)[\s\S]*\[billing\/web-again\] PROJECT_MULTI_LINK \(projectId\)/);
    expect(checkBillingStack(stack).errors.map((d) => `${d.constructPath} ${d.code}`)).toEqual(['billing/platform-2 NAME_TAKEN', 'billing/web-again PROJECT_MULTI_LINK']);
  });

  it('skips unknown values and honours the sub group limit option', () => {
    const { stack } = newStack();
    const name = new TerraformVariable(stack, 'name', { type: 'string' });
    group(stack, 'a', 'A');
    group(stack, 'b', name.stringValue);
    expect(checkBillingStack(stack).errors).toEqual([]);
    enableBillingRules(stack, { subGroupLimit: 1 });
    expect(checkBillingStack(stack, { subGroupLimit: 1 }).errors.map((d) => d.code)).toEqual(['SUB_GROUP_LIMIT']);
  });

  it('pins the provider version and seeds the lock; a lock already there is kept', () => {
    const { app, stack, outdir } = newStack();
    group(stack, 'a', 'A');
    app.synth();
    const dir = path.join(outdir, 'stacks', 'billing');
    const tf = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8'));
    expect(tf.terraform.required_providers).toEqual({ cloudbilling: { source: 'cloudbilling/cloudbilling', version } });
    const lock = path.join(dir, '.terraform.lock.hcl');
    expect(fs.readFileSync(lock, 'utf8')).toBe(
      `provider "registry.terraform.io/cloudbilling/cloudbilling" {\n  version     = "${version}"\n  constraints = "${version}"\n}\n`,
    );
    fs.writeFileSync(lock, '# terraform init wrote this\n');
    app.synth();
    expect(fs.readFileSync(lock, 'utf8')).toBe('# terraform init wrote this\n');
  });
});
