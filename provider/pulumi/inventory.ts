/**
 * The inventory of a `BillingDomain`: what the program declared at its last `up`, kept
 * in the stack's state as the inputs of one dynamic resource, so that `pulumi preview`
 * can judge **deletes** (SPEC §5 "Plan time", §6).
 *
 * Pulumi calls no provider method for a resource removed from the program before it
 * deletes it (preview only shows `-`), so a per-resource provider cannot refuse a delete
 * at preview. The inventory's `check(olds, news)` sees both the previous declarations
 * (olds) and the current ones (news): groups declared before and no longer are the
 * deletes of this update, links no longer declared return their projects to main, and
 * the declared links are the moves. It evaluates them together against the live snapshot
 * with the rules engine and fails the check on a delete rule (`DELETE_HAS_PROJECTS`,
 * `DELETE_OUTSTANDING_BALANCE`, ...). Every resource of the domain depends on the
 * inventory, so under `up` (which skips the preview) nothing of the domain is written
 * either when it fails.
 *
 * The provider object is closure-serialized like the others (providers.ts): it captures
 * nothing and loads this module through the package at call time.
 */
import type * as pulumi from '@pulumi/pulumi';
import type * as dyn from '@pulumi/pulumi/dynamic';
import type { Snapshot } from '../client/types';
import { resourceChanges } from '../domain/change-model';
import { evaluate, normalizeName } from '../domain/rules';
import type { Change } from '../domain/types';
import { clientFor, guarded, reasonOf, snapshotOf } from './engine';

/** A declared link as the inventory records it: the group by id (main, live) or by name (a declared group). */
export interface InventoryLink {
  projectId: string;
  billingGroupId?: string;
  billingGroupName?: string;
}

export interface InventoryInputs {
  /** Names of the sub groups the program declares. */
  groups: string[];
  links: InventoryLink[];
  apiUrl?: string;
  token?: string;
}

/** Delete rules the inventory reports (the rest belong to the declared resources). */
const DELETE_RULES = new Set(['DELETE_HAS_PROJECTS', 'DELETE_OUTSTANDING_BALANCE', 'DELETE_UNBILLED_USAGE', 'DELETE_PAID_CREDITS', 'MAIN_GROUP_UNDELETABLE']);

/** The changes of this update that concern the groups it deletes, and the index of each delete. */
export function deleteChanges(snapshot: Snapshot, olds: Partial<InventoryInputs>, news: InventoryInputs): { changes: Change[]; deletes: number[] } {
  const declared = new Set(news.groups.map(normalizeName));
  const byName = new Map(snapshot.groups.filter((g) => g.type === 'sub').map((g) => [normalizeName(g.name), g]));
  const removed = [...new Set((olds.groups ?? []).map(normalizeName))].filter((n) => !declared.has(n) && byName.has(n)).map((n) => byName.get(n)!);
  if (removed.length === 0) return { changes: [], deletes: [] };
  const removedIds = new Set(removed.map((g) => g.id));
  const projectGroup = new Map(snapshot.projects.map((p) => [p.id, p.billingGroupId]));
  const target = (l: InventoryLink): string | undefined =>
    l.billingGroupId ?? (l.billingGroupName === undefined ? undefined : byName.get(normalizeName(l.billingGroupName))?.id);

  const changes: Change[] = [];
  const declaredLinks = new Set<string>();
  for (const l of news.links) {
    declaredLinks.add(l.projectId);
    if (!removedIds.has(projectGroup.get(l.projectId) ?? '')) continue; // not in a group being deleted
    const to = target(l);
    // A move to a group created by this update takes the project out as surely as an unlink.
    // Transfers are the link resource's own check (TRANSFER_NOT_ACKNOWLEDGED), not the delete's.
    changes.push(to && !removedIds.has(to) ? { op: 'link', projectId: l.projectId, billingGroupId: to, allowTransfer: true } : { op: 'unlink', projectId: l.projectId });
  }
  for (const l of olds.links ?? []) {
    if (declaredLinks.has(l.projectId)) continue;
    // A link no longer declared is deleted (the change model: it returns its project to main
    // only if the project is still where it put it). Only projects of deleted groups matter here.
    const ours = target(l);
    if (ours === undefined || !removedIds.has(projectGroup.get(l.projectId) ?? '')) continue;
    const before = { projectId: l.projectId, billingGroupId: ours };
    changes.push(...resourceChanges({ kind: 'projectLink', action: 'delete', before, after: null }, snapshot).changes);
  }
  const deletes: number[] = [];
  for (const g of removed) {
    deletes.push(changes.length);
    changes.push(...resourceChanges({ kind: 'billingGroup', action: 'delete', before: { id: g.id }, after: null }, snapshot).changes);
  }
  return { changes, deletes };
}

export const inventory = {
  async check(olds: Partial<InventoryInputs> | undefined, news: InventoryInputs): Promise<dyn.CheckResult> {
    const inputs: InventoryInputs = { ...news, groups: news.groups ?? [], links: news.links ?? [] };
    const removedAny = (olds?.groups ?? []).some((n) => !inputs.groups.some((m) => normalizeName(m) === normalizeName(n)));
    if (!removedAny) return { inputs, failures: [] };
    const { client, key } = clientFor(inputs);
    const snapshot = await guarded(() => snapshotOf(client, key));
    const { changes, deletes } = deleteChanges(snapshot, olds ?? {}, inputs);
    const r = evaluate(snapshot, changes);
    const failures = r.errors
      .filter((d) => d.index !== undefined && deletes.includes(d.index) && DELETE_RULES.has(d.code))
      .map((d) => ({ property: 'groups', reason: reasonOf(d) }));
    return { inputs, failures };
  },
};

/** The inventory's dynamic provider: no API writes, the state is the record. */
export const inventoryProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    return require('cloudbilling/pulumi').engine.configure(req);
  },
  async check(olds, news) {
    return require('cloudbilling/pulumi').inventory.check(olds, news);
  },
  async diff(_id, olds, news) {
    const keys = ['groups', 'links', 'apiUrl', 'token'];
    return { changes: keys.some((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null)) };
  },
  async create(inputs) {
    return { id: 'inventory', outs: inputs };
  },
  async update(_id, _olds, news) {
    return { outs: news };
  },
};
