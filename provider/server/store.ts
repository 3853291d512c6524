/**
 * The SQLite store and the in-memory view of the domain state.
 *
 * One server process owns the database file. It keeps the `DomainState` the rules need
 * (groups, projects, users, permissions) in memory and changes it only after the SQLite
 * transaction that wrote the same change has committed; a rolled-back transaction
 * restores the previous view. better-sqlite3 is synchronous, so a write (read state,
 * evaluate, write rows, record events and the idempotency entry) runs with no `await`
 * in between and concurrent requests cannot interleave inside it.
 *
 * Money columns hold integer micro-units; `finance` figures are computed on demand.
 */
import Database from 'better-sqlite3';
import type { DomainInfo, DomainState, Group, GroupFinance, Permission, Project, User } from '../domain/types';
import { fromMicros, newId, sha256 } from './ids';
import { migrate } from './migrations';
import type { StoreObserver, StorePoolStats } from './ops';
import { cacheKey, keyedTokenHash, loadServerSecret } from './secrets';

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

import type { BillingEvent } from '../client/types';

interface GroupRow {
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
    version: r.version,
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

export interface StoreOptions {
  /** SQLite file, or `:memory:`. */
  file: string;
  /**
   * SQLite `synchronous`: `FULL` (default) syncs the WAL on every commit, so an
   * acknowledged write survives a power loss; `NORMAL` survives a process crash only
   * (docs/api.md "Durability", figures in docs/performance.md).
   */
  synchronous?: 'FULL' | 'NORMAL';
}

export class Store {
  readonly db: Database.Database;
  /** Domain state of the live (not deleted) groups. Replaced, never mutated. */
  state!: DomainState;
  /** keyed token hash (`tokenKey`) -> user id. Replaced, never mutated. */
  tokens: Map<string, string> = new Map();
  /** Plain sha256(token) -> user id, for rows written before migration 3 (re-keyed on use). */
  private legacyTokens: Map<string, string> = new Map();
  /** The server secret (secrets.ts); never leaves the process except in its own table. */
  private readonly secret: Buffer;
  /** The user created with the domain (its token can be reset from the environment). */
  adminUserId = '';
  private indexes!: { groups: Map<string, Group>; projects: Map<string, Project>; users: Map<string, User> };
  private stmts = new Map<string, Database.Statement>();
  private runTx!: Database.Transaction<(fn: () => unknown) => unknown>;
  private queue: { fn: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  private flushScheduled = false;
  /** `PRAGMA data_version` when the view was last loaded; -1 before any load. */
  private seenDataVersion = -1;
  /** Writes of the group commit being written now (0 between commits). */
  private flushing = 0;
  /** Metrics hooks (ops.ts); set by metrics.ts when `/metrics` is on. */
  observer?: StoreObserver;

  constructor(options: StoreOptions) {
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // Checkpoint less often: hot pages (projects, event index leaves) are then copied once per
    // checkpoint instead of once per 1000 WAL pages; the WAL file is truncated back to 64 MiB.
    this.db.pragma('wal_autocheckpoint = 10000');
    this.db.pragma('journal_size_limit = 67108864');
    migrate(this.db);
    this.secret = loadServerSecret(this.db);
    this.runTx = this.db.transaction((fn: () => unknown) => fn());
    if (this.hasDomain()) this.reload();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Readiness (`GET /v1/ready`): throws unless the database answers a query. */
  ping(): void {
    this.sql('SELECT 1').get();
  }

  /** One connection; writes waiting for the next group commit (metrics). */
  poolStats(): StorePoolStats {
    return { size: 1, inUse: this.flushing > 0 ? 1 : 0, waiting: this.queue.length };
  }

  /** A cached prepared statement. */
  sql(text: string): Database.Statement {
    let s = this.stmts.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.stmts.set(text, s);
    }
    return s;
  }

  hasDomain(): boolean {
    return (this.sql('SELECT COUNT(*) AS n FROM domain').get() as { n: number }).n > 0;
  }

  /** Rebuild the in-memory view from the database. Rows load in insertion order (rowid), the
   *  order the view appends them in; created_at ties within a millisecond made a reload reorder. */
  reload(): void {
    this.seenDataVersion = this.dataVersion();
    const d = this.sql('SELECT * FROM domain LIMIT 1').get() as
      | { id: string; name: string; main_group_id: string; sub_group_limit: number; admin_user_id: string }
      | undefined;
    if (!d) throw new Error('store has no domain');
    const domain: DomainInfo = { id: d.id, name: d.name, mainGroupId: d.main_group_id, subGroupLimit: d.sub_group_limit };
    this.adminUserId = d.admin_user_id;
    const groups = (this.sql('SELECT * FROM billing_groups WHERE deleted_at IS NULL ORDER BY rowid').all() as GroupRow[]).map(groupFromRow);
    const projects = (
      this.sql('SELECT id, name, billing_group_id, effective_from, created_at, managed_by FROM projects ORDER BY rowid').all() as {
        id: string;
        name: string;
        billing_group_id: string;
        effective_from: string;
        created_at: string;
        managed_by: string | null;
      }[]
    ).map((r) => ({ id: r.id, name: r.name, billingGroupId: r.billing_group_id, effectiveFrom: r.effective_from, createdAt: r.created_at, managedBy: r.managed_by }));
    const userRows = this.sql('SELECT id, email, name, role, token_hash, token_scheme FROM users ORDER BY rowid').all() as {
      id: string;
      email: string;
      name: string;
      role: 'billing_admin' | null;
      token_hash: string;
      token_scheme: string;
    }[];
    const users = userRows.map((r) => ({ id: r.id, email: r.email, name: r.name, role: r.role }));
    const permissions = (
      this.sql('SELECT user_id, billing_group_id, created_at, managed_by FROM permissions ORDER BY rowid').all() as {
        user_id: string;
        billing_group_id: string;
        created_at: string;
        managed_by: string | null;
      }[]
    ).map((r) => ({ userId: r.user_id, billingGroupId: r.billing_group_id, createdAt: r.created_at, managedBy: r.managed_by }));
    this.tokens = new Map(userRows.filter((r) => r.token_scheme !== 'sha256').map((r) => [r.token_hash, r.id]));
    this.legacyTokens = new Map(userRows.filter((r) => r.token_scheme === 'sha256').map((r) => [r.token_hash, r.id]));
    this.setState(withCounts({ domain, groups, projects, users, permissions }));
  }

  private dataVersion(): number {
    return this.sql('PRAGMA data_version').pluck().get() as number;
  }

  /**
   * Bring the view up to date when another connection (another process on the same file)
   * has committed since we last looked. Writes call it after taking the write lock, so even
   * then every write is judged against the committed state. Cheap: one pragma.
   */
  syncWithDatabase(): void {
    // Never loaded: another process may have created the domain since this one opened the file.
    if (this.seenDataVersion === -1 ? this.hasDomain() : this.dataVersion() !== this.seenDataVersion) this.reload();
  }

  setState(state: DomainState): void {
    this.state = state;
    this.indexes = {
      groups: new Map(state.groups.map((g) => [g.id, g])),
      projects: new Map(state.projects.map((p) => [p.id, p])),
      users: new Map(state.users.map((u) => [u.id, u])),
    };
  }

  /**
   * A project moved from `fromGroupId`: replace it and adjust the two groups' counts without
   * recounting everything. The index map is updated in place; `tx` rebuilds it all from the
   * database if the transaction then fails.
   */
  replaceProject(p: Project, fromGroupId: string): void {
    const s = this.state;
    const projects = s.projects.map((x) => (x.id === p.id ? p : x));
    const groups = s.groups.map((g) =>
      g.id === fromGroupId ? { ...g, projectCount: g.projectCount - 1 } : g.id === p.billingGroupId ? { ...g, projectCount: g.projectCount + 1 } : g,
    );
    this.state = { ...s, projects, groups };
    this.indexes.projects.set(p.id, p);
    for (const g of groups) if (g.id === fromGroupId || g.id === p.billingGroupId) this.indexes.groups.set(g.id, g);
  }

  group(id: string): Group | undefined {
    return this.indexes.groups.get(id);
  }

  project(id: string): Project | undefined {
    return this.indexes.projects.get(id);
  }

  user(id: string): User | undefined {
    return this.indexes.users.get(id);
  }

  /** The stored (keyed) hash of a token. */
  tokenKey(token: string): string {
    return keyedTokenHash(this.secret, token);
  }

  /** The key that seals this token's idempotency entries (secrets.ts). */
  cacheKey(token: string): Buffer {
    return cacheKey(this.secret, token);
  }

  userByToken(token: string): User | undefined {
    const id = this.tokens.get(this.tokenKey(token));
    if (id) return this.user(id);
    const legacy = this.legacyTokens.size > 0 ? this.legacyTokens.get(sha256(token)) : undefined;
    if (!legacy) return undefined;
    // A token hashed before migration 3: re-key it now that we hold the token.
    this.tx(() => this.setUserToken(legacy, this.tokenKey(token)));
    this.reload();
    return this.user(legacy);
  }

  /** A group that was deleted: still known for its invoices and events. */
  deletedGroup(id: string): Group | undefined {
    const r = this.sql('SELECT * FROM billing_groups WHERE id = ? AND deleted_at IS NOT NULL').get(id) as GroupRow | undefined;
    return r ? groupFromRow(r) : undefined;
  }

  /**
   * Run `fn` in one SQLite transaction. The in-memory view is restored when `fn` throws,
   * so it always equals the committed database.
   */
  tx<T>(fn: () => T): T {
    const state = this.state;
    const tokens = this.tokens;
    try {
      return this.runTx.immediate(() => {
        this.syncWithDatabase();
        return fn();
      }) as T;
    } catch (e) {
      // The database rolled back; rebuild the view from it when this write had touched it.
      if (this.state !== state || this.tokens !== tokens) this.reload();
      throw e;
    }
  }

  /**
   * Run `fn` as one write of the next group commit. Writes queued during the same event-loop
   * turn share one SQLite transaction; each runs synchronously inside its own savepoint, so a
   * failing write rolls back alone and no two writes ever interleave. The promise settles
   * after the COMMIT: a caller never answers before its write is durable. If the COMMIT itself
   * fails, every write of the batch fails and the view is rebuilt from the database.
   */
  enqueue<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const outcomes: { ok: boolean; value?: unknown; error?: unknown }[] = [];
    const started = performance.now();
    this.flushing = batch.length;
    try {
      this.runTx.immediate(() => {
        this.syncWithDatabase();
        for (const item of batch) {
          const state = this.state;
          const tokens = this.tokens;
          try {
            // Nested call: better-sqlite3 runs it in a SAVEPOINT and rolls back to it on throw.
            outcomes.push({ ok: true, value: this.runTx(item.fn) });
          } catch (e) {
            if (this.state !== state || this.tokens !== tokens) this.reload();
            outcomes.push({ ok: false, error: e });
          }
        }
      });
      this.observer?.commit(batch.length, (performance.now() - started) / 1000);
    } catch (e) {
      this.observer?.error('commit', e);
      this.reload();
      for (let i = 0; i < batch.length; i++) if (!outcomes[i] || outcomes[i].ok) outcomes[i] = { ok: false, error: e };
    } finally {
      this.flushing = 0;
    }
    batch.forEach((item, i) => (outcomes[i].ok ? item.resolve(outcomes[i].value) : item.reject(outcomes[i].error)));
  }

