/**
 * The billing group list (SPEC §9): name, payment method, connected projects (for main the
 * domain total and its own), last updated, created at, creator; and the create dialog,
 * disabled with the API's reason (POST /v1/plan of a create) while a rule blocks creating.
 */
import { useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import type { ApiWarning, List } from '../../../provider/client/types';
import type { DomainInfo, Group, User } from '../../../provider/domain/types';
import { call, get, plan, type Violation } from '../api';
import { Dialog, Failure, Loading, ManagedMark, Rules, useLoad, when } from '../ui';
import { emptyFields, GroupFormFields, inputOf } from './group-form';

export type ManagedGroup = Group; // managedBy: the API's record (SPEC §9)

export function paymentText(g: Group): string {
  if (!g.paymentMethod) return 'None';
  const kind = g.paymentMethod.type === 'card' ? 'Card' : 'Account';
  return g.paymentMethod.reference ? `${kind} · ${g.paymentMethod.reference}` : kind;
}

export function userLabel(users: User[] | undefined, id: string): string {
  // Users the caller may not see (a member sees only themself) show as their id.
  const u = users?.find((x) => x.id === id);
  return u ? `${u.name} <${u.email}>` : id;
}

export function GroupList(props: { domain: DomainInfo }) {
  const data = useLoad(async () => {
    const [groups, users, probe] = await Promise.all([
      get<List<ManagedGroup>>('/v1/billing-groups'),
      get<List<User>>('/v1/users'),
      // What would stop a new sub group right now (MAIN_PAYMENT_REQUIRED, SUB_GROUP_LIMIT, FORBIDDEN):
      // the rules' verdict on a create, ignoring what is about the placeholder's own fields.
      plan([{ op: 'createGroup', group: { name: 'New group', billingEmails: ['new-group@example.com'], invoiceEmails: ['new-group@example.com'] } }]),
    ]);
    return { groups: groups.items, users: users.items, blockers: probe.errors.filter((e) => !e.path || e.path.length === 0) };
  }, []);
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<{ text: string; warnings: ApiWarning[] } | null>(null);

  return (
    <section aria-labelledby="groups-title">
      <div class="title-row">
        <h1 id="groups-title">Billing groups</h1>
        {data.data && (
          <div class="create">
            <button type="button" class="primary" disabled={data.data.blockers.length > 0} aria-describedby={data.data.blockers.length ? 'create-blocked' : undefined} onClick={() => setCreating(true)}>
              Create billing group
            </button>
          </div>
        )}
      </div>
      {data.data && data.data.blockers.length > 0 && (
        <div id="create-blocked">
          <Rules rules={data.data.blockers} kind="warning" title="Creating a billing group is not possible now:" />
        </div>
      )}
      {notice && (
        <div class="notice" role="status">
          <p>{notice.text}</p>
          <Rules rules={notice.warnings} kind="warning" />
        </div>
      )}
      {data.loading && !data.data && <Loading what="billing groups" />}
      <Failure error={data.error} />
      {data.data && (
        <table class="groups">
          <caption class="sr-only">Billing groups of domain {props.domain.name}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Payment method</th>
              <th scope="col">Connected projects</th>
              <th scope="col">Last updated</th>
              <th scope="col">Created at</th>
              <th scope="col">Creator</th>
            </tr>
          </thead>
          <tbody>
            {data.data.groups.map((g) => (
              <tr key={g.id}>
                <th scope="row">
                  <Link href={`/groups/${g.id}`}>{g.name}</Link>
                  {g.type === 'main' && <span class="badge">main</span>}
                  <ManagedMark by={g.managedBy} />
                </th>
                <td>{paymentText(g)}</td>
                <td>{g.type === 'main' && g.totalProjectCount !== undefined ? `${g.totalProjectCount} in the domain (${g.projectCount} own)` : String(g.projectCount)}</td>
                <td class="date">{when(g.updatedAt)}</td>
                <td class="date">{when(g.createdAt)}</td>
                <td>
                  <Creator users={data.data!.users} id={g.createdBy} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <CreateDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(g, warnings) => {
          setCreating(false);
          setNotice({ text: `Created billing group "${g.name}".`, warnings });
          data.reload();
        }}
      />
    </section>
  );
}

function CreateDialog(props: { open: boolean; onClose: () => void; onCreated: (g: Group, w: ApiWarning[]) => void }) {
  const [f, setF] = useState(emptyFields);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const close = () => (setError(null), setF(emptyFields), props.onClose());
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await call<Group & { warnings: Violation[] }>('POST', '/v1/billing-groups', { body: inputOf(f) });
      setF(emptyFields);
      props.onCreated(r, r.warnings);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title="Create billing group" open={props.open} onClose={close}>
      <form onSubmit={submit}>
        <GroupFormFields f={f} set={setF} error={error} />
        <Failure error={error} title="Nothing was created:" />
        <div class="actions">
          <button type="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Create
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function Creator(props: { users: User[]; id: string }) {
  const u = props.users.find((x) => x.id === props.id);
  if (!u) return <code>{props.id}</code>;
  return (
    <>
      {u.name}
      <br />
      <span class="help">{u.email}</span>
    </>
  );
}
