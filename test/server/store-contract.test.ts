/**
 * The store contract, for both stores: the in-memory view always equals the committed
 * database (after a failed write, after group commit, after a reload), rows reload in
 * insertion order, migrations are versioned and a newer schema is refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { migratePg, PG_MIGRATIONS } from '../../provider/server/migrations-pg';
import { MIGRATIONS } from '../../provider/server/migrations';
import { BillingService } from '../../provider/server/service';
import { openStore, withCounts, type Store } from '../../provider/server/store';
import { sharedPostgres, STORES, type StoreKind } from '../helpers/stores';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cloudbilling-store-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function newStore(kind: StoreKind): Promise<Store> {
  const db = kind === 'postgres' ? await (await sharedPostgres()).createDatabase() : join(dir, `s${++n}.db`);
  return openStore({ db });
}

/** A fresh load of the same database equals the live view. */
async function expectViewEqualsDatabase(store: Store): Promise<void> {
  const live = JSON.stringify(withCounts(store.state));
  await store.reload();
  expect(JSON.stringify(withCounts(store.state))).toBe(live);
}

test('both stores number their migrations alike', () => {
  expect(PG_MIGRATIONS.map((m) => [m.version, m.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
});

describe.each(STORES)('%s store', (kind) => {
  test('a transaction that fails after changing the view leaves view and database as they were', async () => {
    const store = await newStore(kind);
    try {
      const service = new BillingService(store);
      await service.bootstrap({ domain: 'rb', adminEmail: 'a@example.com', adminToken: 't' });
      const admin = store.user(store.adminUserId)!;
      await store.tx(() => service.updateGroup(admin, store.state.domain.mainGroupId, { paymentMethod: { type: 'card', reference: 'x' } }));
      const g = (await store.tx(() => service.createGroup(admin, { name: 'G', billingEmails: ['a@example.com'], invoiceEmails: ['a@example.com'] }))).body as { id: string };
      const p = (await store.tx(() => service.createProject(admin, 'p'))).body as { id: string };
      const before = JSON.stringify(store.state);

      await expect(
        store.tx(async () => {
          await service.link(admin, p.id, { billingGroupId: g.id });
          await service.createUser(admin, { email: 'ghost@example.com', name: 'ghost' });
          throw new Error('boom after the writes');
        }),
      ).rejects.toThrow('boom');
      expect(JSON.stringify(store.state)).toBe(before);
      expect(store.project(p.id)!.billingGroupId).toBe(store.state.domain.mainGroupId);
      expect(store.state.users.map((u) => u.email)).not.toContain('ghost@example.com');
      expect((await store.get<{ g: string }>('SELECT billing_group_id AS g FROM projects WHERE id = ?', [p.id]))!.g).toBe(store.state.domain.mainGroupId);
      expect(await store.get('SELECT id FROM users WHERE email = ?', ['ghost@example.com'])).toBeUndefined();

      // The incremental view after many moves equals a fresh load.
      for (let i = 0; i < 20; i++) await store.tx(() => (i % 2 ? service.unlink(admin, p.id) : service.link(admin, p.id, { billingGroupId: g.id })));
      await expectViewEqualsDatabase(store);
    } finally {
      await store.close();
    }
  });

  test('group commit: writes queued together share a commit, a failing one rolls back alone', async () => {
    const store = await newStore(kind);
    try {
      const service = new BillingService(store);
      await service.bootstrap({ domain: 'gc', adminEmail: 'a@example.com', adminToken: 't' });
      const admin = store.user(store.adminUserId)!;
      const results = await Promise.allSettled([
        store.enqueue(() => service.createProject(admin, 'one')),
        store.enqueue(async () => {
          await service.createProject(admin, 'doomed');
          throw new Error('second write fails after touching the view');
        }),
        store.enqueue(() => service.createProject(admin, 'three')),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(store.state.projects.map((p) => p.name)).toEqual(['one', 'three']);
      const rows = await store.all<{ name: string }>(`SELECT name FROM projects ORDER BY ${store.seq}`);
      expect(rows.map((r) => r.name)).toEqual(['one', 'three']);
      await expectViewEqualsDatabase(store);
    } finally {
      await store.close();
    }
  });

  test('one change may swap two groups\' names; two live groups never share one', async () => {
    const store = await newStore(kind);
    try {
      const service = new BillingService(store);
      await service.bootstrap({ domain: 'sw', adminEmail: 'a@example.com', adminToken: 't' });
      const admin = store.user(store.adminUserId)!;
      await store.tx(() => service.updateGroup(admin, store.state.domain.mainGroupId, { paymentMethod: { type: 'card', reference: 'x' } }));
      const mk = async (name: string) => ((await store.tx(() => service.createGroup(admin, { name, billingEmails: ['a@example.com'], invoiceEmails: ['a@example.com'] }))).body as { id: string }).id;
      const [a, b] = [await mk('Alpha'), await mk('Beta')];
      const out = await store.tx(() =>
        service.applyChanges(admin, [
          { op: 'updateGroup', id: a, group: { name: 'Beta' } },
          { op: 'updateGroup', id: b, group: { name: 'Alpha' } },
        ]),
      );
      expect(out.errors).toEqual([]);
      expect([store.group(a)!.name, store.group(b)!.name]).toEqual(['Beta', 'Alpha']);
      await expectViewEqualsDatabase(store);
      await expect(store.tx(() => service.updateGroup(admin, a, { name: ' alpha ' }))).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    } finally {
      await store.close();
    }
  });

  test('a reload keeps the view order when many rows share one created_at millisecond', async () => {
    const store = await newStore(kind);
    try {
      const service = new BillingService(store);
      await service.bootstrap({ domain: 'ms', adminEmail: 'a@example.com', adminToken: 't' });
      const admin = store.user(store.adminUserId)!;
      // Random ids created within the same millisecond: an order by (created_at, id) would reorder them.
      await store.tx(async () => {
        for (let i = 0; i < 50; i++) await service.createProject(admin, `p${i}`);
        for (let i = 0; i < 10; i++) await service.createUser(admin, { email: `u${i}@example.com`, name: `u${i}` });
      });
      const live = JSON.stringify(withCounts(store.state));
      await store.reload();
      expect(store.state.projects.map((p) => p.name)).toEqual(Array.from({ length: 50 }, (_, i) => `p${i}`));
      expect(JSON.stringify(withCounts(store.state))).toBe(live);
    } finally {
      await store.close();
    }
  });
});

describe('PostgreSQL migrations', () => {
  test('apply once, in order, recorded; a newer schema is refused with one sentence', async () => {
    const pg = await sharedPostgres();
    const url = await pg.createDatabase();
    const pool = new Pool({ connectionString: url });
    const known = Math.max(...PG_MIGRATIONS.map((m) => m.version));
    try {
      expect(await migratePg(pool, 'db')).toEqual({ applied: PG_MIGRATIONS.map((m) => m.version), version: known });
      expect(await migratePg(pool, 'db')).toEqual({ applied: [], version: known });
      // Replicas starting together: each migration still runs once.
      const url2 = await pg.createDatabase();
      const pools = [new Pool({ connectionString: url2 }), new Pool({ connectionString: url2 })];
      const both = await Promise.all(pools.map((p) => migratePg(p, 'db2')));
      expect(both.map((o) => o.applied.length).sort()).toEqual([0, PG_MIGRATIONS.length]);
      await Promise.all(pools.map((p) => p.end()));
      await pool.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', 'now')");
      await expect(migratePg(pool, 'db')).rejects.toThrow(`has schema version 999, newer than the ${known} this cloudbilling knows`);
      await expect(openStore({ db: url })).rejects.toThrow(`schema version 999, newer than the ${known} this cloudbilling knows; upgrade cloudbilling`);
    } finally {
      await pool.end();
    }
  });
});
