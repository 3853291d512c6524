/**
 * The rules engine: every rule of SPEC §2, pure (no I/O, no clock unless given).
 *
 *   evaluate(state, changes, ctx) -> { errors, warnings, next }
 *
 * `changes` describe a desired result, not a sequence (SPEC §3): a delete whose projects
 * are all moved away by the same set is fine, two creates with one name clash, planned
 * creates count toward the sub group limit. A field that is `undefined` is unknown (a
 * value only known after apply) and its checks are skipped, never guessed.
 *
 * Ordering (SPEC §2): FORBIDDEN and *_NOT_FOUND come first, then every other error in
 * change order. A change with a NOT_FOUND error is not checked further.
 * `next` is the state after applying the changes; when there are errors it is `state`.
 * With unknown values `next` is a best guess: an unknown link target leaves the project
 * where it is, an unknown grant target adds no permission.
 */
import { diagnostic, NAME_TEXT_REASONS, type RuleCode } from './messages';
import { nameKey, nameTextProblem } from './text';
import type { Change, ChangeOp, Diagnostic, DomainState, Group, GroupInput, Permission, Project, User } from './types';

export interface EvaluateContext {
  /** The caller. When given and not a billing_admin, every change is FORBIDDEN. */
  actor?: Pick<User, 'id' | 'role'> & { email?: string };
  /** Clock for timestamps and `effectiveFrom`. Default: now. */
  now?: Date;
  /** Id generator for groups created by the change set. Default: `planned:<index>`. */
  newId?: (index: number) => string;
}

export interface EvaluateResult {
  errors: Diagnostic[];
  warnings: Diagnostic[];
  next: DomainState;
}

export const MAX_NAME_LENGTH = 64;
export const BILLING_EMAILS_MAX = 10;
export const INVOICE_EMAILS_MAX = 2;

/** Group names are compared trimmed, NFC and fully case-folded (`nameKey`, SPEC §10). */
export function normalizeName(name: string): string {
  return nameKey(name);
}

const EMAIL_RE =
  /^(?!\.)(?!.*\.\.)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}(?<!\.)@(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;

export function isValidEmail(email: unknown): boolean {
  return typeof email === 'string' && EMAIL_RE.test(email);
}

/** First day of the month after `now`, UTC, as YYYY-MM-DD. */
export function firstOfNextMonth(now: Date): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return d.toISOString().slice(0, 10);
}

/** First day of the month of `now`, UTC, as YYYY-MM-DD. */
export function firstOfMonth(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
}

// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

function checkName(name: unknown, where: { index?: number }): Diagnostic[] {
  const at = { ...where, path: ['name'] };
  if (typeof name !== 'string') return [diagnostic('NAME_INVALID', { reason: 'The name must be a string' }, at)];
  if (name.trim() === '') return [diagnostic('NAME_INVALID', { reason: 'The name is blank' }, at)];
  const length = [...name].length;
  if (length > MAX_NAME_LENGTH) return [diagnostic('NAME_INVALID', { reason: `The name has ${length} characters` }, at)];
  if (CONTROL_RE.test(name)) return [diagnostic('NAME_INVALID', { reason: 'The name contains a control character' }, at)];
  const problem = nameTextProblem(name);
  if (problem) return [diagnostic('NAME_INVALID', { reason: NAME_TEXT_REASONS[problem] }, at)];
  return [];
}

function checkEmails(
  list: unknown,
  field: 'billingEmails' | 'invoiceEmails',
  where: { index?: number },
): Diagnostic[] {
  const code: RuleCode = field === 'billingEmails' ? 'BILLING_EMAILS_COUNT' : 'INVOICE_EMAILS_COUNT';
  const max = field === 'billingEmails' ? BILLING_EMAILS_MAX : INVOICE_EMAILS_MAX;
  if (!Array.isArray(list)) return [diagnostic(code, { count: 0 }, { ...where, path: [field] })];
  const out: Diagnostic[] = [];
  if (list.length < 1 || list.length > max) out.push(diagnostic(code, { count: list.length }, { ...where, path: [field] }));
  const seen = new Set<string>();
  list.forEach((email, i) => {
    if (email === undefined) return; // unknown element
    if (!isValidEmail(email)) {
      out.push(diagnostic('EMAIL_INVALID', { email }, { ...where, path: [field, i] }));
      return;
    }
    const key = (email as string).toLowerCase();
    if (seen.has(key)) out.push(diagnostic(code, { duplicate: email }, { ...where, path: [field, i] }));
    seen.add(key);
  });
  return out;
}

