/**
 * Typed errors of the client. Rule violations and HTTP errors carry the API's code
 * (SPEC §2 rule code or HTTP code name); transport failures carry `NETWORK_ERROR` or
 * `TIMEOUT` with status 0. Messages never include headers or tokens.
 */

export interface Violation {
  code: string;
  message: string;
  path?: (string | number)[];
  index?: number;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** HTTP status; 0 for transport failures. */
    readonly status: number,
    /** Rule code of SPEC §2 or an HTTP code name (`BAD_REQUEST`, `NETWORK_ERROR`, ...). */
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** `METHOD path` of the failed request (no query string, no headers). */
    readonly request?: string,
  ) {
    super(message);
  }

  /** Every violation the API reported (the first is `code`). */
  get violations(): Violation[] {
    const v = this.details.violations;
    return Array.isArray(v) ? (v as Violation[]) : [{ code: this.code, message: this.message }];
  }

  /** True for transport failures (no HTTP answer). */
  get isTransport(): boolean {
    return this.status === 0;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError || (e instanceof Error && e.name === 'ApiError' && typeof (e as ApiError).code === 'string');
}
