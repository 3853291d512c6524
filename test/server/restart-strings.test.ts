/**
 * What is accepted is what comes back (issue 9): every string the API accepted reads back
 * byte-identical after a restart on the same file; no token issued in the run is found in
 * the SQLite file, its WAL or its shared-memory file (SPEC §10); tokens hashed before the
 * server secret existed are re-keyed on first use.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../../provider/server/ids';
import { SqliteStore } from '../../provider/server/store-sqlite';
import { BillingService } from '../../provider/server/service';
import { expectOk, Fixture, PM } from './client';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cloudbilling-strings-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Any Unicode text, astral planes, controls and combining marks included. */
const text = (max: number) => fc.string({ unit: 'binary', minLength: 1, maxLength: max });

function scan(file: string, secrets: string[]): string[] {
  const found: string[] = [];
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (!existsSync(f)) continue;
    const bytes = readFileSync(f);
    for (const s of secrets) if (bytes.includes(Buffer.from(s, 'utf8'))) found.push(`${s.slice(0, 8)}... in ${f.slice(dir.length)}`);
  }
  return found;
}

test('every accepted string reads back byte-identical after a restart; no token in the file or the WAL', async () => {
  const dbFile = join(dir, 'strings.db');
  const adminToken = `strings-admin-${Date.now()}`;
  const f1 = await Fixture.start({ dbFile, adminToken });
  await f1.enableSubGroups();
  const samples = fc.sample(
    fc.record({ name: text(64), project: text(200), userName: text(200), company: text(80), address: fc.array(text(60), { minLength: 1, maxLength: 3 }), ref: text(60) }),
    { numRuns: 60, seed: 4242 },
  );
  const accepted: { kind: string; id: string; value: unknown }[] = [];
  const tokens = [adminToken];
  let refused = 0;
  for (const [i, s] of samples.entries()) {
    const g = await f1.admin.post('/v1/billing-groups', {
      name: s.name,
      billingEmails: [`b${i}@example.com`],
      invoiceEmails: ['ap@example.com'],
      paymentMethod: { type: 'card', reference: s.ref },
      details: { company: s.company, addressLines: s.address },
    });
    if (g.status === 201) {
      accepted.push({ kind: 'group', id: g.data.id, value: { name: s.name, ref: s.ref, company: s.company, address: s.address } });
      expect(g.data.name).toBe(s.name); // the answer already echoes it unchanged
      // Keep the group count under the sub group limit.
      if (accepted.filter((a) => a.kind === 'group').length >= 25) break;
    } else {
      expect([400, 409, 422]).toContain(g.status);
      refused++;
    }
    const p = await f1.admin.post('/v1/projects', { name: s.project });
    if (p.status === 201) accepted.push({ kind: 'project', id: p.data.id, value: s.project });
    else refused++;
    const u = await f1.admin.post('/v1/users', { email: `user${i}@example.com`, name: s.userName }, i % 2 ? { 'idempotency-key': `user-${i}` } : {});
    if (u.status === 201) {
      accepted.push({ kind: 'user', id: u.data.id, value: s.userName });
      tokens.push(u.data.token);
    } else refused++;
  }
  // The generator reaches both outcomes.
  expect(accepted.length).toBeGreaterThan(30);
  expect(refused).toBeGreaterThan(0);
  expect(scan(dbFile, tokens)).toEqual([]); // while running: main file and WAL
  await f1.close();
  expect(scan(dbFile, tokens)).toEqual([]); // after the checkpoint on close

  const f2 = await Fixture.start({ dbFile, adminToken });
  try {
    for (const a of accepted) {
      if (a.kind === 'group') {
        const g = expectOk(await f2.admin.get(`/v1/billing-groups/${a.id}`));
        const want = a.value as { name: string; ref: string; company: string; address: string[] };
        expect(Buffer.from(JSON.stringify([g.name, g.paymentMethod.reference, g.details.company, g.details.addressLines]))).toEqual(
          Buffer.from(JSON.stringify([want.name, want.ref, want.company, want.address])),
        );
      } else if (a.kind === 'project') {
        expect(Buffer.from(expectOk(await f2.admin.get(`/v1/projects/${a.id}`)).name)).toEqual(Buffer.from(a.value as string));
      } else {
        expect(Buffer.from(expectOk(await f2.admin.get(`/v1/users/${a.id}`)).name)).toEqual(Buffer.from(a.value as string));
      }
    }
    // Tokens still work after the restart (the server secret is kept in the store).
    for (const t of tokens.slice(1, 4)) expectOk(await f2.as(t).get('/v1/domain'));
  } finally {
    await f2.close();
  }
}, 120_000);

test('a token hashed with plain SHA-256 (before migration 3) still works and is re-keyed on first use', async () => {
  const file = join(dir, 'legacy.db');
  const s1 = await SqliteStore.open({ file });
  await new BillingService(s1).bootstrap({ domain: 'legacy', adminEmail: 'admin@example.com', adminToken: 'legacy-admin-token' });
  s1.db.prepare("UPDATE users SET token_hash = ?, token_scheme = 'sha256'").run(sha256('legacy-admin-token'));
  await s1.close();
  const s2 = await SqliteStore.open({ file });
  try {
    expect(await s2.userByToken('wrong-token')).toBeUndefined();
    expect((await s2.userByToken('legacy-admin-token'))?.role).toBe('billing_admin');
    const row = s2.db.prepare('SELECT token_hash, token_scheme FROM users').get() as { token_hash: string; token_scheme: string };
    expect(row).toEqual({ token_hash: s2.tokenKey('legacy-admin-token'), token_scheme: 'hmac' });
    expect((await s2.userByToken('legacy-admin-token'))?.role).toBe('billing_admin');
  } finally {
    await s2.close();
  }
  // Nothing else opened the file in between: the re-keyed hash is on disk.
  const db = new Database(file, { readonly: true });
  expect(db.prepare('SELECT token_scheme FROM users').pluck().get()).toBe('hmac');
  db.close();
});