/**
 * Checks that need only the group's own fields (no live state): name, e-mail counts and
 * syntax. Fields that are `undefined` are unknown and skipped. Used by `evaluate` and by
 * config-only validation (Terraform ValidateResourceConfig, CDKTF synth).
 */
export function checkGroupInput(group: Partial<GroupInput>, where: { index?: number } = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (group.name !== undefined) out.push(...checkName(group.name, where));
  if (group.billingEmails !== undefined) out.push(...checkEmails(group.billingEmails, 'billingEmails', where));
  if (group.invoiceEmails !== undefined) out.push(...checkEmails(group.invoiceEmails, 'invoiceEmails', where));
  return out;
}

/**
 * The part of `state` that the rules of `changes` read, so that judging one link or one
 * permission costs O(1) instead of O(domain): evaluating the slice gives the same errors
 * and warnings as the whole state (only `next` is partial). Used by the API server per
 * request and by the Terraform provider per resource.
 * - link/unlink only: the named projects; no users or permissions (only grants, revokes
 *   and group deletes read those);
 * - grant/revoke only: no projects (only links, unlinks and group deletes read those);
 * - anything else: the whole state.
 * `findProject` looks a project up by id (default: a scan of `state.projects`).
 */
export function stateReadBy(
  state: DomainState,
  changes: Change[],
  findProject: (id: string) => Project | undefined = (id) => state.projects.find((p) => p.id === id),
): DomainState {
  if (changes.every((c) => c.op === 'link' || c.op === 'unlink')) {
    const projects: Project[] = [];
    for (const c of changes) {
      const p = findProject(c.projectId);
      if (p && !projects.includes(p)) projects.push(p);
    }
    return { ...state, projects, users: [], permissions: [] };
  }
  if (changes.every((c) => c.op === 'grant' || c.op === 'revoke')) return { ...state, projects: [] };
  return state;
}

const FIRST_CODES = new Set(['FORBIDDEN', 'GROUP_NOT_FOUND', 'PROJECT_NOT_FOUND', 'USER_NOT_FOUND']);

type PlannedGroup = Group & { createdIndex?: number; renamedIndex?: number };

