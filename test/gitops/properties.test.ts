/**
 * Property tests of review on random Terraform plans: it never throws, never prints a
 * payment reference in any format, maps every diagnostic to a planned resource, and its
 * exit code says whether there are errors.
 */
import fc from 'fast-check';
import { parsePlanText } from '../../provider/gitops/input';
import { review } from '../../provider/gitops/review';
import { renderJson, renderMarkdown, renderText } from '../../provider/gitops/review-format';
import { domain } from '../domain/fixtures';

const NOW = new Date('2026-11-22T12:00:00Z');
const state = domain('Acme').sub('Team 1').sub('Team 2').project('p1', 'Team 1').project('p2').project('p3', 'Team 2').user('u1').permission('u1', 'Team 1').build();
const groupIds = ['main', 'sub-1', 'sub-2', 'sub-404'];

const secret = fc.stringMatching(/^tok_[A-Za-z0-9]{12}$/);
const name = fc.oneof(fc.constantFrom('Team 1', 'team 2 ', 'New', 'Acme', '', 'x'.repeat(70)), fc.string({ maxLength: 12 }));
const email = fc.constantFrom('a@example.com', 'b@example.com', 'not-an-email', 'A@EXAMPLE.COM');

const groupAttrs = fc.record({
  name,
  billing_emails: fc.array(email, { maxLength: 3 }),
  invoice_emails: fc.array(email, { maxLength: 3 }),
  payment_method: fc.option(fc.record({ type: fc.constantFrom('card', 'account'), reference: secret })),
  deletion_protection: fc.boolean(),
});

const resourceChange = fc.oneof(
  fc.record({ kind: fc.constant('group' as const), action: fc.constantFrom(['create'], ['update'], ['delete'], ['delete', 'create'], ['no-op']), id: fc.constantFrom('sub-1', 'sub-2', 'sub-404'), before: groupAttrs, after: groupAttrs }),
  fc.record({ kind: fc.constant('link' as const), action: fc.constantFrom(['create'], ['update'], ['delete']), project: fc.constantFrom('p1', 'p2', 'p3', 'p404'), group: fc.constantFrom(...groupIds), transfer: fc.boolean(), unknown: fc.boolean() }),
  fc.record({ kind: fc.constant('perm' as const), action: fc.constantFrom(['create'], ['delete'], ['delete', 'create']), user: fc.constantFrom('u1', 'u-admin', 'u404'), group: fc.constantFrom(...groupIds) }),
);

type ResourceChangeCase = typeof resourceChange extends fc.Arbitrary<infer T> ? T : never;

function toPlan(rcs: ResourceChangeCase[]) {
  const resource_changes = rcs.map((r, i) => {
    const actions: string[] = [...r.action];
    if (r.kind === 'group') {
      return {
        address: `cloudbilling_billing_group.g${i}`, mode: 'managed', type: 'cloudbilling_billing_group', name: `g${i}`,
        change: {
          actions,
          before: actions[0] === 'create' && actions.length === 1 ? null : { ...r.before, id: r.id },
          after: actions[0] === 'delete' && actions.length === 1 ? null : { ...r.after, id: actions.includes('create') ? null : r.id },
          after_unknown: actions.includes('create') ? { id: true } : {},
          after_sensitive: { payment_method: { reference: true } },
          before_sensitive: { payment_method: { reference: true } },
        },
      };
    }
    if (r.kind === 'link') {
      const after = { project_id: r.project, billing_group_id: r.unknown ? undefined : r.group, allow_transfer: r.transfer };
      return {
        address: `cloudbilling_project_link.l${i}`, mode: 'managed', type: 'cloudbilling_project_link', name: `l${i}`,
        change: { actions, before: actions[0] === 'create' ? null : { project_id: r.project, billing_group_id: 'sub-1', allow_transfer: false }, after: actions[0] === 'delete' ? null : after, after_unknown: r.unknown ? { billing_group_id: true } : {} },
      };
    }
    return {
      address: `cloudbilling_group_permission.m${i}`, mode: 'managed', type: 'cloudbilling_group_permission', name: `m${i}`,
      change: { actions, before: actions[0] === 'create' ? null : { billing_group_id: r.group, user_id: r.user }, after: actions[0] === 'delete' && actions.length === 1 ? null : { billing_group_id: r.group, user_id: r.user } },
    };
  });
  return JSON.stringify({ format_version: '1.2', resource_changes });
}

test('review of any plan: no throw, no secret printed, every finding has an address, exit code = errors present', () => {
  fc.assert(
    fc.property(fc.array(resourceChange, { maxLength: 12 }), fc.boolean(), (rcs, strict) => {
      const text = toPlan(rcs);
      const secrets = [...text.matchAll(/tok_[A-Za-z0-9]{12}/g)].map((m) => m[0]);
      const plan = parsePlanText(text);
      const r = review(plan, state, { now: NOW, strict });
      const outputs = [renderMarkdown(r), renderText(r, true), renderJson(r)];
      for (const out of outputs) for (const s of secrets) expect(out).not.toContain(s);
      for (const f of [...r.errors, ...r.warnings]) expect(f.address).toMatch(/^cloudbilling_/);
      expect(r.exitCode).toBe(r.errors.length > 0 ? 1 : 0);
      if (strict) expect(r.warnings).toEqual([]);
    }),
    { numRuns: 300 },
  );
});
