/**
 * `cloudbilling serve`: start the Billing API on 127.0.0.1 with an SQLite store, or a
 * PostgreSQL one for a postgres:// --db (replicas: docs/postgresql.md).
 *
 *   cloudbilling serve [--port 8787] [--db FILE] [--domain NAME] [--admin-email E]
 *                      [--rate-limit N] [--demo] [--synchronous full|normal]
 *
 * The admin token comes from CLOUDBILLING_ADMIN_TOKEN when set (it replaces the stored one
 * on every start); otherwise it is generated on first start and printed once. Tokens are
 * never logged. SIGINT/SIGTERM close the server gracefully.
 */
import { parseArgs } from 'node:util';
import { checkGroupInput, isValidEmail } from '../domain/rules';
import { DEFAULTS, startServer } from '../server';

const HELP = `usage: cloudbilling serve [options]

  --port N          TCP port on 127.0.0.1 (default ${DEFAULTS.port}; 0 picks a free port)
  --db FILE|URL     SQLite database file (default $CLOUDBILLING_DB, else ${DEFAULTS.dbFile}; :memory: for
                    a throwaway store), or postgres://USER[:PASSWORD]@HOST:PORT/DB for PostgreSQL
                    (any number of serve processes on one database are replicas)
  --domain NAME     domain name on first start, also the main group's name (default ${DEFAULTS.domain})
  --admin-email E   admin user's e-mail on first start (default ${DEFAULTS.adminEmail})
  --rate-limit N    requests per second per token, bursts of 2N (default ${DEFAULTS.rateLimit}; 0 = off)
  --demo            seed a realistic demo domain into a new database
  --synchronous S   SQLite synchronous: full (default; an acknowledged write survives power
                    loss) or normal (survives a crash of the process only); docs/api.md
  -h, --help        show this help

Environment: CLOUDBILLING_DB is --db's default; CLOUDBILLING_ADMIN_TOKEN sets the admin token; CLOUDBILLING_LOG_LEVEL sets the
request log level (default info, JSON lines on stderr; "silent" turns it off).
`;

function intOption(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new Error(`--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return Number(value);
}

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        db: { type: 'string' },
        domain: { type: 'string' },
        'admin-email': { type: 'string' },
        'rate-limit': { type: 'string' },
        demo: { type: 'boolean', default: false },
        synchronous: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`cloudbilling serve: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  let port: number;
  let rateLimit: number;
  try {
    port = intOption('port', values.port, DEFAULTS.port, 0, 65535);
    rateLimit = intOption('rate-limit', values['rate-limit'], DEFAULTS.rateLimit, 0, 1_000_000_000);
    if (values.domain !== undefined && checkGroupInput({ name: values.domain }).length > 0) {
      throw new Error('--domain must be 1-64 characters, not blank, without control characters (it names the main group)');
    }
    if (values.synchronous !== undefined && !/^(full|normal)$/i.test(values.synchronous)) {
      throw new Error(`--synchronous must be full or normal (got ${JSON.stringify(values.synchronous)})`);
    }
    if (values['admin-email'] !== undefined && !isValidEmail(values['admin-email'])) {
      throw new Error(`--admin-email ${JSON.stringify(values['admin-email'])} is not a valid e-mail address`);
    }
  } catch (e) {
    process.stderr.write(`cloudbilling serve: ${(e as Error).message}\n`);
    return 2;
  }

  const level = process.env.CLOUDBILLING_LOG_LEVEL ?? 'info';
  const envToken = process.env.CLOUDBILLING_ADMIN_TOKEN;
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      port,
      dbFile: values.db ?? (process.env.CLOUDBILLING_DB || DEFAULTS.dbFile),
      domain: values.domain,
      adminEmail: values['admin-email'],
      adminToken: envToken && envToken.length > 0 ? envToken : undefined,
      rateLimit,
      demo: values.demo,
      synchronous: values.synchronous ? (values.synchronous.toUpperCase() as 'FULL' | 'NORMAL') : undefined,
      // JSON request logs go to stderr; stdout carries only the lines below (URL, first token).
      logger: level === 'silent' ? false : { level, redact: ['req.headers.authorization'], stream: process.stderr },
    });
  } catch (e) {
    if ((e as { code?: string }).code === 'MODULE_NOT_FOUND') throw e; // main.ts names what to install
    // A store that cannot be opened (unreachable, newer schema): one sentence, no stack.
    process.stderr.write(`cloudbilling serve: ${(e as Error).message}\n`);
    return 1;
  }

  process.stdout.write(`cloudbilling API listening on ${server.url}\n`);
  if (server.created) process.stdout.write(`created domain ${JSON.stringify(server.service.state.domain.name)}${values.demo ? ' with demo data' : ''}\n`);
  if (server.generatedAdminToken) {
    process.stdout.write(
      `admin token (shown once, store it now; set CLOUDBILLING_ADMIN_TOKEN to choose your own):\n  ${server.generatedAdminToken}\n`,
    );
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`cloudbilling API: ${signal}, shutting down\n`);
      server.close().then(
        () => resolve(0),
        (e) => {
          process.stderr.write(`cloudbilling API: shutdown failed: ${(e as Error).message}\n`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
