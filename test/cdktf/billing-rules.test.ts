/**
 * Whole-stack billing rules at CDKTF synth: every synth-time rule is caught, reported with
 * its code and construct path by `app.synth()`, and values only known after apply are
 * skipped rather than guessed. Stacks use the generated bindings.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Fn, TerraformStack, TerraformVariable, Token } from 'cdktf';
import { Construct } from 'constructs';
import {
  BillingGroup,
  CloudbillingProvider,
  DataCloudbillingBillingGroup,
  DataCloudbillingProject,
  GroupPermission,
  MainBillingGroup,
  ProjectLink,
  billingChanges,
  checkBillingStack,
  enableBillingRules,
  type StackDiagnostic,
} from 'cloudbilling/cdktf';

let outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function newStack(id = 'billing'): { app: App; stack: TerraformStack } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-rules-'));
  outdirs.push(outdir);
  const app = new App({ outdir });
  const stack = new TerraformStack(app, id);
  new CloudbillingProvider(stack, 'cloudbilling', { apiUrl: 'http://127.0.0.1:1' }); // enables the rules
  return { app, stack };
}

const contacts = { billingEmails: ['billing@example.com'], invoiceEmails: ['invoices@example.com'] };
const card = { type: 'card', reference: 'tok_visa_4242' };

function group(stack: TerraformStack, id: string, name: string, extra: Partial<ConstructorParameters<typeof BillingGroup>[2]> = {}) {
  return new BillingGroup(stack, id, { name, ...contacts, paymentMethod: card, ...extra });
}

/** `[path] CODE` pairs, the essence of what a user sees. */
const codes = (ds: StackDiagnostic[]) => ds.map((d) => `${d.constructPath}${d.instance !== undefined ? `[${d.instance}]` : ''} ${d.code}`);

