/**
 * The Billing API's operations, independent of HTTP. Every write that a rule of SPEC §2
 * governs builds its `Change` and calls the domain's `evaluate`; this module never
 * re-implements a rule. Writes must run inside `store.enqueue`/`store.tx` (the HTTP layer
 * does that, so the idempotency record lands in the same transaction); they persist the
 * rows, record the events and then replace the transaction's view of the state with
 * `evaluate`'s `next` (the store publishes it at COMMIT). Methods that touch the database
 * are async (either store, store.ts); the rules stay synchronous and pure.
 *
 * Access: ids (path and body) are resolved against the caller's view first (visibility.ts:
 * an object the caller cannot see is 404 like an unknown one, and no message names it),
 * then the role is checked (403, for visible objects only), then the rules run. Only a
 * billing_admin writes. Non-admins read the groups they are members of; a member of the
 * main group sees every project, a member of a sub group that group's.
 */
import { messageOf } from '../domain/messages';
import { evaluate, firstOfMonth, isValidEmail, normalizeName, stateReadBy } from '../domain/rules';
import type { Change, Diagnostic, DomainState, Group, GroupInput, Permission, Project, User } from '../domain/types';
import { badRequest, conflict, forbidden, notFound, ruleError, ruleViolation } from './errors';
import { fromMicros, newId, newToken, toMicros } from './ids';
import { withCounts, type Store } from './store';
import { API_TEXT } from '../domain/messages';
import { present, presentPayload, resolve, seesGroup, seesProject, seesUser, visibilityOf, type Visibility } from './visibility';

/** A group with its project counts in `state`. */
function withCountsOf(state: DomainState, g: Group): Group {
  const count = state.projects.filter((p) => p.billingGroupId === g.id).length;
  return g.type === 'main' ? { ...g, projectCount: count, totalProjectCount: state.projects.length } : { ...g, projectCount: count };
}

/**
 * The caller of a write: the user, and the Terraform workspace or Pulumi stack it writes
 * for when an IaC client sent `X-Cloudbilling-Managed-By` (SPEC §9 "managed by"). A write
 * with a label marks the objects it creates or changes with it; a write without one (the
 * console, curl) leaves an object's mark as it is: the object stays managed and the
 * change is drift for its workspace.
 */
export type Actor = User & { managedBy?: string };

/** An object's mark after a write by `actor`. */
function markAfter(actor: Actor, current: string | null | undefined): string | null {
  return actor.managedBy ?? current ?? null;
}

/** A rule diagnostic as the API shows it. */
export interface ApiDiagnostic {
  code: string;
  message: string;
  index?: number;
  path?: (string | number)[];
}

/** What a write answers: status, body and extra headers (ETag). */
export interface WriteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Wire types shared with the client: one definition, in provider/client/types.ts. */
export type { Credit, Invoice, InvoiceLine } from '../client/types';
import type { BillingEvent, ChangeResult, Credit, Invoice, InvoiceLine } from '../client/types';
export type { ChangeResult } from '../client/types';

export const DEFAULT_SUB_GROUP_LIMIT = 30;
export const EVENTS_DEFAULT_LIMIT = 50;
export const EVENTS_MAX_LIMIT = 200;
const PERIOD_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;
const CREDIT_AMOUNT_RE = /^(\d{1,10})(\.\d{1,6})?$/;
/** Largest credit amount a code may carry (as for a usage record). */
export const MAX_AMOUNT = 1_000_000_000;
/** Usage `at` may lie at most this far in the future (SPEC §10). */
export const USAGE_MAX_AHEAD_MS = 24 * 60 * 60 * 1000;
/** Usage `at` may not lie before this instant (1970-01-01T00:00:00Z). */
export const USAGE_EARLIEST_MS = 0;
const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

export function apiDiagnostic(d: Diagnostic): ApiDiagnostic {
  const out: ApiDiagnostic = { code: d.code, message: messageOf(d) };
  if (d.index !== undefined) out.index = d.index;
  if (d.path !== undefined && d.path.length > 0) out.path = d.path;
  return out;
}

/** A warning of a successful write: `{code, message}`. */
function warningsOf(ds: Diagnostic[]): ApiDiagnostic[] {
  return ds.map((d) => ({ code: d.code, message: messageOf(d) }));
}

/** A group as the API returns it (no `finance`, `totalProjectCount` on main only). */
export function groupView(g: Group): Group {
  const { finance: _f, ...rest } = g;
  return rest;
}

export function etagOf(g: Group): string {
  return `"${g.version}"`;
}

/** JSON with sorted keys: equal values give equal text. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The parsed `{kind, amount}` of a credit code, or an error. */
export function parseCreditCode(code: string): { kind: 'free' | 'paid'; amount: number } {
  const dash = code.lastIndexOf('-');
  const tail = dash >= 0 ? code.slice(dash + 1) : '';
  const m = CREDIT_AMOUNT_RE.exec(tail);
  const amount = m ? Number(tail) : NaN;
  if (dash <= 0 || !m || !(amount > 0) || amount > MAX_AMOUNT) {
    throw badRequest(
      `Credit code ${JSON.stringify(code)} does not end in an amount. A code ends with "-" and a positive amount up to ${MAX_AMOUNT} with at most 6 decimals, e.g. FREE-2026-500 or PAID-ACME-1000.50.`,
      { path: ['code'] },
    );
  }
  return { kind: /^PAID-/i.test(code) ? 'paid' : 'free', amount };
}

