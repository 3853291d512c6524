/**
 * `cloudbilling drift`: compares what IaC manages (a parsed Terraform state or Pulumi
 * stack export) with the live snapshot, and finds who made each out-of-band change and
 * when in the groups' event logs.
 *
 * - changed: a managed object whose live fields differ from state (desired vs actual);
 * - missing: a managed object that no longer exists live;
 * - unmanaged: a live sub group, membership, or project placement in a sub group that
 *   no managed object declares (e.g. a group created in the console).
 *
 * Secrets are compared by digest (values.ts) and shown only as `(sensitive)`.
 */
import type { BillingEvent, Snapshot } from '../client/types';
import type { Group } from '../domain/types';
import { REDACTED, type ManagedObject, type ParsedState, type ResourceKind, type Values } from './model';
import { isSecretDigest, sameValue, secretDigest } from './values';

export type DriftStatus = 'changed' | 'missing' | 'unmanaged';

export interface DriftField {
  field: string;
  desired: unknown;
  actual: unknown;
}

export interface DriftItem {
  status: DriftStatus;
  kind: ResourceKind;
  /** State address (Terraform) or URN (Pulumi); null for unmanaged objects. */
  address: string | null;
  label: string;
  /** Live id: group id, project id, or `GROUP_ID/USER_ID`. */
  id: string;
  /** For people: `billing group "Team A"`. */
  what: string;
  fields: DriftField[];
  /** Who and when, from the event log (absent when no event explains it). */
  changedBy?: string;
  changedAt?: string;
  event?: string;
  /** The IaC workspace or stack that made that change; null = outside IaC (the console, the API); absent = not recorded. */
  changedVia?: string | null;
  /** Where to look in the event log. */
  evidence: { groupId: string; actions: string[]; target: string };
}

export interface DriftReport {
  tool: 'terraform' | 'pulumi';
  /** Snapshot time. */
  at: string;
  managed: number;
  items: DriftItem[];
  /** 0 no drift, 2 drift. */
  exitCode: 0 | 2;
}

export interface DriftOptions {
  /** Do not report live objects that no managed object declares. */
  ignoreUnmanaged?: boolean;
}

const q = JSON.stringify;

/** A value safe to print: secret digests become `(sensitive)`. */
function shown(v: unknown): unknown {
  if (isSecretDigest(v)) return REDACTED;
  if (Array.isArray(v)) return v.map(shown);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shown(x)]));
  return v === undefined ? null : v;
}

function liveGroupValues(g: Group): Values {
  return {
    name: g.name,
    billingEmails: g.billingEmails,
    invoiceEmails: g.invoiceEmails,
    paymentMethod: g.paymentMethod ? { type: g.paymentMethod.type, reference: secretDigest(g.paymentMethod.reference) } : null,
    details: g.details ?? null,
  };
}

function compareGroup(desired: Values, g: Group, withName: boolean): DriftField[] {
  const actual = liveGroupValues(g);
  const out: DriftField[] = [];
  const fields = withName ? ['name', 'billingEmails', 'invoiceEmails'] : ['billingEmails', 'invoiceEmails'];
  for (const f of fields) {
    if (desired[f] === undefined) continue;
    if (!sameValue(desired[f], actual[f])) out.push({ field: f, desired: desired[f], actual: actual[f] });
  }
  const dp = desired.paymentMethod as Values | null | undefined;
  const ap = actual.paymentMethod as Values | null;
  if (dp !== undefined) {
    if (!dp || !ap) {
      if (!!dp !== !!ap) out.push({ field: 'paymentMethod', desired: dp ? { type: dp.type, reference: REDACTED } : null, actual: ap ? { type: ap.type, reference: REDACTED } : null });
    } else {
      if (dp.type !== undefined && dp.type !== ap.type) out.push({ field: 'paymentMethod.type', desired: dp.type, actual: ap.type });
      if (dp.reference !== undefined && dp.reference !== ap.reference) out.push({ field: 'paymentMethod.reference', desired: REDACTED, actual: `${REDACTED}, different` });
    }
  }
  const dd = desired.details as Values | null | undefined;
  if (dd && typeof dd === 'object') {
    const ad = (actual.details ?? {}) as Values;
    for (const [k, v] of Object.entries(dd)) {
      if (v === undefined) continue;
      const a = ad[k] ?? null;
      if (v === null && (a === null || (k === 'currency' && a === 'USD'))) continue;
      if (!sameValue(v, a)) out.push({ field: `details.${k}`, desired: v, actual: a });
    }
  }
  return out.map((f) => ({ ...f, desired: shown(f.desired), actual: shown(f.actual) }));
}

