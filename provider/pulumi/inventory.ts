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
import { findByName, resourceChanges, type ResourceChange } from '../domain/change-model';
import { evaluate, normalizeName } from '../domain/rules';
import type { Change, Diagnostic } from '../domain/types';
import { clientFor, guarded, IDENTITY_RULES, reasonOf, snapshotOf } from './engine';

/** A declared link as the inventory records it: the group by id (main, live) or by name (a declared group). */
export interface InventoryLink {
  projectId: string;
  billingGroupId?: string;
  billingGroupName?: string;
  /** The Pulumi name of the link resource (tells a link replaced by another one for the same project from a kept one). */
  resource?: string;
  /** When the group is one the program declares: that group resource's Pulumi name (its identity, see `identityChanges`). */
  groupResource?: string;
  /** `allowTransfer` as declared; absent when unknown at preview. */
  allowTransfer?: boolean;
}

/** A declared membership: its group by id or by name, like a link. */
export interface InventoryGrant {
  userId: string;
  billingGroupId?: string;
  billingGroupName?: string;
  groupResource?: string;
}

export interface InventoryInputs {
  /** Names of the sub groups the program declares. */
  groups: string[];
  /** The Pulumi names of those group resources, in the same order (a renamed group is not a deleted one). */
  groupResources?: string[];
  /** Those of them declared with `adopt: true` (they take over the live group of their name). */
  adopted?: string[];
  /** Whether the program's main group has a payment method (absent: no main group declared, or unknown). */
  mainPayment?: boolean;
  links: InventoryLink[];
  grants?: InventoryGrant[];
  apiUrl?: string;
  token?: string;
}

/** Delete rules (reported by the inventory also for a program without a BillingDomain record). */
const DELETE_RULES = new Set(['DELETE_HAS_PROJECTS', 'DELETE_OUTSTANDING_BALANCE', 'DELETE_UNBILLED_USAGE', 'DELETE_PAID_CREDITS', 'MAIN_GROUP_UNDELETABLE']);

/**
 * The (normalised) names the last update declared and this one no longer does: by resource
 * when both record them (a group renamed by its resource is not deleted), else by name.
 */
function removedGroupNames(olds: Partial<InventoryInputs>, news: InventoryInputs): string[] {
  const old = olds.groups ?? [];
  if (olds.groupResources?.length === old.length && news.groupResources?.length === news.groups.length) {
    const now = new Set(news.groupResources);
    return [...new Set(old.filter((_n, i) => !now.has(olds.groupResources![i])).map(normalizeName))];
  }
  const declared = new Set(news.groups.map(normalizeName));
  return [...new Set(old.map(normalizeName))].filter((n) => !declared.has(n));
}

const sameLink = (a: InventoryLink, b: InventoryLink) => (a.resource !== undefined && b.resource !== undefined ? a.resource === b.resource : a.projectId === b.projectId);

/**
 * What this update removes, which Pulumi's preview never shows a provider: the groups no
 * longer declared (deleted) and the links no longer declared (through the change model: a
 * removed link returns its project to main only if the project is still where it put it).
 */
export function removalChanges(snapshot: Snapshot, olds: Partial<InventoryInputs>, news: InventoryInputs): Change[] {
  const byName = new Map(snapshot.groups.filter((g) => g.type === 'sub').map((g) => [normalizeName(g.name), g]));
  const removed = removedGroupNames(olds, news).filter((n) => byName.has(n)).map((n) => byName.get(n)!);
  const changes: Change[] = [];
  for (const l of (olds.links ?? []).filter((o) => !news.links.some((n) => sameLink(o, n)))) {
    const ours = l.billingGroupId ?? (l.billingGroupName === undefined ? undefined : byName.get(normalizeName(l.billingGroupName))?.id);
    if (ours === undefined) continue;
    changes.push(...resourceChanges({ kind: 'projectLink', action: 'delete', before: { projectId: l.projectId, billingGroupId: ours }, after: null }, snapshot).changes);
  }
  for (const g of removed) changes.push(...resourceChanges({ kind: 'billingGroup', action: 'delete', before: { id: g.id }, after: null }, snapshot).changes);
  return changes;
}

/**
 * The program's declarations as changes, with each group's identity from the previous
 * declarations (via the change model): a group resource declared before is an update of
 * the live group of its previous name (a rename included), a new one is a create; links
 * and memberships naming a declared group aim at that identity; a link declared before is
 * kept, a new one a create.
 */
