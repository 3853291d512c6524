/** The SQLite store: versioned migrations and pragmas (store-contract.test.ts covers both stores). */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, MIGRATIONS } from '../../provider/server/migrations';
import { SqliteStore } from '../../provider/server/store-sqlite';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cloudbilling-store-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('migrations run once, in order, and are recorded', () => {
  const db = new Database(':memory:');
  expect(migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
  expect(migrate(db)).toEqual([]);
  const extra = [...MIGRATIONS, { version: 99, name: 'test column', up: (d: Database.Database) => d.exec('ALTER TABLE projects ADD COLUMN note TEXT') }];
  expect(migrate(db, extra)).toEqual([99]);
  const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
  expect(rows).toEqual([...MIGRATIONS.map((m) => ({ version: m.version, name: m.name })), { version: 99, name: 'test column' }]);
  db.close();
});

test('a failing migration is rolled back and not recorded', () => {
  const db = new Database(':memory:');
  migrate(db);
  const last = MIGRATIONS[MIGRATIONS.length - 1].version;
  const bad = [...MIGRATIONS, { version: last + 1, name: 'broken', up: (d: Database.Database) => d.exec('CREATE TABLE x (a); SELECT nope FROM nowhere;') }];
  expect(() => migrate(db, bad)).toThrow();
  expect(db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'x'").get()).toEqual({ n: 0 });
  expect(db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: last });
  db.close();
});

test('a database of schema version 1 is migrated with its data', async () => {
  const file = join(dir, 'v1.db');
  const db = new Database(file);
  migrate(db, MIGRATIONS.slice(0, 1));
  db.prepare("INSERT INTO events (id, billing_group_id, at, actor, action, target) VALUES ('evt-1', 'bg-1', 'now', 'usr-1', 'group.created', 'bg-1')").run();
  db.close();
  const store = await SqliteStore.open({ file });
  expect(store.db.prepare('SELECT seq, id, action FROM events').all()).toEqual([{ seq: 1, id: 'evt-1', action: 'group.created' }]);
  expect(store.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: MIGRATIONS[MIGRATIONS.length - 1].version });
  await store.close();
});

test('pragmas: WAL, synchronous FULL by default (NORMAL on request), foreign keys on', async () => {
  const normal = await SqliteStore.open({ file: join(dir, 'pragmas-normal.db'), synchronous: 'NORMAL' });
  expect(normal.db.pragma('synchronous', { simple: true })).toBe(1);
  await normal.close();
  const store = await SqliteStore.open({ file: join(dir, 'pragmas.db') });
  expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
  expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
  expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
  expect(Number(store.db.pragma('busy_timeout', { simple: true }))).toBeGreaterThan(0);
  await store.close();
});

test('a schema newer than this build knows is refused with one sentence', async () => {
  const file = join(dir, 'newer.db');
  const db = new Database(file);
  migrate(db);
  db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', 'now')").run();
  db.close();
  const known = MIGRATIONS[MIGRATIONS.length - 1].version;
  await expect(SqliteStore.open({ file })).rejects.toThrow(`has schema version 999, newer than the ${known} this cloudbilling knows`);
});
