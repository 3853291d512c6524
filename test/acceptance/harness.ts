/**
 * Acceptance harness: a real engine (`terraform` or `tofu`, see tfEngines()), the built
 * provider (installed offline into a temp mirror by `cloudbilling terraform-setup`) and
 * the real Billing API server in-process. One server and one `init` per engine and test
 * file (the suites loop `describe.each(tfEngines())`); every further working
 * directory is a copy of the initialised one (provider and lock file included), so a
 * step costs only the terraform command itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepareTerraform, runTerraform, REQUIRED_PROVIDERS, type Engine, type PreparedTerraform, type TerraformResult } from '../helpers/terraform';
import { startTestServer, type TestServer } from '../helpers/server';
import { BillingClient } from '../../provider/client';

export { REQUIRED_PROVIDERS, tfEngines, type Engine } from '../helpers/terraform';

// A step is a terraform command (1-3 s, more on a loaded machine); a lifecycle test runs a dozen.
jest.setTimeout(300_000);

export interface Acceptance {
  server: TestServer;
  api: BillingClient;
  tf: PreparedTerraform;
  /** Environment for terraform: mirror, CLI config, API URL and token. */
  env: Record<string, string>;
  /** A fresh working directory with the provider initialised, holding `files`. */
  workdir(files: Record<string, string>): string;
  /** `<engine> <args>` in `dir` (adds `-no-color`). */
  run(dir: string, ...args: string[]): Promise<TerraformResult>;
  /** Replace the configuration of `dir` (every *.tf file) with `files`. */
  write(dir: string, files: Record<string, string>): void;
  close(): Promise<void>;
}

const NO_COLOR = new Set(['init', 'plan', 'apply', 'destroy', 'import', 'show', 'refresh', 'output', 'validate']);

export async function startAcceptance(engine: Engine, serverOptions: Parameters<typeof startTestServer>[0] = {}): Promise<Acceptance> {
  const tf = prepareTerraform(engine); // first: a missing engine fails before a server starts
  const server = await startTestServer(serverOptions);
  const api = new BillingClient({ apiUrl: server.url, token: server.adminToken, retries: 0 });
  const env = { ...tf.env, CLOUDBILLING_API_URL: server.url, CLOUDBILLING_TOKEN: server.adminToken };
  const run = async (dir: string, ...args: string[]) => {
    const full = NO_COLOR.has(args[0]) && !args.includes('-no-color') ? [args[0], '-no-color', ...args.slice(1)] : args;
    return runTerraform(tf, dir, full, env);
  };
  const template = path.join(tf.root, 'template');
  fs.mkdirSync(template);
  fs.writeFileSync(path.join(template, 'versions.tf'), REQUIRED_PROVIDERS);
  const init = await run(template, 'init', '-input=false');
  if (init.code !== 0) throw new Error(`${engine} init failed:\n${init.stdout}\n${init.stderr}`);
  let n = 0;
  const write = (dir: string, files: Record<string, string>) => {
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.tf') && f !== 'versions.tf') fs.rmSync(path.join(dir, f));
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  };
  return {
    server,
    api,
    tf,
    env,
    run,
    write,
    workdir(files) {
      const dir = path.join(tf.root, `wd-${++n}`);
      fs.cpSync(template, dir, { recursive: true, verbatimSymlinks: true });
      write(dir, files);
      return dir;
    },
    async close() {
      await server.close();
      tf.cleanup();
    },
  };
}

/**
 * Everything the API would change on a write: the whole snapshot (less its timestamp)
 * and every group's event log. Equal fingerprints before and after a command mean it
 * wrote nothing.
 */
export async function fingerprint(api: BillingClient): Promise<string> {
  const { at: _at, ...snap } = await api.getSnapshot();
  const events: Record<string, number> = {};
  for (const g of snap.groups) events[g.id] = (await api.allEvents(g.id)).length;
  return JSON.stringify({ snap, events });
}

/** Terraform's output (stdout + stderr) with line wrapping of diagnostics undone. */
export function output(r: TerraformResult): string {
  return `${r.stdout}\n${r.stderr}`;
}

/** Fail with the command's output when the exit code is not the expected one. */
export function expectCode(r: TerraformResult, code: number): void {
  if (r.code !== code) throw new Error(`the engine exited ${r.code}, expected ${code}:\n${r.stdout}\n${r.stderr}`);
}

/** A quoted HCL string. */
export const hcl = (s: string) => JSON.stringify(s);

/** Terraform state of one resource address (`terraform show -json`), attribute values by snake_case name. */
export async function stateOf(acc: Acceptance, dir: string, address: string): Promise<Record<string, any> | undefined> {
  const r = await acc.run(dir, 'show', '-json');
  expectCode(r, 0);
  const doc = JSON.parse(r.stdout);
  const all = [...(doc.values?.root_module?.resources ?? [])];
  return all.find((x: { address: string }) => x.address === address)?.values;
}
