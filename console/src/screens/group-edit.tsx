/**
 * Modify a group (SPEC §9). What the rules forbid to change is read-only with the rule's code
 * and sentence, asked of POST /v1/plan (renaming the main group: MAIN_GROUP_IMMUTABLE_NAME).
 * Only changed fields are sent, with If-Match; a managed group warns about drift first.
 */
import { useEffect, useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import type { DomainInfo } from '../../../provider/domain/types';
import { call, enc, get, plan, type Violation } from '../api';
import { useManagedGuard } from '../managed';
import { Failure, Loading, ManagedMark, Rules, useLoad } from '../ui';
import { fieldsOf, GroupFormFields, patchOf, type GroupFields } from './group-form';
import type { ManagedGroup } from './group-list';

export function GroupEdit(props: { id: string; domain: DomainInfo }) {
  const [, navigate] = useLocation();
  const data = useLoad(async () => {
    const group = await get<ManagedGroup>(`/v1/billing-groups/${enc(props.id)}`);
    const probe = await plan([{ op: 'updateGroup', id: group.id, group: { name: `${group.name} (renamed)` } }]);
    const nameLock = probe.errors.find((e) => e.path?.[0] === 'name' && e.code !== 'NAME_TAKEN' && e.code !== 'NAME_INVALID') ?? null;
    return { group, nameLock };
  }, [props.id]);
  const [f, setF] = useState<GroupFields | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [warnings, setWarnings] = useState<Violation[]>([]);
  const [busy, setBusy] = useState(false);
  const managed = useManagedGuard();
  useEffect(() => {
    if (data.data) setF(fieldsOf(data.data.group));
  }, [data.data]);
  if (data.error) return <Failure error={data.error} />;
  if (!data.data || !f) return <Loading what="the billing group" />;
  const { group, nameLock } = data.data;
  const patch = patchOf(group, f);
  if (nameLock) delete patch.name;
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await call<{ warnings: Violation[] }>('PATCH', `/v1/billing-groups/${enc(group.id)}`, { body: patch, headers: { 'if-match': `"${group.version}"` } });
      setWarnings(r.warnings);
      if (r.warnings.length === 0) navigate(`/groups/${group.id}/billing`);
      else data.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    const resource = group.type === 'main' ? 'mainBillingGroup' : 'billingGroup';
    managed.guard({ managedBy: group.managedBy, what: 'change this group', resource, label: group.name, values: patch }, save);
  };
  return (
    <section aria-labelledby="edit-title">
      <nav aria-label="Breadcrumb" class="crumbs">
        <Link href="/">Billing groups</Link> / <Link href={`/groups/${group.id}`}>{group.name}</Link> / <span aria-current="page">Modify</span>
      </nav>
      <div class="title-row">
        <h1 id="edit-title">Modify "{group.name}"</h1>
        <ManagedMark by={group.managedBy} />
      </div>
      <form onSubmit={submit} class="page-form">
        <GroupFormFields f={f} set={setF} nameLocked={nameLock} editing error={error} />
        <Failure error={error} title="Nothing was changed:" />
        {warnings.length > 0 && <Rules rules={warnings} kind="warning" title="Saved, with warnings:" />}
        <div class="actions">
          <Link href={`/groups/${group.id}/billing`} class="button">
            Cancel
          </Link>
          <button type="submit" class="primary" disabled={busy || Object.keys(patch).length === 0}>
            Save changes
          </button>
        </div>
      </form>
      {managed.element}
    </section>
  );
}
