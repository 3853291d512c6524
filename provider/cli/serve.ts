/**
 * `cloudbilling serve`: start the Billing API on 127.0.0.1 with an SQLite store, or a
 * PostgreSQL one for a postgres:// --db (replicas: docs/postgresql.md).
 *
 *   cloudbilling serve [--port 8787] [--db FILE] [--domain NAME] [--admin-email E]
 *                      [--rate-limit N] [--demo] [--synchronous full|normal]
 *
 * The admin token comes from CLOUDBILLING_ADMIN_TOKEN when set (it replaces the stored one
 * on every start); otherwise it is generated on first start and printed once. Tokens are
 * never logged. SIGINT/SIGTERM close the server gracefully: no new connections, the requests
 * in flight finish, the store closes, exit 0 (docs/operations.md).
 *
 * Output: the log is JSON lines on stderr only (fastify's pino logger, and `jsonLog` for the
 * lines around it: start-up failure, shutdown, Node's warnings). stdout is not a log: it has
 * the line `cloudbilling API listening on URL` that scripts wait for and, on a first start
 * without CLOUDBILLING_ADMIN_TOKEN, the generated token, once. A usage error (exit 2) is
 * plain text with the help, before anything starts.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { METRICS_PACKAGE, missingMetricsPackageText } from '../domain/messages';
import { checkGroupInput, isValidEmail } from '../domain/rules';
import { DEFAULTS, startServer, type RunningServer } from '../server';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from '../server/ops';

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
  --metrics         serve Prometheus metrics at GET /metrics, no token (docs/operations.md)
  --shutdown-timeout S  on SIGTERM/SIGINT, seconds to let requests in flight finish before
                    cutting them (default ${DEFAULT_SHUTDOWN_TIMEOUT_MS / 1000})
  -h, --help        show this help

Environment: CLOUDBILLING_DB is --db's default; CLOUDBILLING_ADMIN_TOKEN sets the admin token;
CLOUDBILLING_LOG_LEVEL sets the log level (default info; silent turns it off). The log is JSON
lines on stderr; stdout has the listening line and, on a first start without
CLOUDBILLING_ADMIN_TOKEN, the token, once.
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
        metrics: { type: 'boolean', default: false },
        'shutdown-timeout': { type: 'string' },
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
  let shutdownTimeout: number;
  try {
    shutdownTimeout = intOption('shutdown-timeout', values['shutdown-timeout'], DEFAULT_SHUTDOWN_TIMEOUT_MS / 1000, 1, 3600);
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
  const log = jsonLog(level);
  const envToken = process.env.CLOUDBILLING_ADMIN_TOKEN;
  const restore = captureProcessOutput(log);

  // Signals are handled from the start: one that arrives while the server is starting
  // stops it as soon as it listens, instead of killing the process half-way.
  let signalled: string | undefined;
  let onSignal: (signal: string) => void = (signal) => (signalled = signal);
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const h = () => onSignal(signal);
    process.once(signal, h);
    return [signal, h] as const;
  });
  const done = (code: number): number => {
    for (const [signal, h] of handlers) process.removeListener(signal, h);
    restore();
    return code;
  };

  let server: RunningServer;
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
      metrics: values.metrics,
      // The log: JSON lines on stderr (pino, fastify's logger). Tokens never reach it.
      logger: level === 'silent' ? false : { level, redact: ['req.headers.authorization', 'req.headers.cookie'], stream: process.stderr },
    });
  } catch (e) {
    const missing = (e as { code?: string }).code === 'MODULE_NOT_FOUND' && String((e as Error).message).includes(`'${METRICS_PACKAGE}'`);
    // A store that cannot be opened (unreachable, a newer schema) says why in the line's msg.
    log('fatal', missing ? missingMetricsPackageText : `the Billing API could not start: ${(e as Error).message}`, {
      err: { message: (e as Error).message, code: (e as { code?: string }).code },
    });
    return done(missing ? 2 : 1);
  }

  if (server.created) server.app.log.info({ domain: server.service.state.domain.name, demo: values.demo }, 'created the domain');
  server.app.log.info({ url: `${server.url}/console/` }, 'web console (sign in with an API token)');
  // stdout is not the log: one line scripts wait for, and the generated admin token, once.
  process.stdout.write(`cloudbilling API listening on ${server.url}\n`);
  if (server.generatedAdminToken) {
    process.stdout.write(
      `admin token (shown once, store it now; set CLOUDBILLING_ADMIN_TOKEN to choose your own):\n  ${server.generatedAdminToken}\n`,
    );
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    onSignal = (signal) => {
      if (stopping) return;
      stopping = true;
      server.app.log.info({ signal, timeoutSeconds: shutdownTimeout }, 'shutting down: no new connections, finishing the requests in flight');
      server.shutdown(shutdownTimeout * 1000).then(
        (forced) => {
          if (forced) log('warn', `requests still running after ${shutdownTimeout} s were cut`, { signal });
          log('info', 'stopped', { signal });
          resolve(done(forced ? 1 : 0));
        },
        (e) => {
          log('error', 'shutdown failed', { err: { message: (e as Error).message } });
          resolve(done(1));
        },
      );
    };
    if (signalled) onSignal(signalled);
  });
}

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/**
 * A log line outside fastify's logger (start-up failures, shutdown, process warnings), in
 * pino's shape, so the log stays one JSON object per line.
 */
export function jsonLog(level: string): (lvl: keyof typeof LEVELS, msg: string, extra?: Record<string, unknown>) => void {
  const min = level === 'silent' ? Infinity : (LEVELS[level as keyof typeof LEVELS] ?? LEVELS.info);
  return (lvl, msg, extra = {}) => {
    if (LEVELS[lvl] < min) return;
    process.stderr.write(JSON.stringify({ level: LEVELS[lvl], time: Date.now(), pid: process.pid, hostname: hostname(), ...extra, msg }) + '\n');
  };
}

/**
 * Node's own output on stderr while serving, as JSON lines: process warnings (printed as
 * plain text by default) and a crash. Returns the function that puts Node's handlers back.
 */
function captureProcessOutput(log: ReturnType<typeof jsonLog>): () => void {
  const warningHandlers = process.listeners('warning');
  process.removeAllListeners('warning');
  const onWarning = (w: Error & { code?: string }) => log('warn', w.message, { warning: { name: w.name, code: w.code } });
  const onCrash = (e: unknown) => {
    log('fatal', 'uncaught error, exiting', { err: { message: (e as Error)?.message, stack: (e as Error)?.stack } });
    process.exit(1);
  };
  process.on('warning', onWarning);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  return () => {
    process.removeListener('warning', onWarning);
    process.removeListener('uncaughtException', onCrash);
    process.removeListener('unhandledRejection', onCrash);
    for (const h of warningHandlers) process.on('warning', h as (w: Error) => void);
  };
}
