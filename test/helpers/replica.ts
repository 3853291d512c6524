/**
 * A `cloudbilling serve` process of the built CLI (a replica when several share one
 * PostgreSQL database): 127.0.0.1, a free port, the admin token from the environment,
 * rate limit off. `stop(signal)` sends the signal and resolves with the exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, requireBuild } from './engines';

export interface Replica {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Send `signal` (default SIGTERM) and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startReplica(db: string, adminToken: string, extra: string[] = []): Promise<Replica> {
  requireBuild();
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'cloudbilling.js'), 'serve', '--port', '0', '--rate-limit', '0', '--db', db, ...extra], {
    env: { ...process.env, CLOUDBILLING_ADMIN_TOKEN: adminToken, CLOUDBILLING_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 30 s:\n${out}\n${err}`)), 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code} before listening:\n${out}\n${err}`));
    });
  });
  return {
    url,
    child,
    stderr: () => err,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
