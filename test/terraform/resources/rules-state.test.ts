/**
 * The change session judges a link/unlink or a grant/revoke with only the projects it
 * reads (O(groups) per planned resource instead of O(projects)): the diagnostics must be
 * exactly those of the whole state, for every code these changes can raise.
 */
import { evaluate } from '../../../provider/domain/rules';
import { ChangeSession } from '../../../provider/terraform/change-session';
import type { Change, Diagnostic } from '../../../provider/domain/types';
import { domain } from '../../domain/fixtures';

const builder = domain().subs(3).user('u-1').user('u-2').user('u-3').permission('u-1', 'Team 1').permission('u-2', 'Team 1').permission('u-2', 'Team 2');
for (let i = 0; i < 50; i++) builder.project(`p-${i}`, i % 4 === 0 ? undefined : `Team ${1 + (i % 3)}`);
const state = builder.build();
const team = (n: number) => builder.idOf(`Team ${n}`);

/** What ruleDiagnostics returned before slicing: the whole state, diagnostics without index/path. */
function wholeState(changes: Change[]): Omit<Diagnostic, 'index' | 'path'>[] {
  const r = evaluate(state, changes);
  return [...r.errors, ...r.warnings].map(({ index: _i, path: _p, ...rest }) => rest);
}
const withoutPaths = (ds: Diagnostic[]) => ds.map(({ path: _p, ...rest }) => rest);

/** Each change its own resource, judged in order by one session (as a plan walk does). */
async function judged(changes: Change[]): Promise<Omit<Diagnostic, 'path'>[]> {
  const session = new ChangeSession(() => ({}) as never, { workspace: 'test', managedBy: 'test' });
  // Keyed as Terraform's resources are: two links of one project share a key.
  const keyOf = (c: Change) => (c.op === 'link' || c.op === 'unlink' ? `link:${c.projectId}` : c.op === 'grant' || c.op === 'revoke' ? `perm:${c.billingGroupId}/${c.userId}` : c.op);
  const entries = changes.map((c) => ({ key: keyOf(c), action: 'update' as const, changes: [c], pending: false }));
  entries.forEach((e) => session.add(e));
  const out: Diagnostic[] = [];
  for (const e of entries) out.push(...(await session.judge(e, state)));
  const order = (ds: Omit<Diagnostic, 'path'>[]) => [...ds].sort((a, b) => (a.code + a.detail < b.code + b.detail ? -1 : 1));
  return order(withoutPaths(out));
}
const sorted = (ds: Omit<Diagnostic, 'index' | 'path'>[]) => [...ds].sort((a, b) => (a.code + a.detail < b.code + b.detail ? -1 : 1));

const linkChanges: Change[][] = [
  [{ op: 'link', projectId: 'p-0', billingGroupId: team(1) }], // main -> sub: LINK_EFFECTIVE_NEXT_MONTH
  [{ op: 'link', projectId: 'p-1', billingGroupId: team(2) }], // sub -> sub without ack: TRANSFER_NOT_ACKNOWLEDGED
  [{ op: 'link', projectId: 'p-1', billingGroupId: team(3), allowTransfer: true }],
  [{ op: 'link', projectId: 'p-1', billingGroupId: team(2) }, { op: 'link', projectId: 'p-1', billingGroupId: team(3) }], // PROJECT_MULTI_LINK
  [{ op: 'link', projectId: 'p-0', billingGroupId: state.domain.mainGroupId }], // MAIN_UNLINK_FORBIDDEN
  [{ op: 'link', projectId: 'p-1', billingGroupId: team(2) }, { op: 'link', projectId: 'p-5', billingGroupId: team(2) }], // p-5 is already in Team 2
  [{ op: 'link', projectId: 'nope', billingGroupId: team(1) }], // PROJECT_NOT_FOUND
  [{ op: 'link', projectId: 'p-2', billingGroupId: 'no-such-group' }], // GROUP_NOT_FOUND
  [{ op: 'link', projectId: 'p-2', billingGroupName: 'team 1' }], // by name
  [{ op: 'link', projectId: 'p-2', billingGroupId: undefined }], // unknown target
  [{ op: 'unlink', projectId: 'p-3' }],
  [{ op: 'unlink', projectId: 'p-4' }], // in main: MAIN_UNLINK_FORBIDDEN
  [{ op: 'unlink', projectId: 'nope' }],
];
const permissionChanges: Change[][] = [
  [{ op: 'grant', userId: 'u-3', billingGroupId: team(1) }],
  [{ op: 'grant', userId: 'nobody', billingGroupId: team(1) }], // USER_NOT_FOUND
  [{ op: 'grant', userId: 'u-3', billingGroupId: 'no-such-group' }], // GROUP_NOT_FOUND
  [{ op: 'revoke', userId: 'u-1', billingGroupId: team(1) }], // USER_LOSES_BILLING_ACCESS
  [{ op: 'revoke', userId: 'u-2', billingGroupId: team(1) }], // still a member of Team 2
  [{ op: 'revoke', userId: 'u-1', billingGroupId: team(1) }, { op: 'grant', userId: 'u-1', billingGroupId: team(3) }],
];

test.each(linkChanges.map((c) => [JSON.stringify(c), c]))('link/unlink %s: same diagnostics as the whole state', async (_name, changes) => {
  expect(await judged(changes as Change[])).toEqual(sorted(wholeState(changes as Change[])));
});

test.each(permissionChanges.map((c) => [JSON.stringify(c), c]))('grant/revoke %s: same diagnostics as the whole state', async (_name, changes) => {
  expect(await judged(changes as Change[])).toEqual(sorted(wholeState(changes as Change[])));
});

test('the cases raise the codes they are meant to cover', () => {
  const all = [...linkChanges, ...permissionChanges].flatMap((c) => wholeState(c).map((d) => d.code));
  for (const code of ['LINK_EFFECTIVE_NEXT_MONTH', 'TRANSFER_NOT_ACKNOWLEDGED', 'PROJECT_MULTI_LINK', 'MAIN_UNLINK_FORBIDDEN', 'PROJECT_NOT_FOUND', 'GROUP_NOT_FOUND', 'USER_NOT_FOUND', 'USER_LOSES_BILLING_ACCESS']) {
    expect(all).toContain(code);
  }
});
