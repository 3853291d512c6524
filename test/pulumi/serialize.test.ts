/**
 * The providers are closure-serialized into state by Pulumi: each must serialize, the
 * text must hold no credential (a recognizable token set in the environment, the stack
 * config and `configure`), and the text must work when the dynamic-provider host loads it.
 *
 * Two tiers:
 * 1. In jest: `serializeFunction` on the providers as jest loads them (@swc/jest output).
 * 2. In a plain node child process on the build output (`dist/`, what users run): the
 *    host's own steps, `require-from-string` of the serialized text, then `configure` and
 *    `check`/`create`/`read`/`delete` against the real server. This is the robust tier: it
 *    does not depend on how jest transforms code (swc helpers, module registry), and it
 *    resolves `require('cloudbilling/pulumi')` the way the host does, from the working
 *    directory (here the package itself, by self-reference).
 */
import * as pulumi from '@pulumi/pulumi';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { engine, providers } from '../../provider/pulumi';
import { startTestServer, type TestServer } from '../helpers/server';

const TOKEN = 'cbtok-RECOGNIZABLE-5f1d2c9e-never-in-state';
const ROOT = join(__dirname, '../..');
const run = promisify(execFile);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ adminToken: TOKEN });
});
afterAll(async () => {
  await server.close();
});

describe('in jest', () => {
  beforeAll(async () => {
    process.env.CLOUDBILLING_TOKEN = TOKEN;
    process.env.CLOUDBILLING_API_URL = server.url;
    pulumi.runtime.setAllConfig({ 'cloudbilling:token': TOKEN, 'cloudbilling:apiUrl': server.url }, ['cloudbilling:token']);
    const config: Record<string, string> = { 'cloudbilling:token': TOKEN, 'cloudbilling:apiUrl': server.url };
    await engine.configure({ config: { get: (k: string) => config[k], require: (k: string) => config[k] } });
    // The engine has made requests with the token: nothing of that may leak into the closures.
    await providers.billingGroup.check!({}, { name: 'x', billingEmails: ['a@example.com'], invoiceEmails: ['b@example.com'] });
  });

  test.each(Object.keys(providers))('providers.%s serializes without the token', async (kind) => {
    const provider = providers[kind as keyof typeof providers];
    const sf = await pulumi.runtime.serializeFunction(() => provider);
    expect(sf.text).toContain("require('cloudbilling/pulumi')");
    expect(sf.text).toContain(JSON.stringify(kind));
    expect(sf.text).not.toContain(TOKEN);
    expect(sf.text).not.toContain(server.url);
    expect(sf.text.length).toBeLessThan(20_000); // captures nothing heavy
  });
});

describe('build output in a plain node process (what the dynamic-provider host does)', () => {
  const dist = join(ROOT, 'dist/provider/pulumi/index.js');

  test('serialized providers load with require-from-string, configure from stack config, and work', async () => {
    if (!existsSync(dist)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    const script = `
      const pulumi = require('@pulumi/pulumi');
      const requireFromString = require('require-from-string');
      const { providers } = require('cloudbilling/pulumi');
      (async () => {
        const out = {};
        for (const kind of Object.keys(providers)) {
          const sf = await pulumi.runtime.serializeFunction(() => providers[kind]);
          out[kind] = { containsToken: sf.text.includes(process.env.T), length: sf.text.length };
          const p = requireFromString(sf.text).handler();
          const config = { 'cloudbilling:apiUrl': process.env.U, 'cloudbilling:token': process.env.T };
          await p.configure({ config: { get: (k) => config[k], require: (k) => config[k] } });
          out[kind].methods = Object.keys(p).sort();
          if (kind === 'billingGroup') {
            const news = { name: 'Serialized', billingEmails: ['a@example.com'], invoiceEmails: ['b@example.com'] };
            const c = await p.check({}, news);
            out.check = c.failures.map((f) => f.reason.split(':')[0]);
          }
          if (kind === 'mainBillingGroup') {
            const c = await p.create({ billingEmails: ['a@example.com'], invoiceEmails: ['b@example.com'], paymentMethod: { type: 'card', reference: 'tok' } });
            out.mainId = c.id;
          }
          if (kind === 'projectLink') {
            const r = await p.read('prj_missing', { projectId: 'prj_missing', billingGroupId: 'x' });
            out.readMissing = r;
          }
        }
        process.stdout.write(JSON.stringify(out));
      })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
    `;
    // No token in the environment of the child: only the stack config (configure) carries it.
    const env = { ...process.env, U: server.url, T: TOKEN, CLOUDBILLING_TOKEN: '', CLOUDBILLING_API_URL: 'http://127.0.0.1:9' };
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: ROOT, env, timeout: 60_000 });
    const out = JSON.parse(stdout);
    for (const kind of Object.keys(providers)) {
      expect(out[kind].containsToken).toBe(false);
      expect(out[kind].methods).toEqual(['check', 'configure', 'create', 'delete', 'diff', 'read', 'update']);
    }
    expect(out.check).toEqual(['MAIN_PAYMENT_REQUIRED']);
    expect(out.mainId).toEqual(expect.any(String));
    expect(out.readMissing).toEqual({});
  });
});
