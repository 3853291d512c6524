/**
 * `cloudbilling backup --db FILE --to OUT`: an online, consistent copy of an SQLite store
 * (SQLite's backup API through better-sqlite3's `db.backup`), safe while `serve` runs on
 * FILE and writes to it. The copy is written to `OUT.partial`, checked (`PRAGMA
 * integrity_check`, the schema version, the domain row), then renamed to OUT, so a failed
 * backup never leaves a file that looks like one. OUT must not exist.
 *
 * Restoring is the same command the other way round (docs/operations.md): stop serve,
 * `cloudbilling backup --db BACKUP --to FILE` onto a path with no database, start serve.
 * PostgreSQL stores are backed up with pg_dump instead (docs/operations.md).
 */
import Database from 'better-sqlite3';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';

const HELP = `usage: cloudbilling backup --db FILE --to OUT

  --db FILE   the SQLite database to copy (serve may keep running on it)
  --to OUT    the new file to write; must not exist (write to OUT.partial, checked, renamed)
  -h, --help  show this help

Restore: stop serve, then cloudbilling backup --db OUT --to FILE (a path with no database).
PostgreSQL: use pg_dump / pg_restore (docs/operations.md).
`;

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { db: { type: 'string' }, to: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
    }).values;
  } catch (e) {
    process.stderr.write(`cloudbilling backup: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const fail = (message: string, code = 2) => {
    process.stderr.write(`cloudbilling backup: ${message}\n`);
    return code;
  };
  const { db: from, to } = values;
  if (!from || !to) return fail(`--db and --to are both required\n\n${HELP}`);
  if (/^postgres(ql)?:\/\//i.test(from)) return fail('--db is a PostgreSQL URL: back it up with pg_dump (docs/operations.md, "PostgreSQL").');
  if (from === ':memory:') return fail('--db :memory: has nothing to back up: name the SQLite file serve runs on.');
  if (!existsSync(from)) return fail(`--db ${JSON.stringify(from)} does not exist. Name the SQLite file serve runs on (serve --db).`);
  if (existsSync(to)) return fail(`--to ${JSON.stringify(to)} already exists; nothing was written. Choose a new file name (backups never overwrite).`);
  const partial = `${to}.partial`;
  rmSync(partial, { force: true });

  let source: Database.Database;
  try {
    source = new Database(from, { fileMustExist: true });
    source.pragma('busy_timeout = 5000');
    source.prepare('SELECT version FROM schema_migrations LIMIT 1').get();
  } catch (e) {
    return fail(`${JSON.stringify(from)} is not a cloudbilling SQLite database (${(e as Error).message}).`);
  }
  try {
    await source.backup(partial);
  } catch (e) {
    rmSync(partial, { force: true });
    return fail(`the backup of ${JSON.stringify(from)} failed, nothing was written: ${(e as Error).message}`, 1);
  } finally {
    source.close();
  }

  let summary: string;
  try {
    const copy = new Database(partial, { fileMustExist: true });
    try {
      const integrity = copy.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') throw new Error(`integrity_check says ${JSON.stringify(integrity)}`);
      const version = copy.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get();
      const domain = copy.prepare('SELECT name FROM domain LIMIT 1').pluck().get() as string | undefined;
      const groups = copy.prepare('SELECT COUNT(*) FROM billing_groups WHERE deleted_at IS NULL').pluck().get();
      const projects = copy.prepare('SELECT COUNT(*) FROM projects').pluck().get();
      const events = copy.prepare('SELECT COUNT(*) FROM events').pluck().get();
      summary = `schema version ${version}, domain ${domain === undefined ? '(none yet)' : JSON.stringify(domain)}, ${groups} billing groups, ${projects} projects, ${events} events, integrity ok`;
    } finally {
      copy.close();
    }
  } catch (e) {
    rmSync(partial, { force: true });
    return fail(`the copy of ${JSON.stringify(from)} did not check out, nothing was kept: ${(e as Error).message}`, 1);
  }
  for (const suffix of ['-wal', '-shm']) rmSync(partial + suffix, { force: true });
  renameSync(partial, to);
  process.stdout.write(`backed up ${from} to ${to} (${statSync(to).size} bytes): ${summary}\n`);
  return 0;
}
