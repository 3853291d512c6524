/**
 * Several `cloudbilling serve` processes started at the same moment on one new SQLite file
 * (issue 10, item 4). Before the migrations took the write lock first, two starts failed
 * about once in six with "no such index: projects_group": both read the applied versions,
 * then both ran migration 2. Every round here starts three real processes at once; all of
 * them must listen, answer with the same domain, and the file must hold each migration once.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '../../provider/server/migrations';
import { startServe } from '../helpers/serve-process';
import { client, expectOk } from './client';

const ROUNDS = Number(process.env.CONCURRENT_START_ROUNDS ?? 8);
const PROCESSES = 3;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cloudbilling-start-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test(`${PROCESSES} serve processes started at once on a new file all come up, ${ROUNDS} rounds`, async () => {
  const failures: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const dbFile = join(dir, `round-${round}.db`);
    // Odd rounds: no admin token in the environment, so exactly one start generates and prints it.
    const token = round % 2 === 0 ? `round-token-${round}` : undefined;
    const procs = Array.from({ length: PROCESSES }, () =>
      startServe(['--db', dbFile, '--rate-limit', '0'], { CLOUDBILLING_ADMIN_TOKEN: token ?? '', CLOUDBILLING_LOG_LEVEL: 'warn' }),
    );
    try {
      const urls = await Promise.all(procs.map((p) => p.ready.catch((e: Error) => e)));
      const errors = urls.filter((u): u is Error => u instanceof Error);
      if (errors.length > 0) {
        failures.push(`round ${round}: ${errors.map((e) => e.message).join('\n')}`);
        continue;
      }
      const printed = () => procs.map((p) => /(cbt_[0-9a-f]{64})/.exec(p.stdout())?.[1]).filter((t): t is string => t !== undefined);
      // The token line follows the listening line; it may arrive a moment later.
      for (const t0 = Date.now(); !token && printed().length === 0 && Date.now() - t0 < 10_000; ) await new Promise((r) => setTimeout(r, 20));
      expect(printed()).toHaveLength(token ? 0 : 1);
      const useToken = token ?? printed()[0];
      const domains = await Promise.all((urls as string[]).map(async (u) => expectOk(await client(u, useToken).get('/v1/domain'))));
      expect(new Set(domains.map((d) => d.id)).size).toBe(1);
    } finally {
      for (const p of procs) p.child.kill('SIGTERM');
      const codes = await Promise.all(procs.map((p) => p.exited));
      codes.forEach((code, i) => {
        if (code !== 0) failures.push(`round ${round}: process ${i} exited with ${code} after SIGTERM:\nstdout: ${procs[i].stdout()}\nstderr: ${procs[i].stderr()}`);
      });
    }
    const db = new Database(dbFile, { readonly: true });
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    const domains = db.prepare('SELECT COUNT(*) FROM domain').pluck().get();
    db.close();
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    expect(domains).toBe(1);
  }
  expect(failures).toEqual([]);
});
