/**
 * `cloudbilling migrate`: apply the schema migrations to a store and say what was done.
 *
 *   cloudbilling migrate [--db FILE|postgres://USER@HOST:PORT/DB]
 *
 * `serve` applies them too on start; running `migrate` first lets an operator upgrade the
 * schema once, before rolling new replicas out. Exit 0 when the store is at the newest
 * version this build knows, 1 when it cannot be (unreachable, newer schema, failed step).
 */
import { parseArgs } from 'node:util';
import { DEFAULTS } from '../server';

const HELP = `usage: cloudbilling migrate [options]

  --db FILE|URL   the store: an SQLite file, or postgres://USER[:PASSWORD]@HOST:PORT/DB
                  (default $CLOUDBILLING_DB, else ${DEFAULTS.dbFile})
  -h, --help      show this help

Prints what it did: "applied 1..5 (now at 5)" or "up to date at 5".
`;

/** `[1,2,3]` -> `1..3`; `[4]` -> `4`. */
export function versionsText(vs: number[]): string {
  if (vs.length === 1) return String(vs[0]);
  const contiguous = vs.every((v, i) => i === 0 || v === vs[i - 1] + 1);
  return contiguous ? `${vs[0]}..${vs[vs.length - 1]}` : vs.join(', ');
}

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { db: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } }).values;
  } catch (e) {
    process.stderr.write(`cloudbilling migrate: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const db = values.db ?? (process.env.CLOUDBILLING_DB || DEFAULTS.dbFile);
  try {
    const { applied, version } = await migrateStore(db);
    process.stdout.write(applied.length > 0 ? `applied ${versionsText(applied)} (now at ${version})\n` : `up to date at ${version}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`cloudbilling migrate: ${(e as Error).message}\n`);
    return 1;
  }
}

/** Apply the migrations `db` lacks; returns them and the version it is at now. */
export async function migrateStore(db: string): Promise<{ applied: number[]; version: number }> {
  const { isPostgresUrl, newerSchemaMessage } = await import('../server/store');
  if (isPostgresUrl(db)) {
    const { PgStore, redact } = await import('../server/store-pg');
    const { migratePg } = await import('../server/migrations-pg');
    const { isStoreUnavailable } = await import('../server/store');
    const pool = PgStore.pool({ url: db });
    try {
      return await migratePg(pool, redact(db));
    } catch (e) {
      const { storeErrorOf } = await import('../server/store-pg');
      const err = storeErrorOf(e);
      if (isStoreUnavailable(err)) throw new Error(`${redact(db)}: ${err.message}`);
      throw e;
    } finally {
      await pool.end();
    }
  }
  const Database = (await import('better-sqlite3')).default;
  const { migrate, MIGRATIONS } = await import('../server/migrations');
  const sqlite = new Database(db);
  try {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    const applied = migrate(sqlite);
    const version = Number(sqlite.prepare('SELECT MAX(version) AS v FROM schema_migrations').pluck().get() ?? 0);
    const known = Math.max(...MIGRATIONS.map((m) => m.version));
    if (version > known) throw new Error(newerSchemaMessage(version, known, db));
    return { applied, version };
  } finally {
    sqlite.close();
  }
}
