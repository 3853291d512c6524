/**
 * The fastify application: body parsing, authentication, rate limiting, idempotency,
 * the error shape and the OpenAPI document. Routes live in `routes.ts`; they translate
 * HTTP to `BillingService` calls and back, nothing more.
 *
 * Every error body is `{"error": {"code", "message", "details"}}`; fastify's own errors
 * (malformed JSON, body too large, unsupported media type, unknown route, schema
 * validation) are mapped to that shape and never answered with a 500 or a stack trace,
 * and so are the HTTP parser's refusals, CONNECT and Expect (guard.ts). Every JSON body
 * passes guard.ts's `checkBody` (depth, storable strings) in the parser, before anything
 * hashes or validates it.
 */
import fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import sjson from 'secure-json-parse';
import { API_TEXT } from '../domain/messages';
import { MANAGED_BY_HEADER, MANAGED_BY_MAX } from '../client/types';
import { ApiError, HTTP_CODES, badRequest, conflict, httpError, isApiError } from './errors';
import { sha256 } from './ids';
import { seal, unseal } from './secrets';
import { checkBody, checkNoBody, clientErrorHandler, rawErrorResponse } from './guard';
import { registerReady, type OpsState } from './ops';
import { RateLimiter } from './rate-limit';
import { registerConsole } from './console';
import { registerRoutes } from './routes';
import { errorSchema } from './schemas';
import { canonical, type Actor, type BillingService, type WriteResult } from './service';
import { isStoreUnavailable } from './store';

/** Seconds a client is told to wait (`Retry-After`) when the database does not answer. */
export const STORE_RETRY_AFTER_S = 1;

/** The IaC label of a request (`X-Cloudbilling-Managed-By`), validated; undefined without one. */
function managedByOf(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const label = Array.isArray(value) ? value.join(',') : value.trim();
  if (label.length < 1 || label.length > MANAGED_BY_MAX || !/^[\x20-\x7e]+$/.test(label)) throw badRequest(API_TEXT.managedByInvalid(MANAGED_BY_MAX));
  return label;
}

/** Request bodies larger than this get 413 PAYLOAD_TOO_LARGE. */
export const BODY_LIMIT = 1024 * 1024;
/** How long an Idempotency-Key is remembered. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface AppOptions {
  /** Requests per second per token (bursts up to twice that); 0 turns the limit off. */
  rateLimit: number;
  /** fastify logger setting. Default off. */
  logger?: boolean | Record<string, unknown>;
  version?: string;
  /** Serve Prometheus metrics at `GET /metrics` (metrics.ts; loads prom-client). Default off. */
  metrics?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
    /** The caller's keyed token hash (rate limit and idempotency scope). */
    tokenHash: string;
    /** Seals the caller's idempotency entries (secrets.ts); derived from the token, never stored. */
    cacheKey: Buffer;
  }
  interface FastifyContextConfig {
    /** No token needed (health, OpenAPI document). */
    public?: boolean;
  }
}

export interface AppContext {
  service: BillingService;
  /** Run a write: replays or records the Idempotency-Key in the write's own transaction, then sends. */
  write(req: FastifyRequest, reply: FastifyReply, fn: () => Promise<WriteResult>): Promise<FastifyReply>;
  /** Send a result (status, headers, body). */
  send(reply: FastifyReply, r: WriteResult): FastifyReply;
}

