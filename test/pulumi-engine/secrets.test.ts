/**
 * The token given as the secret stack config `cloudbilling:token` never appears in clear:
 * not in the state file (nor its history and backups under the file backend), not in the
 * engine's verbose log (`--logtostderr -v=9 --logflow`, plugins included), not in the
 * output; and the payment reference (sensitive) is a secret in the state.
 */
import { BillingGroup, MainBillingGroup, ProjectLink } from '../../provider/pulumi';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startPulumiWorld, type PulumiWorld } from '../helpers/pulumi';

jest.setTimeout(600_000);

const CARD = { type: 'card' as const, reference: 'tok_secret_card_reference_7f3a' };
let world: PulumiWorld;

beforeAll(async () => {
  world = await startPulumiWorld();
});
afterAll(async () => {
  await world?.close();
});

test('cloudbilling:token is never in clear in state or engine logs', async () => {
  const { admin, server } = world;
  const web = await admin.createProject({ name: 'web' });
  const program = async () => {
    const main = new MainBillingGroup('main', { billingEmails: ['finance@example.com'], invoiceEmails: ['ap@example.com'], paymentMethod: CARD });
    const eng = new BillingGroup('eng', { name: 'Eng', billingEmails: ['eng@example.com'], invoiceEmails: ['ap@example.com'], paymentMethod: CARD }, { dependsOn: [main] });
    new ProjectLink('web', { projectId: web.id, billingGroupId: eng.id });
  };
  const stack = await world.stack(program);
  const verbose = { logToStdErr: true, logVerbosity: 9, logFlow: true } as const;

  const logs: string[] = [];
  const collect = (s: string) => logs.push(s);
  const preview = await stack.preview({ ...verbose, onOutput: collect, onError: collect });
  const up = await stack.up({ ...verbose, onOutput: collect, onError: collect });
  expect(up.summary.result).toBe('succeeded');
  const refresh = await stack.refresh({ ...verbose, onOutput: collect, onError: collect });
  logs.push(preview.stdout, preview.stderr, up.stdout, up.stderr, refresh.stdout, refresh.stderr);

  const engineLog = logs.join('\n');
  // The verbose log is really there (else the test proves nothing).
  expect(engineLog.length).toBeGreaterThan(10_000);
  expect(engineLog).toMatch(/RegisterResource|registerResource|CheckRequest|Check\(/);
  expect(engineLog).not.toContain(server.adminToken);

  const backend = world.backendText() + readProjectFiles(world.projectDir);
  expect(backend).toContain('pulumi-nodejs:dynamic/cloudbilling:'); // the state is there
  expect(backend).not.toContain(server.adminToken);
  expect(backend).not.toContain(CARD.reference);

  // Decrypted (`stack export --show-secrets`), they are there, each one marked as a secret:
  // the config reaches the dynamic-provider host through its provider resource's inputs.
  const SECRET_SIG = '4dabf18193072939515e22adb298388d';
  const resources = ((await stack.exportStack()).deployment as { resources: { type: string; inputs?: Record<string, any> }[] }).resources;
  const nodejs = resources.find((r) => r.type === 'pulumi:providers:pulumi-nodejs')!;
  expect(nodejs.inputs!['cloudbilling:token']).toMatchObject({ [SECRET_SIG]: expect.any(String), plaintext: JSON.stringify(server.adminToken) });
  const eng = resources.find((r) => r.type.endsWith('cloudbilling:BillingGroup'))!;
  expect(eng.inputs!.paymentMethod).toMatchObject({ [SECRET_SIG]: expect.any(String) });
  expect(eng.inputs!.__provider).not.toContain(server.adminToken);
  const config = await stack.getConfig('cloudbilling:token');
  expect(config).toEqual({ value: server.adminToken, secret: true });

  await stack.destroy();
});

/** Pulumi.yaml and Pulumi.<stack>.yaml (the config, with the token encrypted). */
function readProjectFiles(dir: string): string {
  const files = fs.readdirSync(dir).filter((f) => f.startsWith('Pulumi.'));
  expect(files.length).toBeGreaterThanOrEqual(2);
  return files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
}
