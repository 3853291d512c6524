/**
 * Start the real Billing API server in-process for tests: 127.0.0.1, a free port,
 * in-memory SQLite unless `dbFile` is given, rate limit off unless given.
 */
import { randomBytes } from 'node:crypto';
import { startServer } from '../../provider/server';

export interface TestServerOptions {
  /** SQLite file; default `:memory:`. Reusing a file keeps the data (restart tests). */
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
  close(): Promise<void>;
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const adminToken = opts.adminToken ?? `test-admin-${randomBytes(16).toString('hex')}`;
  const server = await startServer({
    port: 0,
    dbFile: opts.dbFile ?? ':memory:',
    adminToken,
    rateLimit: opts.rateLimit ?? 0,
    demo: opts.demo ?? false,
    domain: opts.domain,
    adminEmail: opts.adminEmail,
  });
  return { url: server.url, adminToken, close: () => server.close() };
}
