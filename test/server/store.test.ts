/** The store: versioned migrations, and the in-memory view always equal to the committed database. */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, MIGRATIONS } from '../../provider/server/migrations';
import { BillingService } from '../../provider/server/service';
import { Store, withCounts } from '../../provider/server/store';

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

test('a database of schema version 1 is migrated with its data', () => {
  const file = join(dir, 'v1.db');
  const db = new Database(file);
  migrate(db, MIGRATIONS.slice(0, 1));
  db.prepare("INSERT INTO events (id, billing_group_id, at, actor, action, target) VALUES ('evt-1', 'bg-1', 'now', 'usr-1', 'group.created', 'bg-1')").run();
  db.close();
  const store = new Store({ file });
  expect(store.db.prepare('SELECT seq, id, action FROM events').all()).toEqual([{ seq: 1, id: 'evt-1', action: 'group.created' }]);
  expect(store.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: MIGRATIONS[MIGRATIONS.length - 1].version });
  store.close();
});

test('pragmas: WAL, synchronous FULL by default (NORMAL on request), foreign keys on', () => {
  const normal = new Store({ file: join(dir, 'pragmas-normal.db'), synchronous: 'NORMAL' });
  expect(normal.db.pragma('synchronous', { simple: true })).toBe(1);
  normal.close();
  const store = new Store({ file: join(dir, 'pragmas.db') });
  expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
  expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
  expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
  expect(Number(store.db.pragma('busy_timeout', { simple: true }))).toBeGreaterThan(0);
  store.close();
});

test('a transaction that fails after changing the view restores it from the database', () => {
  const store = new Store({ file: join(dir, 'rollback.db') });
  const service = new BillingService(store);
  service.bootstrap({ domain: 'rb', adminEmail: 'a@example.com', adminToken: 't' });
  const admin = store.user(store.adminUserId)!;
  store.tx(() => service.updateGroup(admin, store.state.domain.mainGroupId, { paymentMethod: { type: 'card', reference: 'x' } }));
  const g = store.tx(() => service.createGroup(admin, { name: 'G', billingEmails: ['a@example.com'], invoiceEmails: ['a@example.com'] })).body as { id: string };
  const p = store.tx(() => service.createProject(admin, 'p')).body as { id: string };
  const before = JSON.stringify(store.state);

  expect(() =>
    store.tx(() => {
      service.link(admin, p.id, { billingGroupId: g.id });
      service.createUser(admin, { email: 'ghost@example.com', name: 'ghost' });
      throw new Error('boom after the writes');
    }),
  ).toThrow('boom');
  expect(JSON.stringify(store.state)).toBe(before);
  expect(store.project(p.id)!.billingGroupId).toBe(store.state.domain.mainGroupId);
  expect(store.state.users.map((u) => u.email)).not.toContain('ghost@example.com');
  expect((store.db.prepare('SELECT billing_group_id AS g FROM projects WHERE id = ?').get(p.id) as { g: string }).g).toBe(store.state.domain.mainGroupId);

  // The incremental view after many moves equals a fresh load.
  for (let i = 0; i < 20; i++) store.tx(() => (i % 2 ? service.unlink(admin, p.id) : service.link(admin, p.id, { billingGroupId: g.id })));
  const live = JSON.stringify(withCounts(store.state));
  store.reload();
  expect(JSON.stringify(withCounts(store.state))).toBe(live);
  store.close();
});

test('group commit: writes queued together share a commit, a failing one rolls back alone', async () => {
  const store = new Store({ file: join(dir, 'group-commit.db') });
  const service = new BillingService(store);
  service.bootstrap({ domain: 'gc', adminEmail: 'a@example.com', adminToken: 't' });
  const admin = store.user(store.adminUserId)!;
  const before = (store.db.prepare('SELECT COUNT(*) AS n FROM projects').get() as { n: number }).n;
  const results = await Promise.allSettled([
    store.enqueue(() => service.createProject(admin, 'one')),
    store.enqueue(() => {
      service.createProject(admin, 'doomed');
      throw new Error('second write fails after touching the view');
    }),
    store.enqueue(() => service.createProject(admin, 'three')),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  const names = store.state.projects.map((p) => p.name);
  expect(names).toEqual(['one', 'three']);
  const rows = store.db.prepare('SELECT name FROM projects ORDER BY created_at, id').all() as { name: string }[];
  expect(rows.map((r) => r.name).sort()).toEqual(['one', 'three']);
  expect(rows.length - before).toBe(2);
  // The in-memory view equals a fresh load.
  const live = JSON.stringify(withCounts(store.state));
  store.reload();
  expect(JSON.stringify(withCounts(store.state))).toBe(live);
  store.close();
});

test('a reload keeps the view order when many rows share one created_at millisecond', () => {
  const store = new Store({ file: join(dir, 'same-ms.db') });
  const service = new BillingService(store);
  service.bootstrap({ domain: 'ms', adminEmail: 'a@example.com', adminToken: 't' });
  const admin = store.user(store.adminUserId)!;
  // Random ids created within the same millisecond: an order by (created_at, id) would reorder them.
  store.tx(() => {
    for (let i = 0; i < 50; i++) service.createProject(admin, `p${i}`);
    for (let i = 0; i < 10; i++) service.createUser(admin, { email: `u${i}@example.com`, name: `u${i}` });
  });
  const live = JSON.stringify(withCounts(store.state));
  store.reload();
  expect(store.state.projects.map((p) => p.name)).toEqual(Array.from({ length: 50 }, (_, i) => `p${i}`));
  expect(JSON.stringify(withCounts(store.state))).toBe(live);
  store.close();
});