export class BillingService {
  constructor(
    readonly store: Store,
    readonly clock: () => Date = () => new Date(),
  ) {}

  get state(): DomainState {
    return this.store.state;
  }

  // ---- bootstrap ----------------------------------------------------------------------

  /**
   * First start: create the domain, its main group and the admin user. Later starts:
   * when `adminToken` is given it replaces the admin's stored token hash.
   * Returns the admin token when it was generated here (to print once).
   */
  bootstrap(opts: { domain: string; adminEmail: string; adminToken?: string }): Promise<{ generatedToken?: string; created: boolean }> {
    const s = this.store;
    // One transaction under the store's write lock: replicas starting together on a new
    // database create the domain once.
    return s.tx(async () => {
      if (await s.hasDomain()) {
        if (opts.adminToken) {
          await s.setUserToken(s.adminUserId, s.tokenKey(opts.adminToken));
          await s.reload();
        }
        return { created: false };
      }
      const now = this.clock().toISOString();
      const token = opts.adminToken ?? newToken();
      const adminId = newId('user');
      const mainId = newId('group');
      await s.insertDomain({ id: newId('domain'), name: opts.domain, mainGroupId: mainId, subGroupLimit: DEFAULT_SUB_GROUP_LIMIT, adminUserId: adminId, at: now });
      await s.insertUser({ id: adminId, email: opts.adminEmail, name: 'Billing admin', role: 'billing_admin' }, s.tokenKey(token), now);
      const main: Group = {
        id: mainId,
        name: opts.domain,
        type: 'main',
        billingEmails: [opts.adminEmail],
        invoiceEmails: [opts.adminEmail],
        paymentMethod: null,
        details: { currency: 'USD' },
        createdAt: now,
        updatedAt: now,
        createdBy: adminId,
        version: 1,
        projectCount: 0,
        managedBy: null,
      };
      await s.insertGroup(main);
      await s.insertEvent({ billingGroupId: mainId, at: now, actor: adminId, action: 'group.created', target: mainId, before: null, after: groupView(main) });
      await s.reload();
      return { created: true, generatedToken: opts.adminToken ? undefined : token };
    });
  }

  // ---- access -------------------------------------------------------------------------

  isAdmin(actor: Actor): boolean {
    return actor.role === 'billing_admin';
  }

  requireAdmin(actor: Actor): void {
    if (!this.isAdmin(actor)) throw forbidden();
  }

  memberships(actor: Actor): Set<string> {
    const out = new Set<string>();
    for (const p of this.state.permissions) if (p.userId === actor.id) out.add(p.billingGroupId);
    return out;
  }

  /** What `actor` sees (visibility.ts); asked before any rule runs. */
  vis(actor: Actor): Visibility {
    return visibilityOf(this.state, actor);
  }

  canSeeGroup(actor: Actor, groupId: string): boolean {
    return seesGroup(this.vis(actor), groupId);
  }

  canSeeProject(actor: Actor, p: Project): boolean {
    return seesProject(this.vis(actor), p);
  }

  visibleProjects(actor: Actor): Project[] {
    if (this.isAdmin(actor)) return this.state.projects;
    const m = this.memberships(actor);
    if (m.has(this.state.domain.mainGroupId)) return this.state.projects;
    return this.state.projects.filter((p) => m.has(p.billingGroupId));
  }

  /** A live group by id as `actor` sees it: 404 when unknown or not visible. */
  liveGroup(id: string, actor?: User, path?: (string | number)[]): Group {
    const g = this.store.group(id);
    if (!actor) return resolve('group', id, g, () => true, path);
    const v = this.vis(actor);
    return resolve('group', id, g, (x) => seesGroup(v, x.id), path);
  }

  /** A group the caller may read: 404 when unknown or not visible (deleted groups: admins only). */
  async readableGroup(actor: Actor, id: string, opts: { allowDeleted?: boolean } = {}): Promise<Group> {
    const v = this.vis(actor);
    const g = this.store.group(id) ?? (opts.allowDeleted && v.admin ? await this.store.deletedGroup(id) : undefined);
    return resolve('group', id, g, (x) => seesGroup(v, x.id));
  }

  /** A project by id as `actor` sees it (any project when no actor): 404 when unknown or not visible. */
  projectById(id: string, actor?: User, path?: (string | number)[]): Project {
    const p = this.store.project(id);
    if (!actor) return resolve('project', id, p, () => true, path);
    const v = this.vis(actor);
    return resolve('project', id, p, (x) => seesProject(v, x), path);
  }

  /** A user by id as `actor` sees it (non-admins see only themselves): 404 otherwise. */
  userById(id: string, actor?: User): User {
    const u = this.store.user(id);
    if (!actor) return resolve('user', id, u, () => true);
    const v = this.vis(actor);
    return resolve('user', id, u, (x) => seesUser(v, x.id));
  }

