/**
 * `cloudbilling migrate` and `serve` of the built CLI on both stores: migrate says what it
 * did, a second run is up to date, an unreachable database and a newer schema are one
 * sentence and exit 1 (serve refuses to start on a newer schema too).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { MIGRATIONS } from '../../provider/server/migrations';
import { REPO_ROOT, requireBuild } from '../helpers/engines';
import { freePort } from '../helpers/postgres';
import { sharedPostgres, STORES } from '../helpers/stores';

const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

function cli(args: string[], env: Record<string, string> = {}) {
  requireBuild();
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'cloudbilling.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, CLOUDBILLING_LOG_LEVEL: 'info', CLOUDBILLING_ADMIN_TOKEN: 'migrate-test-token', ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** serve logs JSON lines only: the `msg` of its one fatal line. */
function fatalOf(stderr: string): string {
  const lines = stderr.trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string });
  const fatal = lines.filter((l) => l.level === 60);
  expect(fatal).toHaveLength(1);
  return fatal[0].msg;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cloudbilling-migrate-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(STORES)('%s store', (store) => {
  const newDb = async (name: string) => (store === 'postgres' ? (await sharedPostgres()).createDatabase() : join(dir, `${name}.db`));

  /** Record a schema version from the future in the store. */
  async function addFutureVersion(db: string): Promise<void> {
    const sql = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', 'now')";
    if (store === 'sqlite') {
      const d = new Database(db);
      d.exec(sql);
      d.close();
      return;
    }
    const c = new Client({ connectionString: db });
    await c.connect();
    await c.query(sql);
    await c.end();
  }

  test('migrate applies every version once and says so; CLOUDBILLING_DB is the default --db', async () => {
    const db = await newDb('fresh');
    const first = cli(['migrate', '--db', db]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe(`applied 1..${LATEST} (now at ${LATEST})\n`);
    expect(cli(['migrate'], { CLOUDBILLING_DB: db }).stdout).toBe(`up to date at ${LATEST}\n`);
  });

  test('a schema newer than this build: migrate and serve refuse in one sentence', async () => {
    const db = await newDb('newer');
    expect(cli(['migrate', '--db', db]).code).toBe(0);
    await addFutureVersion(db);
    const m = cli(['migrate', '--db', db]);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(new RegExp(`^cloudbilling migrate: the database at .* has schema version 999, newer than the ${LATEST} this cloudbilling knows; upgrade cloudbilling .*\\n$`));
    const s = cli(['serve', '--port', '0', '--db', db]);
    expect(s.code).toBe(1);
    expect(fatalOf(s.stderr)).toMatch(new RegExp(`^the Billing API could not start: the database at .* has schema version 999, newer than the ${LATEST} this cloudbilling knows; upgrade cloudbilling `));
    expect(s.stderr).not.toMatch(/\n\s+at /);
  });
});

test('an unreachable PostgreSQL: migrate and serve say so in one sentence, with no password, quickly', async () => {
  const port = await freePort();
  const url = `postgres://billing:s3cret@127.0.0.1:${port}/billing`;
  const t0 = Date.now();
  const m = cli(['migrate', '--db', url]);
  expect(m.code).toBe(1);
  expect(m.stderr).toBe(`cloudbilling migrate: postgres://billing:***@127.0.0.1:${port}/billing: the database is not reachable (ECONNREFUSED)\n`);
  const s = cli(['serve', '--port', '0', '--db', url]);
  expect(s.code).toBe(1);
  expect(fatalOf(s.stderr)).toBe('the Billing API could not start: the database is not reachable (ECONNREFUSED)');
  expect(`${m.stderr}${s.stderr}${m.stdout}${s.stdout}`).not.toContain('s3cret');
  expect(Date.now() - t0).toBeLessThan(30_000);
});
