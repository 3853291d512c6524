/**
 * Maps planned resource actions to the change list of SPEC §3, the input of the rules
 * engine. Every change remembers the planned resource it came from, so a diagnostic's
 * `index` leads back to a resource address.
 *
 * | resource             | create        | update        | delete                  | replace                      |
 * |----------------------|---------------|---------------|-------------------------|------------------------------|
 * | billing_group        | createGroup   | updateGroup   | deleteGroup             | deleteGroup + createGroup    |
 * | main_billing_group   | updateGroup (adopts main) | updateGroup | — (forgets)   | updateGroup                  |
 * | project_link         | link          | link          | unlink (if not in main) | unlink old + link new        |
 * | group_permission     | grant         | revoke+grant  | revoke                  | revoke old + grant new       |
 *
 * A group reference that is unknown at plan time (the id of a group created or replaced
 * in the same plan) is resolved through the plan's references to that group's planned
 * name (`billingGroupName`); a reference to the main group resolves to its id. What
 * cannot be resolved stays unknown and its checks are skipped (and noted).
 */
import type { Change, DomainState, GroupInput, GroupRef } from '../domain/types';
import type { ParsedPlan, PlannedResource, Values } from './model';
import { normalizeName } from '../domain/rules';

export interface MappingNote {
  address: string;
  label: string;
  /** Tool message (not a rule): why something could not be checked. */
  text: string;
}

