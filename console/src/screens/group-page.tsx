/**
 * A group's page (SPEC §9): its heading, Modify and Delete, and the tabs Overview, Projects,
 * Invoices, Credits, Events, Permissions and Billing information (ARIA tabs; the selected
 * tab is part of the hash route, arrow keys move between tabs).
 */
import { useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import type { DomainInfo } from '../../../provider/domain/types';
import { enc, get, plan } from '../api';
import { Failure, Loading, ManagedMark, Rules, useLoad } from '../ui';
import { DeleteDialog } from './group-delete';
import type { ManagedGroup } from './group-list';
import { BillingTab } from './tabs/billing';
import { CreditsTab } from './tabs/credits';
import { EventsTab } from './tabs/events';
import { InvoicesTab } from './tabs/invoices';
import { OverviewTab } from './tabs/overview';
import { PermissionsTab } from './tabs/permissions';
import { ProjectsTab } from './tabs/projects';

export const TABS = [
  ['overview', 'Overview'],
  ['projects', 'Projects'],
  ['invoices', 'Invoices'],
  ['credits', 'Credits'],
  ['events', 'Events'],
  ['permissions', 'Permissions'],
  ['billing', 'Billing information'],
] as const;
export type TabKey = (typeof TABS)[number][0];

export interface TabProps {
  group: ManagedGroup;
  domain: DomainInfo;
  /** Reload the group (its counts and version change with the tab's writes). */
  changed: () => void;
  /** False when the rules refuse this caller any change to the group (FORBIDDEN). */
  canChange: boolean;
}

export function GroupPage(props: { id: string; tab: string; domain: DomainInfo }) {
  const [, navigate] = useLocation();
  const g = useLoad(() => get<ManagedGroup>(`/v1/billing-groups/${enc(props.id)}`), [props.id]);
  // May this caller change the group at all? The rules' verdict on an empty change (FORBIDDEN for a member).
  const may = useLoad(() => plan([{ op: 'updateGroup', id: props.id, group: {} }]), [props.id]);
  const readOnly = may.data?.errors.filter((e) => e.code === 'FORBIDDEN') ?? [];
  const [deleting, setDeleting] = useState(false);
  const tab = (TABS.find(([k]) => k === props.tab)?.[0] ?? 'overview') as TabKey;
  if (g.error) {
    return (
      <section>
        <h1>Billing group</h1>
        <Failure error={g.error} />
        <p>
          <Link href="/">Back to the billing groups</Link>
        </p>
      </section>
    );
  }
  if (!g.data) return <Loading what="the billing group" />;
  const group = g.data;
  const select = (k: TabKey, focus = false) => {
    navigate(`/groups/${group.id}/${k}`);
    if (focus) setTimeout(() => document.getElementById(`tab-${k}`)?.focus(), 0);
  };
  const onKey = (e: KeyboardEvent) => {
    const i = TABS.findIndex(([k]) => k === tab);
    const to = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? TABS.length - 1 : null;
    if (to === null) return;
    e.preventDefault();
    select(TABS[(to + TABS.length) % TABS.length][0], true);
  };
  const tabProps: TabProps = { group, domain: props.domain, changed: g.reload, canChange: !!may.data && readOnly.length === 0 };
  return (
    <section aria-labelledby="group-title">
      <nav aria-label="Breadcrumb" class="crumbs">
        <Link href="/">Billing groups</Link> / <span aria-current="page">{group.name}</span>
      </nav>
      <div class="title-row">
        <h1 id="group-title">
          {group.name} <span class="badge">{group.type}</span>
        </h1>
        <ManagedMark by={group.managedBy} />
        {may.data && readOnly.length === 0 && (
          <div class="create">
            <Link href={`/groups/${group.id}/edit`} class="button">
              Modify
            </Link>
            <button type="button" class="danger" onClick={() => setDeleting(true)}>
              Delete
            </button>
          </div>
        )}
      </div>
      <Rules rules={readOnly} kind="warning" title="You can read this group; changing it is not possible:" />
      <div role="tablist" aria-label={`${group.name} sections`} class="tabs" onKeyDown={onKey}>
        {TABS.map(([k, label]) => (
          <button
            key={k}
            type="button"
            role="tab"
            id={`tab-${k}`}
            aria-selected={k === tab ? 'true' : 'false'}
            aria-controls={`panel-${k}`}
            tabIndex={k === tab ? 0 : -1}
            onClick={() => select(k)}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} class="panel" tabIndex={0}>
        {tab === 'overview' && <OverviewTab {...tabProps} />}
        {tab === 'projects' && <ProjectsTab {...tabProps} />}
        {tab === 'invoices' && <InvoicesTab {...tabProps} />}
        {tab === 'credits' && <CreditsTab {...tabProps} />}
        {tab === 'events' && <EventsTab {...tabProps} />}
        {tab === 'permissions' && <PermissionsTab {...tabProps} />}
        {tab === 'billing' && <BillingTab {...tabProps} />}
      </div>
      {deleting && <DeleteDialog group={group} onClose={() => setDeleting(false)} onDeleted={() => navigate('/')} />}
    </section>
  );
}
