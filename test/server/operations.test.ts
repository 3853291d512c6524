/**
 * Operations (SPEC §8, docs/operations.md) against a real `cloudbilling serve` process:
 * readiness, Prometheus metrics, JSON-only logs without tokens, graceful SIGTERM (the
 * request in flight completes, new connections are refused, exit 0, the write is kept).
 * In-process: /v1/ready answers 503 in the error shape when the store does not answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../provider/server';
import { startServe } from '../helpers/serve-process';
import { client, expectError, expectOk } from './client';
import type { SqliteStore } from '../../provider/server/store-sqlite';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cloudbilling-ops-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const until = async (what: string, ok: () => boolean, ms = 20_000) => {
  for (const t0 = Date.now(); !ok(); ) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** A raw HTTP/1.1 request whose body is sent later: in flight until `finish()`. */
function slowRequest(url: string, token: string, body: string): { socket: Socket; finish(): void; response: Promise<string> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const half = Math.floor(body.length / 2);
  socket.write(
    `POST /v1/projects HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
  );
  let text = '';
  socket.on('data', (d) => (text += d));
  const response = new Promise<string>((resolve, reject) => {
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  return { socket, finish: () => socket.write(body.slice(half)), response };
}

function refused(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(port), hostname);
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

test('serve: ready and metrics, JSON-only logs without tokens, graceful SIGTERM keeps the request in flight', async () => {
  const dbFile = join(dir, 'ops.db');
  const p = startServe(['--db', dbFile, '--rate-limit', '0', '--metrics'], { CLOUDBILLING_ADMIN_TOKEN: '', CLOUDBILLING_LOG_LEVEL: 'info' });
  const url = await p.ready;
  await until('the generated token', () => /cbt_[0-9a-f]{64}/.test(p.stdout()));
  const token = /(cbt_[0-9a-f]{64})/.exec(p.stdout())![1];
  const admin = client(url, token);
  const anon = client(url, undefined);

  expect(expectOk(await anon.get('/v1/ready'))).toEqual({ status: 'ready' });
  expect(expectOk(await anon.get('/v1/health'))).toEqual({ status: 'ok' });
  const project = expectOk(await admin.post('/v1/projects', { name: 'metered' }), 201);
  expectOk(await admin.get(`/v1/projects/${project.id}`));
  expectError(await admin.get('/v1/projects/prj-does-not-exist'), 404);
  expectError(await client(url, 'cbt_wrong-token-value').get('/v1/domain'), 401, 'UNAUTHENTICATED');
  expectError(await anon.get('/v1/no-such-route/123'), 404);

  const metrics = await anon.get('/metrics');
  expect(metrics.status).toBe(200);
  expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
  const text = String(metrics.data);
  expect(text).toMatch(/cloudbilling_http_requests_total\{method="GET",route="\/v1\/projects\/:id",status="200"\} 1\n/);
  expect(text).toMatch(/cloudbilling_http_requests_total\{method="GET",route="\/v1\/projects\/:id",status="404"\} 1\n/);
  expect(text).toMatch(/cloudbilling_http_requests_total\{method="POST",route="\/v1\/projects",status="201"\} 1\n/);
  expect(text).toMatch(/cloudbilling_http_requests_total\{method="GET",route="\(unmatched\)",status="404"\} 1\n/);
  expect(text).toMatch(/cloudbilling_http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/v1\/ready"\} 1\n/);
  expect(text).toMatch(/cloudbilling_store_commit_writes_count \d+\n/);
  expect(text).toMatch(/cloudbilling_store_errors_total\{operation="request"\} 0\n/);
  expect(text).toMatch(/cloudbilling_store_connections\{state="idle"\} 1\n/);
  expect(text).toMatch(/cloudbilling_store_waiting 0\n/);
  expect(text).toMatch(/process_cpu_seconds_total \d/);
  // Route patterns only: no id of a request ever becomes a label.
  expect(text).not.toContain(project.id);
  expect(text).not.toContain('prj-does-not-exist');

  // SIGTERM with a request in flight: it completes, new connections are refused, exit 0.
  const slow = slowRequest(url, token, JSON.stringify({ name: 'in-flight-at-sigterm' }));
  await new Promise((r) => setTimeout(r, 300));
  p.child.kill('SIGTERM');
  await until('the shutdown log line', () => p.stderr().includes('shutting down'));
  expect(await refused(url)).toBe('ECONNREFUSED');
  slow.finish();
  const answer = await slow.response;
  expect(answer).toMatch(/^HTTP\/1\.1 201 /);
  expect(answer.toLowerCase()).toContain('connection: close');
  expect(await p.exited).toBe(0);

  // The log: every stderr line is one JSON object, with no token in it.
  const lines = p.stderr().split('\n').filter((l) => l !== '');
  expect(lines.length).toBeGreaterThan(10);
  for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  const msgs = lines.map((l) => JSON.parse(l).msg);
  expect(msgs).toEqual(expect.arrayContaining(['created the domain', 'incoming request', 'request completed', 'stopped']));
  expect(p.stderr()).not.toContain(token);
  expect(p.stderr()).not.toContain('cbt_wrong-token-value');
  // stdout: the listening line and the token, once.
  expect(p.stdout().split(token)).toHaveLength(2);

  // The write of the request in flight is there after a restart.
  const again = startServe(['--db', dbFile, '--rate-limit', '0'], { CLOUDBILLING_ADMIN_TOKEN: '', CLOUDBILLING_LOG_LEVEL: 'silent' });
  try {
    const url2 = await again.ready;
    const names = expectOk(await client(url2, token).get('/v1/projects')).items.map((x: { name: string }) => x.name);
    expect(names).toEqual(expect.arrayContaining(['metered', 'in-flight-at-sigterm']));
    expect(again.stdout()).not.toContain('cbt_');
  } finally {
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }
});

test('GET /v1/ready is 503 in the error shape with Retry-After when the store does not answer; /v1/health stays 200', async () => {
  const server = await startServer({ port: 0, dbFile: ':memory:', adminToken: 'ready-admin', rateLimit: 0, metrics: true });
  try {
    const anon = client(server.url, undefined);
    expect(expectOk(await anon.get('/v1/ready'))).toEqual({ status: 'ready' });
    (server.service.store as SqliteStore).db.close();
    const res = await anon.get('/v1/ready');
    expectError(res, 503, 'UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('5');
    expect(expectOk(await anon.get('/v1/health'))).toEqual({ status: 'ok' });
    expect(String((await anon.get('/metrics')).data)).toMatch(/cloudbilling_store_errors_total\{operation="ping"\} 1\n/);
  } finally {
    await server.close();
  }
});

test('/metrics is off without --metrics (404 in the error shape), and /v1/ready is in the OpenAPI document', async () => {
  const server = await startServer({ port: 0, dbFile: ':memory:', adminToken: 'ready-admin', rateLimit: 0 });
  try {
    const anon = client(server.url, undefined);
    expectError(await anon.get('/metrics'), 404, 'NOT_FOUND');
    const doc = expectOk(await anon.get('/v1/openapi.json'));
    expect(doc.paths['/v1/ready'].get.security).toEqual([]);
    expect(Object.keys(doc.paths['/v1/ready'].get.responses)).toEqual(expect.arrayContaining(['200', '503']));
  } finally {
    await server.close();
  }
});
