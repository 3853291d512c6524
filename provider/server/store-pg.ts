/**
 * The PostgreSQL store (node-postgres `pg`, >= PostgreSQL 15): `--db postgres://...`.
 * Any number of `serve` processes on one database are replicas (ADR 0006).
 *
 * - Writes: a process batches the writes queued while its previous batch ran into one
 *   transaction (group commit), each write in its own savepoint. The transaction first
 *   takes `pg_advisory_xact_lock` for the domain, so write transactions of all replicas
 *   run one at a time; it then reads `store_version` and, when another replica moved it,
 *   reloads the view inside the same transaction; then it judges, writes, bumps
 *   `store_version` and commits. The view becomes what readers see only after COMMIT.
 *   Nothing is checked in one transaction and written in another.
 * - Reads: every authenticated request compares `store_version` with the view's and
 *   reloads (one REPEATABLE READ snapshot) when another replica committed, so any replica
 *   answers with what was acknowledged anywhere.
 * - Failure: connect and statement timeouts are bounded; an unreachable database,
 *   a restart or a timeout is a `StoreUnavailableError` (the API answers 503 with
 *   Retry-After) and the transaction is rolled back (or never committed). The pool drops
 *   broken connections and opens new ones by itself.
 */
import type { CustomTypesConfig, Pool, PoolClient, PoolConfig } from 'pg';
import { conflict } from './errors';
import { nameKey } from '../domain/text';
import { migratePg } from './migrations-pg';
import { toPositional } from './sql';
import type { StorePoolStats } from './ops';
import { Store, StoreUnavailableError, type Params, type TxContext, type View } from './store';
import type { Group } from '../domain/types';
import { randomBytes } from 'node:crypto';

export interface PgStoreOptions {
  /** `postgres://USER[:PASSWORD]@HOST:PORT/DB` (libpq URL; `?host=/socket/dir` works too). */
  url: string;
  /** Give up connecting after this long. Default 3000 ms. */
  connectTimeoutMs?: number;
  /** Give up on a statement (a lock wait included) after this long. Default 10000 ms. */
  statementTimeoutMs?: number;
  /** Connections per process. Default 10. */
  poolSize?: number;
}

/** Advisory lock key of the domain's write transactions (one domain per database). */
export const WRITE_LOCK_KEY = 0x62696c6c;

/** SQLSTATE classes and codes meaning "the database is not reachable right now". */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '57014', '53300', '53400', '40P01', '55P03']);
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOENT', 'EAI_AGAIN']);
const UNAVAILABLE_TEXT = /Connection terminated|timeout exceeded when trying to connect|Query read timeout|not queryable|Connection ended|the database system is (starting up|shutting down)|terminating connection/i;

/** A pg error as the store reports it: unavailability, a constraint (409), or the error itself. */
export function storeErrorOf(e: unknown): unknown {
  const err = e as { code?: string; message?: string };
  const code = typeof err?.code === 'string' ? err.code : '';
  if (UNAVAILABLE_STATES.has(code) || code.startsWith('08') || UNAVAILABLE_ERRNO.has(code) || UNAVAILABLE_TEXT.test(String(err?.message ?? ''))) {
    return new StoreUnavailableError(code || String(err?.message ?? 'unknown'));
  }
  // A constraint caught what the rules did not (they judged under the write lock, so this is
  // a bug or a hand-made row): refuse, nothing of the write is kept.
  if (code.startsWith('23')) return conflict('The change conflicts with the stored data (a database constraint refused it); nothing was applied. Reload and retry.', { sqlstate: code });
  return e;
}

interface Queued {
  fn: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

function loadPg(): typeof import('pg') {
  try {
    return require('pg');
  } catch {
    throw new Error('a postgres:// --db needs the node-postgres package next to cloudbilling: npm install pg');
  }
}

export class PgStore extends Store {
  readonly kind = 'postgres' as const;
  readonly seq = 'seq';
  readonly pool: Pool;
  private queue: Queued[] = [];
  private flushing = false;
  private scheduled = false;
  private reloading: Promise<void> | undefined;
  private closed = false;

