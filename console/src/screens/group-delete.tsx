/**
 * Delete a group (SPEC §9): the dialog first asks POST /v1/plan for the delete's verdict and
 * shows the rules that block it (DELETE_HAS_PROJECTS, DELETE_OUTSTANDING_BALANCE, ...) and its
 * warnings; the user types the group's name, which the API checks (DELETE_CONFIRMATION).
 */
import { useState } from 'preact/hooks';
import { call, enc, plan } from '../api';
import { useManagedGuard } from '../managed';
import { Dialog, Failure, Loading, Rules, useLoad } from '../ui';
import type { ManagedGroup } from './group-list';

export function DeleteDialog(props: { group: ManagedGroup; onClose: () => void; onDeleted: () => void }) {
  const g = props.group;
  const verdict = useLoad(() => plan([{ op: 'deleteGroup', id: g.id }]), [g.id]);
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const managed = useManagedGuard();
  const blocked = !verdict.data || verdict.data.errors.length > 0;
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await call('DELETE', `/v1/billing-groups/${enc(g.id)}?confirmName=${enc(typed)}`);
      props.onDeleted();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    managed.guard(
      { managedBy: g.managedBy, what: 'delete this group', resource: g.type === 'main' ? 'mainBillingGroup' : 'billingGroup', label: g.name, values: { name: g.name }, removal: true },
      remove,
    );
  };
  return (
    <>
      <Dialog title={`Delete billing group "${g.name}"`} open onClose={props.onClose} labelId="delete-title">
        {verdict.loading && <Loading what="the delete rules" />}
        <Failure error={verdict.error} />
        {verdict.data && (
          <>
            <Rules rules={verdict.data.errors} kind="error" title="These rules block the delete:" />
            <Rules rules={verdict.data.warnings} kind="warning" title="Before you delete:" />
          </>
        )}
        <form onSubmit={submit}>
          <label for="confirm-name" class="block">
            Type the group's name to confirm
          </label>
          <input id="confirm-name" value={typed} autoComplete="off" disabled={blocked} onInput={(e) => setTyped((e.target as HTMLInputElement).value)} />
          <Failure error={error} title="Nothing was deleted:" />
          <div class="actions">
            <button type="button" onClick={props.onClose}>
              Cancel
            </button>
            <button type="submit" class="danger" disabled={blocked || busy || typed === ''}>
              Delete group
            </button>
          </div>
        </form>
      </Dialog>
      {managed.element}
    </>
  );
}