export function declaredChanges(snapshot: Snapshot, olds: Partial<InventoryInputs>, news: InventoryInputs): Change[] {
  const changes: Change[] = [];
  const live = { domain: snapshot.domain, groups: snapshot.groups, projects: snapshot.projects };
  const add = (cs: Change[], _mine?: boolean) => changes.push(...cs);
  if (news.mainPayment !== undefined) {
    const after = { billingEmails: undefined, invoiceEmails: undefined, paymentMethod: news.mainPayment ? { type: 'card', reference: '(declared)' } : null };
    add(resourceChanges({ kind: 'mainBillingGroup', action: 'create', before: null, after }, live).changes, false);
  }
  const oldName = new Map((olds.groupResources ?? []).map((r, i) => [r, olds.groups?.[i]]));
  const newName = new Map((news.groupResources ?? []).map((r, i) => [r, news.groups[i]]));
  const identity = (resource: string) => {
    const previous = oldName.get(resource);
    return previous === undefined ? undefined : findByName(snapshot.groups, previous);
  };
  const adopted = new Set(news.adopted ?? []);
  const newId = (resource: string) => `pulumi:new:${resource}`;
  news.groups.forEach((name, i) => {
    const resource = news.groupResources?.[i];
    const existing = resource === undefined ? undefined : identity(resource);
    const after = { name, billingEmails: undefined, invoiceEmails: undefined, paymentMethod: undefined };
    // A new group gets a placeholder id, so that links name it exactly (a name may clash).
    const rc: ResourceChange = existing
      ? { kind: 'billingGroup', action: 'update', before: { id: existing.id, name: existing.name }, after }
      : { kind: 'billingGroup', action: 'create', before: null, after: { ...after, ...(resource !== undefined ? { id: newId(resource) } : {}) }, adopt: resource !== undefined && adopted.has(resource) };
    add(resourceChanges(rc, live).changes, false);
  });
  /** A reference to a declared group: the live id of its identity, else its planned name (a group this update creates). */
  const aim = (resource: string): { billingGroupId?: string; groupName?: string } => {
    const existing = identity(resource);
    if (existing) return { billingGroupId: existing.id };
    if (adopted.has(resource)) return { groupName: newName.get(resource) }; // adopts the live group of that name
    return newName.has(resource) ? { billingGroupId: newId(resource) } : {};
  };
  // Every declared link: one the last update declared too is kept (it declares its project;
  // a link to main that did its job says nothing), a new one is a create.
  const declaredBefore = new Map((olds.links ?? []).filter((l) => l.resource !== undefined).map((l) => [l.resource!, l]));
  const target = (l: InventoryLink) => JSON.stringify([l.projectId, l.billingGroupId ?? null, l.billingGroupName ?? null, l.groupResource ?? null]);
  for (const l of news.links) {
    const { billingGroupId, groupName } = l.groupResource !== undefined ? aim(l.groupResource) : { billingGroupId: l.billingGroupId, groupName: l.billingGroupName };
    const after = { projectId: l.projectId, billingGroupId, allowTransfer: l.allowTransfer !== false };
    const previous = l.resource === undefined ? undefined : declaredBefore.get(l.resource);
    // Kept when the last update declared the same link (same project and group); retargeted, it is an update.
    const rc: ResourceChange =
      previous && target(previous) === target(l)
        ? { kind: 'projectLink', action: 'no-op', before: after, after, groupName }
        : { kind: 'projectLink', action: previous ? 'update' : 'create', before: previous ? { projectId: previous.projectId, billingGroupId: previous.billingGroupId } : null, after, groupName };
    add(resourceChanges(rc, live).changes, true);
  }
  for (const g of news.grants ?? []) {
    const { billingGroupId, groupName } = g.groupResource !== undefined ? aim(g.groupResource) : { billingGroupId: g.billingGroupId, groupName: g.billingGroupName };
    add(resourceChanges({ kind: 'groupPermission', action: 'create', before: null, after: { userId: g.userId, billingGroupId }, groupName }, live).changes, true);
  }
  return changes;
}

/**
 * Rules of a group's own fields: its resource's check reports them (the inventory sees
 * names only, and an invalid name is the resource's to say).
 */
const OWN_FIELD_RULES = new Set(['NAME_INVALID', 'BILLING_EMAILS_COUNT', 'INVOICE_EMAILS_COUNT', 'EMAIL_INVALID']);

export const inventory = {
  async check(olds: Partial<InventoryInputs> | undefined, news: InventoryInputs): Promise<dyn.CheckResult> {
    const inputs: InventoryInputs = { ...news, groups: news.groups ?? [], links: news.links ?? [] };
    const removedGroup = removedGroupNames(olds ?? {}, inputs).length > 0;
    const removedLink = (olds?.links ?? []).some((l) => !inputs.links.some((n) => sameLink(l, n)));
    // Written by a BillingDomain that leaves identity, link and delete rules to this check.
    const whole = inputs.groupResources !== undefined;
    if (!removedGroup && !removedLink && !whole) return { inputs, failures: [] };
    const { client, key } = clientFor(inputs);
    const snapshot = await guarded(() => snapshotOf(client, key));
    // One change list, judged at once like the API judges a change set: the removals first,
    // then what the program declares (without a BillingDomain's record: its links only).
    const removals = removalChanges(snapshot, olds ?? {}, inputs);
    const declared = whole ? declaredChanges(snapshot, olds ?? {}, inputs) : declaredChanges(snapshot, {}, { groups: [], links: inputs.links.map((l) => ({ ...l, allowTransfer: true })) });
    const r = evaluate(snapshot, [...removals, ...declared]);
    const mine = (d: Diagnostic) => (whole ? !OWN_FIELD_RULES.has(d.code) : DELETE_RULES.has(d.code) || d.code === 'GROUP_NOT_FOUND' || d.code === 'PROJECT_MULTI_LINK');
    const failures = r.errors.filter(mine).map((d) => ({ property: d.code.startsWith('DELETE_') ? 'groups' : 'links', reason: reasonOf(d) }));
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
    const keys = ['groups', 'groupResources', 'adopted', 'mainPayment', 'links', 'grants', 'apiUrl', 'token'];
    return { changes: keys.some((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null)) };
  },
  async create(inputs) {
    return { id: 'inventory', outs: inputs };
  },
  async update(_id, _olds, news) {
    return { outs: news };
  },
};