  /** Connect, migrate (refusing a newer schema), load the secret and the view. */
  static async open(options: PgStoreOptions): Promise<PgStore> {
    const s = new PgStore(options);
    try {
      await migratePg(s.pool, redact(options.url)).catch((e) => {
        throw storeErrorOf(e);
      });
      s.secret = await s.loadSecret();
      if (await s.hasDomain()) await s.reload();
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  private constructor(options: PgStoreOptions) {
    super();
    this.pool = PgStore.pool(options);
  }

  /** A pool with the store's timeouts and type parsers (also what `cloudbilling migrate` uses). */
  static pool(options: PgStoreOptions): Pool {
    const pg = loadPg();
    const statementTimeout = options.statementTimeoutMs ?? 10_000;
    const config: PoolConfig = {
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
      // Server side: a statement (a lock wait included) and an abandoned transaction end by themselves.
      statement_timeout: statementTimeout,
      idle_in_transaction_session_timeout: 30_000,
      // Client side: a database that stops answering mid-query (no RST) still ends the query.
      query_timeout: statementTimeout + 2000,
      keepAlive: true,
      application_name: 'cloudbilling',
      // bigint (COUNT, identity columns) and numeric (SUM) as numbers: money is in micro-units below 2^53.
      types: {
        getTypeParser: ((oid: number, format: 'text' | 'binary' = 'text') =>
          oid === 20 || oid === 1700 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
      },
    };
    const pool = new pg.Pool(config);
    // An idle connection that the server closed (restart): the pool drops it and opens a new one when needed.
    pool.on('error', () => undefined);
    return pool;
  }

  private async loadSecret(): Promise<Buffer> {
    await this.run('INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING', ['token-key', randomBytes(32), new Date().toISOString()]);
    const r = await this.get<{ value: Buffer }>('SELECT value FROM server_secrets WHERE name = ?', ['token-key']);
    return r!.value;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end().catch(() => undefined);
  }

  private async query<T>(text: string, params: Params): Promise<{ rows: T[]; rowCount: number }> {
    const ctx = this.als.getStore() as TxContext<PoolClient> | undefined;
    const q = ctx ? ctx.handle : this.pool;
    try {
      const r = await q.query(toPositional(text), params as unknown[]);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    } catch (e) {
      const err = storeErrorOf(e);
      if (err instanceof StoreUnavailableError) this.observer?.error('query', e);
      throw err;
    }
  }

  async get<T>(text: string, params: Params = []): Promise<T | undefined> {
    return (await this.query<T>(text, params)).rows[0];
  }

  async all<T>(text: string, params: Params = []): Promise<T[]> {
    return (await this.query<T>(text, params)).rows;
  }

  async run(text: string, params: Params = []): Promise<number> {
    return (await this.query(text, params)).rowCount;
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1', []);
  }

  /** The pool: connections open, checked out, and callers waiting for one (metrics). */
  poolStats(): StorePoolStats {
    return { size: this.pool.totalCount, inUse: this.pool.totalCount - this.pool.idleCount, waiting: this.pool.waitingCount + this.queue.length };
  }

  protected async dataVersion(): Promise<number> {
    const r = await this.get<{ version: number }>('SELECT version FROM store_version WHERE id = 1');
    return Number(r?.version ?? 0);
  }

  // ---- rows with PostgreSQL's extra columns ------------------------------------------

  override async insertGroup(g: Group): Promise<void> {
    await this.run(
      `INSERT INTO billing_groups (id, name, name_key, type, billing_emails, invoice_emails, payment_method, details, created_at, updated_at, created_by, version, managed_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        g.id,
        g.name,
        nameKey(g.name),
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

  override async updateGroup(g: Group): Promise<void> {
    await super.updateGroup(g);
    await this.run('UPDATE billing_groups SET name_key = ? WHERE id = ?', [nameKey(g.name), g.id]);
  }

  // ---- the view -----------------------------------------------------------------------

  /**
   * Outside a write: reload when another replica committed since the view was loaded, in
   * one REPEATABLE READ snapshot; concurrent callers share one reload. Inside a write (the
   * lock is held): reload in the write's own transaction.
   */
  async syncWithDatabase(): Promise<void> {
    if (this.inTransaction()) {
      const v = await this.dataVersion();
      if (v !== (this.currentView()?.version ?? -1) && (await this.hasDomain())) await this.reload();
      return;
    }
    const v = await this.dataVersion();
    if (v === this.committedVersion()) return;
    this.reloading ??= this.snapshotReload().finally(() => (this.reloading = undefined));
    await this.reloading;
  }

  private async snapshotReload(): Promise<void> {
    const client = await this.connect();
    const ctx: TxContext<PoolClient> = { handle: client, view: this.currentView() };
    let broken = false;
    try {
      await this.als.run(ctx, async () => {
        await this.run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        if (await this.hasDomain()) await this.reload();
        await this.run('COMMIT');
      });
    } catch (e) {
      broken = true;
      throw e;
    } finally {
      client.release(broken);
    }
    // Only a newer view replaces the committed one (a write of this process may have committed meanwhile).
    if (ctx.view && ctx.view.version > this.committedVersion()) this.publish(ctx.view);
  }

  private async connect(): Promise<PoolClient> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw storeErrorOf(e);
    }
    // A checked-out client whose server goes away emits 'error'; the query in flight fails
    // with it too (and is answered 503). Without a listener the process would exit.
    if (client.listenerCount('error') === 0) client.on('error', () => undefined);
    return client;
  }

  enqueue<T>(fn: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushing && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** One batch at a time per process; writes queued meanwhile form the next batch. */
  private async flush(): Promise<void> {
    this.scheduled = false;
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.runBatch(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async runBatch(batch: Queued[]): Promise<void> {
    const outcomes: { ok: boolean; value?: unknown; error?: unknown }[] = [];
    let client: PoolClient | undefined;
    let broken = false;
    const started = performance.now();
    try {
      client = await this.connect();
      const ctx: TxContext<PoolClient> = { handle: client, view: this.workingView() };
      let version = -1;
      await this.als.run(ctx, async () => {
        await this.run('BEGIN');
        await this.run('SELECT pg_advisory_xact_lock(?)', [WRITE_LOCK_KEY]);
        await this.syncWithDatabase();
        let wrote = false;
        for (const item of batch) {
          const before = ctx.view;
          await this.run('SAVEPOINT write');
          try {
            const value = await item.fn();
            await this.run('RELEASE SAVEPOINT write');
            outcomes.push({ ok: true, value });
            wrote = true;
          } catch (e) {
            // The database went away mid-batch: the whole batch fails below.
            if (e instanceof StoreUnavailableError) throw e;
            await this.run('ROLLBACK TO SAVEPOINT write');
            await this.run('RELEASE SAVEPOINT write');
            if (ctx.view !== before) ctx.view = before && this.rebuilt(before);
            outcomes.push({ ok: false, error: e });
          }
        }
        version = ctx.view?.version ?? -1;
        if (wrote) {
          const r = await this.get<{ version: number }>('UPDATE store_version SET version = version + 1 WHERE id = 1 RETURNING version');
          version = Number(r!.version);
        }
        await this.run('COMMIT');
      });
      if (ctx.view) this.publish({ ...ctx.view, version } as View);
      this.observer?.commit(batch.length, (performance.now() - started) / 1000);
    } catch (e) {
      broken = true;
      this.observer?.error('commit', e);
      if (client) await client.query('ROLLBACK').catch(() => undefined);
      const err = storeErrorOf(e);
      for (let i = 0; i < batch.length; i++) if (!outcomes[i] || outcomes[i].ok) outcomes[i] = { ok: false, error: err };
    } finally {
      client?.release(broken);
    }
    batch.forEach((item, i) => (outcomes[i].ok ? item.resolve(outcomes[i].value) : item.reject(outcomes[i].error)));
  }
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@]*@/, '$1:***@');
}
