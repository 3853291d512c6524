/**
 * The one gate every request body and every HTTP-level refusal goes through (SPEC §10).
 *
 * - `checkBody`: a parsed JSON body nests at most `MAX_BODY_DEPTH` levels and every
 *   string in it (object keys included) is storable Unicode (domain/text.ts). Runs in the
 *   JSON parser, before validation, idempotency hashing or any handler, so the recursive
 *   code after it (`canonical`, ajv) never sees a deep document. Iterative on purpose.
 * - `checkNoBody`: a route without a body schema takes no body (or `{}`); anything else
 *   is an unknown field, 400, as on the routes with a schema.
 * - `clientErrorResponse`: the raw HTTP/1.1 answer to a request Node's parser refused
 *   (bad method, bad Content-Length, NUL in a header, headers too large, timeout), in the
 *   API's error shape instead of fastify's `{"error":"Bad Request",...}`.
 */
import { STATUS_CODES } from 'node:http';
import { API_TEXT } from '../domain/messages';
import { isStorable } from '../domain/text';
import { ApiError, badRequest, httpError } from './errors';

/** Deepest nesting a request body may have (the deepest schema needs 5). */
export const MAX_BODY_DEPTH = 32;
/** Node's default --max-http-header-size, stated here for the message. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** Throws 400 when `value` nests deeper than MAX_BODY_DEPTH or holds a lone surrogate. */
export function checkBody(value: unknown): void {
  const stack: { v: unknown; depth: number; path: string }[] = [{ v: value, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (!isStorable(v)) throw badRequest(API_TEXT.bodyNotStorable(path), { path: pathOf(path) });
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) throw badRequest(API_TEXT.bodyTooDeep(MAX_BODY_DEPTH), { maxDepth: MAX_BODY_DEPTH });
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], depth: depth + 1, path: `${path}/${i}` });
      continue;
    }
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const p = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!isStorable(k)) throw badRequest(API_TEXT.bodyNotStorable(p), {});
      stack.push({ v: x, depth: depth + 1, path: p });
    }
  }
}

/** A JSON pointer as a path array (for `details.path`); lone surrogates never reach here in keys. */
function pathOf(pointer: string): (string | number)[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
}

/** Throws 400 unless `body` is absent or `{}` (routes that take no body). */
export function checkNoBody(body: unknown): void {
  if (body === undefined) return;
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const fields = Object.keys(body);
    if (fields.length === 0) return;
    throw badRequest(API_TEXT.bodyNotAllowed(fields.slice(0, 10)), { fields: fields.slice(0, 10) });
  }
  throw badRequest(API_TEXT.bodyNotAllowed([]));
}

/** The API error for a request Node's HTTP parser refused (`clientError`). */
export function clientErrorOf(err: { code?: string }): ApiError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return httpError(431, API_TEXT.headersTooLarge(MAX_HEADER_BYTES));
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return httpError(408, API_TEXT.requestTimeout);
    default:
      return badRequest(API_TEXT.badHttp(parserReason(err.code)), err.code ? { parserError: err.code } : {});
  }
}

function parserReason(code: string | undefined): string {
  switch (code) {
    case 'HPE_INVALID_METHOD':
      return 'unknown method';
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_CONTENT_LENGTH':
      return 'a missing, invalid or repeated Content-Length';
    case 'HPE_INVALID_HEADER_TOKEN':
      return 'a header with a forbidden character';
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return 'an invalid Transfer-Encoding';
    default:
      return code ? code.replace(/^HPE_/, '').toLowerCase().replace(/_/g, ' ') : 'malformed request';
  }
}

/** A complete HTTP/1.1 response (connection closed after it) carrying `e` in the error shape. */
export function rawErrorResponse(e: ApiError): string {
  const body = JSON.stringify(e.toBody());
  return (
    `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? 'Error'}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/** fastify's `clientErrorHandler`: answer in the error shape, then close. */
export function clientErrorHandler(err: Error & { code?: string }, socket: import('node:net').Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(rawErrorResponse(clientErrorOf(err)));
}
