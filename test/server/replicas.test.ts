/**
 * Replicas (SPEC §8, ADR 0006): several `serve` processes of the built CLI on one
 * PostgreSQL database. Random concurrent writes through all of them keep every invariant
 * of SPEC §1, both replicas then serve the same snapshot, and an Idempotency-Key and an
 * If-Match work across replicas. Failover: the database restarted mid-burst and a replica
 * stopped with SIGTERM mid-burst lose no acknowledged write; while the database is away
 * requests answer 503 in the error shape with Retry-After, never a hang or a 500.
 */
import http from 'node:http';
import axios, { type AxiosResponse } from 'axios';
import { Client } from 'pg';
import { nameKey } from '../../provider/domain/text';
import { startPostgres, type PostgresCluster } from '../helpers/postgres';
import { startReplica, type Replica } from '../helpers/replica';
import { groupBody, PM } from './client';

const TOKEN = 'replica-test-admin-token';
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

type Call = (method: string, path: string, data?: unknown, headers?: Record<string, string>) => Promise<AxiosResponse<any>>;

function api(url: string): Call {
  return (method, path, data, headers = {}) =>
    axios.request({ method, url: url + path, data, headers: { authorization: `Bearer ${TOKEN}`, ...headers }, validateStatus: () => true, httpAgent: agent, timeout: 20_000 });
}

/** A call that reports a refused connection (a stopped replica) as status 0 instead of throwing. */
function tolerant(call: Call): Call {
  return async (method, path, data, headers) => {
    try {
      return await call(method, path, data, headers);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_SOCKET_CONNECTION_TIMEOUT') return { status: 0, data: null, headers: {} } as AxiosResponse;
      throw e;
    }
  };
}

/** Every invariant of SPEC §1, read straight from the database. */
async function expectInvariants(url: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const groups = (await c.query('SELECT id, name, type FROM billing_groups WHERE deleted_at IS NULL')).rows as { id: string; name: string; type: string }[];
    const live = new Set(groups.map((g) => g.id));
    expect(groups.filter((g) => g.type === 'main')).toHaveLength(1);
    expect(groups.filter((g) => g.type === 'sub').length).toBeLessThanOrEqual(30);
    expect(new Set(groups.map((g) => nameKey(g.name))).size).toBe(groups.length);
    const projects = (await c.query('SELECT id, billing_group_id FROM projects')).rows as { id: string; billing_group_id: string }[];
    for (const p of projects) expect(live.has(p.billing_group_id)).toBe(true);
    const perms = (await c.query('SELECT billing_group_id FROM permissions')).rows as { billing_group_id: string }[];
    for (const p of perms) expect(live.has(p.billing_group_id)).toBe(true);
  } finally {
    await c.end();
  }
}

/** The snapshot without its timestamp. */
async function snapshotOf(call: Call): Promise<unknown> {
  const r = await call('GET', '/v1/snapshot');
  expect(r.status).toBe(200);
  const { at: _at, ...rest } = r.data;
  return rest;
}

function rng(seed: number) {
  return () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
}

// A cluster of its own: the failover test restarts it.
let pg: PostgresCluster;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(() => pg?.stop());

let db: string;
let replicas: Replica[] = [];
afterEach(async () => {
  await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
  replicas = [];
});

async function startDomain(): Promise<{ a: Call; b: Call; projects: string[]; groups: string[] }> {
  db = await pg.createDatabase();
  // Both start together on a new database: migrations and the domain are created once.
  replicas = await Promise.all([startReplica(db, TOKEN), startReplica(db, TOKEN)]);
  const [a, b] = replicas.map((r) => api(r.url));
  expect((await a('PATCH', `/v1/billing-groups/${(await a('GET', '/v1/domain')).data.mainGroupId}`, { paymentMethod: PM })).status).toBe(200);
  const groups: string[] = [];
  for (let i = 0; i < 12; i++) groups.push((await (i % 2 ? a : b)('POST', '/v1/billing-groups', groupBody(`team-${i}`))).data.id);
  const projects: string[] = [];
  for (let i = 0; i < 60; i++) projects.push((await (i % 2 ? b : a)('POST', '/v1/projects', { name: `p-${i}` })).data.id);
  return { a, b, projects, groups };
}