function synthError(app: App): string {
  try {
    app.synth();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('app.synth() did not fail');
}

describe('a valid stack', () => {
  it('synthesizes with no error and no false alarm', () => {
    const { app, stack } = newStack();
    const main = new MainBillingGroup(stack, 'main', { ...contacts, paymentMethod: card });
    const a = group(stack, 'team-a', 'Team A', { details: { company: 'Example Ltd', addressLines: ['1 Main St'], countryCode: 'DE' } });
    const b = group(stack, 'team-b', 'Team B', { billingEmails: ['a@example.com', 'b@example.com'], invoiceEmails: ['a@example.com', 'c@example.com'] });
    const web = new DataCloudbillingProject(stack, 'web', { name: 'web' });
    const api = new DataCloudbillingProject(stack, 'api', { name: 'api' });
    new ProjectLink(stack, 'web-link', { projectId: web.id, billingGroupId: a.id });
    new ProjectLink(stack, 'api-link', { projectId: api.id, billingGroupId: b.id });
    new ProjectLink(stack, 'batch-link', { projectId: 'prj_batch', billingGroupId: main.id });
    new GroupPermission(stack, 'alice-a', { billingGroupId: a.id, userId: 'usr_alice' });
    new GroupPermission(stack, 'alice-b', { billingGroupId: b.id, userId: 'usr_alice' });
    const existing = new DataCloudbillingBillingGroup(stack, 'ops', { name: 'Ops' });
    new GroupPermission(stack, 'bob-ops', { billingGroupId: existing.id, userId: 'usr_bob' });

    expect(checkBillingStack(stack)).toEqual({ errors: [], warnings: [] });
    expect(() => app.synth()).not.toThrow();
    const out = JSON.parse(fs.readFileSync(path.join(app.outdir, 'stacks', 'billing', 'cdk.tf.json'), 'utf8'));
    expect(Object.keys(out.resource.cloudbilling_billing_group)).toHaveLength(2);
    expect(out.terraform.required_providers.cloudbilling.source).toBe('cloudbilling/cloudbilling');
  });

  it('resolves references to the stack\'s own groups and keeps the rest unknown', () => {
    const { stack } = newStack();
    const main = new MainBillingGroup(stack, 'main', { ...contacts, paymentMethod: card });
    const a = group(stack, 'team-a', 'Team A');
    const unnamed = group(stack, 'unnamed', Token.asString(new TerraformVariable(stack, 'group_name', { type: 'string' }).value));
    const ops = new DataCloudbillingBillingGroup(stack, 'ops', { name: 'Ops' });
    new ProjectLink(stack, 'to-a', { projectId: 'prj_1', billingGroupId: a.id, allowTransfer: true });
    new ProjectLink(stack, 'to-main', { projectId: 'prj_2', billingGroupId: main.id });
    new ProjectLink(stack, 'to-unnamed', { projectId: 'prj_3', billingGroupId: unnamed.id });
    new ProjectLink(stack, 'to-ops', { projectId: 'prj_4', billingGroupId: ops.id });
    new ProjectLink(stack, 'to-literal', { projectId: 'prj_5', billingGroupId: 'bg_existing' });
    const { changes, sources } = billingChanges(stack);
    const links = changes.filter((c) => c.op === 'link');
    expect(links).toEqual([
      { op: 'link', projectId: 'prj_1', billingGroupName: 'Team A', allowTransfer: true },
      { op: 'link', projectId: 'prj_2', billingGroupId: 'synth:main', allowTransfer: false },
      { op: 'link', projectId: 'prj_3', allowTransfer: false },
      { op: 'link', projectId: 'prj_4', allowTransfer: false },
      { op: 'link', projectId: 'prj_5', allowTransfer: false },
    ]);
    expect(sources.map((s) => s.constructPath)).toEqual([
      'billing/main',
      'billing/team-a',
      'billing/unnamed',
      'billing/to-a',
      'billing/to-main',
      'billing/to-unnamed',
      'billing/to-ops',
      'billing/to-literal',
    ]);
    const unnamedChange = changes[2] as Extract<(typeof changes)[number], { op: 'createGroup' }>;
    expect(unnamedChange.group.name).toBeUndefined();
  });
});

describe('each synth-time rule', () => {
  it('NAME_INVALID: blank, too long, control characters', () => {
    const { stack } = newStack();
    group(stack, 'blank', '   ');
    group(stack, 'long', 'x'.repeat(65));
    group(stack, 'tab', 'Team\tA');
    group(stack, 'ok64', 'y'.repeat(64));
    const { errors } = checkBillingStack(stack);
    expect(codes(errors)).toEqual(['billing/blank NAME_INVALID', 'billing/long NAME_INVALID', 'billing/tab NAME_INVALID']);
    expect(errors.every((d) => d.path?.[0] === 'name')).toBe(true);
  });

  it('BILLING_EMAILS_COUNT, INVOICE_EMAILS_COUNT and EMAIL_INVALID', () => {
    const { stack } = newStack();
    group(stack, 'none', 'None', { billingEmails: [] });
    group(stack, 'eleven', 'Eleven', { billingEmails: Array.from({ length: 11 }, (_, i) => `b${i}@example.com`) });
    group(stack, 'dupe', 'Dupe', { billingEmails: ['x@example.com', 'X@example.com'] });
    group(stack, 'three', 'Three', { invoiceEmails: ['a@example.com', 'b@example.com', 'c@example.com'] });
    group(stack, 'bad', 'Bad', { billingEmails: ['ok@example.com', 'not an email'] });
    new MainBillingGroup(stack, 'main', { billingEmails: ['ok@example.com'], invoiceEmails: ['Finance <f@example.com>'], paymentMethod: card });
    const { errors } = checkBillingStack(stack);
    expect(codes(errors)).toEqual([
      'billing/none BILLING_EMAILS_COUNT',
      'billing/eleven BILLING_EMAILS_COUNT',
      'billing/dupe BILLING_EMAILS_COUNT',
      'billing/three INVOICE_EMAILS_COUNT',
      'billing/bad EMAIL_INVALID',
      'billing/main EMAIL_INVALID',
    ]);
    expect(errors.find((d) => d.constructPath === 'billing/bad')!.path).toEqual(['billingEmails', 1]);
    expect(errors.find((d) => d.constructPath === 'billing/main')!.path).toEqual(['invoiceEmails', 0]);
  });

  it('NAME_TAKEN among the new groups (trimmed, case-insensitive), on the later one', () => {
    const { stack } = newStack();
    group(stack, 'first', 'Team A');
    group(stack, 'second', '  team a ');
    group(stack, 'other', 'Team B');
    const { errors } = checkBillingStack(stack);
    expect(codes(errors)).toEqual(['billing/second NAME_TAKEN']);
    expect(errors[0]!.path).toEqual(['name']);
  });

  it('NAME_TAKEN between the instances of a resource with a known count', () => {
    const { stack } = newStack();
    group(stack, 'copies', 'Copies', { count: 3 });
    expect(codes(checkBillingStack(stack).errors)).toEqual(['billing/copies[1] NAME_TAKEN', 'billing/copies[2] NAME_TAKEN']);
  });

  it('SUB_GROUP_LIMIT among the stack\'s groups (default 30, or the domain\'s limit)', () => {
    const { stack } = newStack();
    for (let i = 1; i <= 31; i++) group(stack, `g${i}`, `Group ${i}`);
    expect(codes(checkBillingStack(stack).errors)).toEqual(['billing/g31 SUB_GROUP_LIMIT']);
    expect(codes(checkBillingStack(stack, { subGroupLimit: 29 }).errors)).toEqual([
      'billing/g30 SUB_GROUP_LIMIT',
      'billing/g31 SUB_GROUP_LIMIT',
    ]);
  });

  it('SUB_GROUP_LIMIT counts the instances of a known count, and not 30 exactly', () => {
    const { stack } = newStack();
    group(stack, 'many', Fn.format('group-%d', [0]), { count: 30 });
    expect(checkBillingStack(stack).errors).toEqual([]);
    group(stack, 'one-more', 'One more');
    expect(codes(checkBillingStack(stack).errors)).toEqual(['billing/one-more SUB_GROUP_LIMIT']);
  });

  it('PROJECT_MULTI_LINK for one project id, naming both links', () => {
    const { stack } = newStack();
    const a = group(stack, 'a', 'A');
    const b = group(stack, 'b', 'B');
    new ProjectLink(stack, 'web-to-a', { projectId: 'prj_web', billingGroupId: a.id });
    new ProjectLink(stack, 'api-to-a', { projectId: 'prj_api', billingGroupId: a.id });
    new ProjectLink(stack, 'web-to-b', { projectId: 'prj_web', billingGroupId: b.id });
    const { errors } = checkBillingStack(stack);
    expect(codes(errors)).toEqual(['billing/web-to-b PROJECT_MULTI_LINK']);
    expect(errors[0]!.detail).toContain('billing/web-to-a');
    expect(errors[0]!.detail).toContain('billing/web-to-b');
  });

  it('PROJECT_MULTI_LINK through the same reference, not through different ones', () => {
    const { stack } = newStack();
    const a = group(stack, 'a', 'A');
    const web = new DataCloudbillingProject(stack, 'web', { name: 'web' });
    const api = new DataCloudbillingProject(stack, 'api', { name: 'api' });
    const chosen = new TerraformVariable(stack, 'project', { type: 'string' });
    new ProjectLink(stack, 'web-1', { projectId: web.id, billingGroupId: a.id });
    new ProjectLink(stack, 'api-1', { projectId: api.id, billingGroupId: a.id });
    new ProjectLink(stack, 'var-1', { projectId: chosen.stringValue, billingGroupId: a.id });
    expect(checkBillingStack(stack).errors).toEqual([]);
    new ProjectLink(stack, 'web-2', { projectId: web.id, billingGroupId: 'bg_other' });
    new ProjectLink(stack, 'var-2', { projectId: chosen.stringValue, billingGroupId: 'bg_other' });
    expect(codes(checkBillingStack(stack).errors)).toEqual(['billing/web-2 PROJECT_MULTI_LINK', 'billing/var-2 PROJECT_MULTI_LINK']);
  });

  it('no MAIN_PAYMENT_REQUIRED at synth when main\'s payment method is removed: synth cannot tell existing sub groups from new ones (issue 12)', () => {
    // The false alarm of issue 12: every existing sub group failed synth, and main was named "\u0000main".
    const { stack } = newStack();
    new MainBillingGroup(stack, 'main', contacts);
    group(stack, 'a', 'A');
    group(stack, 'b', 'B');
    const { errors, warnings } = checkBillingStack(stack);
    expect(codes(errors)).toEqual([]);
    expect(codes(warnings)).toEqual(['billing/main NO_PAYMENT_METHOD']);
    for (const d of [...errors, ...warnings]) expect(`${d.summary} ${d.detail}`).not.toContain('\u0000');
  });

  it('NO_PAYMENT_METHOD is a construct warning, not an error', () => {
    const { app, stack } = newStack();
    new BillingGroup(stack, 'free', { name: 'Free', ...contacts });
    expect(codes(checkBillingStack(stack).warnings)).toEqual(['billing/free NO_PAYMENT_METHOD']);
    app.synth();
    app.synth(); // a second synth adds no second copy
    const warnings = stack.node.findChild('free').node.metadata.filter((m) => m.type === '@cdktf/warn');
    expect(warnings.map((m) => m.data)).toEqual([expect.stringMatching(/^NO_PAYMENT_METHOD \(paymentMethod\): Group "Free" has no payment method/)]);
  });
});

describe('values known only after apply', () => {
  it('are skipped, never guessed', () => {
    const { stack } = newStack();
    const name = new TerraformVariable(stack, 'name', { type: 'string' });
    const emails = new TerraformVariable(stack, 'emails', { type: 'list(string)' });
    const payment = new TerraformVariable(stack, 'payment_ref', { type: 'string' });
    // Unknown name twice: no NAME_TAKEN; unknown list: no count check; unknown element: only the count is checked.
    group(stack, 'x', name.stringValue, { billingEmails: emails.listValue });
    group(stack, 'y', name.stringValue, { billingEmails: ['a@example.com', Token.asString(emails.value)] });
    group(stack, 'z', Fn.lower('TEAM Z'), { paymentMethod: { type: 'card', reference: payment.stringValue } });
    new MainBillingGroup(stack, 'main', { ...contacts, paymentMethod: { type: 'card', reference: payment.stringValue } });
    const unknownProject = new TerraformVariable(stack, 'projects', { type: 'list(string)' });
    new ProjectLink(stack, 'l1', { projectId: Fn.element(unknownProject.listValue, 0), billingGroupId: 'bg_1' });
    new ProjectLink(stack, 'l2', { projectId: Fn.element(unknownProject.listValue, 0), billingGroupId: 'bg_2' });
    expect(checkBillingStack(stack)).toEqual({ errors: [], warnings: [] });
  });

  it('still reports what is known next to what is not', () => {
    const { stack } = newStack();
    const emails = new TerraformVariable(stack, 'emails', { type: 'list(string)' });
    group(stack, 'mixed', 'Mixed', { billingEmails: [Token.asString(emails.value), 'nope'], invoiceEmails: emails.listValue });
    expect(codes(checkBillingStack(stack).errors)).toEqual(['billing/mixed EMAIL_INVALID']);
  });

  it('checks a for_each or unknown-count resource alone', () => {
    const { stack } = newStack();
    const n = new TerraformVariable(stack, 'n', { type: 'number' });
    group(stack, 'fixed', 'Same');
    group(stack, 'counted', 'Same', { count: n.numberValue, billingEmails: ['bad'] });
    const { errors } = checkBillingStack(stack);
    // Its own fields are checked; whether its instances clash with 'fixed' is unknown (count may be 0).
    expect(codes(errors)).toEqual(['billing/counted EMAIL_INVALID']);
  });
});

describe('app.synth()', () => {
  it('fails listing every violation with its code and construct path', () => {
    const { app, stack } = newStack();
    group(stack, 'dup-1', 'Dup');
    group(stack, 'dup-2', 'dup');
    group(stack, 'bad-mail', 'Mail', { billingEmails: ['x@', 'y@example.com', 'y@example.com'] });
    new ProjectLink(stack, 'p1', { projectId: 'prj_1', billingGroupId: 'bg_1' });
    new ProjectLink(stack, 'p2', { projectId: 'prj_1', billingGroupId: 'bg_2' });
    const message = synthError(app);
    expect(message).toMatch(/^Validation failed with the following errors:/);
    const lines = message.split('\n').filter((l) => /^\s+\[billing\//.test(l)).map((l) => l.trim());
    expect(lines).toEqual([
      expect.stringMatching(/^\[billing\/dup-2\] NAME_TAKEN \(name\): The group name "dup" is already used\. /),
      expect.stringMatching(/^\[billing\/bad-mail\] EMAIL_INVALID \(billingEmails\[0\]\): "x@" is not a valid e-mail address\. /),
      expect.stringMatching(/^\[billing\/bad-mail\] BILLING_EMAILS_COUNT \(billingEmails\[2\]\): Billing e-mails must be 1 to 10 distinct addresses\. /),
      expect.stringMatching(/^\[billing\/p2\] PROJECT_MULTI_LINK \(projectId\): Project "prj_1" is linked more than once\. /),
    ]);
    expect(fs.existsSync(path.join(app.outdir, 'stacks', 'billing', 'cdk.tf.json'))).toBe(false);
  });

  it('re-checks the stack at every synth', () => {
    const { app, stack } = newStack();
    const g = group(stack, 'g', 'Good');
    expect(() => app.synth()).not.toThrow();
    g.name = ' ';
    expect(synthError(app)).toContain('[billing/g] NAME_INVALID (name)');
    g.name = 'Good again';
    expect(() => app.synth()).not.toThrow();
  });

  it('come with the provider: every stack that has one is checked, on its own', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-rules-'));
    outdirs.push(outdir);
    const app = new App({ outdir });
    const [a, b] = [new TerraformStack(app, 'a'), new TerraformStack(app, 'b')];
    for (const s of [a, b]) new CloudbillingProvider(s, 'cloudbilling'); // no enableBillingRules call
    expect(enableBillingRules(a)).toBe(enableBillingRules(a));
    group(a, 'x', 'Same');
    group(b, 'x', 'Same'); // another stack: not a clash
    expect(() => app.synth()).not.toThrow();
    const clash = group(b, 'y', 'same');
    expect(synthError(app)).toContain('[b/y] NAME_TAKEN');
    clash.name = 'Other';
    group(a, 'z', ''); // CDKTF stops at the first stack that fails: one at a time
    expect(synthError(app)).toContain('[a/z] NAME_INVALID');
  });

  it('options given after the provider enabled the rules apply at the next synth', () => {
    const { app, stack } = newStack();
    new MainBillingGroup(stack, 'main', { ...contacts, paymentMethod: card });
    for (const n of ['One', 'Two', 'Three']) group(stack, n.toLowerCase(), n);
    expect(() => app.synth()).not.toThrow();
    enableBillingRules(stack, { subGroupLimit: 2 });
    expect(synthError(app)).toContain('SUB_GROUP_LIMIT');
    enableBillingRules(stack, { subGroupLimit: 3 });
    expect(() => app.synth()).not.toThrow();
  });
});

describe('provider configurations', () => {
  it('check the resources of each provider alias (possibly another domain) on their own', () => {
    const { stack } = newStack();
    const other = new CloudbillingProvider(stack, 'other-domain', { alias: 'other', apiUrl: 'http://127.0.0.1:2' });
    const here = group(stack, 'here', 'Team');
    const there = group(stack, 'there', 'team', { provider: other });
    new ProjectLink(stack, 'link-here', { projectId: 'prj_1', billingGroupId: here.id });
    new ProjectLink(stack, 'link-there', { projectId: 'prj_1', billingGroupId: there.id, provider: other });
    expect(checkBillingStack(stack).errors).toEqual([]);
    // A reference to another configuration's group is unknown, not resolved.
    new ProjectLink(stack, 'cross', { projectId: 'prj_2', billingGroupId: there.id });
    expect(billingChanges(stack).changes.filter((c) => c.op === 'link')).toEqual([
      { op: 'link', projectId: 'prj_1', billingGroupName: 'Team', allowTransfer: false },
      { op: 'link', projectId: 'prj_2', allowTransfer: false },
    ]);
    expect(billingChanges(stack, 'cloudbilling.other').changes.filter((c) => c.op === 'link')).toEqual([
      { op: 'link', projectId: 'prj_1', billingGroupName: 'team', allowTransfer: false },
    ]);
    // Within one configuration the rules still apply.
    group(stack, 'there-again', 'TEAM', { provider: other });
    expect(codes(checkBillingStack(stack).errors)).toEqual(['billing/there-again NAME_TAKEN']);
  });
});

describe('enableBillingRules', () => {
  it('refuses the App, where CDKTF would never run it', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-rules-')) });
    outdirs.push(app.outdir);
    expect(() => enableBillingRules(app)).toThrow(/call it for each stack/);
  });

  it('given a construct inside a stack, checks the whole stack', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-rules-'));
    outdirs.push(outdir);
    const app = new App({ outdir });
    const stack = new TerraformStack(app, 'outer');
    new CloudbillingProvider(stack, 'cloudbilling');
    const team = new Construct(stack, 'team');
    const rules = enableBillingRules(team);
    expect(enableBillingRules(stack)).toBe(rules);
    new BillingGroup(team, 'inside', { name: 'Same', ...contacts, paymentMethod: card });
    group(stack, 'outside', 'same');
    expect(synthError(app)).toContain('[outer/outside] NAME_TAKEN');
  });
});
