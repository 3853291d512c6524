/**
 * examples/deploy (docs/operations.md): the systemd unit's ExecStart options and the
 * environment file start a real `serve`, which stops the way systemd stops it (KillSignal,
 * within TimeoutStopSec, exit 0); the nginx site's upstreams are the instances the README
 * enables, and its /metrics refusal is the API's own error shape.
 *
 * The example runs against PostgreSQL (CLOUDBILLING_DB); until the PostgreSQL store is in
 * this checkout the process here gets `--db` on a temporary SQLite file instead.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, startServe } from '../helpers/serve-process';
import { client, expectError, expectOk } from './client';

const DEPLOY = join(REPO_ROOT, 'examples', 'deploy');
const read = (p: string) => readFileSync(join(DEPLOY, p), 'utf8');

function unitValues(text: string, key: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1).trim());
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cloudbilling-deploy-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the unit and the environment file start serve; it stops as systemd stops it', async () => {
  const unit = read('systemd/cloudbilling@.service');
  const [exec] = unitValues(unit, 'ExecStart');
  const m = /^\/usr\/local\/bin\/cloudbilling serve (.*)$/.exec(exec);
  expect(m).not.toBeNull();
  const args = m![1].split(/\s+/);
  expect(args).toContain('--metrics');
  const port = args.indexOf('--port');
  expect(args[port + 1]).toBe('%i');
  const shutdownTimeout = Number(args[args.indexOf('--shutdown-timeout') + 1]);
  const timeoutStop = Number(unitValues(unit, 'TimeoutStopSec')[0]);
  expect(timeoutStop).toBeGreaterThan(shutdownTimeout);
  expect(unitValues(unit, 'KillSignal')).toEqual(['SIGTERM']);

  const env = Object.fromEntries(
    read('cloudbilling.env.example')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  expect(Object.keys(env).sort()).toEqual(['CLOUDBILLING_ADMIN_TOKEN', 'CLOUDBILLING_DB', 'CLOUDBILLING_LOG_LEVEL', 'PGPASSWORD']);
  expect(env.CLOUDBILLING_DB).toMatch(/^postgres:\/\/[^@/]+@127\.0\.0\.1:5432\/\w+$/);

  // `startServe` adds `--port 0`; the instance's port is the one argument replaced.
  const serveArgs = args.filter((_, i) => i !== port && i !== port + 1);
  const p = startServe([...serveArgs, '--db', join(dir, 'deploy.db')], {
    CLOUDBILLING_ADMIN_TOKEN: env.CLOUDBILLING_ADMIN_TOKEN,
    CLOUDBILLING_LOG_LEVEL: env.CLOUDBILLING_LOG_LEVEL,
  });
  const url = await p.ready;
  expect(expectOk(await client(url, undefined).get('/v1/ready'))).toEqual({ status: 'ready' });
  expect((await client(url, undefined).get('/metrics')).status).toBe(200);
  expect(expectOk(await client(url, env.CLOUDBILLING_ADMIN_TOKEN).get('/v1/domain')).name).toBe('example');
  // The token comes from the environment: nothing secret on stdout (StandardOutput=null anyway).
  expect(p.stdout()).not.toMatch(/cbt_|admin token/);
  const t0 = Date.now();
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
  expect(Date.now() - t0).toBeLessThan(timeoutStop * 1000);
  for (const line of p.stderr().split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
  expect(p.stderr()).not.toContain(env.CLOUDBILLING_ADMIN_TOKEN);
});

test('nginx: the upstreams are the instances the README enables; /metrics answers in the API error shape', async () => {
  const site = read('nginx/cloudbilling.conf');
  const upstreams = [...site.matchAll(/^\s*server 127\.0\.0\.1:(\d+)/gm)].map((x) => x[1]);
  const readme = read('README.md');
  const enabled = /systemctl enable --now (.*)$/m.exec(readme)![1].match(/cloudbilling@(\d+)/g)!.map((x) => x.split('@')[1]);
  expect(upstreams).toEqual(enabled);
  expect(upstreams).toHaveLength(2);
  const body = JSON.parse(/return 404 '(.*)';/.exec(site)![1]);
  // The same answer serve gives for /metrics when --metrics is off.
  const p = startServe(['--db', ':memory:', '--rate-limit', '0'], { CLOUDBILLING_ADMIN_TOKEN: 'deploy-nginx', CLOUDBILLING_LOG_LEVEL: 'silent' });
  try {
    const res = await client(await p.ready, undefined).get('/metrics');
    expectError(res, 404, 'NOT_FOUND');
    expect(body).toEqual(res.data);
  } finally {
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  }
});
