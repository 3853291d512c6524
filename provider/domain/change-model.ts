/**
 * The one change model (SPEC §6 "One meaning everywhere"): a normalised resource change
 * (kind, action, before, after) becomes the change list of SPEC §3. Terraform's plan and
 * apply, the CDKTF validation, the Pulumi resources and `BillingDomain`, `review` and
 * drift all call `resourceChanges`; front ends only translate their own "unknown" into
 * `undefined` and their attribute names into the definitions' camelCase.
 *
 * | resource           | create        | update             | delete                    | replace                   |
 * |--------------------|---------------|--------------------|---------------------------|---------------------------|
 * | billingGroup       | createGroup   | updateGroup        | deleteGroup               | deleteGroup + createGroup |
 * | mainBillingGroup   | updateGroup (adopts main) | updateGroup | — (forgets)          | updateGroup               |
 * | projectLink        | link          | link               | unlink (see below)        | unlink old + link new     |
 * | groupPermission    | grant         | revoke + grant     | revoke                    | revoke old + grant new    |
 *
 * Which attributes reach the API is read off the definitions: configurable attributes
 * that are not `iacOnly` (`apiFields`); what IaC state keeps because the API never returns
 * it is `iacOnly` or `requestOnly` (`stateOnlyFields`). A link whose project is no longer
 * in the group the link put it in (moved outside IaC, or already back in main) is not
 * returned to main by deleting the link: that move is no longer ours to undo, and a note
 * (LINK_MOVED_OUTSIDE) says so. An unchanged link to the main group whose project is in
 * main writes nothing (a link to main is an unlink, and there is nothing to unlink: no
 * MAIN_UNLINK_FORBIDDEN for a link that already did its job) but still declares where the
 * project is (`declared: true`: a second link of the project is PROJECT_MULTI_LINK); a new
 * or retargeted one is judged like any unlink.
 *
 * | helper             | for                                                                  |
 * |--------------------|----------------------------------------------------------------------|
 * | `resourceChanges`  | one resource change → §3 changes and mapping notes                   |
 * | `groupInputOf`     | the group fields of a resource's values as the API takes them (a PATCH with `before`) |
 * | `apiFields`        | the group attributes the API stores, per kind                         |
 * | `stateOnlyFields`  | configurable attributes the API never returns (kept in IaC state)      |
 * | `actionOf`         | create / update / no-op from before and after values (Pulumi, CDKTF)   |
 * | `hasUnknown`       | whether a value (or change) holds something known only at apply      |
 * | `findByName`       | the live sub group of a name, compared with `normalizeName` (NFC, case fold, trim) |
 *
 * Group references: a link's or permission's `after.billingGroupId` is the group's id when
 * known (the main group's id for a reference to the main group resource); when it is the
 * unknown id of a group created in the same change, the front end gives that group's
 * planned name as `groupName`.
 *
 * Pure: no I/O. `undefined` anywhere inside a value means unknown until apply; the rules
 * skip what they cannot know, and `hasUnknown` tells callers that a change is not final.
 */
import { adapterDiagnostic } from './messages';
import { resources, type ResourceDefinition } from './resources';
import { normalizeName } from './rules';
import type { Change, Diagnostic, DomainState, GroupInput, GroupRef, PaymentMethod, Permission, Project } from './types';

export type ResourceKind = keyof typeof resources;
export type ResourceAction = 'create' | 'update' | 'delete' | 'replace' | 'no-op' | 'forget';
export type Values = Record<string, unknown>;

export interface ResourceChange {
  kind: ResourceKind;
  action: ResourceAction;
  /** Attribute values before (null on create), camelCase; `undefined` = unknown. */
  before: Values | null;
  /** Attribute values after (null on delete). */
  after: Values | null;
  /** When `after.billingGroupId` is unknown: the planned name of the group it names (created in the same change). */
  groupName?: string;
  /** A create that takes over the live sub group of that name (Pulumi `adopt`, `import`). */
  adopt?: boolean;
}

export interface ChangeModelResult {
  changes: Change[];
  /** Warnings of the mapping itself (not rules): e.g. a link delete that leaves an outside move alone. */
  notes: Diagnostic[];
}

/** What the mapping reads of the live state. */
export type LiveView = Pick<DomainState, 'domain' | 'groups'> & {
  /** The live project of that id (default: a scan of `projects`). */
  findProject?: (id: string) => Project | undefined;
  projects?: Project[];
  /** When given, a membership that is already gone is not revoked again. */
  permissions?: Permission[];
};

