/**
 * The SQLite store (better-sqlite3, synchronous), the embedded default: a file or `:memory:`.
 *
 * Several processes may share one file: every write takes SQLite's write lock
 * (`BEGIN IMMEDIATE`) and then compares `PRAGMA data_version` with the view's, reloading
 * when another connection committed since. better-sqlite3 never yields: a batch of writes,
 * though written as async functions, runs to COMMIT without giving the event loop a turn,
 * so no other request runs a statement on this connection inside the open transaction.
 */
import Database from 'better-sqlite3';
import { migrate, MIGRATIONS } from './migrations';
import { loadServerSecret } from './secrets';
import type { StorePoolStats } from './ops';
import { newerSchemaMessage, Store, type Params, type TxContext, type View } from './store';

export interface SqliteStoreOptions {
  /** SQLite file, or `:memory:`. */
  file: string;
  /**
   * SQLite `synchronous`: `FULL` (default) syncs the WAL on every commit, so an
   * acknowledged write survives a power loss; `NORMAL` survives a process crash only
   * (docs/api.md "Durability", figures in docs/performance.md).
   */
  synchronous?: 'FULL' | 'NORMAL';
}

interface Queued {
  fn: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class SqliteStore extends Store {
  readonly kind = 'sqlite' as const;
  readonly seq = 'rowid';
  readonly db: Database.Database;
  private stmts = new Map<string, Database.Statement>();
  private queue: Queued[] = [];
  private flushScheduled = false;
  /** Writes of the group commit being written now (0 between commits). */
  private flushing = 0;

  /** Open (and migrate) the file; refuses a schema newer than this build knows. */
  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    const s = new SqliteStore(options);
    try {
      if (await s.hasDomain()) await s.reload();
    } catch (e) {
      s.db.close();
      throw e;
    }
    return s;
  }

  /** Synchronous construction (tests); `open` also loads the view. */
  constructor(options: SqliteStoreOptions) {
    super();
    this.db = new Database(options.file);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      // Checkpoint less often: hot pages (projects, event index leaves) are then copied once per
      // checkpoint instead of once per 1000 WAL pages; the WAL file is truncated back to 64 MiB.
      this.db.pragma('wal_autocheckpoint = 10000');
      this.db.pragma('journal_size_limit = 67108864');
      migrate(this.db);
      const found = Number(this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').pluck().get() ?? 0);
      const known = Math.max(...MIGRATIONS.map((m) => m.version));
      if (found > known) throw new Error(newerSchemaMessage(found, known, options.file));
      this.secret = loadServerSecret(this.db);
    } catch (e) {
      this.db.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
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

  async get<T>(text: string, params: Params = []): Promise<T | undefined> {
    return this.sql(text).get(...params) as T | undefined;
  }

  async all<T>(text: string, params: Params = []): Promise<T[]> {
    return this.sql(text).all(...params) as T[];
  }

  async run(text: string, params: Params = []): Promise<number> {
    return this.sql(text).run(...params).changes;
  }

  async ping(): Promise<void> {
    this.sql('SELECT 1').get();
  }

  /** One connection; writes waiting for the next group commit (metrics). */
  poolStats(): StorePoolStats {
    return { size: 1, inUse: this.flushing > 0 ? 1 : 0, waiting: this.queue.length };
  }

  protected async dataVersion(): Promise<number> {
    return this.sql('PRAGMA data_version').pluck().get() as number;
  }

  /**
   * Bring the view up to date when another connection (another process on the same file)
   * has committed since we last looked. Writes call it after taking the write lock, so even
   * then every write is judged against the committed state. Cheap: one pragma.
   */
  async syncWithDatabase(): Promise<void> {
    const seen = this.currentView()?.version ?? -1;
    // Never loaded: another process may have created the domain since this one opened the file.
    if (seen === -1 ? await this.hasDomain() : (await this.dataVersion()) !== seen) await this.reload();
  }

  enqueue<T>(fn: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /**
   * One group commit: the writes queued during one event-loop turn share one SQLite
   * transaction, each in its own savepoint, so a failing write rolls back alone. If the
   * COMMIT itself fails, every write of the batch fails and the committed view stays.
   */
  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const outcomes: { ok: boolean; value?: unknown; error?: unknown }[] = [];
    const ctx: TxContext = { handle: this.db, view: undefined as unknown as View };
    const started = performance.now();
    this.flushing = batch.length;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        await this.als.run(ctx, async () => {
          ctx.view = this.workingView();
          await this.syncWithDatabase();
          for (const item of batch) {
            const before = ctx.view;
            this.db.exec('SAVEPOINT write');
            try {
              const value = await item.fn();
              this.db.exec('RELEASE write');
              outcomes.push({ ok: true, value });
            } catch (e) {
              this.db.exec('ROLLBACK TO write');
              this.db.exec('RELEASE write');
              if (ctx.view !== before) ctx.view = before && this.rebuilt(before);
              outcomes.push({ ok: false, error: e });
            }
          }
        });
        this.db.exec('COMMIT');
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
      if (ctx.view) this.publish(ctx.view);
      this.observer?.commit(batch.length, (performance.now() - started) / 1000);
    } catch (e) {
      this.observer?.error('commit', e);
      for (let i = 0; i < batch.length; i++) if (!outcomes[i] || outcomes[i].ok) outcomes[i] = { ok: false, error: e };
    } finally {
      this.flushing = 0;
    }
    batch.forEach((item, i) => (outcomes[i].ok ? item.resolve(outcomes[i].value) : item.reject(outcomes[i].error)));
  }
}
