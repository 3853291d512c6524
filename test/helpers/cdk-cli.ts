/**
 * Find and run the CDK CLIs (`cdktf` from cdktf-cli 0.21, `cdktn` from cdktn-cli 0.24) and
 * npm for tests that drive them for real.
 *
 * Lookup: `.engines/bin/<name>` of the checkout (written by `npm run engines`), then PATH.
 * A missing CLI is a failure that says how to get it, never a skipped test.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const ENGINES_BIN = path.join(REPO_ROOT, '.engines', 'bin');

export type CdkCliName = 'cdktf' | 'cdktn';

/** Absolute path of the `name` CLI; throws with how to install it when there is none. */
export function findCdkCli(name: CdkCliName): string {
  const local = path.join(ENGINES_BIN, name);
  if (isExecutable(local)) return local;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  const pkg = name === 'cdktf' ? 'cdktf-cli@0.21.0' : 'cdktn-cli@0.24.0 (with Node >= 22.19)';
  throw new Error(`${name} not found in ${ENGINES_BIN} or on PATH: run \`npm run engines\` (installs ${pkg} into .engines/)`);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time in ms. */
  ms: number;
}

/**
 * Run `command args` in `cwd` with `env` (the whole environment, not an overlay).
 * Asynchronous, so an in-process test server keeps answering while it runs. Never rejects
 * for a non-zero exit: check `code`.
 */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `r` when it exited 0; else an error with its output. */
export function ok(r: RunResult, what: string): RunResult {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/**
 * `npm pack` of this checkout into `dir` (no scripts: the caller has run `npm run build`);
 * returns the tarball's path.
 */
export function packRepo(dir: string): string {
  for (const f of ['dist/provider/cdktf/index.js', 'dist/provider/cdktn/index.js', 'dist/terraform-provider/provider.js']) {
    if (!fs.existsSync(path.join(REPO_ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  const r = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm pack failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  const [info] = JSON.parse(r.stdout) as { filename: string }[];
  return path.join(dir, info!.filename);
}