  /** Run the rules for one change; throws the rule error, returns warnings and next. */
  private check(actor: Actor, change: Change, state: DomainState, newGroupId?: string) {
    const now = this.clock();
    const r = evaluate(state, [change], { actor: { id: actor.id, role: actor.role, email: actor.email }, now, newId: newGroupId ? () => newGroupId : undefined });
    if (r.errors.length > 0) throw ruleError(r.errors);
    return { ...r, now, nowIso: now.toISOString() };
  }

  private commit(next: DomainState): void {
    this.store.setState(withCounts(next));
  }

  private event(actor: Actor, at: string, billingGroupId: string, action: string, target: string, before: unknown, after: unknown): Promise<BillingEvent> {
    return this.store.insertEvent({ billingGroupId, at, actor: actor.id, action, target, before, after, managedBy: actor.managedBy ?? null });
  }

  // ---- reads --------------------------------------------------------------------------

  domain() {
    return { ...this.state.domain };
  }

  listGroups(actor: Actor): Group[] {
    const v = this.vis(actor);
    return this.state.groups.filter((g) => seesGroup(v, g.id)).map((g) => present(v, groupView(g)));
  }

  async getGroup(actor: Actor, id: string): Promise<Group> {
    return present(this.vis(actor), groupView(await this.readableGroup(actor, id)));
  }

  async groupProjects(actor: Actor, id: string): Promise<Project[]> {
    await this.readableGroup(actor, id);
    return this.state.projects.filter((p) => p.billingGroupId === id);
  }

  listProjects(actor: Actor): Project[] {
    return this.visibleProjects(actor);
  }

  getProject(actor: Actor, id: string): Project {
    return this.projectById(id, actor);
  }

  listUsers(actor: Actor): User[] {
    if (this.isAdmin(actor)) return this.state.users;
    return this.state.users.filter((u) => u.id === actor.id);
  }

  getUser(actor: Actor, id: string): User {
    return this.userById(id, actor);
  }

  async groupPermissions(actor: Actor, groupId: string): Promise<Permission[]> {
    await this.readableGroup(actor, groupId);
    return this.state.permissions.filter((p) => p.billingGroupId === groupId);
  }

  async snapshot(actor: Actor) {
    const admin = this.isAdmin(actor);
    const groupIds = new Set(this.listGroups(actor).map((g) => g.id));
    const fin = await this.store.finance([...groupIds]);
    const v = this.vis(actor);
    const groups = this.state.groups.filter((g) => groupIds.has(g.id)).map((g) => ({ ...present(v, groupView(g)), finance: fin.get(g.id) }));
    const projects = this.visibleProjects(actor);
    return {
      domain: this.domain(),
      groups,
      projects,
      links: projects.map((p) => ({ projectId: p.id, billingGroupId: p.billingGroupId, effectiveFrom: p.effectiveFrom })),
      permissions: admin ? this.state.permissions : this.state.permissions.filter((p) => groupIds.has(p.billingGroupId)),
      users: this.listUsers(actor),
      at: this.clock().toISOString(),
    };
  }

  /** `POST /v1/plan`: evaluate the changes against the live state (with finance); nothing is applied. */
  async plan(actor: Actor, changes: Change[]): Promise<{ errors: ApiDiagnostic[]; warnings: ApiDiagnostic[] }> {
    const r = evaluate(await this.store.stateWithFinance(), changes, {
      actor: { id: actor.id, role: actor.role, email: actor.email },
      now: this.clock(),
    });
    return { errors: r.errors.map(apiDiagnostic), warnings: r.warnings.map(apiDiagnostic) };
  }

  // ---- group writes -------------------------------------------------------------------

  async createGroup(actor: Actor, input: GroupInput): Promise<WriteResult> {
    this.requireAdmin(actor);
    const id = newId('group');
    const group: GroupInput = { ...input, paymentMethod: input.paymentMethod ?? null };
    const r = this.check(actor, { op: 'createGroup', group }, this.state, id);
    await this.persistCreate(actor, r.next.groups.find((x) => x.id === id)!, r.nowIso);
    this.commit(r.next);
    const view = groupView(this.store.group(id)!);
    return { status: 201, body: { ...view, warnings: warningsOf(r.warnings) }, headers: { etag: etagOf(view), location: `/v1/billing-groups/${id}` } };
  }

  async updateGroup(actor: Actor, id: string, patch: Partial<GroupInput>, expectedVersion?: number): Promise<WriteResult> {
    const before = this.liveGroup(id, actor);
    this.requireAdmin(actor);
    const r = this.check(actor, { op: 'updateGroup', id, group: patch, expectedVersion }, this.state);
    if (!(await this.persistUpdate(actor, before, r.next.groups.find((x) => x.id === id)!, r.nowIso))) {
      // Nothing changes: no new version, no event.
      return { status: 200, body: { ...groupView(before), warnings: warningsOf(r.warnings) }, headers: { etag: etagOf(before) } };
    }
    this.commit(r.next);
    const view = groupView(this.store.group(id)!);
    return { status: 200, body: { ...view, warnings: warningsOf(r.warnings) }, headers: { etag: etagOf(view) } };
  }

