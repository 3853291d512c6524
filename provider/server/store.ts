/**
 * The store: one async interface over the database, with two implementations
 * (store-sqlite.ts, the embedded default; store-pg.ts, PostgreSQL with replicas; ADR 0006).
 *
 * Each store keeps the `DomainState` the rules need (groups, projects, users, permissions)
 * in memory as a *view* of the committed database. A write runs in `enqueue(fn)`: the store
 * opens a transaction (taking the database's write lock), brings the view up to date with
 * whatever other processes committed, and runs `fn` against a working copy of the view that
 * only that transaction sees (AsyncLocalStorage). The working copy becomes the view only
 * after COMMIT; a write that throws rolls back to its savepoint and its working copy is
 * dropped, so readers never see uncommitted state and the view always equals the database.
 *
 * SQL is written once with `?` placeholders; each store translates it for its driver
 * (sql.ts). The insertion order column is `store.seq` (`rowid` in SQLite, an identity
 * column `seq` in PostgreSQL): reloads keep the order the view appends rows in.
 *
 * Money columns hold integer micro-units; `finance` figures are computed on demand.
 *
 * One file on purpose: the view machinery, the row helpers and the finance queries are the
 * part both stores share; each store file holds only its driver, locking and migrations.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { BillingEvent } from '../client/types';
import type { DomainInfo, DomainState, Group, GroupFinance, Permission, Project, User } from '../domain/types';
import { fromMicros, newId, sha256 } from './ids';
import type { StoreObserver, StorePoolStats } from './ops';
import { cacheKey, keyedTokenHash } from './secrets';

export interface EventInput {
  billingGroupId: string;
  actor: string;
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
  at: string;
  /** The IaC workspace or stack that made the write (`Actor.managedBy`). */
  managedBy?: string | null;
}

export interface GroupRow {
  id: string;
  name: string;
  type: 'main' | 'sub';
  billing_emails: string;
  invoice_emails: string;
  payment_method: string | null;
  details: string;
  created_at: string;
  updated_at: string;
  created_by: string;
  version: number;
  deleted_at: string | null;
  managed_by: string | null;
}

export function groupFromRow(r: GroupRow): Group {
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    billingEmails: JSON.parse(r.billing_emails),
    invoiceEmails: JSON.parse(r.invoice_emails),
    paymentMethod: r.payment_method ? JSON.parse(r.payment_method) : null,
    details: JSON.parse(r.details),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    createdBy: r.created_by,
    version: Number(r.version),
    projectCount: 0,
    managedBy: r.managed_by,
  };
}

/** Recompute `projectCount` (and the main group's `totalProjectCount`) from the projects. */
export function withCounts(state: DomainState): DomainState {
  const counts = new Map<string, number>();
  for (const p of state.projects) counts.set(p.billingGroupId, (counts.get(p.billingGroupId) ?? 0) + 1);
  const groups = state.groups.map((g) => {
    const out: Group = { ...g, projectCount: counts.get(g.id) ?? 0 };
    delete out.finance;
    if (g.id === state.domain.mainGroupId) out.totalProjectCount = state.projects.length;
    else delete out.totalProjectCount;
    return out;
  });
  return { ...state, groups };
}

/** Parameters of one statement, in `?` order. */
export type Params = readonly unknown[];

/** The in-memory view: the state, its indexes and the token maps. Replaced, never shared mutably. */
export interface View {
  state: DomainState;
  groups: Map<string, Group>;
  projects: Map<string, Project>;
  users: Map<string, User>;
  /** keyed token hash (`tokenKey`) -> user id. */
  tokens: Map<string, string>;
  /** Plain sha256(token) -> user id, for rows written before migration 3 (re-keyed on use). */
  legacyTokens: Map<string, string>;
  adminUserId: string;
  /** The database's data version this view equals (-1: unknown). */
  version: number;
  /** True when the index maps belong to this view alone (a transaction's copy may change them in place). */
  owned: boolean;
}

function viewOf(state: DomainState, tokens: Map<string, string>, legacyTokens: Map<string, string>, adminUserId: string, version: number): View {
  return {
    version,
    state,
    groups: new Map(state.groups.map((g) => [g.id, g])),
    projects: new Map(state.projects.map((p) => [p.id, p])),
    users: new Map(state.users.map((u) => [u.id, u])),
    tokens,
    legacyTokens,
    adminUserId,
    owned: true,
  };
}

