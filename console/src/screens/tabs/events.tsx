/** Events (SPEC §9): the group's event log, newest first, a page at a time (the API's cursor). */
import { useState } from 'preact/hooks';
import type { BillingEvent, List, Snapshot } from '../../../../provider/client/types';
import { enc, get } from '../../api';
import { Failure, Loading, ManagedMark, useLoad, when } from '../../ui';
import { userLabel } from '../group-list';
import type { TabProps } from '../group-page';

type ManagedEvent = BillingEvent; // managedBy: the API's record (SPEC §9)

export function EventsTab(props: TabProps) {
  const g = props.group;
  const [pages, setPages] = useState<ManagedEvent[][]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [more, setMore] = useState<unknown>(null);
  const first = useLoad(async () => {
    const [ev, snap] = await Promise.all([get<List<ManagedEvent>>(`/v1/billing-groups/${enc(g.id)}/events?limit=50`), get<Snapshot>('/v1/snapshot')]);
    setPages([]);
    setCursor(ev.nextCursor);
    // Ids the caller can see, shown by name; others stay ids.
    const names = new Map<string, string>([...snap.groups.map((x) => [x.id, x.name] as const), ...snap.projects.map((x) => [x.id, x.name] as const), ...snap.users.map((x) => [x.id, x.email] as const)]);
    return { items: ev.items, users: snap.users, names };
  }, [g.id, g.version]);
  const loadMore = async () => {
    try {
      const ev = await get<List<ManagedEvent>>(`/v1/billing-groups/${enc(g.id)}/events?limit=50&cursor=${enc(cursor!)}`);
      setPages((p) => [...p, ev.items]);
      setCursor(ev.nextCursor);
    } catch (e) {
      setMore(e);
    }
  };
  if (first.error) return <Failure error={first.error} />;
  if (!first.data) return <Loading what="events" />;
  const items = [...first.data.items, ...pages.flat()];
  return (
    <div>
      <h2>Events</h2>
      {items.length === 0 ? (
        <p>No events.</p>
      ) : (
        <table class="events">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.id}>
                <td class="date">{when(e.at)}</td>
                <td>
                  {userLabel(first.data!.users, e.actor)} <ManagedMark by={e.managedBy} />
                </td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>{first.data!.names.get(e.target) ?? <code>{e.target}</code>}</td>
                <td class="change">{describe(e, first.data!.names)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Failure error={more} />
      {cursor && (
        <button type="button" onClick={loadMore}>
          Show older events
        </button>
      )}
    </div>
  );
}

/** The fields an event changed, `key: before → after`, values as the API returned them. */
function describe(e: BillingEvent, names: Map<string, string>): string {
  const b = (e.before ?? {}) as Record<string, unknown>;
  const a = (e.after ?? {}) as Record<string, unknown>;
  if (typeof b !== 'object' || typeof a !== 'object') return '';
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]) && !['id', 'version', 'updatedAt', 'createdAt', 'managedBy'].includes(k));
  const show = (v: unknown) => (v === undefined || v === null ? '—' : typeof v === 'string' ? (names.get(v) ?? v) : JSON.stringify(v));
  return keys
    .slice(0, 4)
    .map((k) => (e.before == null ? `${k}: ${show(a[k])}` : e.after == null ? `${k}: ${show(b[k])} → —` : `${k}: ${show(b[k])} → ${show(a[k])}`))
    .join('; ');
}
