/**
 * Operations surface of the Billing API (SPEC §8, docs/operations.md): the readiness probe
 * `GET /v1/ready`, the hooks a store feeds for the metrics (metrics.ts), and the graceful
 * close `cloudbilling serve` runs on SIGTERM.
 *
 * - `/v1/health` is liveness: the process answers HTTP. `/v1/ready` is readiness: the store
 *   answers too (`store.ping()`), and the process is not shutting down; otherwise 503 in
 *   the API's error shape with `Retry-After`, so a load balancer sends the work elsewhere.
 * - `closeGracefully`: stop accepting (the listening socket closes at once: new connections
 *   are refused), let the requests in flight finish (each answer carries `Connection:
 *   close`), then the caller closes the store. After `timeoutMs` the connections still
 *   open are cut, and the result says so.
 */
import type { FastifyInstance } from 'fastify';
import { API_TEXT } from '../domain/messages';
import { httpError } from './errors';
import { replies } from './schemas';

/** Seconds a client is told to wait (Retry-After) when this process is not ready. */
export const NOT_READY_RETRY_AFTER_S = 5;
/** How long a graceful close waits for requests in flight before cutting connections. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 25_000;

/** How busy the store's connections are; SQLite: one connection and its group-commit queue. */
export interface StorePoolStats {
  /** Connections (SQLite: 1). */
  size: number;
  /** Connections running a statement or transaction now (SQLite: a group commit is being written). */
  inUse: number;
  /** Work waiting for a connection (SQLite: writes queued for the next group commit). */
  waiting: number;
}

/**
 * What a store reports to the metrics. A store calls these when set; the PostgreSQL store
 * feeds the same hooks (`commit` per transaction, `error` per failed statement or
 * connection) and answers `poolStats` from its pool.
 */
export interface StoreObserver {
  /** A transaction committed `writes` writes (SQLite: one group commit) in `seconds`. */
  commit(writes: number, seconds: number): void;
  /** A store operation failed for a reason that is not a rule or bad input. */
  error(operation: string, err: unknown): void;
}

/** The part of a store the operations surface needs (SQLite today, PostgreSQL next). */
export interface OperableStore {
  /** Resolves (or returns) when the database answers a trivial query; throws otherwise. */
  ping(): void | Promise<void>;
  poolStats(): StorePoolStats;
  observer?: StoreObserver;
}

/**
 * Is `err` a failure of the database itself (not a rule, not bad input)? better-sqlite3
 * throws `SqliteError`; node-postgres throws errors with a `severity` and an SQLSTATE
 * `code`, and socket errors when the server is gone.
 */
export function isStoreFailure(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: unknown; code?: unknown; severity?: unknown };
  if (e.name === 'SqliteError') return true;
  if (typeof e.severity === 'string' && typeof e.code === 'string') return true;
  return typeof e.code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(e.code);
}

export interface OpsState {
  /** Set when a graceful close has begun: /v1/ready answers 503 from then on. */
  draining: boolean;
}

/** `GET /v1/ready` (no token). */
export function registerReady(app: FastifyInstance, store: OperableStore, state: OpsState): void {
  const unavailable = (message: string) => httpError(503, message, {}, { 'retry-after': String(NOT_READY_RETRY_AFTER_S) });
  app.get(
    '/v1/ready',
    {
      config: { public: true },
      schema: {
        tags: ['meta'],
        summary: 'Readiness check (no token): 200 when the store answers, 503 with Retry-After otherwise',
        security: [],
        response: { ...replies(200, { type: 'object', properties: { status: { type: 'string' } } }), 503: { description: 'Not ready', $ref: 'Error#' } },
      },
    },
    async (req) => {
      if (state.draining) throw unavailable(API_TEXT.draining);
      try {
        await store.ping();
      } catch (err) {
        store.observer?.error('ping', err);
        req.log.warn({ err: { message: (err as Error)?.message, code: (err as { code?: unknown })?.code } }, 'store did not answer the readiness ping');
        throw unavailable(API_TEXT.storeNotReady);
      }
      return { status: 'ready' };
    },
  );
  app.addHook('preClose', async () => {
    state.draining = true;
  });
  // While draining, every answer tells the client (or the proxy) not to reuse the connection.
  app.addHook('onSend', async (_req, reply) => {
    if (state.draining) reply.header('connection', 'close');
  });
}

/**
 * Close the app gracefully (see the module header). Resolves with `true` when requests were
 * still in flight after `timeoutMs` and their connections had to be cut.
 */
export async function closeGracefully(app: FastifyInstance, timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS): Promise<boolean> {
  let forced = false;
  const timer = setTimeout(() => {
    forced = true;
    app.server.closeAllConnections();
  }, timeoutMs);
  timer.unref();
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
  return forced;
}