/** What a running transaction carries: its driver handle and its working view. */
export interface TxContext<H = unknown> {
  handle: H;
  view: View;
}

/** A database the server cannot reach (down, restarting, timed out): the API answers 503. */
export class StoreUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`the database is not reachable (${reason})`);
    this.name = 'StoreUnavailableError';
  }
}

export function isStoreUnavailable(e: unknown): e is StoreUnavailableError {
  return e instanceof StoreUnavailableError;
}

/** A schema newer than this build knows: the server refuses to start (both stores). */
export function newerSchemaMessage(found: number, known: number, where: string): string {
  return `the database at ${where} has schema version ${found}, newer than the ${known} this cloudbilling knows; upgrade cloudbilling (or point --db at another database) and start again`;
}

export abstract class Store {
  /** `sqlite` or `postgres`. */
  abstract readonly kind: 'sqlite' | 'postgres';
  /** The insertion-order column of every table (`rowid` / `seq`). */
  abstract readonly seq: string;

  protected readonly als = new AsyncLocalStorage<TxContext>();
  /** Metrics hooks (ops.ts); set by metrics.ts when `/metrics` is on. */
  observer?: StoreObserver;
  private committed!: View;
  /** The server secret (secrets.ts); never leaves the process except in its own table. */
  protected secret!: Buffer;

  // ---- driver -------------------------------------------------------------------------

  /** One row, or undefined. Runs in the current transaction when inside `enqueue`. */
  abstract get<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T | undefined>;
  /** Every row. Runs in the current transaction when inside `enqueue`. */
  abstract all<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
  /** A statement without rows; returns the number of rows changed. */
  abstract run(sql: string, params?: Params): Promise<number>;
  /**
   * Run `fn` as one write: in a transaction holding the database's write lock, against a
   * view brought up to date first. Writes queued together share one commit (group commit),
   * each in its own savepoint; the promise settles after the COMMIT. `fn` must not call
   * `enqueue` itself (it would wait for its own batch).
   */
  abstract enqueue<T>(fn: () => T | Promise<T>): Promise<T>;
  /** Bring the view up to date when another process committed since we last looked. */
  abstract syncWithDatabase(): Promise<void>;
  /** Resolves when the database answers a trivial query (GET /v1/ready). */
  abstract ping(): Promise<void>;
  /** How busy the connections are (metrics). */
  abstract poolStats(): StorePoolStats;
  abstract close(): Promise<void>;
  /** The version of the committed data the database is at (compared with the view's). */
  protected abstract dataVersion(): Promise<number>;

  /** The same as `enqueue` (one write, one transaction). */
  tx<T>(fn: () => T | Promise<T>): Promise<T> {
    return this.enqueue(fn);
  }

  // ---- the view -----------------------------------------------------------------------

  /** The view this code path sees: the transaction's working copy inside `enqueue`, else the committed one. */
  private get view(): View {
    return this.als.getStore()?.view ?? this.committed;
  }

  private set view(v: View) {
    const ctx = this.als.getStore();
    if (ctx) ctx.view = v;
    else this.committed = v;
  }

  /** True inside a write. */
  inTransaction(): boolean {
    return this.als.getStore() !== undefined;
  }

  /** Domain state of the live (not deleted) groups. Replaced, never mutated. */
  get state(): DomainState {
    return this.view.state;
  }

  get tokens(): Map<string, string> {
    return this.view.tokens;
  }

  set tokens(t: Map<string, string>) {
    this.view = { ...this.view, tokens: t };
  }

  /** The user created with the domain (its token can be reset from the environment). */
  get adminUserId(): string {
    return this.view.adminUserId;
  }

  /** The view a new transaction starts from: shares the committed maps until it changes them. */
  protected workingView(): View {
    return this.committed ? { ...this.committed, owned: false } : (undefined as unknown as View);
  }

  /** The committed view (the transaction committed): `v` becomes what readers see. */
  protected publish(v: View): void {
    this.committed = v;
  }

  protected hasView(): boolean {
    return this.committed !== undefined;
  }

  /** The committed view's data version (-1 before the first load). */
  protected committedVersion(): number {
    return this.committed?.version ?? -1;
  }

  /** The view `v` again with fresh index maps (its maps may have been changed in place since). */
  protected rebuilt(v: View): View {
    return viewOf(v.state, v.tokens, v.legacyTokens, v.adminUserId, v.version);
  }

