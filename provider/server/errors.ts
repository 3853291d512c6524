/**
 * Typed API errors. Every error body is `{"error": {"code", "message", "details"}}`.
 * Rule errors carry the domain's diagnostics: status from `statusOf`, message from
 * `messageOf`, all violations in `details.violations` (the first one is `error.code`).
 * HTTP-level errors (malformed input, auth, unknown routes) use the HTTP code names below.
 */
import { diagnostic, messageOf, statusOf, type RuleCode } from '../domain/messages';
import type { Diagnostic } from '../domain/types';

export const HTTP_CODES = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'HEADERS_TOO_LARGE',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
} as const;

export interface Violation {
  code: string;
  message: string;
  path?: (string | number)[];
}

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

export function violationOf(d: Diagnostic): Violation {
  const v: Violation = { code: d.code, message: messageOf(d) };
  if (d.path !== undefined && d.path.length > 0) v.path = d.path;
  return v;
}

/** The error for a failed `evaluate`: the first error decides code and status. */
export function ruleError(errors: Diagnostic[]): ApiError {
  const first = errors[0];
  return new ApiError(statusOf(first.code), first.code, messageOf(first), { violations: errors.map(violationOf) });
}

/** A single rule violation raised by the server itself (path ids, user e-mails). */
export function ruleViolation(code: RuleCode, params: Record<string, unknown> = {}, path?: (string | number)[]): ApiError {
  return ruleError([diagnostic(code, params, path ? { path } : {})]);
}

export function httpError(status: keyof typeof HTTP_CODES, message: string, details: Record<string, unknown> = {}, headers: Record<string, string> = {}): ApiError {
  return new ApiError(status, HTTP_CODES[status], message, details, headers);
}

export const badRequest = (message: string, details: Record<string, unknown> = {}) => httpError(400, message, details);
export const conflict = (message: string, details: Record<string, unknown> = {}) => httpError(409, message, details);
export const notFound = (message: string) => httpError(404, message);
export const forbidden = (reason?: string) => ruleViolation('FORBIDDEN', reason ? { reason } : {});