/** The group attributes the API stores, per kind: configurable and not IaC-only. */
export function apiFields(kind: ResourceKind): (keyof GroupInput)[] {
  return Object.entries(resources[kind].attributes)
    .filter(([, a]) => a.presence !== 'computed' && !a.iacOnly)
    .map(([name]) => name as keyof GroupInput);
}

/** Configurable attributes the API never returns, so IaC state keeps them (`iacOnly`, `requestOnly`). */
export function stateOnlyFields(kind: ResourceKind): string[] {
  return Object.entries(resources[kind].attributes)
    .filter(([, a]) => a.presence !== 'computed' && (a.iacOnly || a.requestOnly))
    .map(([name]) => name);
}

/** The live sub group of that name (trimmed, NFC, case-folded: `normalizeName`). */
export function findByName<G extends { type: string; name: string }>(groups: readonly G[], name: unknown): G | undefined {
  if (typeof name !== 'string') return undefined;
  const key = normalizeName(name);
  return groups.find((g) => g.type === 'sub' && normalizeName(g.name) === key);
}

/**
 * The action of a resource whose front end sees only before and after values (Pulumi
 * check, a CDKTF stack): create without `before`, no-op when every API field and
 * replace-key is the same, update otherwise. (Terraform and plan JSON carry their own.)
 */
export function actionOf(kind: ResourceKind, before: Values | null, after: Values): ResourceAction {
  if (!before) return 'create';
  const def = resources[kind].attributes;
  const fields = Object.entries(def).filter(([, a]) => a.presence !== 'computed').map(([n]) => n);
  return fields.every((f) => same(before[f] ?? def[f].default ?? null, after[f] ?? def[f].default ?? null)) ? 'no-op' : 'update';
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** True when anything inside `v` is unknown (`undefined`, also as an array element or a present key). */
export function hasUnknown(v: unknown): boolean {
  if (v === undefined) return true;
  if (Array.isArray(v)) return v.some(hasUnknown);
  if (v && typeof v === 'object') return Object.values(v).some(hasUnknown);
  return false;
}

/** A payment method as the API takes it; a reference left out (absent, null or empty; `undefined` is unknown) keeps `before`'s (it is optional and computed). */
function paymentMethodOf(v: unknown, before: unknown): PaymentMethod | null | undefined {
  if (v === null) return null;
  const o = v as Values | undefined;
  const kept = o && (!('reference' in o) || o.reference === null || o.reference === '') ? (before as Values | null | undefined)?.reference : undefined;
  const filled = typeof kept === 'string' ? { ...o, reference: kept } : o;
  if (filled === undefined || hasUnknown(filled)) return undefined;
  return { type: filled.type as PaymentMethod['type'], reference: filled.reference as string };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null) && !hasUnknown(a) && !hasUnknown(b);
}

/**
 * The group fields of `after` as the API takes them. With `before`, only the fields that
 * differ (a PATCH); `details` left null or unknown keeps the API's value (it is optional
 * and computed). `paymentMethod` unknown stays present as `undefined` (the rules then skip
 * NO_PAYMENT_METHOD).
 */
export function groupInputOf(kind: ResourceKind, after: Values, before: Values | null = null): Partial<GroupInput> {
  const out: Partial<GroupInput> = {};
  for (const f of apiFields(kind)) {
    const v = after[f];
    if (f === 'paymentMethod') {
      const pm = paymentMethodOf(v, before?.paymentMethod);
      if (!(before && same(before.paymentMethod, pm))) out.paymentMethod = pm;
      continue;
    }
    if (before && same(before[f], v)) continue;
    else if (f === 'details') {
      if (v !== null && v !== undefined) out.details = v as GroupInput['details'];
    } else if (v !== undefined || !before) (out as Values)[f] = v;
  }
  return out;
}

function groupRef(after: Values, groupName: string | undefined): GroupRef {
  const id = str(after.billingGroupId);
  if (id !== undefined) return { billingGroupId: id };
  return groupName !== undefined ? { billingGroupName: groupName } : {};
}

function findProject(live: LiveView, id: string): Project | undefined {
  return live.findProject ? live.findProject(id) : live.projects?.find((p) => p.id === id);
}