  // ---- rows ---------------------------------------------------------------------------

  insertGroup(g: Group): void {
    this.sql(
      `INSERT INTO billing_groups (id, name, type, billing_emails, invoice_emails, payment_method, details, created_at, updated_at, created_by, version, managed_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
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
    );
  }

  updateGroup(g: Group): void {
    this.sql(
      `UPDATE billing_groups SET name = ?, billing_emails = ?, invoice_emails = ?, payment_method = ?, details = ?, updated_at = ?, version = ?, managed_by = ?
       WHERE id = ?`,
    ).run(
      g.name,
      JSON.stringify(g.billingEmails),
      JSON.stringify(g.invoiceEmails),
      g.paymentMethod ? JSON.stringify(g.paymentMethod) : null,
      JSON.stringify(g.details ?? {}),
      g.updatedAt,
      g.version,
      g.managedBy ?? null,
      g.id,
    );
  }

  markGroupDeleted(id: string, at: string): void {
    this.sql('UPDATE billing_groups SET deleted_at = ? WHERE id = ?').run(at, id);
  }

  insertProject(p: Project): void {
    this.sql('INSERT INTO projects (id, name, billing_group_id, effective_from, created_at, managed_by) VALUES (?, ?, ?, ?, ?, ?)').run(
      p.id,
      p.name,
      p.billingGroupId,
      p.effectiveFrom,
      p.createdAt,
      p.managedBy ?? null,
    );
  }

  /** The project's link as `p` now has it: group, effective month and managed-by mark. */
  moveProject(p: Project): void {
    this.sql('UPDATE projects SET billing_group_id = ?, effective_from = ?, managed_by = ? WHERE id = ?').run(p.billingGroupId, p.effectiveFrom, p.managedBy ?? null, p.id);
  }

  /** `tokenHash` is `tokenKey(token)`. */
  insertUser(u: User, tokenHash: string, at: string): void {
    this.sql("INSERT INTO users (id, email, name, role, token_hash, token_scheme, created_at) VALUES (?, ?, ?, ?, ?, 'hmac', ?)").run(u.id, u.email, u.name, u.role, tokenHash, at);
  }

  /** `tokenHash` is `tokenKey(token)`. */
  setUserToken(id: string, tokenHash: string): void {
    this.sql("UPDATE users SET token_hash = ?, token_scheme = 'hmac' WHERE id = ?").run(tokenHash, id);
  }

  insertPermission(p: Permission): void {
    this.sql('INSERT OR IGNORE INTO permissions (user_id, billing_group_id, created_at, managed_by) VALUES (?, ?, ?, ?)').run(
      p.userId,
      p.billingGroupId,
      p.createdAt,
      p.managedBy ?? null,
    );
  }

  deletePermission(userId: string, billingGroupId: string): void {
    this.sql('DELETE FROM permissions WHERE user_id = ? AND billing_group_id = ?').run(userId, billingGroupId);
  }

  insertEvent(e: EventInput): BillingEvent {
    const id = newId('event');
    const managedBy = e.managedBy ?? null;
    this.sql('INSERT INTO events (id, billing_group_id, at, actor, action, target, before, after, managed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      id,
      e.billingGroupId,
      e.at,
      e.actor,
      e.action,
      e.target,
      e.before === undefined ? null : JSON.stringify(e.before),
      e.after === undefined ? null : JSON.stringify(e.after),
      managedBy,
    );
    return { id, billingGroupId: e.billingGroupId, at: e.at, actor: e.actor, action: e.action, target: e.target, before: e.before ?? null, after: e.after ?? null, managedBy };
  }

  // ---- finance ------------------------------------------------------------------------

  /** Finance figures of the given groups (all live groups when omitted), in API units. */
  finance(ids?: string[]): Map<string, GroupFinance> {
    const out = new Map<string, GroupFinance>();
    const wanted = ids ?? this.state.groups.map((g) => g.id);
    for (const id of wanted) out.set(id, { openInvoices: 0, outstandingAmount: 0, unbilledUsage: 0, paidCredits: 0, freeCredits: 0 });
    const one = ids !== undefined && ids.length === 1 ? ids[0] : undefined;
    const where = one !== undefined ? ' AND billing_group_id = ?' : '';
    const args = one !== undefined ? [one] : [];
    for (const r of this.sql(
      `SELECT billing_group_id AS g, COUNT(*) AS n, SUM(total) AS s FROM invoices WHERE status = 'open'${where} GROUP BY billing_group_id`,
    ).all(...args) as { g: string; n: number; s: number }[]) {
      const f = out.get(r.g);
      if (f) {
        f.openInvoices = r.n;
        f.outstandingAmount = fromMicros(r.s);
      }
    }
    for (const r of this.sql(`SELECT billing_group_id AS g, SUM(amount) AS s FROM usage WHERE invoice_id IS NULL${where} GROUP BY billing_group_id`).all(
      ...args,
    ) as { g: string; s: number }[]) {
      const f = out.get(r.g);
      if (f) f.unbilledUsage = fromMicros(r.s);
    }
    for (const r of this.sql(
      `SELECT billing_group_id AS g, kind, SUM(amount) AS s FROM credits WHERE status = 'active'${where} GROUP BY billing_group_id, kind`,
    ).all(...args) as { g: string; kind: 'free' | 'paid'; s: number }[]) {
      const f = out.get(r.g);
      if (f) {
        if (r.kind === 'paid') f.paidCredits = fromMicros(r.s);
        else f.freeCredits = fromMicros(r.s);
      }
    }
    return out;
  }

  /** The state with `finance` on the given groups (all when omitted). */
  stateWithFinance(ids?: string[]): DomainState {
    const fin = this.finance(ids);
    return { ...this.state, groups: this.state.groups.map((g) => (fin.has(g.id) ? { ...g, finance: fin.get(g.id) } : g)) };
  }
}
