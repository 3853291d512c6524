/**
 * go-plugin server side of the handshake with Terraform (protocol 6, gRPC, AutoMTLS).
 *
 * 1. Refuse to run without `TF_PLUGIN_MAGIC_COOKIE` (someone ran the binary by hand).
 * 2. Make a fresh self-signed certificate (cert.ts) and serve gRPC over TLS on a unix
 *    socket in a private temp dir (`PLUGIN_UNIX_SOCKET_DIR` when set; loopback TCP when
 *    the path would be too long for a socket), requiring and verifying the client
 *    certificate Terraform passed in `PLUGIN_CLIENT_CERT`.
 * 3. Print exactly one line on stdout: `1|6|unix|<socket>|grpc|<cert DER base64, unpadded>`.
 * 4. `plugin.GRPCController/Shutdown` (and SIGTERM, or the parent process going away)
 *    close the server, remove the socket dir and exit. SIGINT is ignored: Terraform handles Ctrl-C itself and calls StopProvider.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { generateServerCertificate, handshakeCertificate } from './cert';
import { serviceDefinition } from './grpc';
import { log } from './log';

export const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE_VALUE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
export const CORE_PROTOCOL_VERSION = 1;
export const APP_PROTOCOL_VERSION = 6;

export type RpcTable = Record<string, (req: any) => Promise<any>>;

export interface ServeOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the handshake line goes. Default: process.stdout. */
  out?: (line: string) => void;
  /** Called instead of process.exit (tests). */
  exit?: (code: number) => void;
  /** Work to finish before the process ends on Shutdown (the provider registers a plan's change set). */
  beforeExit?: () => Promise<void>;
}

export interface RunningServer {
  /** The unix socket ('' when serving on loopback TCP because the path would be too long). */
  socketPath: string;
  handshake: string;
  close(): Promise<void>;
}

/** Refuse to start outside Terraform or OpenTofu (same cookie): returns an explanation, or null when the cookie is right. */
export function checkMagicCookie(env: NodeJS.ProcessEnv): string | null {
  if (env[MAGIC_COOKIE_KEY] === MAGIC_COOKIE_VALUE) return null;
  return [
    'This binary is a plugin for Terraform and OpenTofu (provider cloudbilling/cloudbilling).',
    'It is not meant to be run directly: the engine starts it. Run `cloudbilling terraform-setup`,',
    'then use the provider from a configuration (`terraform init`, `terraform plan`, or `tofu ...`).',
  ].join('\n');
}

/** Start the plugin server and print the handshake line. */
export async function serve(rpcs: RpcTable, options: ServeOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const versions = (env.PLUGIN_PROTOCOL_VERSIONS ?? '6').split(',').map((v) => v.trim());
  if (!versions.includes(String(APP_PROTOCOL_VERSION))) {
    log.warn(`Terraform offers plugin protocol versions ${versions.join(',')}; this provider speaks ${APP_PROTOCOL_VERSION}`);
  }
  const clientCert = env.PLUGIN_CLIENT_CERT;
  const cert = generateServerCertificate();
  const credentials = clientCert
    ? grpc.ServerCredentials.createSsl(
        Buffer.from(clientCert),
        [{ cert_chain: Buffer.from(cert.certPem), private_key: Buffer.from(cert.keyPem) }],
        true,
      )
    : grpc.ServerCredentials.createInsecure();
  if (!clientCert) log.warn('PLUGIN_CLIENT_CERT is not set: serving without TLS (Terraform always sets it)');

  // go-plugin lets the host choose where sockets go (PLUGIN_UNIX_SOCKET_DIR).
  const dir = fs.mkdtempSync(path.join(env.PLUGIN_UNIX_SOCKET_DIR || os.tmpdir(), 'tfp-cloudbilling-'));
  const socketPath = path.join(dir, 'plugin.sock');
  // A unix socket path is limited to ~107 bytes: past that, serve on loopback TCP instead.
  const useTcp = Buffer.byteLength(socketPath) > 100;
  // Channelz (gRPC's introspection service) is off: nobody can query it here, and its
  // per-call bookkeeping showed in profiles of a plan (thousands of unary calls).
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 256 * 1024 * 1024,
    'grpc.max_send_message_length': 256 * 1024 * 1024,
    'grpc.enable_channelz': 0,
  });

  const cleanup = () => {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      /* already gone */
    }
  };
  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 1000);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    cleanup();
  };

  const provider = serviceDefinition('tfplugin6.Provider');
  const impl: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(provider)) {
    const fn = rpcs[name];
    impl[name] = (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => {
      if (!fn) {
        callback({ code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented` });
        return;
      }
      fn(call.request).then(
        (res) => callback(null, res),
        (e) => {
          log.error(`${name}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
          callback({ code: grpc.status.INTERNAL, details: e instanceof Error ? e.message : String(e) });
        },
      );
    };
  }
  server.addService(provider, impl);
  server.addService(serviceDefinition('plugin.GRPCController'), {
    Shutdown: (_call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => {
      // Finish what the walk left to do (bounded: Terraform kills a plugin that lingers), then answer and go.
      const finish = options.beforeExit ? Promise.race([options.beforeExit().catch(() => undefined), new Promise((r) => setTimeout(r, 1500))]) : Promise.resolve();
      void finish.then(() => {
        callback(null, {});
        // Let the answer leave before the server goes away.
        setImmediate(() => {
          void close().then(() => exit(0));
        });
      });
    },
  });

  const port = await new Promise<number>((resolve, reject) => {
    const address = useTcp ? `127.0.0.1:${tcpPort(env)}` : `unix://${socketPath}`;
    server.bindAsync(address, credentials, (err, p) => (err ? reject(err) : resolve(p)));
  });

  process.once('exit', cleanup);
  // Terraform normally ends us with Shutdown or a kill; if it dies without either
  // (SIGKILL, a test timeout), we are re-parented: exit instead of lingering.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      log.warn('Terraform went away without Shutdown; exiting');
      void close().then(() => exit(0));
    }
  }, 1000).unref();
  process.on('SIGINT', () => log.info('SIGINT ignored: Terraform stops providers with StopProvider/Shutdown'));
  process.once('SIGTERM', () => {
    void close().then(() => exit(0));
  });

  const network = useTcp ? `tcp|127.0.0.1:${port}` : `unix|${socketPath}`;
  const handshake = `${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|${network}|grpc|${handshakeCertificate(cert.der)}`;
  (options.out ?? ((line: string) => process.stdout.write(line + '\n')))(handshake);
  return { socketPath: useTcp ? '' : socketPath, handshake, close };
}

/** A port in Terraform's PLUGIN_MIN_PORT..PLUGIN_MAX_PORT range when given, else any free port (0). */
function tcpPort(env: NodeJS.ProcessEnv): number {
  const min = Number(env.PLUGIN_MIN_PORT);
  const max = Number(env.PLUGIN_MAX_PORT);
  if (Number.isInteger(min) && Number.isInteger(max) && min > 0 && max >= min) return min + Math.floor(Math.random() * (max - min + 1));
  return 0;
}
