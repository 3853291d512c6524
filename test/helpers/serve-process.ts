/**
 * Start `cloudbilling serve` as a real child process (the build output's CLI, on the Node
 * running the tests) and collect its stdout and stderr. Used by the operations tests:
 * concurrent starts on one file, graceful SIGTERM, JSON logs. Loopback only, port 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');
export const CLI = join(REPO_ROOT, 'bin', 'cloudbilling.js');

export interface ServeProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the URL once the server listens; rejects when it exits first. */
  ready: Promise<string>;
  /** Resolves with the exit code (a signal death gives 128 + signal number). */
  exited: Promise<number>;
}

const SIGNALS: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export function startServe(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 60_000): ServeProcess {
  if (!existsSync(join(REPO_ROOT, 'dist', 'provider', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
  }
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? (SIGNALS[signal] ?? 0) : 0))),
  );
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within ${timeoutMs} ms:\n${out}\n${err}`)), timeoutMs);
    const look = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening:\nstdout: ${out}\nstderr: ${err}`));
    });
  });
  ready.catch(() => undefined);
  return { child, stdout: () => out, stderr: () => err, ready, exited };
}
