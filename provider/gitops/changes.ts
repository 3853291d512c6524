/**
 * A parsed plan (Terraform plan JSON or Pulumi preview) as the change list of SPEC §3, the
 * input of the rules engine, through the one change model (`resourceChanges` in
 * provider/domain/change-model.ts, whose header has the table of what each action means).
 * Every change remembers the planned resource it came from, so a diagnostic's `index`
 * leads back to a resource address.
 *
 * What this adapter adds is the plan's own knowledge: a group reference that is unknown at
 * plan time (the id of a group created or replaced in the same plan) is resolved through
 * the plan's references to that group's planned id or name; a reference to the main group
 * resolves to its id. What cannot be resolved stays unknown, its checks are skipped, and a
 * note says so. Unchanged links and memberships are mapped too: they declare their object
 * (a second link for an already linked project is PROJECT_MULTI_LINK).
 */
import { resourceChanges } from '../domain/change-model';
import type { Change, Diagnostic, DomainState } from '../domain/types';
import type { ParsedPlan, PlannedResource, Values } from './model';

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
  /** Warnings of the change model itself (e.g. LINK_MOVED_OUTSIDE), with their resource. */
  warnings: { diagnostic: Diagnostic; origin: PlannedResource }[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** What a planned resource leaves unchecked because a value is unknown, for people. */
function unknownNote(r: PlannedResource): string | undefined {
  const before = r.before ?? {};
  const after = r.after ?? {};
  const removes = r.action === 'delete' || r.action === 'replace';
  const adds = r.action !== 'delete' && r.action !== 'forget';
  switch (r.kind) {
    case 'billingGroup':
      if (removes && str(before.id) === undefined) return 'the id of the group being deleted is not in the plan; the delete was not checked';
      if (r.action === 'update' && str(before.id) === undefined) return 'the id of the group being updated is not in the plan; the update was not checked';
      return undefined;
    case 'mainBillingGroup':
      return r.action === 'delete' || r.action === 'forget' ? 'the main group is only removed from state; it is never deleted' : undefined;
    case 'projectLink':
      if (removes && str(before.projectId) === undefined) return 'the project of the link being destroyed is not in the plan; not checked';
      if (adds && str(after.projectId) === undefined) return 'the project id is known only after apply; the link was not checked';
      return undefined;
    case 'groupPermission':
      if (adds && str(after.userId) === undefined) return 'the user id is known only after apply; the membership was not checked';
      return undefined;
  }
}

export function mapPlan(plan: ParsedPlan, state: DomainState): Mapping {
  const changes: Change[] = [];
  const origins: PlannedResource[] = [];
  const notes: MappingNote[] = [];
  const warnings: Mapping['warnings'] = [];
  const byAddress = new Map(plan.resources.map((r) => [r.address, r]));
  const mainId = state.domain.mainGroupId;
  const projects = new Map(state.projects.map((p) => [p.id, p]));
  const live = { domain: state.domain, groups: state.groups, findProject: (id: string) => projects.get(id) };
  const note = (r: PlannedResource, text: string) => notes.push({ address: r.address, label: r.label, text });

  /** An unknown group reference, resolved through the plan: the main group's id, a planned id, or a planned name. */
  const resolveRef = (r: PlannedResource, after: Values): { after: Values; groupName?: string; unresolved: boolean } => {
    if (r.kind !== 'projectLink' && r.kind !== 'groupPermission') return { after, unresolved: false };
    if (str(after.billingGroupId) !== undefined) return { after, unresolved: false };
    for (const addr of r.refs.billingGroupId ?? []) {
      const target = byAddress.get(addr);
      if (!target) continue;
      if (target.kind === 'mainBillingGroup') return { after: { ...after, billingGroupId: mainId }, unresolved: false };
      if (target.kind !== 'billingGroup' || !target.after) continue;
      const id = str(target.after.id);
      if (id !== undefined) return { after: { ...after, billingGroupId: id }, unresolved: false };
      const name = str(target.after.name);
      if (name !== undefined) return { after, groupName: name, unresolved: false };
    }
    return { after, unresolved: true };
  };

  for (const r of plan.resources) {
    const unknown = unknownNote(r);
    if (unknown) note(r, unknown);
    const adds = r.after !== null && r.action !== 'delete' && r.action !== 'forget';
    const ref: { after: Values | null; groupName?: string; unresolved: boolean } = adds ? resolveRef(r, r.after!) : { after: r.after, unresolved: false };
    if (adds && ref.unresolved && r.action !== 'no-op') note(r, `the billing group is known only after apply; the ${r.kind === 'projectLink' ? 'move' : 'membership'} was not checked`);
    const mapped = resourceChanges({ kind: r.kind, action: r.action, before: r.before, after: ref.after, groupName: ref.groupName, adopt: r.adopt }, live);
    for (const c of mapped.changes) {
      // A membership whose group is unknown cannot be judged (a grant needs its group).
      if (c.op === 'grant' && c.billingGroupId === undefined && c.billingGroupName === undefined) continue;
      changes.push(c);
      origins.push(r);
    }
    if (r.kind === 'billingGroup' && r.action === 'create' && r.adopt && mapped.changes[0]?.op === 'updateGroup') {
      note(r, `adopts the existing group ${(mapped.changes[0] as { id: string }).id} of that name`);
    }
    if (r.kind === 'projectLink' && r.action === 'delete' && mapped.changes.length === 0 && mapped.notes.length === 0) {
      const pid = str(r.before?.projectId);
      if (pid !== undefined && projects.get(pid)?.billingGroupId === mainId) note(r, `project ${pid} is already in the main group; destroying the link changes nothing`);
    }
    for (const d of mapped.notes) warnings.push({ diagnostic: d, origin: r });
  }
  return { changes, origins, notes, warnings };
}
