/**
 * How the commands use the API, seen through a loopback proxy in front of the real
 * server: review reads the snapshot once (and survives a transient 503), drift reads the
 * snapshot once plus each drifted group's event log once, export reads the snapshot only.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BillingClient } from '../../provider/client';
import { startTestServer, type TestServer } from '../helpers/server';
import { startChaosProxy, type ChaosProxy } from '../helpers/chaos-proxy';
import { requireBuild } from '../helpers/engines';
import { FIXTURES, cli } from './helpers';

describe('API calls of review, drift and export', () => {
  // Never skipped: without the build, every test here fails saying `npm run build`.
  beforeAll(() => requireBuild());
  let server: TestServer;
  let proxy: ChaosProxy;
  let env: Record<string, string>;
  let dir: string;
  let groupId: string;

  beforeAll(async () => {
    server = await startTestServer({ domain: 'calls' });
    const c = new BillingClient({ apiUrl: server.url, token: server.adminToken });
    await c.updateGroup((await c.getSnapshot()).domain.mainGroupId, { paymentMethod: { type: 'card', reference: 'tok_main' } });
    const g = await c.createGroup({ name: 'Team', billingEmails: ['t@example.com'], invoiceEmails: ['t@example.com'] });
    groupId = g.id;
    await c.updateGroup(g.id, { name: 'Team (renamed)' });
    proxy = await startChaosProxy(server.url);
    env = { CLOUDBILLING_API_URL: proxy.url, CLOUDBILLING_TOKEN: server.adminToken };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cb-calls-'));
  });

  afterAll(async () => {
    await proxy?.close();
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    proxy.seen.length = 0;
    proxy.faults.length = 0;
  });

  test('review: one snapshot read, retried after a 503', async () => {
    proxy.faults.push('status:503');
    const r = await cli(['review', path.join(FIXTURES, 'terraform-sensitive.plan.json'), '--format', 'json'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(proxy.seen.map((s) => `${s.method} ${s.path}`)).toEqual(['GET /v1/snapshot', 'GET /v1/snapshot']);
    proxy.seen.length = 0;
    await cli(['review', path.join(FIXTURES, 'terraform-sensitive.plan.json')], { env });
    expect(proxy.seen.map((s) => `${s.method} ${s.path}`)).toEqual(['GET /v1/snapshot']);
  });

  test('drift: the snapshot, then the event log of each drifted group once', async () => {
    const state = {
      format_version: '1.0',
      values: {
        root_module: {
          resources: [
            { address: 'cloudbilling_billing_group.team', mode: 'managed', type: 'cloudbilling_billing_group', name: 'team', values: { id: groupId, name: 'Team', billing_emails: ['t@example.com'], invoice_emails: ['t@example.com'], payment_method: null } },
          ],
        },
      },
    };
    const file = path.join(dir, 'state.json');
    fs.writeFileSync(file, JSON.stringify(state));
    const r = await cli(['drift', '--terraform-state', file, '--format', 'json'], { env });
    expect(r.code).toBe(2);
    expect(proxy.seen.map((s) => `${s.method} ${s.path}`)).toEqual(['GET /v1/snapshot', `GET /v1/billing-groups/${groupId}/events?limit=200`]);
    const item = JSON.parse(r.stdout).items[0];
    expect(item).toEqual(expect.objectContaining({ status: 'changed', event: 'group.updated', changedBy: expect.stringContaining('admin@example.com') }));
  });

  test('export: the snapshot only', async () => {
    const r = await cli(['export', '--format', 'terraform', '--out', path.join(dir, 'tf')], { env });
    expect(r.code).toBe(0);
    expect(proxy.seen.map((s) => `${s.method} ${s.path}`)).toEqual(['GET /v1/snapshot']);
  });
});