/** The §3 changes of one resource change. */
export function resourceChanges(rc: ResourceChange, live: LiveView): ChangeModelResult {
  const changes: Change[] = [];
  const notes: Diagnostic[] = [];
  const { action } = rc;
  if (action === 'forget') return { changes, notes };
  // An unchanged link or membership still declares where its object is: a second resource
  // for the same project is PROJECT_MULTI_LINK even when the first one does not change.
  if (action === 'no-op' && rc.kind !== 'projectLink' && rc.kind !== 'groupPermission') return { changes, notes };
  const before = rc.before ?? {};
  const after = rc.after ?? {};
  const removes = action === 'delete' || action === 'replace';
  const adds = action === 'create' || action === 'replace';
  const mainId = live.domain.mainGroupId;

  switch (rc.kind) {
    case 'billingGroup': {
      if (removes && str(before.id) !== undefined) changes.push({ op: 'deleteGroup', id: before.id as string });
      const adopted = action === 'create' && rc.adopt ? adoptable(live, after.name) : undefined;
      if (adopted) changes.push({ op: 'updateGroup', id: adopted, group: groupInputOf('billingGroup', after) });
      else if (adds) {
        const c: Change = { op: 'createGroup', group: groupInputOf('billingGroup', after) as GroupInput };
        if (str(after.id) !== undefined) c.id = after.id as string;
        changes.push(c);
      } else if (action === 'update' && str(before.id) !== undefined) {
        const patch = groupInputOf('billingGroup', after, before);
        if (Object.keys(patch).length > 0) changes.push({ op: 'updateGroup', id: before.id as string, group: patch });
      }
      break;
    }
    case 'mainBillingGroup': {
      if (action === 'delete') break; // forgotten, never deleted
      const patch = groupInputOf('mainBillingGroup', after, action === 'update' ? before : null);
      if (Object.keys(patch).length > 0) changes.push({ op: 'updateGroup', id: mainId, group: patch });
      break;
    }
    case 'projectLink': {
      const oldProject = str(before.projectId);
      if (removes && oldProject !== undefined) {
        const p = findProject(live, oldProject);
        const ours = str(before.billingGroupId);
        if (p && p.billingGroupId !== mainId && (ours === undefined || p.billingGroupId === ours)) changes.push({ op: 'unlink', projectId: oldProject });
        else if (p && p.billingGroupId !== mainId && action === 'delete') {
          notes.push(adapterDiagnostic('LINK_MOVED_OUTSIDE', { projectId: oldProject, projectName: p.name, groupName: groupName(live, p.billingGroupId), oursName: groupName(live, ours) }));
        }
      }
      // An update, or no change, declares the link; linking a project where it is writes nothing.
      if (action !== 'delete') {
        const projectId = str(after.projectId);
        const kept = (action === 'no-op' || action === 'update') && same(before.projectId, after.projectId) && same(before.billingGroupId, after.billingGroupId);
        const inMain = projectId !== undefined && after.billingGroupId === mainId && findProject(live, projectId)?.billingGroupId === mainId;
        // A link to main that already did its job: nothing to unlink, but it still declares where the project is.
        if (kept && inMain) {
          changes.push({ op: 'link', projectId, billingGroupId: mainId, declared: true });
          break;
        }
        if (projectId !== undefined) changes.push({ op: 'link', projectId, allowTransfer: after.allowTransfer === true, ...groupRef(after, rc.groupName) });
      }
      break;
    }
    case 'groupPermission': {
      const kept = (action === 'update' || action === 'no-op') && same(before.userId, after.userId) && same(before.billingGroupId, after.billingGroupId);
      if (kept) {
        changes.push({ op: 'grant', userId: after.userId as string, ...groupRef(after, rc.groupName) });
        break;
      }
      const moves = action === 'update' || action === 'replace';
      const held = !live.permissions || live.permissions.some((p) => p.userId === before.userId && p.billingGroupId === before.billingGroupId);
      if ((removes || moves) && held && str(before.userId) !== undefined && str(before.billingGroupId) !== undefined) {
        changes.push({ op: 'revoke', userId: before.userId as string, billingGroupId: before.billingGroupId as string });
      }
      if (adds || moves) {
        const userId = str(after.userId);
        if (userId !== undefined) changes.push({ op: 'grant', userId, ...groupRef(after, rc.groupName) });
      }
      break;
    }
  }
  return { changes, notes };
}

function adoptable(live: LiveView, name: unknown): string | undefined {
  return findByName(live.groups, name)?.id;
}

function groupName(live: LiveView, id: string | undefined): string | undefined {
  return id === undefined ? undefined : live.groups.find((g) => g.id === id)?.name;
}

/** The definition of a kind (re-exported for adapters that map by kind). */
export function definitionOf(kind: ResourceKind): ResourceDefinition {
  return resources[kind];
}
