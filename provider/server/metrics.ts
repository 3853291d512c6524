/**
 * Prometheus metrics at `GET /metrics` (SPEC §8), with prom-client. Off unless `serve
 * --metrics` (docs/operations.md says why): this module is loaded only then, so a server
 * without it needs no prom-client.
 *
 * Every app has its own registry (several servers in one test process do not collide):
 * - `cloudbilling_http_requests_total{method,route,status}`: `route` is the route pattern
 *   (`/v1/billing-groups/:id`), never the URL with its ids; `(unmatched)` for unknown routes.
 * - `cloudbilling_http_request_duration_seconds{method,route}`: latency histogram.
 * - `cloudbilling_store_errors_total{operation}`: database failures (ops.ts `isStoreFailure`),
 *   `request` when one reached a request, `ping`, `commit`, and whatever the store reports.
 * - `cloudbilling_store_connections{state}` (`in_use`, `idle`) and `cloudbilling_store_waiting`:
 *   read from `store.poolStats()` at scrape time.
 * - `cloudbilling_store_commit_writes` / `_seconds`: writes per transaction (SQLite: per group
 *   commit) and its duration, fed through `store.observer`.
 * - prom-client's default process metrics (`process_*`, `nodejs_*`).
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isApiError } from './errors';
import { isStoreFailure, type OperableStore } from './ops';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

export function registerMetrics(app: FastifyInstance, store: OperableStore): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'cloudbilling_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'cloudbilling_http_request_duration_seconds',
    help: 'Time from the request arriving to the response sent, by method and route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const storeErrors = new Counter({
    name: 'cloudbilling_store_errors_total',
    help: 'Failures of the database (not rule violations or bad input), by operation.',
    labelNames: ['operation'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'cloudbilling_store_connections',
    help: 'Database connections by state (SQLite: one connection; in_use while a group commit is written).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const s = store.poolStats();
      this.set({ state: 'in_use' }, s.inUse);
      this.set({ state: 'idle' }, Math.max(0, s.size - s.inUse));
    },
  });
  new Gauge({
    name: 'cloudbilling_store_waiting',
    help: 'Work waiting for a database connection (SQLite: writes queued for the next group commit).',
    registers: [registry],
    collect() {
      this.set(store.poolStats().waiting);
    },
  });
  const commitWrites = new Histogram({
    name: 'cloudbilling_store_commit_writes',
    help: 'Writes per committed transaction (SQLite: per group commit).',
    buckets: BATCH_BUCKETS,
    registers: [registry],
  });
  const commitSeconds = new Histogram({
    name: 'cloudbilling_store_commit_seconds',
    help: 'Time to run and commit one transaction (SQLite: one group commit).',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  // Start every store error series at 0, so a rate() over it exists before the first failure.
  for (const operation of ['request', 'ping', 'commit']) storeErrors.inc({ operation }, 0);

  store.observer = {
    commit(writes, seconds) {
      commitWrites.observe(writes);
      commitSeconds.observe(seconds);
    },
    error(operation) {
      storeErrors.inc({ operation });
    },
  };

  app.addHook('onError', async (_req, _reply, err) => {
    if (!isApiError(err) && isStoreFailure(err)) storeErrors.inc({ operation: 'request' });
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? '(unmatched)';
    const labels = { method: req.method, route: req.is404 ? '(unmatched)' : route };
    requests.inc({ ...labels, status: String(reply.statusCode) });
    latency.observe(labels, reply.elapsedTime / 1000);
  });

  app.get(
    '/metrics',
    {
      config: { public: true },
      schema: {
        tags: ['meta'],
        summary: 'Prometheus metrics, text exposition format (no token; only with serve --metrics)',
        security: [],
        produces: ['text/plain'],
      },
    },
    async (_req, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
  return registry;
}