  async deleteGroup(actor: Actor, id: string, confirmName: string | undefined): Promise<WriteResult> {
    const before = this.liveGroup(id, actor);
    this.requireAdmin(actor);
    const r = this.check(actor, { op: 'deleteGroup', id, confirmName: confirmName ?? '' }, await this.store.stateWithFinance([id]));
    await this.persistDelete(actor, before, r.nowIso, this.state.permissions.filter((x) => x.billingGroupId === id));
    this.commit(r.next);
    return { status: 204 };
  }

  // ---- persistence of judged changes (one place per kind of write) ---------------------
  // Each writes the rows and events of one change that `evaluate` has already allowed;
  // the caller then commits `next` to the in-memory view. The objects they are given are
  // the fresh ones of `next`; each sets its managed-by mark on it before writing the row.

  private async persistCreate(actor: Actor, g: Group, at: string): Promise<void> {
    g.managedBy = markAfter(actor, null);
    await this.store.insertGroup(g);
    await this.event(actor, at, g.id, 'group.created', g.id, null, groupView(g));
  }

  /** False when nothing writable changes (no new version, no event). */
  private async persistUpdate(actor: Actor, before: Group, after: Group, at: string): Promise<boolean> {
    after.managedBy = markAfter(actor, before.managedBy);
    const writable = (g: Group) => canonical({ n: g.name, b: g.billingEmails, i: g.invoiceEmails, p: g.paymentMethod, d: g.details, m: g.managedBy ?? null });
    if (writable(after) === writable(before)) return false;
    await this.store.updateGroup(after);
    await this.event(actor, at, after.id, 'group.updated', after.id, groupView(before), groupView(after));
    return true;
  }

  /** `memberships`: the group's permissions at that moment (they go with it). */
  private async persistDelete(actor: Actor, before: Group, at: string, memberships: Permission[]): Promise<void> {
    const id = before.id;
    await this.store.markGroupDeleted(id, at);
    for (const p of memberships) {
      await this.store.deletePermission(p.userId, p.billingGroupId);
      await this.event(actor, at, id, 'permission.revoked', p.userId, p, null);
    }
    const free = await this.store.all<{ id: string }>(`SELECT id FROM credits WHERE billing_group_id = ? AND kind = 'free' AND status = 'active' ORDER BY ${this.store.seq}`, [id]);
    for (const c of free) {
      const beforeCredit = await this.creditById(c.id);
      await this.store.run("UPDATE credits SET status = 'forfeited', updated_at = ? WHERE id = ?", [at, c.id]);
      await this.event(actor, at, id, 'credit.forfeited', c.id, beforeCredit, await this.creditById(c.id));
    }
    await this.event(actor, at, id, 'group.deleted', id, groupView(before), null);
  }

  /**
   * False when the project stays where it is. `op` is the change that moved it: an IaC
   * `unlink` (a deleted link resource) leaves the project unmanaged in main.
   */
  private async persistMove(actor: Actor, before: Project, after: Project, at: string, op: 'link' | 'unlink'): Promise<boolean> {
    if (after.billingGroupId === before.billingGroupId) return false;
    after.managedBy = op === 'unlink' && actor.managedBy ? null : markAfter(actor, before.managedBy);
    await this.store.moveProject(after);
    const b = { billingGroupId: before.billingGroupId, effectiveFrom: before.effectiveFrom };
    const a = { billingGroupId: after.billingGroupId, effectiveFrom: after.effectiveFrom };
    await this.event(actor, at, before.billingGroupId, 'project.unlinked', before.id, b, a);
    await this.event(actor, at, after.billingGroupId, 'project.linked', before.id, b, a);
    return true;
  }

  private async persistGrant(actor: Actor, p: Permission): Promise<void> {
    p.managedBy = markAfter(actor, null);
    await this.store.insertPermission(p);
    await this.event(actor, p.createdAt, p.billingGroupId, 'permission.granted', p.userId, null, p);
  }

  private async persistRevoke(actor: Actor, existing: Permission, at: string): Promise<void> {
    await this.store.deletePermission(existing.userId, existing.billingGroupId);
    await this.event(actor, at, existing.billingGroupId, 'permission.revoked', existing.userId, existing, null);
  }

