/**
 * The Billing API client (axios) used by every front end: Terraform, Pulumi, CDKTF
 * validation, the CLI. Typed methods for every endpoint of SPEC §3.
 *
 * - Configuration from arguments, else `CLOUDBILLING_API_URL` / `CLOUDBILLING_TOKEN`.
 * - Retries with exponential backoff and full jitter on transport errors, 429 and 5xx,
 *   honouring `Retry-After`.
 * - Every write carries `X-Cloudbilling-Managed-By` when the client writes for a Terraform
 *   workspace or Pulumi stack (`managedBy`), so the API marks what it manages (SPEC §9).
 * - Every write carries an `Idempotency-Key` (one per logical call, reused by its
 *   retries), so a retried create never duplicates.
 * - Errors are `ApiError` (see errors.ts); a read that finds nothing returns `null`.
 * - The token is never logged and never part of an error.
 */
import type { AxiosInstance, AxiosResponse, Method } from 'axios';
import { randomUUID } from 'node:crypto';
import { transportMessage } from '../domain/messages';
import { ApiError } from './errors';
import { MANAGED_BY_HEADER, MANAGED_BY_MAX } from './types';
import type {
  BillingEvent,
  Change,
  ChangeSetEntry,
  ChangeSetView,
  CreatedUser,
  Credit,
  DomainInfo,
  Group,
  GroupInput,
  GroupPatch,
  Invoice,
  LinkResult,
  List,
  Permission,
  PermissionResult,
  PlanResponse,
  Project,
  Snapshot,
  UsageInput,
  User,
  UserInput,
  WithWarnings,
} from './types';

export const DEFAULT_API_URL = 'http://127.0.0.1:8787';

export interface ClientOptions {
  /** Base URL of the Billing API. Default: `CLOUDBILLING_API_URL`, else `http://127.0.0.1:8787`. */
  apiUrl?: string;
  /** Bearer token. Default: `CLOUDBILLING_TOKEN`. */
  token?: string;
  /** Per-request timeout in ms. Default 15000. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 4. */
  retries?: number;
  /** First backoff step in ms (doubles each retry, full jitter). Default 100. */
  baseDelayMs?: number;
  /** Longest wait between attempts in ms. Default 5000. */
  maxDelayMs?: number;
  /** The Terraform workspace or Pulumi stack this client writes for (sent on every write). */
  managedBy?: string;
  /** Called for every HTTP request made (for counting API calls in benchmarks/tests). */
  onRequest?: (method: string, path: string) => void;
}

interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  /** Return null instead of throwing on 404. */
  nullOn404?: boolean;
  /** Raw text response (CSV). */
  text?: boolean;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A label as a header value: printable ASCII (anything else percent-encoded), at most MANAGED_BY_MAX characters. */
export function headerLabel(label: string): string {
  return label
    .replace(/[^\x20-\x7e]/gu, (c) => encodeURIComponent(c))
    .trim()
    .slice(0, MANAGED_BY_MAX);
}

export class BillingClient {
  readonly apiUrl: string;
  readonly #token: string | undefined;
  readonly #opts: Required<Omit<ClientOptions, 'apiUrl' | 'token' | 'onRequest' | 'managedBy'>> & Pick<ClientOptions, 'onRequest'>;
  readonly #managedBy: string | undefined;
  #http: AxiosInstance | undefined;