export function evaluate(state: DomainState, changes: Change[], ctx: EvaluateContext = {}): EvaluateResult {
  changes.forEach(assertChangeShape);
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const now = ctx.now ?? new Date();
  const nowIso = now.toISOString();
  const fail = (): EvaluateResult => ({ errors: sortErrors(errors), warnings: sortWarnings(warnings), next: state });

  if (ctx.actor && ctx.actor.role !== 'billing_admin') {
    changes.forEach((_, index) => errors.push(diagnostic('FORBIDDEN', {}, { index })));
    return fail();
  }

  const mainId = state.domain.mainGroupId;
  const groups = new Map<string, PlannedGroup>(state.groups.map((g) => [g.id, { ...g }]));
  const projects = new Map(state.projects.map((p) => [p.id, p]));
  const users = new Map(state.users.map((u) => [u.id, u]));
  const broken = new Set<number>(); // changes with a NOT_FOUND error

  // Pass 1: deletes and creates, so that references by name and "being deleted" resolve.
  const deleted = new Map<string, number>(); // group id -> index of its delete
  changes.forEach((c, index) => {
    if (c.op === 'deleteGroup' && groups.has(c.id) && c.id !== mainId && !deleted.has(c.id)) deleted.set(c.id, index);
  });
  changes.forEach((c, index) => {
    if (c.op !== 'createGroup') return;
    const id = c.id ?? (ctx.newId ? ctx.newId(index) : `planned:${index}`);
    groups.set(id, {
      id,
      name: c.group.name,
      type: 'sub',
      billingEmails: c.group.billingEmails,
      invoiceEmails: c.group.invoiceEmails,
      paymentMethod: c.group.paymentMethod ?? null,
      details: withDefaultCurrency(c.group.details),
      createdAt: nowIso,
      updatedAt: nowIso,
      createdBy: ctx.actor?.id ?? 'unknown',
      version: 1,
      projectCount: 0,
      createdIndex: index,
    });
  });
  // Updates (renames must be known before names are resolved).
  changes.forEach((c, index) => {
    if (c.op !== 'updateGroup') return;
    const g = groups.get(c.id);
    if (!g || g.createdIndex !== undefined || deleted.has(c.id)) return;
    const patch = definedOnly(writable(c.group));
    // The main group keeps its name (MAIN_GROUP_IMMUTABLE_NAME is reported in pass 3): a
    // wanted rename must neither free the domain's name nor take another group's name.
    if (g.type === 'main') delete patch.name;
    const merged: PlannedGroup = {
      ...g,
      ...patch,
      paymentMethod: 'paymentMethod' in patch ? (patch.paymentMethod ?? null) : g.paymentMethod,
      details: 'details' in patch ? withDefaultCurrency(patch.details) : g.details,
      version: g.version + 1,
      updatedAt: nowIso,
    };
    if (patch.name !== undefined && patch.name !== g.name) merged.renamedIndex = index;
    groups.set(c.id, merged);
  });

  const byName = new Map<string, PlannedGroup>();
  for (const g of groups.values()) {
    if (!deleted.has(g.id) && typeof g.name === 'string' && !byName.has(normalizeName(g.name))) byName.set(normalizeName(g.name), g);
  }

  /** Resolve a group reference; undefined = unknown target; null = reported as not found. */
  const resolve = (
    c: { billingGroupId?: string; billingGroupName?: string },
    index: number,
    what: string,
    /** Revoke: a group deleted by this set loses its memberships anyway, so it is no error. */
    allowDeleted = false,
  ): PlannedGroup | undefined | null => {
    if (c.billingGroupId === undefined && c.billingGroupName === undefined) return undefined;
    const byNameRef = c.billingGroupId === undefined;
    const ref = (byNameRef ? c.billingGroupName : c.billingGroupId) as string;
    // By name, a group deleted by this set is not in `byName`; find it to say so.
    const named = (n: string) => byName.get(normalizeName(n)) ?? [...groups.values()].find((x) => deleted.has(x.id) && normalizeName(x.name) === normalizeName(n));
    const g = byNameRef ? (typeof ref === 'string' ? named(ref) : undefined) : groups.get(ref);
    const path = [byNameRef ? 'billingGroupName' : 'billingGroupId'];
    if (!g) {
      errors.push(diagnostic('GROUP_NOT_FOUND', { ref, byName: byNameRef, what }, { index, path }));
      broken.add(index);
      return null;
    }
    if (deleted.has(g.id) && !allowDeleted) {
      errors.push(diagnostic('GROUP_NOT_FOUND', { ref, deleting: true, what }, { index, path }));
      broken.add(index);
      return null;
    }
    return g;
  };

  // Pass 2: existence checks, per change.
  const targets = new Map<number, PlannedGroup | undefined>();
  changes.forEach((c, index) => {
    switch (c.op) {
      case 'updateGroup':
      case 'deleteGroup': {
        const g = groups.get(c.id);
        if (!g || g.createdIndex !== undefined) {
          errors.push(diagnostic('GROUP_NOT_FOUND', { ref: c.id }, { index, path: ['id'] }));
          broken.add(index);
        } else if (c.op === 'updateGroup' && deleted.has(c.id)) {
          errors.push(diagnostic('GROUP_NOT_FOUND', { ref: c.id, deleting: true, what: 'update' }, { index, path: ['id'] }));
          broken.add(index);
        }
        break;
      }
      case 'link':
      case 'unlink': {
        if (!projects.has(c.projectId)) {
          errors.push(diagnostic('PROJECT_NOT_FOUND', { id: c.projectId }, { index, path: ['projectId'] }));
          broken.add(index);
        }
        if (c.op === 'link') {
          const g = resolve(c, index, 'link');
          if (g !== null) targets.set(index, g);
        } else targets.set(index, groups.get(mainId));
        break;
      }
      case 'grant':
      case 'revoke': {
        // Group before user: the order of the API path /billing-groups/{id}/permissions/{userId}.
        const g = resolve(c, index, c.op === 'grant' ? 'permission' : 'revoke', c.op === 'revoke');
        if (g !== null) targets.set(index, g);
        if (!users.has(c.userId)) {
          errors.push(diagnostic('USER_NOT_FOUND', { id: c.userId }, { index, path: ['userId'] }));
          broken.add(index);
        }
        break;
      }
      case 'createGroup':
        break;
    }
  });

  // Pass 3: group fields, names, limits, payment.
  const main = groups.get(mainId)!;
  let subCount = state.groups.filter((g) => g.type === 'sub' && !deleted.has(g.id)).length;
  const limit = state.domain.subGroupLimit;
  // The last update of main that mentions paymentMethod decides; `undefined` = unknown until apply.
  let mainPaymentUnknown = false;
  for (const c of changes) {
    if (c.op === 'updateGroup' && c.id === mainId && c.group && 'paymentMethod' in c.group) mainPaymentUnknown = c.group.paymentMethod === undefined;
  }
  changes.forEach((c, index) => {
    if (broken.has(index)) return;
    if (c.op === 'createGroup') {
      errors.push(...checkGroupInput(c.group, { index }));
      subCount += 1;
      if (subCount > limit) errors.push(diagnostic('SUB_GROUP_LIMIT', { limit, count: subCount, name: c.group.name }, { index }));
      if (!main.paymentMethod && !mainPaymentUnknown) errors.push(diagnostic('MAIN_PAYMENT_REQUIRED', { mainName: main.name, name: c.group.name }, { index }));
      if (!paymentUnknown(c.group) && !c.group.paymentMethod) {
        warnings.push(diagnostic('NO_PAYMENT_METHOD', { name: c.group.name }, { index, path: ['paymentMethod'] }));
      }
    } else if (c.op === 'updateGroup') {
      const before = state.groups.find((g) => g.id === c.id)!;
      const after = groups.get(c.id)!;
      if (c.expectedVersion !== undefined && c.expectedVersion !== before.version) {
        errors.push(diagnostic('STALE_VERSION', { id: c.id, expected: c.expectedVersion, actual: before.version }, { index }));
      }
      const { name, ...rest } = definedOnly(c.group);
      if (before.type === 'main' && name !== undefined && name !== before.name) {
        errors.push(diagnostic('MAIN_GROUP_IMMUTABLE_NAME', { name: before.name, wanted: name }, { index, path: ['name'] }));
        errors.push(...checkGroupInput(rest, { index }));
      } else {
        errors.push(...checkGroupInput(definedOnly(c.group), { index }));
      }
      if (!paymentUnknown(c.group) && !after.paymentMethod) {
        warnings.push(diagnostic('NO_PAYMENT_METHOD', { name: after.name }, { index, path: ['paymentMethod'] }));
      }
    }
  });

  // NAME_TAKEN: among the groups of the desired state, reported on the change that brings the name.
  const seenNames = new Map<string, PlannedGroup>();
  const named = [...groups.values()]
    .filter((g) => !deleted.has(g.id) && typeof g.name === 'string')
    .sort((a, b) => introducedAt(a) - introducedAt(b));
  for (const g of named) {
    const key = normalizeName(g.name);
    const other = seenNames.get(key);
    const index = g.createdIndex ?? g.renamedIndex;
    if (other && index !== undefined && !broken.has(index) && !(g.type === 'main')) {
      errors.push(
        diagnostic(
          'NAME_TAKEN',
          { name: g.name, otherName: other.name, otherId: other.createdIndex === undefined ? other.id : undefined },
          { index, path: ['name'] },
        ),
      );
    }
    if (!other) seenNames.set(key, g);
  }

  // Links: one change per project, moves, transfers.
  const effectiveFrom = firstOfNextMonth(now);
  const linkedAt = new Map<string, number>();
  const moves = new Map<string, { to: string; index: number }>();
  const movesToUnknown = new Set<string>(); // projects linked to a group known only after apply
  changes.forEach((c, index) => {
    if (c.op !== 'link' && c.op !== 'unlink') return;
    const first = linkedAt.get(c.projectId);
    if (first !== undefined) {
      errors.push(diagnostic('PROJECT_MULTI_LINK', { id: c.projectId, name: projects.get(c.projectId)?.name, first, second: index }, { index, path: ['projectId'] }));
      return;
    }
    linkedAt.set(c.projectId, index);
    if (broken.has(index) || (c.op === 'link' && c.declared === true)) return;
    const project = projects.get(c.projectId)!;
    const target = targets.get(index);
    if (!target) {
      movesToUnknown.add(c.projectId); // target unknown until apply
      return;
    }
    const from = groups.get(project.billingGroupId)!;
    const toMain = target.id === mainId;
    if (toMain && project.billingGroupId === mainId) {
      errors.push(diagnostic('MAIN_UNLINK_FORBIDDEN', { id: c.projectId, name: project.name }, { index, path: c.op === 'link' ? [refField(c)] : ['projectId'] }));
      return;
    }
    if (target.id === project.billingGroupId) return; // already there: nothing to do
    if (!toMain && from.type === 'sub' && c.op === 'link' && c.allowTransfer !== true) {
      errors.push(
        diagnostic('TRANSFER_NOT_ACKNOWLEDGED', { id: c.projectId, name: project.name, fromName: from.name, toName: target.name }, { index, path: ['allowTransfer'] }),
      );
      return;
    }
    moves.set(c.projectId, { to: target.id, index });
    warnings.push(
      diagnostic('LINK_EFFECTIVE_NEXT_MONTH', { id: c.projectId, name: project.name, toName: target.name, fromName: from.name, effectiveFrom }, { index }),
    );
  });

  // Deletes.
  const nextGroupOf = (p: Project) => moves.get(p.id)?.to ?? p.billingGroupId;
  changes.forEach((c, index) => {
    if (c.op !== 'deleteGroup' || broken.has(index)) return;
    const g = groups.get(c.id)!;
    if (g.id === mainId) {
      errors.push(diagnostic('MAIN_GROUP_UNDELETABLE', { name: g.name }, { index }));
      return;
    }
    // Every delete's own confirmName is checked; the group's rules are reported once.
    if (c.confirmName !== undefined && c.confirmName !== g.name) {
      errors.push(diagnostic('DELETE_CONFIRMATION', { name: g.name, given: c.confirmName }, { index, path: ['confirmName'] }));
    }
    if (deleted.get(c.id) !== index) return; // the same group deleted twice: reported once
    // A project moving to an unknown group is not known to stay (it cannot be this one: GROUP_NOT_FOUND).
    const left = state.projects.filter((p) => nextGroupOf(p) === g.id && !movesToUnknown.has(p.id));
    if (left.length > 0) {
      const ids = left.slice(0, 10).map((p) => p.id).join(', ') + (left.length > 10 ? ', ...' : '');
      errors.push(diagnostic('DELETE_HAS_PROJECTS', { name: g.name, count: left.length, ids }, { index }));
    }
    const f = g.finance;
    if (f) {
      if (f.openInvoices > 0) errors.push(diagnostic('DELETE_OUTSTANDING_BALANCE', { name: g.name, count: f.openInvoices, amount: f.outstandingAmount }, { index }));
      if (f.unbilledUsage > 0) errors.push(diagnostic('DELETE_UNBILLED_USAGE', { name: g.name, amount: f.unbilledUsage }, { index }));
      if (f.paidCredits > 0) errors.push(diagnostic('DELETE_PAID_CREDITS', { name: g.name, amount: f.paidCredits }, { index }));
      if (f.freeCredits > 0) warnings.push(diagnostic('FREE_CREDITS_FORFEITED', { name: g.name, amount: f.freeCredits }, { index }));
    }
    warnings.push(diagnostic('DELETE_IRREVERSIBLE', { name: g.name }, { index }));
  });

  // Permissions.
  const permKey = (userId: string, groupId: string) => `${userId}\u0000${groupId}`;
  const perms = new Map<string, Permission>(state.permissions.map((p) => [permKey(p.userId, p.billingGroupId), p]));
  const removedBy = new Map<string, number>(); // userId -> last change index that removed a membership
  for (const [key, p] of perms) {
    const at = deleted.get(p.billingGroupId);
    if (at !== undefined) {
      perms.delete(key);
      removedBy.set(p.userId, Math.max(removedBy.get(p.userId) ?? -1, at));
    }
  }
  const grantsToUnknown = new Set<string>();
  changes.forEach((c, index) => {
    if ((c.op !== 'grant' && c.op !== 'revoke') || broken.has(index)) return;
    const g = targets.get(index);
    if (!g) {
      if (c.op === 'grant') grantsToUnknown.add(c.userId); // a membership somewhere, known after apply
      return;
    }
    const key = permKey(c.userId, g.id);
    if (c.op === 'grant') {
      if (!perms.has(key)) perms.set(key, { userId: c.userId, billingGroupId: g.id, createdAt: nowIso });
    } else if (perms.delete(key)) {
      removedBy.set(c.userId, Math.max(removedBy.get(c.userId) ?? -1, index));
    }
  });
  const stillMember = new Set([...perms.values()].map((p) => p.userId));
  for (const [userId, index] of removedBy) {
    const user = users.get(userId);
    if (!user || user.role === 'billing_admin' || stillMember.has(userId) || grantsToUnknown.has(userId)) continue;
    const c = changes[index];
    const groupName = c.op === 'deleteGroup' ? groups.get(c.id)?.name : targets.get(index)?.name;
    warnings.push(diagnostic('USER_LOSES_BILLING_ACCESS', { userId, userEmail: user.email, groupName }, c.op === 'deleteGroup' ? { index } : { index, path: ['userId'] }));
  }

  if (errors.length > 0) return fail();

  // Build the next state.
  const nextProjects = state.projects.map((p) => {
    const m = moves.get(p.id);
    return m ? { ...p, billingGroupId: m.to, effectiveFrom } : p;
  });
  const counts = new Map<string, number>();
  for (const p of nextProjects) counts.set(p.billingGroupId, (counts.get(p.billingGroupId) ?? 0) + 1);
  const nextGroups: Group[] = [];
  for (const g of groups.values()) {
    if (deleted.has(g.id)) continue;
    const { createdIndex: _c, renamedIndex: _r, ...plain } = g;
    const out: Group = { ...plain, projectCount: counts.get(g.id) ?? 0 };
    if (g.id === mainId) out.totalProjectCount = nextProjects.length;
    nextGroups.push(out);
  }
  return {
    errors: [],
    warnings: sortWarnings(warnings),
    next: { ...state, groups: nextGroups, projects: nextProjects, permissions: [...perms.values()] },
  };
}