  /**
   * Apply a whole change list at once (a change set, SPEC §6): `evaluate` judges it as a
   * whole against the live state with finance, then every row and event is written in
   * one transaction (the caller's), in phases that keep the foreign keys valid whatever
   * the list's order: creates, updates, moves, grants, revokes, deletes. Nothing is
   * written when there is an error. `results[i]` is what change `i` produced.
   */
  async applyChanges(actor: Actor, changes: Change[]): Promise<{ errors: Diagnostic[]; warnings: Diagnostic[]; results: ChangeResult[] }> {
    const now = this.clock();
    const at = now.toISOString();
    const before = await this.store.stateWithFinance();
    const ids = changes.map((c) => (c.op === 'createGroup' ? (c.id ?? newId('group')) : ''));
    const r = evaluate(before, changes, { actor: { id: actor.id, role: actor.role, email: actor.email }, now, newId: (i) => ids[i] });
    if (r.errors.length > 0) return { errors: r.errors, warnings: r.warnings, results: [] };
    const next = r.next;
    const liveBefore = this.state;
    const createdIds = new Set(ids.filter((id) => id !== ''));
    const results: ChangeResult[] = changes.map(() => ({}));
    const nextGroup = (id: string) => next.groups.find((g) => g.id === id);
    const nextProject = (id: string) => next.projects.find((p) => p.id === id)!;
    const phase = async (ops: Change['op'][], fn: (c: Change, i: number) => Promise<void>) => {
      for (let i = 0; i < changes.length; i++) if (ops.includes(changes[i].op)) await fn(changes[i], i);
    };
    // Creates first: links and grants of the set may name the new groups.
    await phase(['createGroup'], (_c, i) => this.persistCreate(actor, nextGroup(ids[i])!, at));
    await phase(['updateGroup'], async (c) => {
      if (c.op !== 'updateGroup') return;
      const b = liveBefore.groups.find((g) => g.id === c.id)!;
      await this.persistUpdate(actor, b, nextGroup(c.id)!, at);
    });
    const moved = new Set<string>();
    await phase(['link', 'unlink'], async (c) => {
      if (c.op !== 'link' && c.op !== 'unlink') return;
      if (moved.has(c.projectId)) return;
      moved.add(c.projectId);
      await this.persistMove(actor, liveBefore.projects.find((p) => p.id === c.projectId)!, nextProject(c.projectId), at, c.op);
    });
    const permKey = (u: string, g: string) => `${u}\u0000${g}`;
    const had = new Map(liveBefore.permissions.map((p) => [permKey(p.userId, p.billingGroupId), p]));
    const will = new Map(next.permissions.map((p) => [permKey(p.userId, p.billingGroupId), p]));
    await phase(['grant'], async (c, i) => {
      if (c.op !== 'grant') return;
      const gid = c.billingGroupId ?? next.groups.find((g) => normalizeName(g.name) === normalizeName(c.billingGroupName ?? ''))?.id;
      const p = gid === undefined ? undefined : will.get(permKey(c.userId, gid));
      if (p && !had.has(permKey(p.userId, p.billingGroupId))) {
        await this.persistGrant(actor, p);
        had.set(permKey(p.userId, p.billingGroupId), p);
      }
      results[i].permission = p;
    });
    await phase(['revoke'], async (c) => {
      if (c.op !== 'revoke' || c.billingGroupId === undefined) return;
      const key = permKey(c.userId, c.billingGroupId);
      const p = had.get(key);
      if (p && !will.has(key) && !createdIds.has(c.billingGroupId)) {
        await this.persistRevoke(actor, p, at);
        had.delete(key);
      }
    });
    await phase(['deleteGroup'], async (c) => {
      if (c.op !== 'deleteGroup') return;
      const b = liveBefore.groups.find((g) => g.id === c.id);
      if (b && !nextGroup(c.id)) await this.persistDelete(actor, b, at, [...had.values()].filter((p) => p.billingGroupId === c.id));
    });
    // What each change produced, from the next state.
    changes.forEach((c, i) => {
      if (c.op === 'createGroup') results[i].group = groupView(withCountsOf(next, nextGroup(ids[i])!));
      else if (c.op === 'updateGroup') results[i].group = groupView(withCountsOf(next, nextGroup(c.id)!));
      else if (c.op === 'link' || c.op === 'unlink') {
        const b = liveBefore.projects.find((p) => p.id === c.projectId)!;
        const a = nextProject(c.projectId);
        results[i].link = { projectId: a.id, billingGroupId: a.billingGroupId, previousBillingGroupId: b.billingGroupId, effectiveFrom: a.effectiveFrom };
      }
    });
    this.commit(next);
    return { errors: [], warnings: r.warnings, results };
  }

  // ---- links --------------------------------------------------------------------------

  link(actor: Actor, projectId: string, body: { billingGroupId: string; allowTransfer?: boolean }): Promise<WriteResult> {
    this.projectById(projectId, actor);
    // A target the caller cannot see is as unknown as a missing one; an unknown target is left
    // to the rules (admins), which report it with its path.
    if (!this.isAdmin(actor)) this.liveGroup(body.billingGroupId, actor, ['billingGroupId']);
    this.requireAdmin(actor);
    const change: Change = { op: 'link', projectId, billingGroupId: body.billingGroupId };
    if (body.allowTransfer !== undefined) (change as { allowTransfer?: boolean }).allowTransfer = body.allowTransfer;
    return this.move(actor, projectId, change);
  }

  unlink(actor: Actor, projectId: string): Promise<WriteResult> {
    this.projectById(projectId, actor);
    this.requireAdmin(actor);
    return this.move(actor, projectId, { op: 'unlink', projectId });
  }

