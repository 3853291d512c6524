/**
 * A tiny HTTP client for the server tests: every call resolves (no throw on 4xx/5xx)
 * with `{status, data, headers}`, so tests assert on the status and the error shape.
 */
import axios, { type AxiosResponse } from 'axios';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/server';

export type Res = AxiosResponse<any>;

export interface Api {
  token: string;
  get(path: string, headers?: Record<string, string>): Promise<Res>;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<Res>;
  put(path: string, body?: unknown, headers?: Record<string, string>): Promise<Res>;
  patch(path: string, body?: unknown, headers?: Record<string, string>): Promise<Res>;
  del(path: string, headers?: Record<string, string>): Promise<Res>;
  raw(method: string, path: string, data?: unknown, headers?: Record<string, string>): Promise<Res>;
}

export function client(url: string, token: string | undefined): Api {
  const raw = (method: string, path: string, data?: unknown, headers: Record<string, string> = {}) =>
    axios.request({
      method,
      url: url + path,
      data,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      validateStatus: () => true,
      transitional: { silentJSONParsing: true, forcedJSONParsing: true, clarifyTimeoutError: false },
      maxRedirects: 0,
    });
  return {
    token: token ?? '',
    get: (p, h) => raw('GET', p, undefined, h),
    post: (p, b, h) => raw('POST', p, b, h),
    put: (p, b, h) => raw('PUT', p, b, h),
    patch: (p, b, h) => raw('PATCH', p, b, h),
    del: (p, h) => raw('DELETE', p, undefined, h),
    raw,
  };
}

/** Assert the error shape and return the code. */
export function expectError(res: Res, status: number, code?: string): void {
  if (res.status !== status || (code && res.data?.error?.code !== code)) {
    throw new Error(`expected ${status} ${code ?? ''}, got ${res.status} ${JSON.stringify(res.data)}`);
  }
  expect(res.data).toEqual({ error: { code: expect.any(String), message: expect.any(String), details: expect.any(Object) } });
  expect(res.data.error.message.length).toBeGreaterThan(10);
}

export function expectOk(res: Res, status = 200): any {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status} ${JSON.stringify(res.data)}`);
  return res.data;
}

export const PM = { type: 'card', reference: 'tok_test_visa' } as const;

export function groupBody(name: string, extra: Record<string, unknown> = {}) {
  return { name, billingEmails: [`billing@${name.toLowerCase().replace(/[^a-z0-9]/g, '') || 'x'}.example.com`], invoiceEmails: ['ap@example.com'], paymentMethod: PM, ...extra };
}

/** A running server, an admin client and helpers to build a fixture. */
export class Fixture {
  admin!: Api;
  mainId!: string;
  constructor(readonly server: TestServer) {
    this.admin = client(server.url, server.adminToken);
  }

  static async start(opts: TestServerOptions = {}): Promise<Fixture> {
    const f = new Fixture(await startTestServer(opts));
    f.mainId = expectOk(await f.admin.get('/v1/domain')).mainGroupId;
    return f;
  }

  close() {
    return this.server.close();
  }

  as(token: string | undefined): Api {
    return client(this.server.url, token);
  }

  async enableSubGroups(): Promise<void> {
    expectOk(await this.admin.patch(`/v1/billing-groups/${this.mainId}`, { paymentMethod: PM }));
  }

  async group(name: string, extra: Record<string, unknown> = {}): Promise<any> {
    return expectOk(await this.admin.post('/v1/billing-groups', groupBody(name, extra)), 201);
  }

  async project(name = 'p'): Promise<any> {
    return expectOk(await this.admin.post('/v1/projects', { name }), 201);
  }

  async link(projectId: string, billingGroupId: string, allowTransfer?: boolean): Promise<any> {
    return expectOk(await this.admin.put(`/v1/projects/${projectId}/billing-group`, allowTransfer === undefined ? { billingGroupId } : { billingGroupId, allowTransfer }));
  }

  async user(email: string, role: 'billing_admin' | null = null): Promise<any> {
    return expectOk(await this.admin.post('/v1/users', { email, name: email.split('@')[0], role }), 201);
  }

  async usage(projectId: string, amount: number, service = 'compute', at?: string): Promise<any> {
    return expectOk(await this.admin.post('/v1/usage', at ? { projectId, service, amount, at } : { projectId, service, amount }), 201);
  }
}

export const thisPeriod = () => new Date().toISOString().slice(0, 7);