export async function buildApp(service: BillingService, options: AppOptions): Promise<FastifyInstance> {
  const store = service.store;
  const app = fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT,
    // A client that trickles its request cannot hold a connection forever.
    requestTimeout: 30_000,
    // During a graceful close (ops.ts) a request on an open keep-alive connection is still
    // answered, with Connection: close; fastify's own 503 would not be in the error shape.
    return503OnClosing: false,
    routerOptions: { caseSensitive: true, ignoreTrailingSlash: true, maxParamLength: 1000 },
    // Router-level failures (malformed percent-encoding in the URL) get the API's error shape too.
    frameworkErrors: (error, _req, reply) => {
      const e = toApiError(error);
      (reply as FastifyReply).code(e.status).type('application/json; charset=utf-8').send(e.toBody());
    },
    // The HTTP parser's own refusals answer in the error shape too (guard.ts); a missing Host
    // reaches the onRequest hook below instead of Node's empty 400.
    clientErrorHandler,
    http: { requireHostHeader: false },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });

  // ---- body parsing: JSON only, empty body allowed (routes that need one then fail validation)
  app.removeAllContentTypeParsers();
  const parseJson = (_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch (e) {
      return done(badRequest(`The request body is not valid JSON: ${(e as Error).message}`), undefined);
    }
    try {
      checkBody(parsed);
    } catch (e) {
      return done(e as Error, undefined);
    }
    done(null, parsed);
  };
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, parseJson);
  app.addContentTypeParser(/^application\/[a-z0-9.+-]+\+json$/, { parseAs: 'string', bodyLimit: BODY_LIMIT }, parseJson);
  // Any other media type: an empty body is fine (clients label body-less POST/PUT oddly), content is 415.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    if (body.length === 0) return done(null, undefined);
    done(httpError(415, 'Unsupported Content-Type. Send JSON with Content-Type: application/json.'), undefined);
  });

  app.addSchema(errorSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'cloudbilling Billing API',
        version: options.version ?? '1',
        description: 'Billing groups, project links, permissions, usage, invoices and credits. See docs/api.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });

  // ---- authentication and rate limit
  const limiter = options.rateLimit > 0 ? new RateLimiter(options.rateLimit) : undefined;
  app.decorateRequest('actor', null as unknown as Actor);
  app.decorateRequest('tokenHash', '');
  app.decorateRequest('cacheKey', null as unknown as Buffer);
  app.addHook('onRequest', async (req, reply) => {
    if (req.raw.httpVersion === '1.1' && !req.headers.host) throw badRequest(API_TEXT.hostMissing);
    if (req.routeOptions.config?.public || req.is404) return;
    // Reads answer from the view: bring it up to date with what other processes committed.
    // Writes need not: they judge against a view synced under the store's write lock. A token
    // this view does not know yet may belong to a user created through another replica.
    const reading = req.method === 'GET' || req.method === 'HEAD' || req.routeOptions.url === '/v1/plan';
    if (reading) await store.syncWithDatabase();
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    let user = m ? await store.userByToken(m[1]) : undefined;
    if (m && !user && !reading) {
      await store.syncWithDatabase();
      user = await store.userByToken(m[1]);
    }
    if (!m || !user) {
      reply.header('www-authenticate', 'Bearer');
      throw httpError(401, m ? 'The token is not valid. Use a token issued by this server (POST /v1/users) or the admin token.' : 'Missing bearer token. Send Authorization: Bearer <token>.');
    }
    req.actor = { ...user, managedBy: managedByOf(req.headers[MANAGED_BY_HEADER]) };
    req.tokenHash = store.tokenKey(m[1]);
    req.cacheKey = store.cacheKey(m[1]);
    if (limiter) {
      const wait = limiter.take(req.tokenHash);
      if (wait > 0) {
        throw httpError(429, `Too many requests for this token; retry after ${wait} s.`, { retryAfterSeconds: wait }, { 'retry-after': String(wait) });
      }
    }
  });

  // Routes without a body schema take no body: one check here instead of one per route.
  app.addHook('preValidation', async (req) => {
    if (!req.routeOptions.schema?.body) checkNoBody(req.body);
  });
  // CONNECT is not routed by fastify; without a listener Node would close the socket silently.
  app.server.on('connect', (_req, socket: import('node:net').Socket) => {
    socket.end(rawErrorResponse(httpError(400, API_TEXT.connectRefused)));
  });

  // An Expect other than 100-continue: Node's own answer is an empty 417.
  app.server.on('checkExpectation', (_req, res: import('node:http').ServerResponse) => {
    const body = JSON.stringify(new ApiError(417, 'EXPECTATION_FAILED', API_TEXT.expectationFailed).toBody());
    res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  });

  // ---- errors
  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    const e = toApiError(err);
    if (e.status >= 500) req.log.error({ err }, 'request failed');
    for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
    return reply.code(e.status).type('application/json; charset=utf-8').send(e.toBody());
  });
  app.setNotFoundHandler((req, reply) => {
    const e = httpError(404, `No route ${req.method} ${req.url.split('?')[0]}. See GET /v1/openapi.json for the API.`);
    return reply.code(404).send(e.toBody());
  });

  // ---- idempotency
  let writesSincePurge = 0;
  const purge = () => store.run('DELETE FROM idempotency WHERE created_at < ?', [Date.now() - IDEMPOTENCY_TTL_MS]);
  await purge();

  const send = (reply: FastifyReply, r: WriteResult): FastifyReply => {
    for (const [k, v] of Object.entries(r.headers ?? {})) reply.header(k, v);
    reply.code(r.status);
    return r.body === undefined ? reply.send() : reply.send(r.body);
  };

  const write: AppContext['write'] = async (req, reply, fn) => {
    const raw = req.headers['idempotency-key'];
    if (raw === undefined) return send(reply, await store.enqueue(fn));
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (key.length < 1 || key.length > 255) throw badRequest('Idempotency-Key must be 1 to 255 characters.');
    const method = req.method;
    const path = req.url;
    const bodyHash = sha256(canonical(req.body ?? null));
    let replayed = false;
    const result = await store.enqueue(async (): Promise<WriteResult> => {
      const now = Date.now();
      const hit = await store.get<{ method: string; path: string; body_hash: string; status: number; headers: string; body: string | null; created_at: number }>(
        'SELECT method, path, body_hash, status, headers, body, created_at FROM idempotency WHERE token_hash = ? AND key = ?',
        [req.tokenHash, key],
      );
      if (hit && Number(hit.created_at) >= now - IDEMPOTENCY_TTL_MS) {
        if (hit.method !== method || hit.path !== path || hit.body_hash !== bodyHash) {
          throw conflict(
            `Idempotency-Key ${JSON.stringify(key)} was already used for a different request (${hit.method} ${hit.path}${hit.body_hash !== bodyHash ? ' with another body' : ''}). Use a new key for a new request.`,
            { idempotencyKey: key },
          );
        }
        const opened = hit.body === null ? null : unseal(req.cacheKey, hit.body);
        if (opened === undefined) throw conflict(API_TEXT.idempotencyUnreadable(key), { idempotencyKey: key });
        replayed = true;
        return { status: Number(hit.status), headers: JSON.parse(hit.headers), body: opened === null ? undefined : JSON.parse(opened) };
      }
      const r = await fn();
      await store.run(
        `INSERT INTO idempotency (token_hash, key, method, path, body_hash, status, headers, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (token_hash, key) DO UPDATE SET method = excluded.method, path = excluded.path, body_hash = excluded.body_hash, status = excluded.status,
           headers = excluded.headers, body = excluded.body, created_at = excluded.created_at`,
        [req.tokenHash, key, method, path, bodyHash, r.status, JSON.stringify(r.headers ?? {}), r.body === undefined ? null : seal(req.cacheKey, JSON.stringify(r.body)), now],
      );
      if (++writesSincePurge >= 1000) {
        writesSincePurge = 0;
        await purge();
      }
      return r;
    });
    if (replayed) reply.header('idempotent-replayed', 'true');
    return send(reply, result);
  };

  // ---- operations: readiness, metrics (before the routes, so their hooks see every route)
  const ops: OpsState = { draining: false };
  registerReady(app, store, ops);
  if (options.metrics) (await import('./metrics')).registerMetrics(app, store);

  registerRoutes(app, { service, write, send });
  // The web console's files at /console/ (SPEC §9), with their own CSP; /v1 is unchanged.
  await registerConsole(app);
  return app;
}