  private async move(actor: Actor, projectId: string, change: Change): Promise<WriteResult> {
    const before = this.store.project(projectId)!;
    // Judged on the slice of the state a move reads (its project and the groups): O(groups),
    // not O(projects). The next state is merged here.
    const r = this.check(actor, change, stateReadBy(this.state, [change], () => before));
    const after = r.next.projects[0];
    const body = {
      projectId,
      billingGroupId: after.billingGroupId,
      previousBillingGroupId: before.billingGroupId,
      effectiveFrom: after.effectiveFrom,
      warnings: warningsOf(r.warnings),
    };
    if (await this.persistMove(actor, before, after, r.nowIso, change.op === 'unlink' ? 'unlink' : 'link')) this.store.replaceProject(after, before.billingGroupId);
    return { status: 200, body };
  }

  // ---- permissions --------------------------------------------------------------------

  async grant(actor: Actor, groupId: string, userId: string): Promise<WriteResult> {
    this.liveGroup(groupId, actor);
    this.userById(userId, actor);
    this.requireAdmin(actor);
    const grant: Change = { op: 'grant', userId, billingGroupId: groupId };
    const r = this.check(actor, grant, stateReadBy(this.state, [grant]));
    const existing = this.state.permissions.find((p) => p.userId === userId && p.billingGroupId === groupId);
    if (existing) return { status: 200, body: { ...existing, warnings: warningsOf(r.warnings) } };
    const p: Permission = { userId, billingGroupId: groupId, createdAt: r.nowIso };
    await this.persistGrant(actor, p);
    this.store.setState({ ...this.state, permissions: [...this.state.permissions, p] });
    return { status: 200, body: { ...p, warnings: warningsOf(r.warnings) } };
  }

  async revoke(actor: Actor, groupId: string, userId: string): Promise<WriteResult> {
    this.liveGroup(groupId, actor);
    this.userById(userId, actor);
    this.requireAdmin(actor);
    const revoke: Change = { op: 'revoke', userId, billingGroupId: groupId };
    const r = this.check(actor, revoke, stateReadBy(this.state, [revoke]));
    const existing = this.state.permissions.find((p) => p.userId === userId && p.billingGroupId === groupId);
    const body = { userId, billingGroupId: groupId, warnings: warningsOf(r.warnings) };
    if (!existing) return { status: 200, body };
    await this.persistRevoke(actor, existing, r.nowIso);
    this.store.setState({ ...this.state, permissions: this.state.permissions.filter((x) => x !== existing) });
    return { status: 200, body };
  }

  // ---- projects and users -------------------------------------------------------------

  async createProject(actor: Actor, name: string): Promise<WriteResult> {
    this.requireAdmin(actor);
    const now = this.clock();
    const nowIso = now.toISOString();
    const mainId = this.state.domain.mainGroupId;
    const p: Project = { id: newId('project'), name, billingGroupId: mainId, effectiveFrom: firstOfMonth(now), createdAt: nowIso, managedBy: null };
    await this.store.insertProject(p);
    await this.event(actor, nowIso, mainId, 'project.created', p.id, null, { billingGroupId: mainId, effectiveFrom: p.effectiveFrom });
    this.commit({ ...this.state, projects: [...this.state.projects, p] });
    return { status: 201, body: { ...p, warnings: [] }, headers: { location: `/v1/projects/${p.id}` } };
  }

  async createUser(actor: Actor, body: { email: string; name: string; role?: 'billing_admin' | null }): Promise<WriteResult> {
    this.requireAdmin(actor);
    if (!isValidEmail(body.email)) throw ruleViolation('EMAIL_INVALID', { email: body.email }, ['email']);
    const lower = body.email.toLowerCase();
    if (this.state.users.some((u) => u.email.toLowerCase() === lower)) {
      throw conflict(`A user with e-mail ${JSON.stringify(body.email)} already exists. Use that user (GET /v1/users) or another address.`, { path: ['email'] });
    }
    const nowIso = this.clock().toISOString();
    const token = newToken();
    const u: User = { id: newId('user'), email: body.email, name: body.name, role: body.role ?? null };
    const hash = this.store.tokenKey(token);
    await this.store.insertUser(u, hash, nowIso);
    this.store.tokens = new Map(this.store.tokens).set(hash, u.id);
    this.commit({ ...this.state, users: [...this.state.users, u] });
    return { status: 201, body: { ...u, token, warnings: [] }, headers: { location: `/v1/users/${u.id}` } };
  }

  // ---- usage and invoices -------------------------------------------------------------

