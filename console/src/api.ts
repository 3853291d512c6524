/**
 * The console's only way to the Billing API: `fetch` to the same origin's /v1 with the
 * signed-in token. The token lives in this tab only (sessionStorage, SPEC §9): never in
 * a URL, never logged. Every failure becomes an `ApiFailure` carrying the API's own code,
 * message and rule violations; the console shows those, it never writes a rule's text.
 */
import type { ApiWarning, PlanResponse } from '../../provider/client/types';
import type { Change } from '../../provider/domain/types';

const TOKEN_KEY = 'cloudbilling.token';
/** Dispatched on `window` when the API refuses the session's token; `detail` is the API's message. */
export const SIGNED_OUT_EVENT = 'cloudbilling:signed-out';

export interface Violation {
  code: string;
  message: string;
  path?: (string | number)[];
}

/** An answer of the API that is not 2xx, in the API's error shape (SPEC §3). */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly violations: Violation[],
  ) {
    super(message);
  }
  /** The violations to show: the API's list, or the error itself when it has none. */
  get rules(): Violation[] {
    return this.violations.length > 0 ? this.violations : [{ code: this.code, message: this.message }];
  }
  static is(e: unknown): e is ApiFailure {
    return e instanceof ApiFailure;
  }
}

export const session = {
  token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  signIn(token: string): void {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  signOut(): void {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

async function failureOf(res: Response): Promise<ApiFailure> {
  let body: { error?: { code?: string; message?: string; details?: { violations?: Violation[] } } } = {};
  try {
    body = await res.json();
  } catch {
    // not JSON (a proxy in between): fall through to the HTTP status
  }
  const e = body.error ?? {};
  return new ApiFailure(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? `The API answered HTTP ${res.status}.`, e.details?.violations ?? []);
}

export interface RequestOptions {
  body?: unknown;
  /** Token to use instead of the session's (sign-in checks a token before keeping it). */
  token?: string;
  headers?: Record<string, string>;
}

async function raw(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
  const token = opts.token ?? session.token();
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiFailure(0, 'NETWORK', 'The Billing API cannot be reached. Check that `cloudbilling serve` is running, then retry.', []);
  }
  if (!res.ok) {
    const failure = await failureOf(res);
    // The session's token stopped working (revoked, server reset): forget it and go back to sign-in.
    if (res.status === 401 && opts.token === undefined && token) {
      session.signOut();
      window.dispatchEvent(new CustomEvent(SIGNED_OUT_EVENT, { detail: failure.message }));
    }
    throw failure;
  }
  return res;
}

export async function call<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await raw(method, path, opts);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string) => call<T>('GET', path);

/** `POST /v1/plan`: the rules' verdict on changes, nothing applied. */
export const plan = (changes: Change[]) => call<PlanResponse>('POST', '/v1/plan', { body: { changes } });

/** A file from the API (an invoice's CSV), downloaded with the token in the header, not the URL. */
export async function download(path: string, filename: string): Promise<void> {
  const res = await raw('GET', path, { headers: { accept: 'text/csv' } });
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export type { ApiWarning };
export const enc = encodeURIComponent;