/** `paymentMethod: undefined` present as a key = unknown at plan time; absent or null = none. */
function paymentUnknown(group: Partial<GroupInput>): boolean {
  return 'paymentMethod' in group && group.paymentMethod === undefined;
}

function introducedAt(g: { createdIndex?: number; renamedIndex?: number }): number {
  const i = g.createdIndex ?? g.renamedIndex;
  return i === undefined ? -1 : i;
}

function refField(c: { billingGroupId?: string }): string {
  return c.billingGroupId === undefined ? 'billingGroupName' : 'billingGroupId';
}

function withDefaultCurrency(details: GroupInput['details']): Group['details'] {
  return { ...(details ?? {}), currency: details?.currency ?? 'USD' };
}

/** Only the writable fields of a group: a patch from a plan file or program can carry
 *  anything (`id`, `type`, `version`...), which must not overwrite the group's own. */
function writable(g: Partial<GroupInput>): Partial<GroupInput> {
  const out: Partial<GroupInput> = {};
  for (const k of ['name', 'billingEmails', 'invoiceEmails', 'paymentMethod', 'details'] as const) {
    if (g && Object.prototype.hasOwnProperty.call(g, k)) (out as Record<string, unknown>)[k] = g[k];
  }
  return out;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Warnings in change order (stable within one change). */
function sortWarnings(warnings: Diagnostic[]): Diagnostic[] {
  return [...warnings].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
}

function sortErrors(errors: Diagnostic[]): Diagnostic[] {
  const rank = (d: Diagnostic) => (FIRST_CODES.has(d.code) ? 0 : 1);
  return errors
    .map((d, i) => ({ d, i }))
    .sort((a, b) => rank(a.d) - rank(b.d) || (a.d.index ?? 0) - (b.d.index ?? 0) || a.i - b.i)
    .map((x) => x.d);
}

/** Every op of the change list (SPEC §3); the API's request schema enumerates the same. */
export const CHANGE_OPS: readonly ChangeOp[] = ['createGroup', 'updateGroup', 'deleteGroup', 'link', 'unlink', 'grant', 'revoke'];
const KNOWN_OPS: ReadonlySet<string> = new Set(CHANGE_OPS);

/**
 * A change the rules cannot read is a caller's bug, not a rule violation: name it. Ids of any
 * kind are read (one that is not a string is simply not found); a createGroup/updateGroup
 * without its `group` object is refused here, as the API refuses it with 400 before the rules.
 */
function assertChangeShape(c: unknown, index: number): void {
  const change = c as Record<string, unknown> | null;
  const op = change && typeof change === 'object' ? change.op : undefined;
  if (typeof op !== 'string' || !KNOWN_OPS.has(op)) {
    throw new TypeError(`changes[${index}]: "op" must be one of ${CHANGE_OPS.join(', ')}, not ${JSON.stringify(op ?? change)}`);
  }
  if ((op === 'createGroup' || op === 'updateGroup') && (typeof change!.group !== 'object' || change!.group === null)) {
    throw new TypeError(`changes[${index}]: a ${op} change needs "group", an object with the group's settings`);
  }
}