export function compareDrift(state: ParsedState, snapshot: Snapshot, opts: DriftOptions = {}): DriftReport {
  const items: DriftItem[] = [];
  const groups = new Map(snapshot.groups.map((g) => [g.id, g]));
  const projects = new Map(snapshot.projects.map((p) => [p.id, p]));
  const users = new Map(snapshot.users.map((u) => [u.id, u]));
  const mainId = snapshot.domain.mainGroupId;
  const groupLabel = (id: unknown) => (groups.has(String(id)) ? q(groups.get(String(id))!.name) : String(id));
  const userLabel = (id: unknown) => users.get(String(id))?.email ?? String(id);

  const managedGroups = new Set<string>([mainId]);
  const managedLinks = new Set<string>();
  const managedPerms = new Set<string>();

  const add = (o: ManagedObject, status: DriftStatus, id: string, what: string, fields: DriftField[], evidence: DriftItem['evidence']) =>
    items.push({ status, kind: o.kind, address: o.address, label: o.label, id, what, fields, evidence });

  for (const o of state.objects) {
    const v = o.values;
    switch (o.kind) {
      case 'billingGroup': {
        const id = String(v.id ?? '');
        managedGroups.add(id);
        const g = groups.get(id);
        const what = `billing group ${q(v.name ?? id)}`;
        if (!g) add(o, 'missing', id, what, [], { groupId: id, actions: ['group.deleted'], target: id });
        else {
          const fields = compareGroup(v, g, true);
          if (fields.length) add(o, 'changed', id, `billing group ${q(g.name)}`, fields, { groupId: id, actions: ['group.updated'], target: id });
        }
        break;
      }
      case 'mainBillingGroup': {
        const g = groups.get(mainId);
        if (!g) break;
        const fields = compareGroup(v, g, false);
        if (fields.length) add(o, 'changed', mainId, `main billing group ${q(g.name)}`, fields, { groupId: mainId, actions: ['group.updated'], target: mainId });
        break;
      }
      case 'projectLink': {
        const pid = String(v.projectId ?? v.id ?? '');
        managedLinks.add(pid);
        const p = projects.get(pid);
        const desired = v.billingGroupId;
        if (!p) {
          add(o, 'missing', pid, `project ${pid}`, [], { groupId: String(desired ?? mainId), actions: ['project.unlinked'], target: pid });
        } else if (desired !== undefined && desired !== p.billingGroupId) {
          add(
            o,
            'changed',
            pid,
            `billing group of project ${q(p.name)} (${pid})`,
            [{ field: 'billingGroupId', desired: `${desired} (${groupLabel(desired)})`, actual: `${p.billingGroupId} (${groupLabel(p.billingGroupId)})` }],
            { groupId: p.billingGroupId, actions: ['project.linked'], target: pid },
          );
        }
        break;
      }
      case 'groupPermission': {
        const gid = String(v.billingGroupId ?? '');
        const uid = String(v.userId ?? '');
        managedPerms.add(`${gid}/${uid}`);
        const live = snapshot.permissions.some((p) => p.billingGroupId === gid && p.userId === uid);
        if (!live) {
          const fields = users.has(uid) ? [] : [{ field: 'userId', desired: uid, actual: null }];
          add(o, 'missing', `${gid}/${uid}`, `membership of ${userLabel(uid)} in ${groupLabel(gid)}`, fields, {
            groupId: gid,
            actions: groups.has(gid) ? ['permission.revoked'] : ['permission.revoked', 'group.deleted'],
            target: groups.has(gid) ? uid : gid,
          });
        }
        break;
      }
    }
  }

  if (!opts.ignoreUnmanaged) {
    const unmanaged = (kind: ResourceKind, id: string, what: string, fields: DriftField[], evidence: DriftItem['evidence']) =>
      items.push({ status: 'unmanaged', kind, address: null, label: what, id, what, fields, evidence });
    for (const g of snapshot.groups) {
      if (g.type === 'sub' && !managedGroups.has(g.id)) {
        unmanaged('billingGroup', g.id, `billing group ${q(g.name)}`, [{ field: 'name', desired: null, actual: g.name }], {
          groupId: g.id,
          actions: ['group.created'],
          target: g.id,
        });
      }
    }
    for (const p of snapshot.projects) {
      if (p.billingGroupId !== mainId && !managedLinks.has(p.id)) {
        unmanaged('projectLink', p.id, `project ${q(p.name)} (${p.id}) in ${groupLabel(p.billingGroupId)}`, [{ field: 'billingGroupId', desired: null, actual: `${p.billingGroupId} (${groupLabel(p.billingGroupId)})` }], {
          groupId: p.billingGroupId,
          actions: ['project.linked'],
          target: p.id,
        });
      }
    }
    for (const p of snapshot.permissions) {
      if (!managedPerms.has(`${p.billingGroupId}/${p.userId}`)) {
        unmanaged('groupPermission', `${p.billingGroupId}/${p.userId}`, `membership of ${userLabel(p.userId)} in ${groupLabel(p.billingGroupId)}`, [], {
          groupId: p.billingGroupId,
          actions: ['permission.granted'],
          target: p.userId,
        });
      }
    }
  }

  return { tool: state.tool, at: snapshot.at, managed: state.objects.length, items, exitCode: items.length > 0 ? 2 : 0 };
}

/**
 * Fill `changedBy`/`changedAt` from the event logs: for each item, the newest event of
 * its group with one of the expected actions on its target. Each group's log is read
 * once; `users` turns actor ids into e-mail addresses.
 */
export async function attributeDrift(
  report: DriftReport,
  events: (groupId: string) => Promise<BillingEvent[]>,
  users: { id: string; email: string }[],
  concurrency = 8,
): Promise<void> {
  const emails = new Map(users.map((u) => [u.id, u.email]));
  const groupIds = [...new Set(report.items.map((i) => i.evidence.groupId).filter((g) => g !== ''))];
  const logs = new Map<string, BillingEvent[]>();
  let next = 0;
  const worker = async () => {
    while (next < groupIds.length) {
      const id = groupIds[next++];
      try {
        logs.set(id, await events(id));
      } catch {
        logs.set(id, []); // a log we may not read: leave the item unattributed
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, groupIds.length) }, worker));
  for (const item of report.items) {
    const log = logs.get(item.evidence.groupId) ?? [];
    // Logs are newest first.
    const e =
      log.find((x) => item.evidence.actions.includes(x.action) && x.target === item.evidence.target) ??
      log.find((x) => x.target === item.evidence.target);
    if (!e) continue;
    item.changedBy = emails.get(e.actor) ? `${emails.get(e.actor)} (${e.actor})` : e.actor;
    item.changedAt = e.at;
    item.event = e.action;
    if (e.managedBy !== undefined) item.changedVia = e.managedBy;
  }
}
