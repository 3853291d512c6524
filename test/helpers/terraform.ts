/**
 * Acceptance-test helpers that drive a real Terraform-protocol engine (`terraform`, or
 * OpenTofu's `tofu`) against the built provider, offline, without touching the real home
 * directory.
 *
 *   describe.each(tfEngines())('%s', (engine) => {
 *     const tf = prepareTerraform(engine);     // once per engine (beforeAll)
 *     const r = await runTerraform(tf, dir, ['init', '-input=false', '-no-color'], { CLOUDBILLING_TOKEN });
 *     tf.cleanup();                            // afterAll
 *   });
 *
 * `tfEngines()` is the one switch: `TF_ENGINES` (comma- or space-separated, e.g.
 * `TF_ENGINES=tofu`), default both, so every suite that loops over it runs under each.
 * An engine that is asked for and missing makes its tests fail (never skip).
 * `prepareTerraform()` runs the build output's installer (`bin/cloudbilling.js
 * terraform-setup --dir <tmp>/plugins`) with `TF_CLI_CONFIG_FILE=<tmp>/terraformrc` and a
 * temporary HOME, so each test run gets a fresh mirror and CLI config (both engines read
 * that variable). It needs `npm run build` (dist/provider/cli and dist/terraform-provider).
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const PROVIDER_BUNDLE = path.join(REPO_ROOT, 'dist', 'terraform-provider', 'provider.js');
const CLI = path.join(REPO_ROOT, 'bin', 'cloudbilling.js');

/** A Terraform-protocol engine, by its binary's name. */
export type Engine = 'terraform' | 'tofu';
const ENGINES: Record<Engine, { label: string; host: string; missing: string }> = {
  terraform: {
    label: 'Terraform',
    host: 'registry.terraform.io',
    // Terraform cannot be built from the Go module proxy (local replaces), so no `npm run engines` for it.
    missing: 'Terraform not found: install terraform >= 1.11 on PATH, or run the OpenTofu half only with TF_ENGINES=tofu',
  },
  tofu: { label: 'OpenTofu', host: 'registry.opentofu.org', missing: 'OpenTofu not found: run `npm run engines`' },
};

/** The engines the suites run under: `TF_ENGINES` (default: both). An unknown name throws. */
export function tfEngines(value: string | undefined = process.env.TF_ENGINES): Engine[] {
  const raw = (value ?? '').split(/[\s,]+/).filter(Boolean);
  if (raw.length === 0) return ['terraform', 'tofu'];
  for (const e of raw) if (!(e in ENGINES)) throw new Error(`TF_ENGINES: unknown engine ${JSON.stringify(e)} (use terraform, tofu, or both: "terraform,tofu")`);
  return [...new Set(raw as Engine[])];
}

/** The engine's binary: `<repo>/.engines/bin/<name>` first, then PATH; throws saying how to get it. */
export function engineBinary(engine: Engine, binDir = path.join(REPO_ROOT, '.engines', 'bin'), searchPath = process.env.PATH ?? ''): string {
  const dirs = [binDir, ...searchPath.split(path.delimiter).filter(Boolean)];
  for (const dir of dirs) {
    const file = path.join(dir, engine);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      /* not here */
    }
  }
  throw new Error(ENGINES[engine].missing);
}

export interface PreparedTerraform {
  engine: Engine;
  /** `Terraform` or `OpenTofu`, for messages. */
  label: string;
  /** Absolute path of the engine's binary. */
  bin: string;
  /** The provider's full address under this engine's default registry host. */
  providerAddress: string;
  /** Environment for the engine; runTerraform adds it (pass CLOUDBILLING_* yourself). */
  env: Record<string, string>;
  /** Temp root holding the mirror, CLI config and home. */
  root: string;
  /** Plugins root of the filesystem mirror. */
  pluginsDir: string;
  /** The CLI config file the engine uses (TF_CLI_CONFIG_FILE). */
  cliConfig: string;
  /** What the installer printed. */
  installerOutput: string;
  /** Remove the temp root. */
  cleanup(): void;
}

/** Find `engine` and install the built provider into a fresh temp mirror + CLI config; see the module header. */
export function prepareTerraform(engine: Engine): PreparedTerraform {
  const bin = engineBinary(engine);
  for (const f of [PROVIDER_BUNDLE, path.join(REPO_ROOT, 'dist', 'provider', 'cli', 'terraform-setup.js')]) {
    if (!fs.existsSync(f)) throw new Error(`${path.relative(REPO_ROOT, f)} is missing: run \`npm run build\` before the Terraform tests`);
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `cloudbilling-${engine}-`));
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
  const { label, host } = ENGINES[engine];
  return {
    engine,
    label,
    bin,
    providerAddress: `${host}/cloudbilling/cloudbilling`,
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
 * Run `<engine> <args>` in `dir` with `process.env` overlaid by `tf.env` and `env`. Never
 * rejects for a non-zero exit: check `code`. Pass `-no-color` yourself where the
 * subcommand takes it.
 */
export function runTerraform(
  tf: PreparedTerraform,
  dir: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  options: { timeoutMs?: number } = {},
): Promise<TerraformResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(tf.bin, args, { cwd: dir, env: { ...process.env, ...tf.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
