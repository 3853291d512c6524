/**
 * Versioned schema migrations. `schema_migrations` records every applied version; each
 * migration runs once, in order, inside its own transaction. Append new migrations at the
 * end; never edit one that has shipped.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  up: (db: Database.Database) => void;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    up: (db) =>
      db.exec(`
        CREATE TABLE domain (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          main_group_id TEXT NOT NULL,
          sub_group_limit INTEGER NOT NULL,
          admin_user_id TEXT NOT NULL,
          created_at TEXT NOT NULL
        );
        CREATE TABLE users (
          id TEXT PRIMARY KEY,
          email TEXT NOT NULL UNIQUE COLLATE NOCASE,
          name TEXT NOT NULL,
          role TEXT CHECK (role IS NULL OR role = 'billing_admin'),
          token_hash TEXT NOT NULL UNIQUE,
          created_at TEXT NOT NULL
        );
        CREATE TABLE billing_groups (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          type TEXT NOT NULL CHECK (type IN ('main', 'sub')),
          billing_emails TEXT NOT NULL,
          invoice_emails TEXT NOT NULL,
          payment_method TEXT,
          details TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          created_by TEXT NOT NULL,
          version INTEGER NOT NULL,
          deleted_at TEXT
        );
        CREATE TABLE projects (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          billing_group_id TEXT NOT NULL REFERENCES billing_groups(id),
          effective_from TEXT NOT NULL,
          created_at TEXT NOT NULL
        );
        CREATE INDEX projects_group ON projects(billing_group_id);
        CREATE TABLE permissions (
          user_id TEXT NOT NULL REFERENCES users(id),
          billing_group_id TEXT NOT NULL REFERENCES billing_groups(id),
          created_at TEXT NOT NULL,
          PRIMARY KEY (user_id, billing_group_id)
        );
        CREATE INDEX permissions_group ON permissions(billing_group_id);
        CREATE TABLE invoices (
          id TEXT PRIMARY KEY,
          billing_group_id TEXT NOT NULL REFERENCES billing_groups(id),
          period TEXT NOT NULL,
          total INTEGER NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('open', 'paid')),
          created_at TEXT NOT NULL,
          paid_at TEXT
        );
        CREATE INDEX invoices_group ON invoices(billing_group_id, period);
        CREATE TABLE invoice_lines (
          invoice_id TEXT NOT NULL REFERENCES invoices(id),
          project_id TEXT NOT NULL REFERENCES projects(id),
          service TEXT NOT NULL,
          amount INTEGER NOT NULL,
          PRIMARY KEY (invoice_id, project_id, service)
        );
        CREATE TABLE usage (
          id TEXT PRIMARY KEY,
          project_id TEXT NOT NULL REFERENCES projects(id),
          billing_group_id TEXT NOT NULL REFERENCES billing_groups(id),
          service TEXT NOT NULL,
          amount INTEGER NOT NULL CHECK (amount > 0),
          at TEXT NOT NULL,
          period TEXT NOT NULL,
          invoice_id TEXT REFERENCES invoices(id),
          recorded_at TEXT NOT NULL
        );
        CREATE INDEX usage_unbilled_group ON usage(billing_group_id) WHERE invoice_id IS NULL;
        CREATE INDEX usage_unbilled_period ON usage(period) WHERE invoice_id IS NULL;
        CREATE TABLE credits (
          id TEXT PRIMARY KEY,
          billing_group_id TEXT NOT NULL REFERENCES billing_groups(id),
          code TEXT NOT NULL,
          code_key TEXT NOT NULL UNIQUE,
          kind TEXT NOT NULL CHECK (kind IN ('free', 'paid')),
          amount INTEGER NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('active', 'refunded', 'forfeited')),
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        );
        CREATE INDEX credits_group ON credits(billing_group_id);
        CREATE TABLE events (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          id TEXT NOT NULL UNIQUE,
          billing_group_id TEXT NOT NULL,
          at TEXT NOT NULL,
          actor TEXT NOT NULL,
          action TEXT NOT NULL,
          target TEXT NOT NULL,
          before TEXT,
          after TEXT
        );
        CREATE INDEX events_group ON events(billing_group_id, seq);
        CREATE TABLE idempotency (
          token_hash TEXT NOT NULL,
          key TEXT NOT NULL,
          method TEXT NOT NULL,
          path TEXT NOT NULL,
          body_hash TEXT NOT NULL,
          status INTEGER NOT NULL,
          headers TEXT NOT NULL,
          body TEXT,
          created_at INTEGER NOT NULL,
          PRIMARY KEY (token_hash, key)
        );
        CREATE INDEX idempotency_age ON idempotency(created_at);
      `),
  },
  {
    // Fewer pages per write (a link move wrote ~9 WAL pages): events need no AUTOINCREMENT
    // (never deleted, so rowids only grow) and no index on their random id (never looked up
    // by it); projects are never queried by group in SQL (the state is in memory).
    version: 2,
    name: 'lighter events and projects indexes',
    up: (db) =>
      db.exec(`
        DROP INDEX projects_group;
        CREATE TABLE events_v2 (
          seq INTEGER PRIMARY KEY,
          id TEXT NOT NULL,
          billing_group_id TEXT NOT NULL,
          at TEXT NOT NULL,
          actor TEXT NOT NULL,
          action TEXT NOT NULL,
          target TEXT NOT NULL,
          before TEXT,
          after TEXT
        );
        INSERT INTO events_v2 (seq, id, billing_group_id, at, actor, action, target, before, after)
          SELECT seq, id, billing_group_id, at, actor, action, target, before, after FROM events;
        DROP TABLE events;
        ALTER TABLE events_v2 RENAME TO events;
        CREATE INDEX events_group ON events(billing_group_id, seq);
      `),
  },
  {
    // SPEC §10: token hashes keyed with a server secret (secrets.ts). Existing rows keep
    // their plain SHA-256 (`token_scheme = 'sha256'`) until the token is next used, when the
    // store re-keys it. Idempotency entries written before this version may hold a token in
    // clear (POST /v1/users): they are dropped, and secure_delete zeroes their pages.
    version: 3,
    name: 'server secret, keyed token hashes, no clear idempotency bodies',
    up: (db) => {
      db.exec(`
        CREATE TABLE server_secrets (
          name TEXT PRIMARY KEY,
          value BLOB NOT NULL,
          created_at TEXT NOT NULL
        );
        ALTER TABLE users ADD COLUMN token_scheme TEXT NOT NULL DEFAULT 'sha256';
      `);
      const secure = db.pragma('secure_delete', { simple: true });
      db.pragma('secure_delete = ON');
      db.exec('DELETE FROM idempotency');
      db.pragma(`secure_delete = ${secure ? 'ON' : 'OFF'}`);
    },
  },
  {
    version: 4,
    name: 'change sets (whole-change apply)',
    up: (db) =>
      db.exec(`
        CREATE TABLE change_sets (
          id TEXT PRIMARY KEY,
          workspace TEXT NOT NULL,
          managed_by TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('open', 'applied', 'refused', 'superseded')),
          entries TEXT NOT NULL,
          result TEXT,
          created_by TEXT NOT NULL,
          created_at TEXT NOT NULL,
          expires_at TEXT NOT NULL,
          applied_at TEXT
        );
        CREATE INDEX change_sets_workspace ON change_sets(workspace, status);
      `),
  },
  {
    // SPEC §9, §6: which Terraform workspace or Pulumi stack manages an object, as the IaC
    // client said on its last write (`X-Cloudbilling-Managed-By`); NULL = not managed. For a
    // project it is the link. Events record who wrote them the same way.
    version: 5,
    name: 'managed-by record',
    up: (db) =>
      db.exec(`
        ALTER TABLE billing_groups ADD COLUMN managed_by TEXT;
        ALTER TABLE projects ADD COLUMN managed_by TEXT;
        ALTER TABLE permissions ADD COLUMN managed_by TEXT;
        ALTER TABLE events ADD COLUMN managed_by TEXT;
      `),
  },
];

/**
 * Apply every migration newer than the database. Returns the versions applied.
 *
 * Safe with several processes starting on one new file (issue 10): everything runs in one
 * `BEGIN IMMEDIATE` transaction, so the write lock is taken BEFORE the applied versions are
 * read. A second process waits for it (busy_timeout), then reads the versions the first one
 * committed and applies nothing; before, both read "nothing applied" and both ran migration
 * 2 ("no such index: projects_group"). Each migration still runs in its own savepoint, and
 * a failing one rolls back the whole start: the file is left at the version it had.
 */
export function migrate(db: Database.Database, migrations: Migration[] = MIGRATIONS): number[] {
  const run = db.transaction((): number[] => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TEXT NOT NULL
    )`);
    const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
    const done: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      db.transaction(() => {
        m.up(db);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
      })();
      done.push(m.version);
    }
    return done;
  });
  return run.immediate();
}
