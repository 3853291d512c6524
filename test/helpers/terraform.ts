/**
 * Acceptance-test helpers that drive the real `terraform` binary (on PATH) against the
 * built provider, offline, without touching the real home directory.
 *
 *   const tf = prepareTerraform();            // once per test file (beforeAll)
 *   const r = await runTerraform(dir, ['init', '-input=false', '-no-color'], { ...tf.env, CLOUDBILLING_TOKEN });
 *   tf.cleanup();                              // afterAll
 *
 * `prepareTerraform()` runs the build output's installer (`bin/cloudbilling.js
 * terraform-setup --dir <tmp>/plugins`) with `TF_CLI_CONFIG_FILE=<tmp>/terraformrc` and a
 * temporary HOME, so each test run gets a fresh mirror and CLI config. It needs
 * `npm run build` (dist/provider/cli and dist/terraform-provider/provider.js).
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const PROVIDER_BUNDLE = path.join(REPO_ROOT, 'dist', 'terraform-provider', 'provider.js');
const CLI = path.join(REPO_ROOT, 'bin', 'cloudbilling.js');

export interface PreparedTerraform {
  /** Environment for terraform: pass it (plus CLOUDBILLING_* as needed) to runTerraform. */
  env: Record<string, string>;
  /** Temp root holding the mirror, CLI config and home. */
  root: string;
  /** Plugins root of the filesystem mirror. */
  pluginsDir: string;
  /** The CLI config file terraform uses (TF_CLI_CONFIG_FILE). */
  cliConfig: string;
  /** What the installer printed. */
  installerOutput: string;
  /** Remove the temp root. */
  cleanup(): void;
}

/** True when a `terraform` binary is on PATH. */
export function terraformAvailable(): boolean {
  try {
    execFileSync('terraform', ['version'], { stdio: 'ignore', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
    return true;
  } catch {
    return false;
  }
}

/** Install the built provider into a fresh temp mirror + CLI config; see the module header. */
export function prepareTerraform(): PreparedTerraform {
  for (const f of [PROVIDER_BUNDLE, path.join(REPO_ROOT, 'dist', 'provider', 'cli', 'terraform-setup.js')]) {
    if (!fs.existsSync(f)) throw new Error(`${path.relative(REPO_ROOT, f)} is missing: run \`npm run build\` before the Terraform tests`);
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cloudbilling-tf-'));
  const pluginsDir = path.join(root, 'plugins');
  const cliConfig = path.join(root, 'terraformrc');
  const home = path.join(root, 'home');
  fs.mkdirSync(home);
  const installerOutput = execFileSync(process.execPath, [CLI, 'terraform-setup', '--dir', pluginsDir], {
    env: { ...process.env, HOME: home, TF_CLI_CONFIG_FILE: cliConfig },
    encoding: 'utf8',
  });
  const env: Record<string, string> = {
    TF_CLI_CONFIG_FILE: cliConfig,
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    // A shared plugin cache would reuse an old copy of the provider across builds.
    TF_PLUGIN_CACHE_DIR: '',
  };
  return {
    env,
    root,
    pluginsDir,
    cliConfig,
    installerOutput,
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

export interface TerraformResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `terraform <args>` in `dir` with `process.env` overlaid by `env`. Never rejects for
 * a non-zero exit: check `code`. Pass `-no-color` yourself where the subcommand takes it.
 */
export function runTerraform(
  dir: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  options: { timeoutMs?: number } = {},
): Promise<TerraformResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('terraform', args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** Write `files` (name → content) into a fresh temp working directory; returns its path. */
export function terraformWorkdir(files: Record<string, string>, parent: string = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(parent, 'tfwd-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** The `terraform { required_providers }` block every test configuration needs. */
export const REQUIRED_PROVIDERS = `terraform {
  required_providers {
    cloudbilling = {
      source  = "cloudbilling/cloudbilling"
    }
  }
}
`;