  async recordUsage(actor: Actor, body: { projectId: string; service: string; amount: number; at?: string }): Promise<WriteResult> {
    const p = this.projectById(body.projectId, actor, ['projectId']);
    this.requireAdmin(actor);
    const now = this.clock();
    let at = now;
    if (body.at !== undefined) {
      const t = TIMESTAMP_RE.test(body.at) ? Date.parse(body.at) : NaN;
      if (Number.isNaN(t)) throw badRequest(`"at" must be an RFC 3339 timestamp such as 2026-03-01T12:00:00Z (got ${JSON.stringify(body.at)}).`, { path: ['at'] });
      at = new Date(t);
      // A bounded window, so every period usage lands in is one `close` can name (YYYY-MM).
      if (t > now.getTime() + USAGE_MAX_AHEAD_MS) {
        throw badRequest(API_TEXT.usageTooFuture(body.at, new Date(now.getTime() + USAGE_MAX_AHEAD_MS).toISOString()), { path: ['at'] });
      }
      if (t < USAGE_EARLIEST_MS) throw badRequest(API_TEXT.usageTooPast(body.at, new Date(USAGE_EARLIEST_MS).toISOString()), { path: ['at'] });
    }
    const micros = toMicros(body.amount);
    if (micros <= 0) throw badRequest('"amount" must be a positive number with at most 6 decimals.', { path: ['amount'] });
    const id = newId('usage');
    const atIso = at.toISOString();
    await this.store.run('INSERT INTO usage (id, project_id, billing_group_id, service, amount, at, period, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      id,
      p.id,
      p.billingGroupId,
      body.service,
      micros,
      atIso,
      atIso.slice(0, 7),
      now.toISOString(),
    ]);
    return {
      status: 201,
      body: { id, projectId: p.id, billingGroupId: p.billingGroupId, service: body.service, amount: fromMicros(micros), at: atIso, warnings: [] },
    };
  }

  async closePeriod(actor: Actor, period: string): Promise<WriteResult> {
    if (!PERIOD_RE.test(period)) throw badRequest(`Billing period ${JSON.stringify(period)} is not YYYY-MM (e.g. 2026-03).`, { path: ['period'] });
    this.requireAdmin(actor);
    const nowIso = this.clock().toISOString();
    const rows = (
      await this.store.all<{ g: string; p: string; s: string; a: number }>(
        `SELECT billing_group_id AS g, project_id AS p, service AS s, SUM(amount) AS a FROM usage
         WHERE invoice_id IS NULL AND period = ? GROUP BY billing_group_id, project_id, service ORDER BY billing_group_id, project_id, service`,
        [period],
      )
    ).map((r) => ({ ...r, a: Number(r.a) }));
    const byGroup = new Map<string, typeof rows>();
    for (const r of rows) byGroup.set(r.g, [...(byGroup.get(r.g) ?? []), r]);
    const invoices: Invoice[] = [];
    for (const [groupId, lines] of byGroup) {
      const id = newId('invoice');
      const total = lines.reduce((s, l) => s + l.a, 0);
      await this.store.run("INSERT INTO invoices (id, billing_group_id, period, total, status, created_at) VALUES (?, ?, ?, ?, 'open', ?)", [id, groupId, period, total, nowIso]);
      for (const l of lines) await this.store.run('INSERT INTO invoice_lines (invoice_id, project_id, service, amount) VALUES (?, ?, ?, ?)', [id, l.p, l.s, l.a]);
      await this.store.run('UPDATE usage SET invoice_id = ? WHERE invoice_id IS NULL AND period = ? AND billing_group_id = ?', [id, period, groupId]);
      const inv = (await this.invoiceById(id))!;
      await this.event(actor, nowIso, groupId, 'invoice.created', id, null, { period, total: inv.total, status: inv.status });
      invoices.push(inv);
    }
    return { status: 200, body: { period, invoices, warnings: [] } };
  }

  async invoiceById(id: string): Promise<Invoice | undefined> {
    const r = await this.store.get<{ id: string; billing_group_id: string; period: string; total: number; status: 'open' | 'paid'; created_at: string; paid_at: string | null }>(
      'SELECT * FROM invoices WHERE id = ?',
      [id],
    );
    if (!r) return undefined;
    const lines = (
      await this.store.all<{ project_id: string; service: string; amount: number }>(
        'SELECT project_id, service, amount FROM invoice_lines WHERE invoice_id = ? ORDER BY project_id, service',
        [id],
      )
    ).map((l) => ({ projectId: l.project_id, service: l.service, amount: fromMicros(Number(l.amount)) }));
    return { id: r.id, billingGroupId: r.billing_group_id, period: r.period, lines, total: fromMicros(Number(r.total)), status: r.status, createdAt: r.created_at, paidAt: r.paid_at };
  }

  /** An invoice as `actor` sees it: 404 when unknown or of a group the caller cannot see. */
  async getInvoice(actor: Actor, id: string): Promise<Invoice> {
    const inv = await this.invoiceById(id);
    if (!inv || !this.canSeeGroup(actor, inv.billingGroupId)) throw notFound(API_TEXT.invoiceNotFound(id));
    return inv;
  }

  async groupInvoices(actor: Actor, groupId: string): Promise<Invoice[]> {
    await this.readableGroup(actor, groupId, { allowDeleted: true });
    const ids = await this.store.all<{ id: string }>(`SELECT id FROM invoices WHERE billing_group_id = ? ORDER BY period, ${this.store.seq}`, [groupId]);
    const out: Invoice[] = [];
    for (const r of ids) out.push((await this.invoiceById(r.id))!);
    return out;
  }

  async payInvoice(actor: Actor, id: string): Promise<WriteResult> {
    const inv = await this.getInvoice(actor, id);
    this.requireAdmin(actor);
    if (inv.status === 'paid') throw conflict(`Invoice ${id} is already paid (at ${inv.paidAt}).`);
    const nowIso = this.clock().toISOString();
    await this.store.run("UPDATE invoices SET status = 'paid', paid_at = ? WHERE id = ?", [nowIso, id]);
    const after = (await this.invoiceById(id))!;
    await this.event(actor, nowIso, inv.billingGroupId, 'invoice.paid', id, { status: 'open' }, { status: 'paid', total: after.total });
    return { status: 200, body: { ...after, warnings: [] } };
  }

  // ---- credits ------------------------------------------------------------------------

  async creditById(id: string): Promise<Credit | undefined> {
    const r = await this.store.get<{ id: string; billing_group_id: string; code: string; kind: 'free' | 'paid'; amount: number; status: Credit['status']; created_at: string }>(
      'SELECT * FROM credits WHERE id = ?',
      [id],
    );
    if (!r) return undefined;
    return { id: r.id, billingGroupId: r.billing_group_id, code: r.code, kind: r.kind, amount: fromMicros(Number(r.amount)), status: r.status, createdAt: r.created_at };
  }

  async groupCredits(actor: Actor, groupId: string): Promise<Credit[]> {
    await this.readableGroup(actor, groupId, { allowDeleted: true });
    const ids = await this.store.all<{ id: string }>(`SELECT id FROM credits WHERE billing_group_id = ? ORDER BY ${this.store.seq}`, [groupId]);
    const out: Credit[] = [];
    for (const r of ids) out.push((await this.creditById(r.id))!);
    return out;
  }

  async claimCredit(actor: Actor, groupId: string, code: string): Promise<WriteResult> {
    this.liveGroup(groupId, actor);
    this.requireAdmin(actor);
    const { kind, amount } = parseCreditCode(code);
    const key = code.toUpperCase();
    const taken = await this.store.get<{ id: string }>('SELECT id FROM credits WHERE code_key = ?', [key]);
    if (taken) throw conflict(`Credit code ${JSON.stringify(code)} has already been claimed in this domain (credit ${taken.id}). A code can be claimed once.`, { path: ['code'] });
    const id = newId('credit');
    const nowIso = this.clock().toISOString();
    await this.store.run("INSERT INTO credits (id, billing_group_id, code, code_key, kind, amount, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)", [
      id,
      groupId,
      code,
      key,
      kind,
      toMicros(amount),
      nowIso,
      nowIso,
    ]);
    const c = (await this.creditById(id))!;
    await this.event(actor, nowIso, groupId, 'credit.claimed', id, null, c);
    return { status: 201, body: { ...c, warnings: [] } };
  }

  async refundCredit(actor: Actor, groupId: string, creditId: string): Promise<WriteResult> {
    this.liveGroup(groupId, actor);
    const c = await this.creditById(creditId);
    if (!c || c.billingGroupId !== groupId) throw notFound(API_TEXT.creditNotFound(creditId, groupId));
    this.requireAdmin(actor);
    if (c.kind !== 'paid') throw conflict(`Credit ${creditId} is a free credit; only paid credits can be refunded.`);
    if (c.status !== 'active') throw conflict(`Credit ${creditId} is already ${c.status}.`);
    const nowIso = this.clock().toISOString();
    await this.store.run("UPDATE credits SET status = 'refunded', updated_at = ? WHERE id = ?", [nowIso, creditId]);
    const after = (await this.creditById(creditId))!;
    await this.event(actor, nowIso, groupId, 'credit.refunded', creditId, c, after);
    return { status: 200, body: { ...after, warnings: [] } };
  }

  // ---- events -------------------------------------------------------------------------

  async groupEvents(actor: Actor, groupId: string, limit: number, cursor?: string): Promise<{ items: BillingEvent[]; nextCursor?: string }> {
    await this.readableGroup(actor, groupId, { allowDeleted: true });
    let before = Number.MAX_SAFE_INTEGER;
    if (cursor !== undefined) {
      const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
      const m = /^e:(\d{1,15})$/.exec(decoded);
      if (!m) throw badRequest('The cursor is not valid. Pass the nextCursor of a previous page unchanged.', { path: ['cursor'] });
      before = Number(m[1]);
    }
    const rows = await this.store.all<{
      seq: number;
      id: string;
      billing_group_id: string;
      at: string;
      actor: string;
      action: string;
      target: string;
      before: string | null;
      after: string | null;
      managed_by: string | null;
    }>('SELECT seq, id, billing_group_id, at, actor, action, target, before, after, managed_by FROM events WHERE billing_group_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?', [
      groupId,
      before,
      limit + 1,
    ]);
    const page = rows.slice(0, limit);
    const v = this.vis(actor);
    const items = page.map((r) => ({
      id: r.id,
      billingGroupId: r.billing_group_id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      target: r.target,
      before: r.before === null ? null : presentPayload(v, JSON.parse(r.before)),
      after: r.after === null ? null : presentPayload(v, JSON.parse(r.after)),
      managedBy: r.managed_by,
    }));
    const out: { items: BillingEvent[]; nextCursor?: string } = { items };
    if (rows.length > limit) out.nextCursor = Buffer.from(`e:${Number(page[page.length - 1].seq)}`).toString('base64url');
    return out;
  }
}

