/**
 * Permissions (SPEC §9): the group's members; add one; remove one after the rules' verdict
 * (POST /v1/plan of the revoke), which warns with USER_LOSES_BILLING_ACCESS when it is the
 * user's last membership.
 */
import { useState } from 'preact/hooks';
import type { List, PlanResponse } from '../../../../provider/client/types';
import type { Permission, User } from '../../../../provider/domain/types';
import { call, enc, get, plan, type Violation } from '../../api';
import { useManagedGuard } from '../../managed';
import { Dialog, Failure, Loading, ManagedMark, Rules, useLoad, when } from '../../ui';
import { userLabel } from '../group-list';
import type { TabProps } from '../group-page';

type ManagedPermission = Permission; // managedBy: the API's record (SPEC §9)

export function PermissionsTab(props: TabProps) {
  const g = props.group;
  const data = useLoad(async () => {
    const [perms, users] = await Promise.all([get<List<ManagedPermission>>(`/v1/billing-groups/${enc(g.id)}/permissions`), get<List<User>>('/v1/users')]);
    return { perms: perms.items, users: users.items };
  }, [g.id]);
  const [userId, setUserId] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<{ text: string; warnings: Violation[] } | null>(null);
  const [removing, setRemoving] = useState<{ perm: ManagedPermission; verdict: PlanResponse } | null>(null);
  const managed = useManagedGuard();

  const grant = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setNotice(null);
    try {
      const r = await call<{ warnings: Violation[] }>('PUT', `/v1/billing-groups/${enc(g.id)}/permissions/${enc(userId)}`);
      setNotice({ text: `${userLabel(data.data?.users, userId)} is now a member.`, warnings: r.warnings });
      setUserId('');
      data.reload();
    } catch (err) {
      setError(err);
    }
  };
  const askRemove = async (perm: ManagedPermission) => {
    setError(null);
    setNotice(null);
    try {
      setRemoving({ perm, verdict: await plan([{ op: 'revoke', userId: perm.userId, billingGroupId: g.id }]) });
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (perm: ManagedPermission) => {
    try {
      const r = await call<{ warnings: Violation[] }>('DELETE', `/v1/billing-groups/${enc(g.id)}/permissions/${enc(perm.userId)}`);
      setRemoving(null);
      setNotice({ text: `${userLabel(data.data?.users, perm.userId)} is no longer a member.`, warnings: r.warnings });
      data.reload();
    } catch (err) {
      setRemoving(null);
      setError(err);
    }
  };

  if (data.error) return <Failure error={data.error} />;
  if (!data.data) return <Loading what="permissions" />;
  const { perms, users } = data.data;
  const candidates = users.filter((u) => !perms.some((p) => p.userId === u.id));
  return (
    <div>
      <h2>Members</h2>
      {notice && (
        <div class="notice" role="status">
          <p>{notice.text}</p>
          <Rules rules={notice.warnings} kind="warning" />
        </div>
      )}
      <Failure error={error} title="Nothing was changed:" />
      {perms.length === 0 ? (
        <p>No members. Billing admins see every group.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Member since</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {perms.map((p) => (
              <tr key={p.userId}>
                <th scope="row">
                  {userLabel(users, p.userId)} <ManagedMark by={p.managedBy} />
                </th>
                <td>{when(p.createdAt)}</td>
                <td>
                  <button type="button" onClick={() => askRemove(p)} aria-label={`Remove ${userLabel(users, p.userId)}`}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {candidates.length > 0 && (
        <form onSubmit={grant} class="inline-form">
          <label for="grant-user">Add a member</label>
          <select id="grant-user" value={userId} required onChange={(e) => setUserId((e.target as HTMLSelectElement).value)}>
            <option value="">Choose a user…</option>
            {candidates.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} &lt;{u.email}&gt;{u.role ? ` (${u.role})` : ''}
              </option>
            ))}
          </select>
          <button type="submit" class="primary" disabled={userId === ''}>
            Add
          </button>
        </form>
      )}
      {removing && (
        <Dialog title={`Remove ${userLabel(users, removing.perm.userId)}?`} open onClose={() => setRemoving(null)} labelId="remove-title">
          <Rules rules={removing.verdict.errors} kind="error" title="These rules block it:" />
          <Rules rules={removing.verdict.warnings} kind="warning" title="Warning:" />
          {removing.verdict.errors.length === 0 && removing.verdict.warnings.length === 0 && <p>The user keeps their other memberships.</p>}
          <div class="actions">
            <button type="button" onClick={() => setRemoving(null)}>
              Cancel
            </button>
            <button
              type="button"
              class="danger"
              disabled={removing.verdict.errors.length > 0}
              onClick={() => {
                const perm = removing.perm;
                managed.guard(
                  { managedBy: perm.managedBy, what: 'remove this membership', resource: 'groupPermission', label: `${g.name} ${userLabel(users, perm.userId).split(' <')[0]}`, values: { billingGroupId: g.id, userId: perm.userId }, removal: true },
                  () => revoke(perm),
                );
              }}
            >
              Remove member
            </button>
          </div>
        </Dialog>
      )}
      {managed.element}
    </div>
  );
}