test('5,000 random concurrent writes through two replicas keep every invariant; both serve the same snapshot', async () => {
  const { a, b, projects, groups } = await startDomain();
  const users: string[] = [];
  for (let i = 0; i < 5; i++) users.push((await a('POST', '/v1/users', { email: `u${i}@example.com`, name: `u${i}` })).data.id);
  const mainId = (await a('GET', '/v1/domain')).data.mainGroupId;
  const rand = rng(20261202);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const statuses = new Map<number, number>();
  const TOTAL = 5000;
  let next = 0;
  let created = 0;
  const worker = async (call: Call) => {
    while (next < TOTAL) {
      const i = next++;
      const r = rand();
      let res: AxiosResponse;
      if (r < 0.55) res = await call('PUT', `/v1/projects/${pick(projects)}/billing-group`, { billingGroupId: pick([...groups, mainId]), allowTransfer: true });
      else if (r < 0.65) res = await call('DELETE', `/v1/projects/${pick(projects)}/billing-group`);
      else if (r < 0.75) {
        // Creates race the 30-group limit and each other's names.
        res = await call('POST', '/v1/billing-groups', groupBody(`race-${Math.floor(rand() * 40)}`));
        if (res.status === 201) groups.push(res.data.id), created++;
      } else if (r < 0.8) {
        const g = pick(groups);
        const got = await call('GET', `/v1/billing-groups/${g}`);
        res = got.status === 200 ? await call('DELETE', `/v1/billing-groups/${g}?confirmName=${encodeURIComponent(got.data.name)}`) : got;
      } else if (r < 0.88) res = await call('PATCH', `/v1/billing-groups/${pick(groups)}`, { name: `renamed-${Math.floor(rand() * 60)}` });
      else if (r < 0.94) res = await call('PUT', `/v1/billing-groups/${pick(groups)}/permissions/${pick(users)}`);
      else res = await call('DELETE', `/v1/billing-groups/${pick(groups)}/permissions/${pick(users)}`);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500) throw new Error(`write ${i} answered ${res.status}: ${JSON.stringify(res.data)}`);
    }
  };
  await Promise.all([...Array.from({ length: 12 }, () => worker(a)), ...Array.from({ length: 12 }, () => worker(b))]);
  const total = [...statuses.values()].reduce((s, n) => s + n, 0);
  expect(total).toBeGreaterThanOrEqual(TOTAL);
  expect(statuses.get(200)).toBeGreaterThan(TOTAL / 3);
  expect(created).toBeGreaterThan(0);

  await expectInvariants(db);
  const [sa, sb] = [await snapshotOf(a), await snapshotOf(b)];
  expect(sb).toEqual(sa);
  // The view equals the database: a third replica started now loads the same snapshot.
  const third = await startReplica(db, TOKEN);
  replicas.push(third);
  expect(await snapshotOf(api(third.url))).toEqual(sa);
}, 300_000);

test('an Idempotency-Key replays on the other replica; If-Match is checked against writes of the other replica', async () => {
  const { a, b, groups } = await startDomain();
  const key = { 'idempotency-key': 'one-project-please' };
  const first = await a('POST', '/v1/projects', { name: 'once' }, key);
  expect(first.status).toBe(201);
  const again = await b('POST', '/v1/projects', { name: 'once' }, key);
  expect(again.status).toBe(201);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.data).toEqual(first.data);
  expect((await b('GET', '/v1/projects')).data.items.filter((p: { name: string }) => p.name === 'once')).toHaveLength(1);

  const g = (await a('GET', `/v1/billing-groups/${groups[0]}`)).data;
  expect((await a('PATCH', `/v1/billing-groups/${g.id}`, { name: 'first-writer' }, { 'if-match': `"${g.version}"` })).status).toBe(200);
  const stale = await b('PATCH', `/v1/billing-groups/${g.id}`, { name: 'second-writer' }, { 'if-match': `"${g.version}"` });
  expect(stale.status).toBe(412);
  expect(stale.data.error.code).toBe('STALE_VERSION');
  expect((await b('GET', `/v1/billing-groups/${g.id}`)).data.name).toBe('first-writer');
}, 120_000);