  protected currentView(): View {
    return this.view;
  }

  protected restoreView(v: View): void {
    this.view = v;
  }

  setState(state: DomainState): void {
    const v = this.view;
    this.view = viewOf(state, v.tokens, v.legacyTokens, v.adminUserId, v.version);
  }

  /**
   * A project moved from `fromGroupId`: replace it and adjust the two groups' counts without
   * recounting everything. The index maps are copied once per transaction, then changed in place.
   */
  replaceProject(p: Project, fromGroupId: string): void {
    let v = this.view;
    if (!v.owned) {
      v = { ...v, groups: new Map(v.groups), projects: new Map(v.projects), users: new Map(v.users), owned: true };
    }
    const s = v.state;
    const projects = s.projects.map((x) => (x.id === p.id ? p : x));
    const groups = s.groups.map((g) =>
      g.id === fromGroupId ? { ...g, projectCount: g.projectCount - 1 } : g.id === p.billingGroupId ? { ...g, projectCount: g.projectCount + 1 } : g,
    );
    v.projects.set(p.id, p);
    for (const g of groups) if (g.id === fromGroupId || g.id === p.billingGroupId) v.groups.set(g.id, g);
    this.view = { ...v, state: { ...s, projects, groups } };
  }

  group(id: string): Group | undefined {
    return this.view.groups.get(id);
  }

  project(id: string): Project | undefined {
    return this.view.projects.get(id);
  }

  user(id: string): User | undefined {
    return this.view.users.get(id);
  }

  /** The stored (keyed) hash of a token. */
  tokenKey(token: string): string {
    return keyedTokenHash(this.secret, token);
  }

  /** The key that seals this token's idempotency entries (secrets.ts). */
  cacheKey(token: string): Buffer {
    return cacheKey(this.secret, token);
  }

  async userByToken(token: string): Promise<User | undefined> {
    const id = this.view.tokens.get(this.tokenKey(token));
    if (id) return this.user(id);
    const legacy = this.view.legacyTokens.size > 0 ? this.view.legacyTokens.get(sha256(token)) : undefined;
    if (!legacy) return undefined;
    // A token hashed before migration 3: re-key it now that we hold the token.
    await this.enqueue(async () => {
      await this.setUserToken(legacy, this.tokenKey(token));
      await this.reload();
    });
    return this.user(legacy);
  }

  async hasDomain(): Promise<boolean> {
    const r = await this.get<{ n: number }>('SELECT COUNT(*) AS n FROM domain');
    return Number(r?.n ?? 0) > 0;
  }

  /**
   * Rebuild the view from the database, in the current transaction when inside one (the
   * store makes a read outside one a consistent snapshot). Rows load in insertion order,
   * the order the view appends them in; created_at ties within a millisecond made a reload reorder.
   */
  async reload(): Promise<void> {
    const version = await this.dataVersion();
    const d = await this.get<{ id: string; name: string; main_group_id: string; sub_group_limit: number; admin_user_id: string }>('SELECT * FROM domain LIMIT 1');
    if (!d) throw new Error('store has no domain');
    const domain: DomainInfo = { id: d.id, name: d.name, mainGroupId: d.main_group_id, subGroupLimit: Number(d.sub_group_limit) };
    const seq = this.seq;
    const groups = (await this.all<GroupRow>(`SELECT * FROM billing_groups WHERE deleted_at IS NULL ORDER BY ${seq}`)).map(groupFromRow);
    const projects = (
      await this.all<{ id: string; name: string; billing_group_id: string; effective_from: string; created_at: string; managed_by: string | null }>(
        `SELECT id, name, billing_group_id, effective_from, created_at, managed_by FROM projects ORDER BY ${seq}`,
      )
    ).map((r) => ({ id: r.id, name: r.name, billingGroupId: r.billing_group_id, effectiveFrom: r.effective_from, createdAt: r.created_at, managedBy: r.managed_by }));
    const userRows = await this.all<{ id: string; email: string; name: string; role: 'billing_admin' | null; token_hash: string; token_scheme: string }>(
      `SELECT id, email, name, role, token_hash, token_scheme FROM users ORDER BY ${seq}`,
    );
    const users = userRows.map((r) => ({ id: r.id, email: r.email, name: r.name, role: r.role }));
    const permissions = (
      await this.all<{ user_id: string; billing_group_id: string; created_at: string; managed_by: string | null }>(
        `SELECT user_id, billing_group_id, created_at, managed_by FROM permissions ORDER BY ${seq}`,
      )
    ).map((r) => ({ userId: r.user_id, billingGroupId: r.billing_group_id, createdAt: r.created_at, managedBy: r.managed_by }));
    const tokens = new Map(userRows.filter((r) => r.token_scheme !== 'sha256').map((r) => [r.token_hash, r.id]));
    const legacy = new Map(userRows.filter((r) => r.token_scheme === 'sha256').map((r) => [r.token_hash, r.id]));
    this.loaded(viewOf(withCounts({ domain, groups, projects, users, permissions }), tokens, legacy, d.admin_user_id, version));
  }