  constructor(options: ClientOptions = {}) {
    this.apiUrl = (options.apiUrl || process.env.CLOUDBILLING_API_URL || DEFAULT_API_URL).replace(/\/+$/, '');
    this.#token = options.token || process.env.CLOUDBILLING_TOKEN || undefined;
    this.#managedBy = options.managedBy ? headerLabel(options.managedBy) : undefined;
    this.#opts = {
      timeoutMs: options.timeoutMs ?? 15000,
      retries: options.retries ?? 4,
      baseDelayMs: options.baseDelayMs ?? 100,
      maxDelayMs: options.maxDelayMs ?? 5000,
      onRequest: options.onRequest,
    };
  }

  /** Whether a token is configured (from options or the environment). */
  get hasToken(): boolean {
    return this.#token !== undefined;
  }

  // ---- domain and snapshot -------------------------------------------------------
  health(): Promise<{ status: string }> {
    return this.request('GET', '/v1/health');
  }
  getDomain(): Promise<DomainInfo> {
    return this.request('GET', '/v1/domain');
  }
  getSnapshot(): Promise<Snapshot> {
    return this.request('GET', '/v1/snapshot');
  }
  plan(changes: Change[]): Promise<PlanResponse> {
    return this.request('POST', '/v1/plan', { body: { changes } });
  }

  // ---- change sets (SPEC §6) ---------------------------------------------------
  /** Register a plan's whole change; supersedes the workspace's open set. */
  registerChangeSet(input: { workspace: string; managedBy?: string; entries: ChangeSetEntry[] }): Promise<ChangeSetView> {
    return this.request('POST', '/v1/change-sets', { body: input });
  }
  /** The workspace's newest open change set, or null. */
  async openChangeSet(workspace: string): Promise<ChangeSetView | null> {
    const list = await this.request<List<ChangeSetView>>('GET', '/v1/change-sets', { query: { workspace, status: 'open' } });
    return list.items[0] ?? null;
  }
  /** The workspace's recent change sets (any status), newest first. */
  async listChangeSets(workspace: string): Promise<ChangeSetView[]> {
    return (await this.request<List<ChangeSetView>>('GET', '/v1/change-sets', { query: { workspace } })).items;
  }
  getChangeSet(id: string): Promise<ChangeSetView | null> {
    return this.request('GET', `/v1/change-sets/${encodeURIComponent(id)}`, { nullOn404: true });
  }
  /** Apply the set whole or not at all: an `ApiError` (409, the first rule's code) when refused. */
  applyChangeSet(id: string): Promise<ChangeSetView> {
    return this.request('POST', `/v1/change-sets/${encodeURIComponent(id)}/apply`);
  }

  // ---- billing groups ------------------------------------------------------------
  async listGroups(): Promise<Group[]> {
    return (await this.request<List<Group>>('GET', '/v1/billing-groups')).items;
  }
  createGroup(group: GroupInput, opts: { idempotencyKey?: string } = {}): Promise<Group & WithWarnings> {
    return this.request('POST', '/v1/billing-groups', { body: group, headers: keyHeader(opts.idempotencyKey) });
  }
  getGroup(id: string): Promise<Group | null> {
    return this.request('GET', `/v1/billing-groups/${seg(id)}`, { nullOn404: true });
  }
  updateGroup(id: string, patch: GroupPatch, opts: { ifMatch?: number } = {}): Promise<Group & WithWarnings> {
    const headers = opts.ifMatch === undefined ? undefined : { 'If-Match': `"${opts.ifMatch}"` };
    return this.request('PATCH', `/v1/billing-groups/${seg(id)}`, { body: patch, headers });
  }
  async deleteGroup(id: string, confirmName: string): Promise<void> {
    await this.request('DELETE', `/v1/billing-groups/${seg(id)}`, { query: { confirmName } });
  }
  async listGroupProjects(id: string): Promise<Project[]> {
    return (await this.request<List<Project>>('GET', `/v1/billing-groups/${seg(id)}/projects`)).items;
  }

  // ---- projects and links --------------------------------------------------------
  async listProjects(): Promise<Project[]> {
    return (await this.request<List<Project>>('GET', '/v1/projects')).items;
  }
  getProject(id: string): Promise<Project | null> {
    return this.request('GET', `/v1/projects/${seg(id)}`, { nullOn404: true });
  }
  createProject(input: { name: string }): Promise<Project & WithWarnings> {
    return this.request('POST', '/v1/projects', { body: input });
  }
  linkProject(projectId: string, billingGroupId: string, allowTransfer = false): Promise<LinkResult> {
    return this.request('PUT', `/v1/projects/${seg(projectId)}/billing-group`, { body: { billingGroupId, allowTransfer } });
  }
  unlinkProject(projectId: string): Promise<LinkResult> {
    return this.request('DELETE', `/v1/projects/${seg(projectId)}/billing-group`);
  }

  // ---- users and permissions -----------------------------------------------------
  async listUsers(): Promise<User[]> {
    return (await this.request<List<User>>('GET', '/v1/users')).items;
  }
  createUser(input: UserInput): Promise<CreatedUser> {
    return this.request('POST', '/v1/users', { body: input });
  }
  async listPermissions(groupId: string): Promise<Permission[]> {
    return (await this.request<List<Permission>>('GET', `/v1/billing-groups/${seg(groupId)}/permissions`)).items;
  }
  grantPermission(groupId: string, userId: string): Promise<PermissionResult> {
    return this.request('PUT', `/v1/billing-groups/${seg(groupId)}/permissions/${seg(userId)}`);
  }
  revokePermission(groupId: string, userId: string): Promise<PermissionResult> {
    return this.request('DELETE', `/v1/billing-groups/${seg(groupId)}/permissions/${seg(userId)}`);
  }

  // ---- credits, usage, invoices, events --------------------------------------------
  async listCredits(groupId: string): Promise<Credit[]> {
    return (await this.request<List<Credit>>('GET', `/v1/billing-groups/${seg(groupId)}/credits`)).items;
  }
  claimCredit(groupId: string, code: string): Promise<Credit & WithWarnings> {
    return this.request('POST', `/v1/billing-groups/${seg(groupId)}/credits`, { body: { code } });
  }
  refundCredit(groupId: string, creditId: string): Promise<Credit & WithWarnings> {
    return this.request('POST', `/v1/billing-groups/${seg(groupId)}/credits/${seg(creditId)}/refund`);
  }
  recordUsage(usage: UsageInput): Promise<unknown> {
    return this.request('POST', '/v1/usage', { body: usage });
  }
  closePeriod(period: string): Promise<{ period: string; invoices: Invoice[] }> {
    return this.request('POST', `/v1/billing-periods/${seg(period)}/close`);
  }
  async listInvoices(groupId: string): Promise<Invoice[]> {
    return (await this.request<List<Invoice>>('GET', `/v1/billing-groups/${seg(groupId)}/invoices`)).items;
  }
  getInvoice(id: string): Promise<Invoice | null> {
    return this.request('GET', `/v1/invoices/${seg(id)}`, { nullOn404: true });
  }
  getInvoiceCsv(id: string): Promise<string> {
    return this.request('GET', `/v1/invoices/${seg(id)}`, { query: { format: 'csv' }, text: true });
  }
  payInvoice(id: string): Promise<Invoice & WithWarnings> {
    return this.request('POST', `/v1/invoices/${seg(id)}/pay`);
  }
  listEvents(groupId: string, page: { limit?: number; cursor?: string } = {}): Promise<List<BillingEvent>> {
    return this.request('GET', `/v1/billing-groups/${seg(groupId)}/events`, { query: page });
  }
  /** Every event of a group, newest first, following cursors. */
  async allEvents(groupId: string): Promise<BillingEvent[]> {
    const out: BillingEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listEvents(groupId, { limit: 200, cursor });
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  // ---- transport -----------------------------------------------------------------
  /** Low-level request with retries. Public for endpoints added later; prefer the typed methods. */
  async request<T>(method: Method & string, path: string, opts: RequestOptions = {}): Promise<T> {
    const http = await this.#client();
    const upper = method.toUpperCase();
    const headers: Record<string, string | false> = { Accept: opts.text ? 'text/csv, application/json' : 'application/json', ...opts.headers };
    if (this.#token) headers.Authorization = `Bearer ${this.#token}`;
    if (WRITE_METHODS.has(upper) && !headers['Idempotency-Key']) headers['Idempotency-Key'] = randomUUID();
    if (WRITE_METHODS.has(upper) && this.#managedBy) headers[MANAGED_BY_HEADER] = this.#managedBy;
    const hasBody = opts.body !== undefined;
    // No body, no Content-Type (axios would otherwise send form-urlencoded on PUT/POST).
    headers['Content-Type'] = hasBody ? 'application/json' : false;
    const label = `${upper} ${path}`;

    for (let attempt = 0; ; attempt++) {
      let res: AxiosResponse | undefined;
      let transport: ApiError | undefined;
      try {
        this.#opts.onRequest?.(upper, path);
        res = await http.request({
          method: upper,
          url: path,
          params: opts.query,
          data: hasBody ? JSON.stringify(opts.body) : undefined,
          headers,
          responseType: 'text',
          transformResponse: (x: unknown) => x,
        });
      } catch (e) {
        transport = transportError(e, label, this.apiUrl);
      }
      const retryable = transport !== undefined || (res !== undefined && RETRY_STATUS.has(res.status));
      if (retryable && attempt < this.#opts.retries) {
        await sleep(this.#delay(attempt, res?.headers?.['retry-after']));
        continue;
      }
      if (transport) throw transport;
      return this.#result<T>(res!, label, opts);
    }
  }

  #result<T>(res: AxiosResponse, label: string, opts: RequestOptions): T {
    const text = typeof res.data === 'string' ? res.data : '';
    if (res.status >= 200 && res.status < 300) {
      if (opts.text) return text as unknown as T;
      return (text === '' ? undefined : JSON.parse(text)) as T;
    }
    if (res.status === 404 && opts.nullOn404) return null as T;
    let body: { error?: { code?: string; message?: string; details?: Record<string, unknown> } } = {};
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: fall through to a generic error */
    }
    const err = body.error;
    throw new ApiError(
      res.status,
      err?.code ?? httpCodeName(res.status),
      err?.message ?? `${label} failed with HTTP ${res.status}`,
      err?.details ?? {},
      label,
    );
  }

  /** Full-jitter exponential backoff; a server's Retry-After (capped at 60 s) wins when given. */
  #delay(attempt: number, retryAfter: unknown): number {
    const hinted = parseRetryAfter(retryAfter);
    if (hinted !== undefined) return Math.min(hinted, 60_000) + Math.random() * this.#opts.baseDelayMs;
    return Math.random() * Math.min(this.#opts.maxDelayMs, this.#opts.baseDelayMs * 2 ** attempt);
  }

  async #client(): Promise<AxiosInstance> {
    if (!this.#http) {
      const axios = (await import('axios')).default;
      this.#http = axios.create({
        baseURL: this.apiUrl,
        timeout: this.#opts.timeoutMs,
        validateStatus: () => true,
        maxRedirects: 0,
        proxy: false,
      });
    }
    return this.#http;
  }
}

/** Percent-encode one path segment. */
function seg(s: string): string {
  return encodeURIComponent(s);
}

function keyHeader(key: string | undefined): Record<string, string> | undefined {
  return key ? { 'Idempotency-Key': key } : undefined;
}

function parseRetryAfter(v: unknown): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function transportError(e: unknown, label: string, apiUrl: string): ApiError {
  const err = e as { code?: string; message?: string; cause?: { code?: string } };
  const timeout = err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT';
  // axios reports a TLS handshake against plain HTTP as EPROTO (or an SSL code on its cause).
  const cause = timeout ? 'TIMEOUT' : (err.code ?? err.cause?.code);
  // Deliberately not attaching the axios error: its config holds the Authorization header.
  return new ApiError(0, timeout ? 'TIMEOUT' : 'NETWORK_ERROR', transportMessage(apiUrl, label, cause ?? err.message), { url: apiUrl, cause: cause ?? null }, label);
}

const HTTP_NAMES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'TOO_MANY_REQUESTS',
};

function httpCodeName(status: number): string {
  return HTTP_NAMES[status] ?? (status >= 500 ? 'SERVER_ERROR' : `HTTP_${status}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
