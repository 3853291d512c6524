/**
 * Launch the built provider as Terraform does (magic cookie, PLUGIN_CLIENT_CERT), read the
 * handshake line, talk gRPC over the unix socket with mutual TLS, and shut it down.
 * Needs `npm run build`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { encode } from '@msgpack/msgpack';
import { generateServerCertificate } from '../../../provider/terraform/protocol/cert';
import { serviceDefinition } from '../../../provider/terraform/protocol/grpc';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../../provider/terraform/protocol/server';

const BUNDLE = path.resolve(__dirname, '../../../dist/terraform-provider/provider.js');

function start(env: Record<string, string>): { child: ChildProcess; line: Promise<string>; stderr: () => string; exit: Promise<number | null> } {
  if (!fs.existsSync(BUNDLE)) throw new Error('dist/terraform-provider/provider.js is missing: run `npm run build`');
  const { CLOUDBILLING_TOKEN: _t, ...base } = process.env;
  const child = spawn(process.execPath, [BUNDLE], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const line = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out);
    });
    child.on('exit', () => resolve(out));
    child.on('error', reject);
  });
  return { child, line, stderr: () => err, exit };
}

function pem(derBase64: string): string {
  const b64 = Buffer.from(derBase64, 'base64').toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}

function unary(client: grpc.Client, method: string, req: object, deadlineMs = 10_000): Promise<any> {
  return new Promise((resolve, reject) =>
    (client as any)[method](req, { deadline: Date.now() + deadlineMs }, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res))),
  );
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('launching the built provider', () => {
  test('without the magic cookie it explains itself on stderr and exits 1, printing nothing on stdout', async () => {
    const p = start({ PLUGIN_PROTOCOL_VERSIONS: '5,6' });
    const [out, code] = await Promise.all([p.line, p.exit]);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(p.stderr()).toMatch(/plugin for Terraform and OpenTofu/);
  });

  test('handshake, GetProviderSchema and ValidateResourceConfig over mTLS, then Shutdown ends the process and removes the socket', async () => {
    const client = generateServerCertificate();
    const p = start({ [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: '5,6', PLUGIN_CLIENT_CERT: client.certPem });
    const out = await p.line;
    expect(out.endsWith('\n')).toBe(true);
    expect(out.trim().split('\n')).toHaveLength(1);
    const [core, proto, network, address, kind, cert] = out.trim().split('|');
    expect([core, proto, network, kind]).toEqual(['1', '6', 'unix', 'grpc']);
    expect(cert).toMatch(/^[A-Za-z0-9+/]+$/); // no padding
    expect(fs.existsSync(address)).toBe(true);

    const creds = grpc.credentials.createSsl(Buffer.from(pem(cert)), Buffer.from(client.keyPem), Buffer.from(client.certPem));
    const options = { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' };
    const Provider = grpc.makeGenericClientConstructor(serviceDefinition('tfplugin6.Provider'), 'Provider');
    const Controller = grpc.makeGenericClientConstructor(serviceDefinition('plugin.GRPCController'), 'GRPCController');
    const provider = new Provider(`unix://${address}`, creds, options);
    const controller = new Controller(`unix://${address}`, creds, options);

    const schema = await unary(provider, 'GetProviderSchema', {});
    expect(Object.keys(schema.resource_schemas)).toEqual(
      expect.arrayContaining(['cloudbilling_billing_group', 'cloudbilling_main_billing_group', 'cloudbilling_project_link', 'cloudbilling_group_permission']),
    );
    expect(schema.server_capabilities.get_provider_schema_optional).toBe(true);

    // An unknown type answers with a diagnostic, not a gRPC error.
    const v = await unary(provider, 'ValidateResourceConfig', { type_name: 'cloudbilling_nope', config: { msgpack: encode({}) } });
    expect(v.diagnostics[0].summary).toMatch(/^UNSUPPORTED_TYPE: /);
    // RPCs Terraform 1.11 may call that we do not use are answered harmlessly.
    expect(await unary(provider, 'GetFunctions', {})).toEqual({ functions: {}, diagnostics: [] });
    expect(await unary(provider, 'StopProvider', {})).toEqual({});
    const meta = await unary(provider, 'GetMetadata', {});
    expect(meta.resources.map((r: { type_name: string }) => r.type_name)).toContain('cloudbilling_billing_group');

    // A client without the expected certificate is refused.
    const stranger = generateServerCertificate();
    const bad = new Provider(`unix://${address}`, grpc.credentials.createSsl(Buffer.from(pem(cert)), Buffer.from(stranger.keyPem), Buffer.from(stranger.certPem)), options);
    await expect(unary(bad, 'GetMetadata', {}, 3000)).rejects.toThrow();
    bad.close();

    await unary(controller, 'Shutdown', {});
    expect(await p.exit).toBe(0);
    expect(fs.existsSync(address)).toBe(false);
    expect(fs.existsSync(path.dirname(address))).toBe(false);
    provider.close();
    controller.close();
  });
});

describe('socket placement', () => {
  test('PLUGIN_UNIX_SOCKET_DIR is honoured; a path too long for a unix socket falls back to loopback TCP', async () => {
    const os = await import('node:os');
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sockdir-'));
    const long = path.join(base, 'x'.repeat(90));
    fs.mkdirSync(long);
    try {
      for (const [dir, network] of [
        [base, 'unix'],
        [long, 'tcp'],
      ] as const) {
        const client = generateServerCertificate();
        const p = start({ [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_CLIENT_CERT: client.certPem, PLUGIN_UNIX_SOCKET_DIR: dir });
        const [, , net, address, , cert] = (await p.line).trim().split('|');
        expect(net).toBe(network);
        if (network === 'unix') expect(address.startsWith(base + path.sep)).toBe(true);
        else expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
        const target = network === 'unix' ? `unix://${address}` : address;
        const creds = grpc.credentials.createSsl(Buffer.from(pem(cert)), Buffer.from(client.keyPem), Buffer.from(client.certPem));
        const options = { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' };
        const provider = new (grpc.makeGenericClientConstructor(serviceDefinition('tfplugin6.Provider'), 'Provider'))(target, creds, options);
        const controller = new (grpc.makeGenericClientConstructor(serviceDefinition('plugin.GRPCController'), 'C'))(target, creds, options);
        expect((await unary(provider, 'GetMetadata', {})).server_capabilities.get_provider_schema_optional).toBe(true);
        await unary(controller, 'Shutdown', {});
        expect(await p.exit).toBe(0);
        provider.close();
        controller.close();
      }
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('orphaned provider', () => {
  test('exits by itself when the process that started it dies without Shutdown', async () => {
    const client = generateServerCertificate();
    // A middle process starts the provider, prints its pid and handshake, then is SIGKILLed.
    const script = `
      const { spawn } = require('node:child_process');
      const c = spawn(process.execPath, [${JSON.stringify(BUNDLE)}], { stdio: ['ignore', 'pipe', 'ignore'] });
      c.stdout.once('data', (d) => process.stdout.write(c.pid + ' ' + d));
      setInterval(() => {}, 1000);
    `;
    const mid = spawn(process.execPath, ['-e', script], {
      env: { ...process.env, [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_CLIENT_CERT: client.certPem },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(mid);
    const first = await new Promise<string>((r) => mid.stdout!.once('data', (d) => r(String(d))));
    const [pidText, line] = first.split(' ');
    const pid = Number(pidText);
    const socket = line.split('|')[3];
    expect(fs.existsSync(socket)).toBe(true);
    mid.kill('SIGKILL');
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 10_000;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const exitedByItself = !alive();
    if (!exitedByItself) process.kill(pid, 'SIGKILL');
    expect(exitedByItself).toBe(true);
    expect(fs.existsSync(socket)).toBe(false);
  });
});