  /** A reload finished: `v` is the database at `v.version`. Stores decide whether it replaces the view. */
  protected loaded(v: View): void {
    this.view = v;
  }

  /** A group that was deleted: still known for its invoices and events. */
  async deletedGroup(id: string): Promise<Group | undefined> {
    const r = await this.get<GroupRow>('SELECT * FROM billing_groups WHERE id = ? AND deleted_at IS NOT NULL', [id]);
    return r ? groupFromRow(r) : undefined;
  }

  // ---- rows ---------------------------------------------------------------------------

  async insertGroup(g: Group): Promise<void> {
    await this.run(
      `INSERT INTO billing_groups (id, name, type, billing_emails, invoice_emails, payment_method, details, created_at, updated_at, created_by, version, managed_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        g.id,
        g.name,
        g.type,
        JSON.stringify(g.billingEmails),
        JSON.stringify(g.invoiceEmails),
        g.paymentMethod ? JSON.stringify(g.paymentMethod) : null,
        JSON.stringify(g.details ?? {}),
        g.createdAt,
        g.updatedAt,
        g.createdBy,
        g.version,
        g.managedBy ?? null,
      ],
    );
  }

  async updateGroup(g: Group): Promise<void> {
    await this.run(
      `UPDATE billing_groups SET name = ?, billing_emails = ?, invoice_emails = ?, payment_method = ?, details = ?, updated_at = ?, version = ?, managed_by = ?
       WHERE id = ?`,
      [
        g.name,
        JSON.stringify(g.billingEmails),
        JSON.stringify(g.invoiceEmails),
        g.paymentMethod ? JSON.stringify(g.paymentMethod) : null,
        JSON.stringify(g.details ?? {}),
        g.updatedAt,
        g.version,
        g.managedBy ?? null,
        g.id,
      ],
    );
  }

  async markGroupDeleted(id: string, at: string): Promise<void> {
    await this.run('UPDATE billing_groups SET deleted_at = ? WHERE id = ?', [at, id]);
  }

  async insertProject(p: Project): Promise<void> {
    await this.run('INSERT INTO projects (id, name, billing_group_id, effective_from, created_at, managed_by) VALUES (?, ?, ?, ?, ?, ?)', [
      p.id,
      p.name,
      p.billingGroupId,
      p.effectiveFrom,
      p.createdAt,
      p.managedBy ?? null,
    ]);
  }

  /** The project's link as `p` now has it: group, effective month and managed-by mark. */
  async moveProject(p: Project): Promise<void> {
    await this.run('UPDATE projects SET billing_group_id = ?, effective_from = ?, managed_by = ? WHERE id = ?', [p.billingGroupId, p.effectiveFrom, p.managedBy ?? null, p.id]);
  }

  /** `tokenHash` is `tokenKey(token)`. */
  async insertUser(u: User, tokenHash: string, at: string): Promise<void> {
    await this.run("INSERT INTO users (id, email, name, role, token_hash, token_scheme, created_at) VALUES (?, ?, ?, ?, ?, 'hmac', ?)", [u.id, u.email, u.name, u.role, tokenHash, at]);
  }

  /** `tokenHash` is `tokenKey(token)`. */
  async setUserToken(id: string, tokenHash: string): Promise<void> {
    await this.run("UPDATE users SET token_hash = ?, token_scheme = 'hmac' WHERE id = ?", [tokenHash, id]);
  }

  async insertDomain(d: { id: string; name: string; mainGroupId: string; subGroupLimit: number; adminUserId: string; at: string }): Promise<void> {
    await this.run('INSERT INTO domain (id, name, main_group_id, sub_group_limit, admin_user_id, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
      d.id,
      d.name,
      d.mainGroupId,
      d.subGroupLimit,
      d.adminUserId,
      d.at,
    ]);
  }

  async insertPermission(p: Permission): Promise<void> {
    await this.run('INSERT INTO permissions (user_id, billing_group_id, created_at, managed_by) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [
      p.userId,
      p.billingGroupId,
      p.createdAt,
      p.managedBy ?? null,
    ]);
  }

  async deletePermission(userId: string, billingGroupId: string): Promise<void> {
    await this.run('DELETE FROM permissions WHERE user_id = ? AND billing_group_id = ?', [userId, billingGroupId]);
  }

  async insertEvent(e: EventInput): Promise<BillingEvent> {
    const id = newId('event');
    const managedBy = e.managedBy ?? null;
    await this.run('INSERT INTO events (id, billing_group_id, at, actor, action, target, before, after, managed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      id,
      e.billingGroupId,
      e.at,
      e.actor,
      e.action,
      e.target,
      e.before === undefined ? null : JSON.stringify(e.before),
      e.after === undefined ? null : JSON.stringify(e.after),
      managedBy,
    ]);
    return { id, billingGroupId: e.billingGroupId, at: e.at, actor: e.actor, action: e.action, target: e.target, before: e.before ?? null, after: e.after ?? null, managedBy };
  }

  // ---- finance ------------------------------------------------------------------------

  /** Finance figures of the given groups (all live groups when omitted), in API units. */
  async finance(ids?: string[]): Promise<Map<string, GroupFinance>> {
    const out = new Map<string, GroupFinance>();
    const wanted = ids ?? this.state.groups.map((g) => g.id);
    for (const id of wanted) out.set(id, { openInvoices: 0, outstandingAmount: 0, unbilledUsage: 0, paidCredits: 0, freeCredits: 0 });
    const one = ids !== undefined && ids.length === 1 ? ids[0] : undefined;
    const where = one !== undefined ? ' AND billing_group_id = ?' : '';
    const args = one !== undefined ? [one] : [];
    for (const r of await this.all<{ g: string; n: number; s: number }>(
      `SELECT billing_group_id AS g, COUNT(*) AS n, SUM(total) AS s FROM invoices WHERE status = 'open'${where} GROUP BY billing_group_id`,
      args,
    )) {
      const f = out.get(r.g);
      if (f) {
        f.openInvoices = Number(r.n);
        f.outstandingAmount = fromMicros(Number(r.s));
      }
    }
    for (const r of await this.all<{ g: string; s: number }>(`SELECT billing_group_id AS g, SUM(amount) AS s FROM usage WHERE invoice_id IS NULL${where} GROUP BY billing_group_id`, args)) {
      const f = out.get(r.g);
      if (f) f.unbilledUsage = fromMicros(Number(r.s));
    }
    for (const r of await this.all<{ g: string; kind: 'free' | 'paid'; s: number }>(
      `SELECT billing_group_id AS g, kind, SUM(amount) AS s FROM credits WHERE status = 'active'${where} GROUP BY billing_group_id, kind`,
      args,
    )) {
      const f = out.get(r.g);
      if (f) {
        if (r.kind === 'paid') f.paidCredits = fromMicros(Number(r.s));
        else f.freeCredits = fromMicros(Number(r.s));
      }
    }
    return out;
  }

  /** The state with `finance` on the given groups (all when omitted). */
  async stateWithFinance(ids?: string[]): Promise<DomainState> {
    const fin = await this.finance(ids);
    const state = this.state;
    return { ...state, groups: state.groups.map((g) => (fin.has(g.id) ? { ...g, finance: fin.get(g.id) } : g)) };
  }
}

/** Options of `openStore`. */
export interface OpenStoreOptions {
  /** `postgres://...` / `postgresql://...` for PostgreSQL; otherwise an SQLite file or `:memory:`. */
  db: string;
  /** SQLite `synchronous` (store-sqlite.ts). */
  synchronous?: 'FULL' | 'NORMAL';
}

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** Open the store `db` names: PostgreSQL for a postgres:// URL, else SQLite. Migrates it. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (isPostgresUrl(options.db)) {
    const { PgStore } = await import('./store-pg');
    return PgStore.open({ url: options.db });
  }
  const { SqliteStore } = await import('./store-sqlite');
  return SqliteStore.open({ file: options.db, synchronous: options.synchronous });
}
