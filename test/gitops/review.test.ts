/**
 * Fast tests of the review pipeline (no server, no Terraform): plan readers on real
 * `terraform show -json` output captured from our provider (fixtures/*.plan.json) and on
 * Pulumi preview JSON in its documented format (fixtures/pulumi-*.json), the mapping to
 * changes, the evaluation and the renderers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePlanText } from '../../provider/gitops/input';
import { review } from '../../provider/gitops/review';
import { renderJson, renderMarkdown, renderText } from '../../provider/gitops/review-format';
import { mapPlan } from '../../provider/gitops/changes';
import { REDACTED, isInputError } from '../../provider/gitops/model';
import type { DomainState } from '../../provider/domain/types';
import { domain } from '../domain/fixtures';
import { FIXTURES } from './helpers';

const NOW = new Date('2026-11-22T12:00:00Z');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const snapshot = (): DomainState => JSON.parse(fixture('snapshot.json'));
const codes = (xs: { code: string }[]) => xs.map((x) => x.code);

describe('Terraform plan JSON (captured from real terraform + our provider)', () => {
  test('for_each and module references resolve new groups by name; PROJECT_MULTI_LINK across modules', () => {
    const plan = parsePlanText(fixture('terraform-for-each-module.plan.json'));
    expect(plan.tool).toBe('terraform');
    expect(plan.resources.map((r) => `${r.address}:${r.action}`)).toEqual([
      'cloudbilling_billing_group.teams["a"]:create',
      'cloudbilling_billing_group.teams["b"]:create',
      'cloudbilling_project_link.l["a"]:create',
      'cloudbilling_project_link.l["b"]:create',
      'module.m.cloudbilling_billing_group.this:create',
      'module.m.cloudbilling_project_link.l:create',
    ]);
    const { changes } = mapPlan(plan, snapshot());
    expect(changes.filter((c) => c.op === 'link')).toEqual([
      { op: 'link', projectId: 'prj-7a6a6e788d236c5d', allowTransfer: true, billingGroupName: 'Team Ax' },
      { op: 'link', projectId: 'prj-2bcf0bf17c4ec4f2', allowTransfer: true, billingGroupName: 'Team Bx' },
      { op: 'link', projectId: 'prj-7a6a6e788d236c5d', allowTransfer: false, billingGroupName: 'Mod Group' },
    ]);
    const r = review(plan, snapshot(), { now: NOW });
    expect(r.errors).toEqual([
      expect.objectContaining({ code: 'PROJECT_MULTI_LINK', address: 'module.m.cloudbilling_project_link.l', related: ['cloudbilling_project_link.l["a"]'] }),
    ]);
    expect(r.moves.map((m) => `${m.projectName}: ${m.from} -> ${m.to} ${m.effectiveFrom}`)).toEqual([
      'api: acme -> Team Ax 2026-12-01',
      'web: Team A -> Team Bx 2026-12-01',
      'api: acme -> Mod Group 2026-12-01',
    ]);
    expect(r.exitCode).toBe(1);
  });

  test('sensitive values in the plan are never rendered; user text is escaped in Markdown', () => {
    const text = fixture('terraform-sensitive.plan.json');
    expect(text).toContain('tok_fixture_SECRET'); // terraform show -json prints sensitive values in clear
    const plan = parsePlanText(text);
    expect(plan.resources[0].after!.paymentMethod).toEqual({ type: 'card', reference: REDACTED });
    const r = review(plan, snapshot(), { now: NOW });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    for (const out of [renderMarkdown(r), renderText(r, true), renderJson(r)]) expect(out).not.toContain('tok_fixture_SECRET');
    const md = renderMarkdown(r);
    expect(md).toContain('✅ **no rule violations**');
    expect(md).toContain('Terraform plan: 1 to create');
    // A group name like "Paid <Team> | *x*" cannot inject HTML or break a table.
    const named = JSON.parse(text);
    named.resource_changes[0].change.after.name = 'Paid <b>Team</b> | *x*';
    named.resource_changes[0].change.after.payment_method = null; // NO_PAYMENT_METHOD names the group
    const html = renderMarkdown(review(parsePlanText(JSON.stringify(named)), snapshot(), { now: NOW }));
    expect(html).toContain('&lt;b&gt;Team&lt;/b&gt; \\| \\*x\\*');
    named.resource_changes[0].change.after.name = 'ACME ';
    expect(codes(review(parsePlanText(JSON.stringify(named)), snapshot(), { now: NOW }).errors)).toEqual(['NAME_TAKEN']);
  });
});

describe('Pulumi preview JSON (documented format)', () => {
  test('detects our dynamic resources by type token and by input shape; evaluates the whole preview', () => {
    const plan = parsePlanText(fixture('pulumi-preview-rules.json'));
    expect(plan.tool).toBe('pulumi');
    expect(plan.resources.map((r) => [r.label, r.kind, r.action])).toEqual([
      ['BillingGroup "platform"', 'billingGroup', 'create'],
      ['ProjectLink "api-link"', 'projectLink', 'create'],
      ['ProjectLink "api-link-2"', 'projectLink', 'create'],
    ]);
    expect(plan.otherResources).toBe(1);
    // "[secret]" payment method: present, fields unknown (so no NO_PAYMENT_METHOD false alarm).
    expect(plan.resources[0].after!.paymentMethod).toEqual({ type: undefined, reference: undefined });
    const r = review(plan, snapshot(), { now: NOW });
    expect(r.errors).toEqual([expect.objectContaining({ code: 'PROJECT_MULTI_LINK', label: 'ProjectLink "api-link-2"', related: ['ProjectLink "api-link"'] })]);
    expect(codes(r.warnings)).toEqual(['LINK_EFFECTIVE_NEXT_MONTH']);
    expect(r.moves[0]).toEqual(expect.objectContaining({ projectName: 'api', from: 'acme', to: 'Platform' }));
    const text = renderMarkdown(r);
    expect(text).toContain('Pulumi preview: 3 to create (1 other resource not reviewed)');
    expect(text).not.toContain('require('); // the serialized __provider never reaches output
  });

  test('a delete whose projects are moved in the same preview is clean; deletes listed', () => {
    const r = review(parsePlanText(fixture('pulumi-preview-delete.json')), snapshot(), { now: NOW });
    expect(r.errors).toEqual([]);
    expect(codes(r.warnings)).toEqual(['LINK_EFFECTIVE_NEXT_MONTH', 'DELETE_IRREVERSIBLE']);
    expect(r.removals).toEqual([expect.objectContaining({ label: 'BillingGroup "team-a"', action: 'delete', what: 'billing group "Team A"' })]);
    expect(r.counts).toEqual(expect.objectContaining({ update: 2, delete: 1, create: 0 }));
    expect(r.moves).toEqual([expect.objectContaining({ projectName: 'web', from: 'Team A', to: 'acme' })]);
  });

  test('a replace shown as create-replacement/replace/delete-replaced is one replace: revoke old + grant new', () => {
    const state = domain('Acme').sub('Legacy').sub('Team B').user('u1').permission('u1', 'Legacy').build();
    const urn = 'urn:pulumi:dev::p::pulumi-nodejs:dynamic/cloudbilling:GroupPermission::u1';
    const old = { urn, custom: true, id: 'sub-1/u1', type: 'pulumi-nodejs:dynamic/cloudbilling:GroupPermission', inputs: { billingGroupId: 'sub-1', userId: 'u1' } };
    const neu = { ...old, id: undefined, inputs: { billingGroupId: 'sub-2', userId: 'u1' } };
    const doc = {
      steps: [
        { op: 'create-replacement', urn, oldState: old, newState: neu, replaceReasons: ['billingGroupId'] },
        { op: 'replace', urn, oldState: old, newState: neu, replaceReasons: ['billingGroupId'] },
        { op: 'delete-replaced', urn, oldState: old },
      ],
    };
    const plan = parsePlanText(JSON.stringify(doc));
    expect(plan.resources).toHaveLength(1);
    expect(mapPlan(plan, state).changes).toEqual([
      { op: 'revoke', userId: 'u1', billingGroupId: 'sub-1' },
      { op: 'grant', userId: 'u1', billingGroupId: 'sub-2' },
    ]);
    const r = review(plan, state, { now: NOW });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]); // u1 keeps a membership: no USER_LOSES_BILLING_ACCESS
    expect(r.removals[0].reasons).toEqual(['billingGroupId']);
  });
});

test('Pulumi adopt: true on an existing group is an update of it, not a NAME_TAKEN create', () => {
  const urn = 'urn:pulumi:dev::p::pulumi-nodejs:dynamic/cloudbilling:BillingGroup::team-a';
  const step = (adopt: boolean) => ({
    op: 'create',
    urn,
    newState: {
      urn,
      custom: true,
      type: 'pulumi-nodejs:dynamic/cloudbilling:BillingGroup',
      inputs: { name: 'team a', billingEmails: ['a@example.com'], invoiceEmails: ['a@example.com'], paymentMethod: '[secret]', adopt },
    },
  });
  const adopted = review(parsePlanText(JSON.stringify({ steps: [step(true)] })), snapshot(), { now: NOW });
  expect(adopted.errors).toEqual([]);
  expect(mapPlan(parsePlanText(JSON.stringify({ steps: [step(true)] })), snapshot()).changes).toEqual([
    expect.objectContaining({ op: 'updateGroup', id: 'bg-6edaf4ef61fe2a65' }),
  ]);
  expect(adopted.notes.map((n) => n.text)).toEqual(['adopts the existing group bg-6edaf4ef61fe2a65 of that name']);
  const created = review(parsePlanText(JSON.stringify({ steps: [step(false)] })), snapshot(), { now: NOW });
  expect(codes(created.errors)).toEqual(['NAME_TAKEN']);
});

describe('mapping details', () => {
  const tfPlan = (rcs: object[], configResources: object[] = []) =>
    JSON.stringify({ format_version: '1.2', resource_changes: rcs, configuration: { root_module: { resources: configResources } } });
  const group = (id: string | null, name: string, extra: object = {}) => ({
    id,
    name,
    billing_emails: ['b@example.com'],
    invoice_emails: ['t@example.com'],
    payment_method: { type: 'card', reference: 'tok' },
    deletion_protection: false,
    ...extra,
  });

  test('a replaced group keeps its projects when their links follow it by reference', () => {
    const state = domain('Acme').sub('Team').project('p1', 'Team').build();
    const text = tfPlan(
      [
        { address: 'cloudbilling_billing_group.team', mode: 'managed', type: 'cloudbilling_billing_group', name: 'team', change: { actions: ['delete', 'create'], before: group('sub-1', 'Team'), after: group(null, 'Team', { details: { currency: 'EUR' } }), after_unknown: { id: true }, replace_paths: [['details']] } },
        { address: 'cloudbilling_project_link.p1', mode: 'managed', type: 'cloudbilling_project_link', name: 'p1', change: { actions: ['update'], before: { project_id: 'p1', billing_group_id: 'sub-1', allow_transfer: false }, after: { project_id: 'p1', allow_transfer: true }, after_unknown: { billing_group_id: true } } },
      ],
      [{ address: 'cloudbilling_project_link.p1', mode: 'managed', type: 'cloudbilling_project_link', name: 'p1', expressions: { billing_group_id: { references: ['cloudbilling_billing_group.team.id', 'cloudbilling_billing_group.team'] } } }],
    );
    const plan = parsePlanText(text);
    expect(mapPlan(plan, state).changes.map((c) => c.op)).toEqual(['deleteGroup', 'createGroup', 'link']);
    expect(mapPlan(plan, state).changes[2]).toEqual({ op: 'link', projectId: 'p1', allowTransfer: true, billingGroupName: 'Team' });
    const r = review(plan, state, { now: NOW });
    expect(r.errors).toEqual([]);
    expect(r.notes).toEqual([]);
    expect(r.removals).toEqual([expect.objectContaining({ action: 'replace', reasons: ['details'] })]);
    // Without the reference the link target stays unknown: not guessed, and the gap is noted.
    const unresolved = review(parsePlanText(text.replace(/"configuration".*$/, '"configuration":{}}')), state, { now: NOW });
    expect(unresolved.errors).toEqual([]);
    expect(unresolved.notes.map((n) => n.text)).toEqual(['the billing group is known only after apply; the move was not checked']);
    // A link to a group name that the plan does not create is GROUP_NOT_FOUND.
    const renamed = JSON.parse(text);
    renamed.resource_changes[0].change.after.name = 'Team 2';
    renamed.resource_changes[0].change.before.name = 'Team';
    expect(review(parsePlanText(JSON.stringify(renamed)), state, { now: NOW }).moves).toEqual([expect.objectContaining({ from: 'Team', to: 'Team 2' })]);
  });

  test('deletion protection, and a destroyed link of a project already in main changes nothing', () => {
    const state = domain('Acme').sub('Team').project('p1').build();
    const text = tfPlan([
      { address: 'cloudbilling_billing_group.team', mode: 'managed', type: 'cloudbilling_billing_group', name: 'team', change: { actions: ['delete'], before: group('sub-1', 'Team', { deletion_protection: true }), after: null } },
      { address: 'cloudbilling_project_link.p1', mode: 'managed', type: 'cloudbilling_project_link', name: 'p1', change: { actions: ['delete'], before: { project_id: 'p1', billing_group_id: 'main' }, after: null } },
      { address: 'data.cloudbilling_domain.d', mode: 'data', type: 'cloudbilling_domain', name: 'd', change: { actions: ['read'] } },
      { address: 'terraform_data.x', mode: 'managed', type: 'terraform_data', name: 'x', change: { actions: ['create'], before: null, after: {} } },
    ]);
    const plan = parsePlanText(text);
    expect(plan.otherResources).toBe(1);
    const r = review(plan, state, { now: NOW });
    expect(codes(r.errors)).toEqual(['DELETION_PROTECTED']);
    expect(r.changes).toBe(1);
    expect(r.notes.map((n) => n.address)).toEqual(['cloudbilling_project_link.p1']);
  });

  test('unreadable input is an InputError that never quotes the input', () => {
    const bad = ['', 'tok_SECRET not json', '{"format_version":"1.2","resource_changes":[{"address":"a","type":"cloudbilling_project_link","change":{"actions":["explode"]}}]}', '{"hello":1}'];
    for (const text of bad) {
      let err: unknown;
      try {
        parsePlanText(text);
      } catch (e) {
        err = e;
      }
      expect(isInputError(err)).toBe(true);
      expect((err as Error).message).not.toContain('SECRET');
    }
  });
});

describe('rendering', () => {
  test('a plan with 5,000 changes still fits one GitHub comment', () => {
    const b = domain('Acme').sub('Big');
    for (let i = 0; i < 5000; i++) b.project(`p${i}`);
    const state = b.build();
    const rcs = Array.from({ length: 5000 }, (_, i) => ({
      address: `cloudbilling_project_link.p${i}`,
      mode: 'managed',
      type: 'cloudbilling_project_link',
      name: `p${i}`,
      change: { actions: ['create'], before: null, after: { project_id: `p${i}`, billing_group_id: 'sub-1', allow_transfer: false }, after_unknown: {} },
    }));
    const r = review(parsePlanText(JSON.stringify({ format_version: '1.2', resource_changes: rcs })), state, { now: NOW });
    expect(r.warnings).toHaveLength(5000);
    const md = renderMarkdown(r);
    expect(md.length).toBeLessThan(65_536);
    expect(md).toContain('and 4900 more warnings');
    expect(md).toMatch(/\| … \d+ more \| \|/);
  });

  test('text output is plain unless colour is asked for', () => {
    const state = domain('Acme').build();
    const plan = parsePlanText(JSON.stringify({ format_version: '1.2', resource_changes: [] }));
    const r = review(plan, state, { now: NOW });
    expect(renderText(r, false)).not.toContain('\u001b[');
    expect(renderText(r, true)).toContain('\u001b[32m');
    expect(renderText(r, false)).toContain('no cloudbilling changes');
  });
});
