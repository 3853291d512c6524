/**
 * Who sees what (SPEC §1, §10): the one function the service asks before any rule runs.
 *
 * What a caller may not see does not exist for them: `resolve` answers the object or
 * throws the same `*_NOT_FOUND` error an unknown id gets, with a message that names only
 * the id the caller sent. `FORBIDDEN` (403) is left to the service, for visible objects
 * the caller may not change.
 *
 * - a billing_admin sees everything in the domain (deleted groups included);
 * - any other user sees the live groups they are members of, the projects of those groups
 *   (every project when a member of the main group), the invoices and credits of those
 *   groups, and of the users only themselves;
 * - payment method references are shown to billing_admins only (`present`).
 */
import { diagnostic } from '../domain/messages';
import type { DomainState, Group, Project, User } from '../domain/types';
import { ruleError } from './errors';

export interface Visibility {
  readonly actor: User;
  readonly admin: boolean;
  /** Ids of the groups the caller is a member of (empty for admins: they see all). */
  readonly memberOf: ReadonlySet<string>;
  /** A member of the main group sees every project. */
  readonly allProjects: boolean;
}

export function visibilityOf(state: DomainState, actor: User): Visibility {
  const admin = actor.role === 'billing_admin';
  const memberOf = new Set<string>();
  if (!admin) for (const p of state.permissions) if (p.userId === actor.id) memberOf.add(p.billingGroupId);
  return { actor, admin, memberOf, allProjects: admin || memberOf.has(state.domain.mainGroupId) };
}

export function seesGroup(v: Visibility, groupId: string): boolean {
  return v.admin || v.memberOf.has(groupId);
}

export function seesProject(v: Visibility, p: Pick<Project, 'billingGroupId'>): boolean {
  return v.allProjects || v.memberOf.has(p.billingGroupId);
}

export function seesUser(v: Visibility, userId: string): boolean {
  return v.admin || v.actor.id === userId;
}

/** The `*_NOT_FOUND` error of an id the caller cannot see (same text as for an unknown id). */
export function notVisible(kind: 'group' | 'project' | 'user', id: string, path?: (string | number)[]) {
  const code = kind === 'group' ? 'GROUP_NOT_FOUND' : kind === 'project' ? 'PROJECT_NOT_FOUND' : 'USER_NOT_FOUND';
  const params = kind === 'group' ? { ref: id } : { id };
  return ruleError([diagnostic(code, params, path ? { path } : {})]);
}

/** `found` when the caller may see it, else the NOT_FOUND error of an unknown id. */
export function resolve<T>(
  kind: 'group' | 'project' | 'user',
  id: string,
  found: T | undefined,
  visible: (x: T) => boolean,
  path?: (string | number)[],
): T {
  if (found === undefined || !visible(found)) throw notVisible(kind, id, path);
  return found;
}

/** A group as this caller may see it: the payment reference only for billing_admins. */
export function present(v: Visibility, g: Group): Group {
  if (v.admin || !g.paymentMethod) return g;
  return { ...g, paymentMethod: { ...g.paymentMethod, reference: null as unknown as string } };
}

/**
 * An event payload as this caller may see it: any `paymentMethod` object in it (a group
 * before/after) loses its reference for non-admins. Payloads are the service's own
 * shallow objects, so two levels are enough.
 */
export function presentPayload(v: Visibility, payload: unknown): unknown {
  if (v.admin || !payload || typeof payload !== 'object') return payload;
  const o = payload as Record<string, unknown>;
  if (!('paymentMethod' in o)) return payload;
  const pm = o.paymentMethod as Record<string, unknown> | null;
  return pm && typeof pm === 'object' ? { ...o, paymentMethod: { ...pm, reference: null } } : payload;
}
