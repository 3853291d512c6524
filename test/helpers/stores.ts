/**
 * The stores the server suites run against: SQLite (in memory or a temp file) and
 * PostgreSQL (a throwaway cluster started once per test file, a fresh database per server).
 *
 *   describe.each(STORES)('%s store', (store) => { ... Fixture.start({ store }) ... });
 *
 * `CLOUDBILLING_TEST_STORES=sqlite` (or `postgres`) narrows the list on a laptop; CI runs
 * both. A missing PostgreSQL is an error saying how to get it (helpers/postgres.ts), never a skip.
 */
import { startPostgres, type PostgresCluster } from './postgres';

export type StoreKind = 'sqlite' | 'postgres';

export function storesUnderTest(value: string | undefined = process.env.CLOUDBILLING_TEST_STORES): StoreKind[] {
  if (value === undefined || value.trim() === '') return ['sqlite', 'postgres'];
  const out = value.split(',').map((s) => s.trim());
  for (const s of out) if (s !== 'sqlite' && s !== 'postgres') throw new Error(`CLOUDBILLING_TEST_STORES lists ${JSON.stringify(s)}; use sqlite, postgres or both (comma-separated).`);
  return out as StoreKind[];
}

export const STORES: StoreKind[] = storesUnderTest();

let cluster: Promise<PostgresCluster> | undefined;

/** This test file's PostgreSQL cluster, started on first use and stopped after the file. */
export function sharedPostgres(): Promise<PostgresCluster> {
  cluster ??= startPostgres();
  return cluster;
}

afterAll(async () => {
  if (cluster) await (await cluster).stop();
});

/** A `--db` value for a new, empty store of `kind`. */
export async function newDatabase(kind: StoreKind): Promise<string> {
  return kind === 'postgres' ? (await sharedPostgres()).createDatabase() : ':memory:';
}
