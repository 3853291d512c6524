/**
 * Drive the real `pulumi` CLI from tests through the Automation API, isolated per test:
 *
 *   const world = await startPulumiWorld();            // server + temp backend/home/project
 *   const stack = await world.stack(program);           // inline program, config set
 *   await stack.preview(); await stack.up(); ...        // real engine, real dynamic-provider host
 *   world.close();
 *
 * - CLI: `.engines/bin/pulumi` of the checkout, else `pulumi` on PATH; missing, the suite
 *   fails with "Pulumi CLI not found: run `npm run engines`" (never a skip).
 * - Backend: `file://<tmp>/backend`, secrets by passphrase, `PULUMI_HOME` in the temp dir,
 *   no update check, no plugin download. The dynamic-provider plugin
 *   (`pulumi-resource-pulumi-nodejs`, shipped in `@pulumi/pulumi`) and this Node are on PATH.
 * - Program: inline (runs in the jest process, no language host). The engine starts the
 *   dynamic-provider host in the project directory, a temp folder whose `node_modules`
 *   links `cloudbilling` to this checkout and `@pulumi` to its copy, as `npm install
 *   cloudbilling` would; so the host loads the **built** package (`npm run build`) exactly
 *   as it would in a user's project, while the program side runs the sources.
 * - Connection: stack config `cloudbilling:apiUrl` and the secret `cloudbilling:token`
 *   (the admin token of the test server); `CLOUDBILLING_*` are removed from the engine's
 *   environment so only the stack config can connect.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalWorkspace, PulumiCommand, type PulumiFn, type Stack } from '@pulumi/pulumi/automation';
import { BillingClient } from '../../provider/client';
import { startTestServer, type TestServer, type TestServerOptions } from './server';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const PULUMI_PKG = path.dirname(require.resolve('@pulumi/pulumi/package.json'));

/** The pulumi binary: `.engines/bin/pulumi`, else PATH. Throws the sentence to act on. */
export function pulumiBinary(): string {
  const local = path.join(REPO_ROOT, '.engines', 'bin', 'pulumi');
  if (fs.existsSync(local)) return local;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'pulumi');
    if (dir && fs.existsSync(p)) return p;
  }
  throw new Error('Pulumi CLI not found: run `npm run engines` (builds it into .engines/bin/pulumi) or put `pulumi` on PATH');
}

export interface PulumiWorld {
  server: TestServer;
  /** Admin client for checks and out-of-band changes. */
  admin: BillingClient;
  mainId: string;
  /** Temp root: backend/, home/, project/. */
  root: string;
  backendDir: string;
  /** The project directory (the engine's and the dynamic-provider host's cwd). */
  projectDir: string;
  /** Environment given to every pulumi command. */
  envVars: Record<string, string>;
  /** A stack of an inline program with the connection in its config (new name each call unless given). */
  stack(program: PulumiFn, opts?: StackOptions): Promise<Stack>;
  /** The server's live state (`GET /v1/snapshot` without its time stamp), to show that nothing was written. */
  live(): Promise<unknown>;
  /** Every file under the backend directory (state, history, backups) as text. */
  backendText(): string;
  close(): Promise<void>;
}

export interface StackOptions {
  stackName?: string;
  projectName?: string;
  /** Extra plain config (`project:key` or `key`). */
  config?: Record<string, string>;
  /** Leave out the `cloudbilling:*` config (connection from the environment instead). */
  noConnectionConfig?: boolean;
}

let stackCounter = 0;

export async function startPulumiWorld(serverOptions: TestServerOptions = {}): Promise<PulumiWorld> {
  const binary = pulumiBinary();
  for (const f of ['dist/provider/pulumi/index.js', 'dist/provider/pulumi/engine.js']) {
    if (!fs.existsSync(path.join(REPO_ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` (the dynamic-provider host loads the built package)`);
  }
  // PulumiCommand runs `<root>/bin/pulumi`.
  const command = await PulumiCommand.get({ root: path.dirname(path.dirname(binary)) });
  const server = await startTestServer(serverOptions);
  const admin = new BillingClient({ apiUrl: server.url, token: server.adminToken, retries: 0 });
  const mainId = (await admin.getDomain()).mainGroupId;

  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cloudbilling-pulumi-'));
  const backendDir = path.join(root, 'backend');
  const home = path.join(root, 'home');
  const projectDir = path.join(root, 'project');
  for (const d of [backendDir, home, path.join(projectDir, 'node_modules')]) fs.mkdirSync(d, { recursive: true });
  fs.symlinkSync(REPO_ROOT, path.join(projectDir, 'node_modules', 'cloudbilling'));
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', '@pulumi'), path.join(projectDir, 'node_modules', '@pulumi'));

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CLOUDBILLING_') && !k.startsWith('PULUMI_')) env[k] = v;
  const envVars: Record<string, string> = {
    ...env,
    PATH: [PULUMI_PKG, path.dirname(process.execPath), path.dirname(binary), process.env.PATH ?? ''].join(path.delimiter),
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_CONFIG_PASSPHRASE: 'test-passphrase-not-a-secret',
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    PULUMI_SKIP_CONFIRMATIONS: 'true',
    PULUMI_HOME: home,
  };

  const stack = async (program: PulumiFn, opts: StackOptions = {}): Promise<Stack> => {
    const projectName = opts.projectName ?? 'cloudbilling-test';
    const stackName = opts.stackName ?? `s${++stackCounter}`;
    const s = await LocalWorkspace.createOrSelectStack(
      { projectName, stackName, program },
      {
        workDir: projectDir,
        pulumiHome: home,
        pulumiCommand: command,
        envVars,
        secretsProvider: 'passphrase',
        projectSettings: { name: projectName, runtime: 'nodejs', backend: { url: `file://${backendDir}` } },
      },
    );
    const config: Record<string, { value: string; secret?: boolean }> = {};
    if (!opts.noConnectionConfig) {
      config['cloudbilling:apiUrl'] = { value: server.url };
      config['cloudbilling:token'] = { value: server.adminToken, secret: true };
    }
    for (const [k, v] of Object.entries(opts.config ?? {})) config[k] = { value: v };
    if (Object.keys(config).length > 0) await s.setAllConfig(config);
    return s;
  };

  const backendText = () => readTree(backendDir);

  return {
    server,
    admin,
    mainId,
    root,
    backendDir,
    projectDir,
    envVars,
    stack,
    live: async () => {
      const { at: _at, ...rest } = await admin.getSnapshot();
      return rest;
    },
    backendText,
    close: async () => {
      await server.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

function readTree(dir: string): string {
  let out = '';
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out += readTree(p);
    else if (e.isFile()) out += `\n--- ${p}\n` + fs.readFileSync(p, 'utf8');
  }
  return out;
}

/** The `pulumi` version string (for reports). */
export function pulumiVersion(): string {
  return execFileSync(pulumiBinary(), ['version'], { encoding: 'utf8', env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: 'true' } }).trim();
}

/** The text of the error a pulumi operation fails with (CommandError: message with stdout and stderr); throws when it succeeds. */
export async function failureOf(op: Promise<unknown>): Promise<string> {
  try {
    await op;
  } catch (e) {
    return e instanceof Error ? `${e.message}\n${(e as { commandResult?: { stdout?: string; stderr?: string } }).commandResult?.stdout ?? ''}` : String(e);
  }
  throw new Error('the pulumi operation succeeded; it was expected to fail');
}