export interface Mapping {
  changes: Change[];
  /** `origins[i]` is the planned resource change `i` came from. */
  origins: PlannedResource[];
  notes: MappingNote[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function groupFields(v: Values, withName: boolean): Partial<GroupInput> {
  const out: Partial<GroupInput> = {};
  if (withName) out.name = v.name as string | undefined;
  out.billingEmails = v.billingEmails as string[] | undefined;
  out.invoiceEmails = v.invoiceEmails as string[] | undefined;
  // Present-but-undefined paymentMethod = unknown at plan time (the engine skips NO_PAYMENT_METHOD).
  out.paymentMethod = v.paymentMethod === undefined ? undefined : (v.paymentMethod as GroupInput['paymentMethod']) ?? null;
  if (v.details !== undefined && v.details !== null) out.details = stripNulls(v.details as Values) as GroupInput['details'];
  return out;
}

function stripNulls(o: Values): Values {
  const out: Values = {};
  for (const [k, v] of Object.entries(o)) if (v !== null) out[k] = v;
  return out;
}

export function mapPlan(plan: ParsedPlan, state: DomainState): Mapping {
  const changes: Change[] = [];
  const origins: PlannedResource[] = [];
  const notes: MappingNote[] = [];
  const byAddress = new Map(plan.resources.map((r) => [r.address, r]));
  const mainId = state.domain.mainGroupId;
  const projectGroup = new Map(state.projects.map((p) => [p.id, p.billingGroupId]));
  const push = (c: Change, r: PlannedResource) => {
    changes.push(c);
    origins.push(r);
  };
  const note = (r: PlannedResource, text: string) => notes.push({ address: r.address, label: r.label, text });
  const subByName = new Map(state.groups.filter((g) => g.type === 'sub').map((g) => [normalizeName(g.name), g]));
  const adoptable = (name: unknown) => (typeof name === 'string' ? subByName.get(normalizeName(name)) : undefined);

  /** The group a link or permission points at, by id, or by the planned name of a group created in the plan. */
  const groupRef = (r: PlannedResource, v: Values): GroupRef | null => {
    const id = str(v.billingGroupId);
    if (id !== undefined) return { billingGroupId: id };
    for (const addr of r.refs.billingGroupId ?? []) {
      const target = byAddress.get(addr);
      if (!target) continue;
      if (target.kind === 'mainBillingGroup') return { billingGroupId: mainId };
      if (target.kind !== 'billingGroup' || !target.after) continue;
      const known = str(target.after.id);
      if (known !== undefined) return { billingGroupId: known };
      const name = str(target.after.name);
      if (name !== undefined) return { billingGroupName: name };
    }
    return null;
  };

  for (const r of plan.resources) {
    if (r.action === 'no-op') continue;
    const before = r.before ?? {};
    const after = r.after ?? {};
    switch (r.kind) {
      case 'billingGroup': {
        const oldId = str(before.id);
        if (r.action === 'delete' || r.action === 'replace') {
          if (oldId === undefined) note(r, 'the id of the group being deleted is not in the plan; the delete was not checked');
          else push({ op: 'deleteGroup', id: oldId }, r);
        }
        const adopted = r.action === 'create' && r.adopt ? adoptable(after.name) : undefined;
        if (adopted) {
          // `adopt: true` takes over the live group of that name: an update of it, not a second group.
          note(r, `adopts the existing group ${adopted.id} of that name`);
          push({ op: 'updateGroup', id: adopted.id, group: groupFields(after, true) }, r);
        } else if (r.action === 'create' || r.action === 'replace') {
          // The provider reserves a new group's id at plan time: links and grants of the plan name it.
          const c: Change = { op: 'createGroup', group: groupFields(after, true) as GroupInput };
          if (str(after.id) !== undefined) c.id = after.id as string;
          push(c, r);
        } else if (r.action === 'update') {
          if (oldId === undefined) note(r, 'the id of the group being updated is not in the plan; the update was not checked');
          else push({ op: 'updateGroup', id: oldId, group: groupFields(after, true) }, r);
        }
        break;
      }
      case 'mainBillingGroup': {
        if (r.action === 'delete' || r.action === 'forget') {
          note(r, 'the main group is only removed from state; it is never deleted');
          break;
        }
        push({ op: 'updateGroup', id: mainId, group: groupFields(after, false) }, r);
        break;
      }
      case 'projectLink': {
        if (r.action === 'delete' || r.action === 'replace') {
          const pid = str(before.projectId);
          if (pid === undefined) note(r, 'the project of the link being destroyed is not in the plan; not checked');
          else if (projectGroup.has(pid) && projectGroup.get(pid) === mainId) {
            // Already in the main group (moved out of band, or linked to main): destroying the link changes nothing.
            if (r.action === 'delete') note(r, `project ${pid} is already in the main group; destroying the link changes nothing`);
          } else push({ op: 'unlink', projectId: pid }, r);
        }
        if (r.action === 'create' || r.action === 'update' || r.action === 'replace') {
          const pid = str(after.projectId);
          if (pid === undefined) {
            note(r, 'the project id is known only after apply; the link was not checked');
            break;
          }
          const ref = groupRef(r, after);
          if (!ref) note(r, 'the billing group is known only after apply; the move was not checked');
          const c: Change = { op: 'link', projectId: pid, allowTransfer: after.allowTransfer === true, ...(ref ?? {}) };
          push(c, r);
        }
        break;
      }
      case 'groupPermission': {
        const removeOld = r.action === 'delete' || r.action === 'replace' || r.action === 'update';
        const addNew = r.action === 'create' || r.action === 'replace' || r.action === 'update';
        if (removeOld) {
          const uid = str(before.userId);
          const gid = str(before.billingGroupId);
          if (uid === undefined || gid === undefined) note(r, 'the membership being revoked is not in the plan; not checked');
          else push({ op: 'revoke', userId: uid, billingGroupId: gid }, r);
        }
        if (addNew) {
          const uid = str(after.userId);
          if (uid === undefined) {
            note(r, 'the user id is known only after apply; the membership was not checked');
            break;
          }
          const ref = groupRef(r, after);
          if (!ref) {
            note(r, 'the billing group is known only after apply; the membership was not checked');
            break;
          }
          push({ op: 'grant', userId: uid, ...ref }, r);
        }
        break;
      }
    }
  }
  return { changes, origins, notes };
}
