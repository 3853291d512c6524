/**
 * Start the real Billing API server in-process for tests: 127.0.0.1, a free port,
 * in-memory SQLite (or a fresh PostgreSQL database with `store: 'postgres'`) unless
 * `dbFile` is given, rate limit off unless given.
 */
import { randomBytes } from 'node:crypto';
import { startServer } from '../../provider/server';
import { newDatabase, type StoreKind } from './stores';

export interface TestServerOptions {
  /** Which store when `dbFile` is not given: `sqlite` (default, `:memory:`) or `postgres` (a fresh database). */
  store?: StoreKind;
  /** SQLite file or postgres:// URL; default a new store of `store`. Reusing one keeps the data (restart tests). */
  dbFile?: string;
  /** Admin token; default a random one. */
  adminToken?: string;
  /** Requests/s per token; default 0 (off). */
  rateLimit?: number;
  /** Seed the demo domain on a new database. */
  demo?: boolean;
  /** Domain name on a new database; default `example`. */
  domain?: string;
  /** Admin e-mail on a new database; default `admin@example.com`. */
  adminEmail?: string;
}

export interface TestServer {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  adminToken: string;
  /** The `--db` it runs on (restart tests and replicas reuse it). */
  dbFile: string;
  close(): Promise<void>;
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const adminToken = opts.adminToken ?? `test-admin-${randomBytes(16).toString('hex')}`;
  const dbFile = opts.dbFile ?? (await newDatabase(opts.store ?? 'sqlite'));
  const server = await startServer({
    port: 0,
    dbFile,
    adminToken,
    rateLimit: opts.rateLimit ?? 0,
    demo: opts.demo ?? false,
    domain: opts.domain,
    adminEmail: opts.adminEmail,
  });
  return { url: server.url, adminToken, dbFile, close: () => server.close() };
}
