/**
 * Transport failures (issue 9): the client's error names the URL and says what to check,
 * for a refused connection, https against the plain-HTTP server and an unknown host; a
 * Terraform provider that cannot reach the API says so once, at ConfigureProvider, and
 * never reads "the Billing API refused".
 */
import { encode } from '@msgpack/msgpack';
import { createServer } from 'node:net';
import { BillingClient, isApiError } from '../../provider/client';
import { errorToDiagnostics } from '../../provider/terraform/protocol/diagnostics';
import { TerraformProvider } from '../../provider/terraform/provider';
import { startTestServer, type TestServer } from '../helpers/server';

let server: TestServer;
let closedUrl: string;
beforeAll(async () => {
  server = await startTestServer();
  // A port that was free a moment ago: nothing listens there.
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  closedUrl = `http://127.0.0.1:${port}`;
});
afterAll(() => server?.close());

async function failure(apiUrl: string) {
  const e = await new BillingClient({ apiUrl, token: 'secret-token-abc', retries: 0, timeoutMs: 10_000 }).getDomain().catch((x: unknown) => x);
  if (!isApiError(e)) throw new Error(`expected an ApiError, got ${String(e)}`);
  expect(e).toMatchObject({ status: 0, isTransport: true });
  expect(e.message).toContain(apiUrl);
  expect(e.message).toContain('GET /v1/domain');
  expect(e.message).not.toContain('secret-token-abc');
  expect(e.message).not.toMatch(/refused the request|Billing API refused/);
  return e;
}

test('ECONNREFUSED: is `cloudbilling serve` running? check CLOUDBILLING_API_URL', async () => {
  const e = await failure(closedUrl);
  expect(e.code).toBe('NETWORK_ERROR');
  expect(e.details).toMatchObject({ url: closedUrl, cause: 'ECONNREFUSED' });
  expect(e.message).toMatch(/is `cloudbilling serve` running\? Check CLOUDBILLING_API_URL \(api_url in Terraform, --api-url on the CLI\)/);
});

test('https:// against the plain-HTTP server: use an http:// URL', async () => {
  const e = await failure(server.url.replace('http://', 'https://'));
  expect(e.message).toMatch(/speaks plain HTTP\. Use an http:\/\/ URL/);
});

test('an unknown host: check the host name', async () => {
  const e = await failure('http://cloudbilling-does-not-exist.invalid:8787');
  expect(String(e.details.cause)).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/);
  expect(e.message).toMatch(/is not known \(DNS\)\. Check the host name/);
});

test('a transport failure as a Terraform diagnostic says no answer came, not that the API refused', async () => {
  const e = await failure(closedUrl);
  const [d] = errorToDiagnostics(e, 'ReadDataSource cloudbilling_domain');
  expect(d.summary).toContain(closedUrl);
  expect(d.detail).toBe('No answer from the Billing API while ReadDataSource cloudbilling_domain (GET /v1/domain).');
});

test('Terraform: ConfigureProvider reports an unreachable API once, with the URL; a reachable one gives no diagnostic', async () => {
  const mp = (v: unknown) => ({ msgpack: Buffer.from(encode(v)) });
  const provider = (env: Record<string, string>) =>
    new TerraformProvider({ createClient: (o) => new BillingClient({ ...o, retries: 0 }), env }).rpcs();
  const down = await provider({ CLOUDBILLING_API_URL: closedUrl, CLOUDBILLING_TOKEN: 't' }).ConfigureProvider({ config: mp({ api_url: null, token: null }) });
  expect(down.diagnostics).toHaveLength(1);
  expect(down.diagnostics[0]).toMatchObject({ severity: 'ERROR', summary: expect.stringContaining(`NETWORK_ERROR: Could not reach the Billing API at ${closedUrl}`) });
  const up = await provider({ CLOUDBILLING_API_URL: server.url, CLOUDBILLING_TOKEN: server.adminToken }).ConfigureProvider({ config: mp({ api_url: null, token: null }) });
  expect(up.diagnostics).toEqual([]);
});