test('failover: the database restarted mid-burst and a replica stopped with SIGTERM mid-burst lose no acknowledged write', async () => {
  const { a, b, projects, groups } = await startDomain();
  let calls = [a, b];
  const acknowledgedProjects: string[] = [];
  const acknowledgedMoves: { projectId: string; to: string }[] = [];
  const unavailable: AxiosResponse[] = [];
  const rand = rng(7);
  let stop = false;
  const worker = async (call: Call, n: number) => {
    for (let i = 0; i < n && !stop; i++) {
      if (rand() < 0.4) {
        const r = await call('POST', '/v1/projects', { name: `burst-${i}` });
        if (r.status === 201) acknowledgedProjects.push(r.data.id);
        else if (r.status === 503) unavailable.push(r);
        else if (r.status !== 0) throw new Error(`create answered ${r.status}: ${JSON.stringify(r.data)}`);
      } else {
        const projectId = projects[Math.floor(rand() * projects.length)];
        const to = groups[Math.floor(rand() * groups.length)];
        const r = await call('PUT', `/v1/projects/${projectId}/billing-group`, { billingGroupId: to, allowTransfer: true });
        if (r.status === 200) acknowledgedMoves.push({ projectId, to });
        else if (r.status === 503) unavailable.push(r);
        else if (r.status !== 0) throw new Error(`move answered ${r.status}: ${JSON.stringify(r.data)}`);
      }
    }
  };

  // 1. The database restarts mid-burst.
  const burst1 = Promise.all(calls.flatMap((c) => Array.from({ length: 6 }, () => worker(c, 150))));
  await new Promise((r) => setTimeout(r, 300));
  await pg.restart();
  await burst1;
  expect(unavailable.length).toBeGreaterThan(0);
  for (const r of unavailable) {
    expect(r.data).toEqual({ error: { code: 'UNAVAILABLE', message: expect.stringContaining('nothing of this request was applied'), details: {} } });
    expect(r.headers['retry-after']).toBe('1');
  }
  // The pools reconnected by themselves.
  expect((await a('POST', '/v1/projects', { name: 'after-restart-a' })).status).toBe(201);
  expect((await b('POST', '/v1/projects', { name: 'after-restart-b' })).status).toBe(201);

  // 2. Replica b is stopped with SIGTERM mid-burst: its refused connections are not acknowledgements.
  calls = [a, tolerant(b)];
  const burst2 = Promise.all(calls.flatMap((c) => Array.from({ length: 6 }, () => worker(c, 150))));
  await new Promise((r) => setTimeout(r, 300));
  const code = await replicas[1].stop('SIGTERM');
  await burst2;
  expect(code).toBe(0);

  // Every acknowledged write is there, read through the surviving replica.
  const snap = (await a('GET', '/v1/snapshot')).data;
  const ids = new Set(snap.projects.map((p: { id: string }) => p.id));
  for (const id of acknowledgedProjects) expect(ids.has(id)).toBe(true);
  const c = new Client({ connectionString: db });
  await c.connect();
  try {
    // Each acknowledged move that moved wrote its project.linked event; one that answered is in the log.
    const linked = (await c.query("SELECT target, after FROM events WHERE action = 'project.linked'")).rows as { target: string; after: string }[];
    const seen = new Set(linked.map((e) => `${e.target}>${JSON.parse(e.after).billingGroupId}`));
    for (const m of acknowledgedMoves) {
      const now = snap.projects.find((p: { id: string }) => p.id === m.projectId).billingGroupId;
      expect(seen.has(`${m.projectId}>${m.to}`) || now === m.to).toBe(true);
    }
  } finally {
    await c.end();
  }
  expect(acknowledgedProjects.length + acknowledgedMoves.length).toBeGreaterThan(500);
  await expectInvariants(db);
}, 300_000);
