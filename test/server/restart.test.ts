/** Restarting on the same database file keeps everything; the CLI entry point starts and stops cleanly. */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../provider/cli/serve';
import { sha256 } from '../../provider/server/ids';
import { keyedTokenHash } from '../../provider/server/secrets';
import { client, expectError, expectOk, Fixture, groupBody } from './client';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cloudbilling-restart-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('restart on the same file keeps groups, links, users, invoices, credits, events and idempotency keys', async () => {
  const dbFile = join(dir, 'keep.db');
  const f1 = await Fixture.start({ dbFile, adminToken: 'first-token', domain: 'persist' });
  await f1.enableSubGroups();
  const g = await f1.group('Kept');
  const p = await f1.project('kept-project');
  await f1.link(p.id, g.id);
  const u = await f1.user('kept@example.com');
  expectOk(await f1.admin.put(`/v1/billing-groups/${g.id}/permissions/${u.id}`));
  await f1.usage(p.id, 7.25, 'compute', '2025-02-02T00:00:00Z');
  const inv = expectOk(await f1.admin.post('/v1/billing-periods/2025-02/close')).invoices[0];
  expectOk(await f1.admin.post(`/v1/billing-groups/${g.id}/credits`, { code: 'FREE-KEEP-5' }), 201);
  const created = await f1.admin.post('/v1/billing-groups', groupBody('Idem'), { 'idempotency-key': 'k1' });
  const snap1 = expectOk(await f1.admin.get('/v1/snapshot'));
  const events1 = expectOk(await f1.admin.get(`/v1/billing-groups/${g.id}/events`)).items;
  await f1.close();

  const f2 = await Fixture.start({ dbFile, adminToken: 'first-token', domain: 'ignored-on-restart' });
  try {
    const snap2 = expectOk(await f2.admin.get('/v1/snapshot'));
    const { at: _a1, ...rest1 } = snap1;
    const { at: _a2, ...rest2 } = snap2;
    expect(rest2).toEqual(rest1);
    expect(snap2.domain.name).toBe('persist');
    expect(expectOk(await f2.admin.get(`/v1/invoices/${inv.id}`))).toEqual(inv);
    expect(expectOk(await f2.admin.get(`/v1/billing-groups/${g.id}/credits`)).items).toHaveLength(1);
    expect(expectOk(await f2.admin.get(`/v1/billing-groups/${g.id}/events`)).items).toEqual(events1);
    expect(expectOk(await f2.as(u.token).get('/v1/projects')).items.map((x: { id: string }) => x.id)).toEqual([p.id]);
    const replay = await f2.admin.post('/v1/billing-groups', groupBody('Idem'), { 'idempotency-key': 'k1' });
    expect(replay.data).toEqual(created.data);
  } finally {
    await f2.close();
  }

  // A new admin token on a later start replaces the stored one.
  const f3 = await Fixture.start({ dbFile, adminToken: 'second-token' });
  try {
    expectError(await client(f3.server.url, 'first-token').get('/v1/domain'), 401, 'UNAUTHENTICATED');
    expect(expectOk(await f3.admin.get('/v1/domain')).name).toBe('persist');
  } finally {
    await f3.close();
  }
});

test('demo seeding fills a new database once', async () => {
  const dbFile = join(dir, 'demo.db');
  const f1 = await Fixture.start({ dbFile, demo: true });
  const snap = expectOk(await f1.admin.get('/v1/snapshot'));
  expect(snap.groups.length).toBeGreaterThanOrEqual(5);
  expect(snap.projects.length).toBeGreaterThanOrEqual(20);
  expect(snap.users.length).toBeGreaterThanOrEqual(4);
  const main = snap.groups.find((g: { type: string }) => g.type === 'main');
  expect(main.paymentMethod).not.toBeNull();
  const sub = snap.groups.find((g: { type: string; projectCount: number }) => g.type === 'sub' && g.projectCount > 0);
  const invoices = expectOk(await f1.admin.get(`/v1/billing-groups/${sub.id}/invoices`)).items;
  expect(invoices.some((i: { status: string }) => i.status === 'paid')).toBe(true);
  expect(snap.groups.some((g: { finance: { unbilledUsage: number } }) => g.finance.unbilledUsage > 0)).toBe(true);
  await f1.close();
  const f2 = await Fixture.start({ dbFile, demo: true });
  expect(expectOk(await f2.admin.get('/v1/snapshot')).projects.length).toBe(snap.projects.length);
  await f2.close();
});

