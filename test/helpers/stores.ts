/**
 * The stores the server suites run against: SQLite (in memory or a temp file) and
 * PostgreSQL (a fresh database per server in a throwaway cluster).
 *
 *   describe.each(STORES)('%s store', (store) => { ... Fixture.start({ store }) ... });
 *
 * One cluster serves a whole jest run: the first test file that needs it starts it (under
 * a lock in the run's directory, which pg-global.ts creates), every other file and worker
 * attaches to it, and jest's global teardown stops it. Outside such a run (one file started
 * by hand without the config) each file starts and stops its own. Tests that stop or restart
 * the server start a private cluster with `startPostgres()` instead.
 *
 * `CLOUDBILLING_TEST_STORES=sqlite` (or `postgres`) narrows the list on a laptop; CI runs
 * both. A missing PostgreSQL is an error saying how to get it (helpers/postgres.js), never a skip.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attach, startPostgres, type PostgresCluster } from './postgres';
import { SHARED_DIR_ENV } from './stores-env';

export type StoreKind = 'sqlite' | 'postgres';


export function storesUnderTest(value: string | undefined = process.env.CLOUDBILLING_TEST_STORES): StoreKind[] {
  if (value === undefined || value.trim() === '') return ['sqlite', 'postgres'];
  const out = value.split(',').map((s) => s.trim());
  for (const s of out) if (s !== 'sqlite' && s !== 'postgres') throw new Error(`CLOUDBILLING_TEST_STORES lists ${JSON.stringify(s)}; use sqlite, postgres or both (comma-separated).`);
  return out as StoreKind[];
}

export const STORES: StoreKind[] = storesUnderTest();

let cluster: Promise<PostgresCluster> | undefined;
let owned = false;

async function sharedCluster(dir: string): Promise<PostgresCluster> {
  const lock = join(dir, 'lock');
  const info = join(dir, 'cluster.json');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`waited 120 s for ${lock}: another jest worker is starting PostgreSQL and did not finish`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    if (existsSync(info)) return attach(JSON.parse(readFileSync(info, 'utf8')));
    const c = await startPostgres();
    writeFileSync(info, JSON.stringify(c.info));
    return c;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The PostgreSQL cluster of this jest run (or of this file), started on first use. */
export function sharedPostgres(): Promise<PostgresCluster> {
  const dir = process.env[SHARED_DIR_ENV];
  if (!cluster) {
    owned = !dir;
    cluster = dir ? sharedCluster(dir) : startPostgres();
  }
  return cluster;
}

// A shared cluster is stopped by the global teardown; a file's own one here. (Guarded: the
// server helper that imports this module also runs outside jest, e.g. in bench scripts.)
if (typeof afterAll === 'function') {
  afterAll(async () => {
    if (cluster && owned) await (await cluster).stop();
  });
}

/** A `--db` value for a new, empty store of `kind`. */
export async function newDatabase(kind: StoreKind): Promise<string> {
  return kind === 'postgres' ? (await sharedPostgres()).createDatabase() : ':memory:';
}