/** Map any error to the API's error shape; unknown errors become a 500 without internals. */
export function toApiError(err: unknown): ApiError {
  if (isApiError(err)) return err;
  // The database is down, restarting or too slow: nothing of the request was applied.
  if (isStoreUnavailable(err)) return httpError(503, API_TEXT.storeUnavailable, {}, { 'retry-after': String(STORE_RETRY_AFTER_S) });
  const e = err as FastifyError & { validation?: { instancePath?: string; message?: string; keyword?: string; params?: unknown }[]; validationContext?: string };
  if (e && Array.isArray(e.validation)) {
    const where = e.validationContext ?? 'request';
    return badRequest(`The ${where} is not valid: ${e.message}`, {
      validation: e.validation.map((v) => ({ in: where, path: v.instancePath ?? '', message: v.message ?? '', keyword: v.keyword, params: v.params })),
    });
  }
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return httpError(413, `The request body is larger than ${BODY_LIMIT} bytes.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return httpError(415, 'Unsupported Content-Type. Send JSON with Content-Type: application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return badRequest('The request body is empty but Content-Type says JSON.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return badRequest('Content-Length does not match the body.');
  }
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = (HTTP_CODES as Record<number, string>)[status] ?? 'BAD_REQUEST';
    return new ApiError(status, code, e.message || code);
  }
  return httpError(500, 'Internal error. The request was not applied; retry, and report it if it persists.');
}