test('cloudbilling serve prints the URL and a generated token once, and stops on SIGTERM', async () => {
  const out: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  const saved = { token: process.env.CLOUDBILLING_ADMIN_TOKEN, level: process.env.CLOUDBILLING_LOG_LEVEL };
  delete process.env.CLOUDBILLING_ADMIN_TOKEN;
  process.env.CLOUDBILLING_LOG_LEVEL = 'silent';
  try {
    const dbFile = join(dir, 'cli.db');
    const done = run(['--port', '0', '--db', dbFile, '--domain', 'clidomain', '--rate-limit', '0']);
    const started = Date.now();
    while (!out.join('').includes('cbt_') && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 20));
    const text = out.join('');
    const url = /cloudbilling API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
    const token = /(cbt_[0-9a-f]{64})/.exec(text)?.[1];
    expect(url).toBeDefined();
    expect(token).toBeDefined();
    expect(expectOk(await client(url!, token).get('/v1/domain')).name).toBe('clidomain');
    process.emit('SIGTERM');
    expect(await done).toBe(0);
    // Second start: no new token is printed, the old one still works.
    out.length = 0;
    const again = run(['--port', '0', '--db', dbFile]);
    const t2 = Date.now();
    while (!out.join('').includes('listening') && Date.now() - t2 < 30_000) await new Promise((r) => setTimeout(r, 20));
    const url2 = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out.join(''))![1];
    expect(out.join('')).not.toContain('cbt_');
    expect(expectOk(await client(url2, token).get('/v1/domain')).name).toBe('clidomain');
    process.emit('SIGINT');
    expect(await again).toBe(0);
    expect(await run(['--port', 'abc'])).toBe(2);
    expect(await run(['--bogus'])).toBe(2);
    expect(await run(['--admin-email', 'nope'])).toBe(2);
    expect(await run(['--domain', '   '])).toBe(2);
  } finally {
    spy.mockRestore();
    if (saved.token !== undefined) process.env.CLOUDBILLING_ADMIN_TOKEN = saved.token;
    if (saved.level !== undefined) process.env.CLOUDBILLING_LOG_LEVEL = saved.level;
    else delete process.env.CLOUDBILLING_LOG_LEVEL;
  }
});

test('two servers on one file stay consistent (the view follows the commits of the other connection)', async () => {
  const dbFile = join(dir, 'shared.db');
  const a = await Fixture.start({ dbFile, adminToken: 'shared' });
  const b = await Fixture.start({ dbFile, adminToken: 'shared' });
  try {
    await a.enableSubGroups();
    for (let i = 0; i < 30; i++) await (i % 2 ? a : b).group(`g${i}`);
    expectError(await a.admin.post('/v1/billing-groups', groupBody('one more')), 409, 'SUB_GROUP_LIMIT');
    expectError(await b.admin.post('/v1/billing-groups', groupBody('one more')), 409, 'SUB_GROUP_LIMIT');
    const p = await a.project('shared-project');
    const groups = expectOk(await b.admin.get('/v1/billing-groups')).items;
    const g = groups.find((x: { name: string }) => x.name === 'g1');
    await b.link(p.id, g.id);
    expect(expectOk(await a.admin.get(`/v1/projects/${p.id}`)).billingGroupId).toBe(g.id);
    expect(expectOk(await a.admin.get(`/v1/billing-groups/${g.id}`)).projectCount).toBe(1);
    expectError(await a.admin.post('/v1/billing-groups', groupBody('g1')), 409, 'SUB_GROUP_LIMIT');
  } finally {
    await a.close();
    await b.close();
  }
});

test('tokens are stored only as keyed hashes and never logged', async () => {
  const dbFile = join(dir, 'tokens.db');
  const out: string[] = [];
  const spies = [process.stdout, process.stderr].map((s) =>
    jest.spyOn(s, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    }),
  );
  const saved = { token: process.env.CLOUDBILLING_ADMIN_TOKEN, level: process.env.CLOUDBILLING_LOG_LEVEL };
  process.env.CLOUDBILLING_ADMIN_TOKEN = 'admin-secret-token-value';
  process.env.CLOUDBILLING_LOG_LEVEL = 'debug';
  let userToken = '';
  try {
    const done = run(['--port', '0', '--db', dbFile, '--rate-limit', '0']);
    const t0 = Date.now();
    while (!out.join('').includes('listening on') && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 20));
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out.join(''))![1];
    const admin = client(url, 'admin-secret-token-value');
    userToken = expectOk(await admin.post('/v1/users', { email: 'logged@example.com', name: 'l' }), 201).token;
    expectOk(await client(url, userToken).get('/v1/domain'));
    expectError(await client(url, 'wrong-secret-token').get('/v1/domain'), 401, 'UNAUTHENTICATED');
    process.emit('SIGTERM');
    expect(await done).toBe(0);
  } finally {
    spies.forEach((s) => s.mockRestore());
    for (const [k, v] of [['CLOUDBILLING_ADMIN_TOKEN', saved.token], ['CLOUDBILLING_LOG_LEVEL', saved.level]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const logged = out.join('');
  expect(logged).toContain('incoming request');
  for (const secret of ['admin-secret-token-value', userToken, 'wrong-secret-token']) expect(logged).not.toContain(secret);
  const db = new Database(dbFile, { readonly: true });
  const rows = db.prepare('SELECT token_hash, token_scheme FROM users').all() as { token_hash: string; token_scheme: string }[];
  const secret = db.prepare("SELECT value FROM server_secrets WHERE name = 'token-key'").pluck().get() as Buffer;
  db.close();
  // Keyed with the server secret (SPEC §10), not a plain SHA-256.
  expect(rows.map((r) => r.token_hash).sort()).toEqual([keyedTokenHash(secret, 'admin-secret-token-value'), keyedTokenHash(secret, userToken)].sort());
  expect(rows.map((r) => r.token_hash)).not.toContain(sha256(userToken));
  expect(rows.every((r) => r.token_scheme === 'hmac')).toBe(true);
});
