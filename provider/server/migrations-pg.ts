/**
 * Versioned schema migrations of the PostgreSQL store. The versions mean the same schema
 * level as SQLite's (migrations.ts), so `cloudbilling migrate` and `serve` say the same
 * numbers for both stores; each version is written in PostgreSQL's own terms. Append new
 * migrations at the end; never edit one that has shipped.
 *
 * PostgreSQL adds what replicas need (ADR 0006): `store_version`, the counter every write
 * transaction bumps (a replica reloads its view when it moved), an explicit insertion
 * order column `seq` on the tables the view loads, and constraints that hold whatever a
 * replica believes: one domain, one main group, unique live group names (`name_key` is
 * the rules' normalised name), unique e-mails (case-insensitive), foreign keys.
 *
 * `migratePg` holds a session advisory lock while it runs, so replicas starting together
 * on a new database apply each migration once.
 */
import type { Pool } from 'pg';
import { newerSchemaMessage } from './store';

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

/** Advisory lock key of the migrator (any constant; `cloudbilling` in ASCII, truncated). */
export const MIGRATION_LOCK_KEY = 0x636c6f7564;

export const PG_MIGRATIONS: PgMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE store_version (
        id integer PRIMARY KEY CHECK (id = 1),
        version bigint NOT NULL
      );
      INSERT INTO store_version (id, version) VALUES (1, 0);
      CREATE TABLE domain (
        id text PRIMARY KEY,
        name text NOT NULL,
        main_group_id text NOT NULL,
        sub_group_limit integer NOT NULL,
        admin_user_id text NOT NULL,
        created_at text NOT NULL,
        one_domain boolean NOT NULL DEFAULT true UNIQUE CHECK (one_domain)
      );
      CREATE TABLE users (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        id text PRIMARY KEY,
        email text NOT NULL,
        name text NOT NULL,
        role text CHECK (role IS NULL OR role = 'billing_admin'),
        token_hash text NOT NULL UNIQUE,
        created_at text NOT NULL
      );
      CREATE UNIQUE INDEX users_email ON users (lower(email));
      CREATE TABLE billing_groups (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        id text PRIMARY KEY,
        name text NOT NULL,
        name_key text NOT NULL,
        type text NOT NULL CHECK (type IN ('main', 'sub')),
        billing_emails text NOT NULL,
        invoice_emails text NOT NULL,
        payment_method text,
        details text NOT NULL,
        created_at text NOT NULL,
        updated_at text NOT NULL,
        created_by text NOT NULL,
        version integer NOT NULL,
        deleted_at text
      );
      -- Checked at COMMIT: a change set may swap two groups' names (the rules judge the result).
      ALTER TABLE billing_groups ADD CONSTRAINT billing_groups_live_name
        EXCLUDE USING btree (name_key WITH =) WHERE (deleted_at IS NULL) DEFERRABLE INITIALLY DEFERRED;
      CREATE UNIQUE INDEX billing_groups_one_main ON billing_groups (type) WHERE type = 'main';
      CREATE TABLE projects (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        id text PRIMARY KEY,
        name text NOT NULL,
        billing_group_id text NOT NULL REFERENCES billing_groups(id),
        effective_from text NOT NULL,
        created_at text NOT NULL
      );
      CREATE TABLE permissions (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        user_id text NOT NULL REFERENCES users(id),
        billing_group_id text NOT NULL REFERENCES billing_groups(id),
        created_at text NOT NULL,
        PRIMARY KEY (user_id, billing_group_id)
      );
      CREATE INDEX permissions_group ON permissions(billing_group_id);
      CREATE TABLE invoices (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        id text PRIMARY KEY,
        billing_group_id text NOT NULL REFERENCES billing_groups(id),
        period text NOT NULL,
        total bigint NOT NULL,
        status text NOT NULL CHECK (status IN ('open', 'paid')),
        created_at text NOT NULL,
        paid_at text
      );
      CREATE INDEX invoices_group ON invoices(billing_group_id, period);
      CREATE TABLE invoice_lines (
        invoice_id text NOT NULL REFERENCES invoices(id),
        project_id text NOT NULL REFERENCES projects(id),
        service text NOT NULL,
        amount bigint NOT NULL,
        PRIMARY KEY (invoice_id, project_id, service)
      );
      CREATE TABLE usage (
        id text PRIMARY KEY,
        project_id text NOT NULL REFERENCES projects(id),
        billing_group_id text NOT NULL REFERENCES billing_groups(id),
        service text NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0),
        at text NOT NULL,
        period text NOT NULL,
        invoice_id text REFERENCES invoices(id),
        recorded_at text NOT NULL
      );
      CREATE INDEX usage_unbilled_group ON usage(billing_group_id) WHERE invoice_id IS NULL;
      CREATE INDEX usage_unbilled_period ON usage(period) WHERE invoice_id IS NULL;
      CREATE TABLE credits (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        id text PRIMARY KEY,
        billing_group_id text NOT NULL REFERENCES billing_groups(id),
        code text NOT NULL,
        code_key text NOT NULL UNIQUE,
        kind text NOT NULL CHECK (kind IN ('free', 'paid')),
        amount bigint NOT NULL,
        status text NOT NULL CHECK (status IN ('active', 'refunded', 'forfeited')),
        created_at text NOT NULL,
        updated_at text NOT NULL
      );
      CREATE INDEX credits_group ON credits(billing_group_id);
      CREATE TABLE events (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL,
        billing_group_id text NOT NULL,
        at text NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        target text NOT NULL,
        before text,
        after text
      );
      CREATE INDEX events_group ON events(billing_group_id, seq);
      CREATE TABLE idempotency (
        token_hash text NOT NULL,
        key text NOT NULL,
        method text NOT NULL,
        path text NOT NULL,
        body_hash text NOT NULL,
        status integer NOT NULL,
        headers text NOT NULL,
        body text,
        created_at bigint NOT NULL,
        PRIMARY KEY (token_hash, key)
      );
      CREATE INDEX idempotency_age ON idempotency(created_at);
    `,
  },
  // SQLite's version 2 re-laid its events table and dropped an index; version 1 above is already that shape.
  { version: 2, name: 'lighter events and projects indexes', sql: '' },
  {
    version: 3,
    name: 'server secret, keyed token hashes, no clear idempotency bodies',
    sql: `
      CREATE TABLE server_secrets (
        name text PRIMARY KEY,
        value bytea NOT NULL,
        created_at text NOT NULL
      );
      ALTER TABLE users ADD COLUMN token_scheme text NOT NULL DEFAULT 'sha256';
      DELETE FROM idempotency;
    `,
  },
  {
    version: 4,
    name: 'change sets (whole-change apply)',
    sql: `
      CREATE TABLE change_sets (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        id text PRIMARY KEY,
        workspace text NOT NULL,
        managed_by text NOT NULL,
        status text NOT NULL CHECK (status IN ('open', 'applied', 'refused', 'superseded')),
        entries text NOT NULL,
        result text,
        created_by text NOT NULL,
        created_at text NOT NULL,
        expires_at text NOT NULL,
        applied_at text
      );
      CREATE INDEX change_sets_workspace ON change_sets(workspace, status);
    `,
  },
  {
    // As SQLite's version 5: the IaC workspace or stack managing an object; NULL = not managed.
    version: 5,
    name: 'managed-by record',
    sql: `
      ALTER TABLE billing_groups ADD COLUMN managed_by text;
      ALTER TABLE projects ADD COLUMN managed_by text;
      ALTER TABLE permissions ADD COLUMN managed_by text;
      ALTER TABLE events ADD COLUMN managed_by text;
    `,
  },
];

/** What `migratePg` did: the versions applied now, and the version the database is at. */
export interface MigrationOutcome {
  applied: number[];
  version: number;
}

/**
 * Apply every migration newer than the database, each in its own transaction, under a
 * session advisory lock. Refuses (throws) a database whose schema is newer than `migrations`.
 */
export async function migratePg(pool: Pool, where: string, migrations: PgMigration[] = PG_MIGRATIONS): Promise<MigrationOutcome> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at text NOT NULL
      )`);
      const have = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)));
      const known = Math.max(...migrations.map((m) => m.version));
      const found = Math.max(0, ...have);
      if (found > known) throw new Error(newerSchemaMessage(found, known, where));
      const applied: number[] = [];
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (have.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          if (m.sql.trim() !== '') await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, new Date().toISOString()]);
          await client.query('COMMIT');
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw e;
        }
        applied.push(m.version);
      }
      return { applied, version: Math.max(found, ...applied) };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => (broken = true));
    }
  } catch (e) {
    broken = true;
    throw e;
  } finally {
    client.release(broken);
  }
}
