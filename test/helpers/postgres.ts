/**
 * A throwaway PostgreSQL 15 cluster for tests and benchmarks: `initdb` into a temp dir,
 * `pg_ctl start` on 127.0.0.1 and a free port, the unix socket in the temp dir, stopped
 * and deleted by `stop()`. The server binaries come from /usr/lib/postgresql/15/bin (or
 * $CLOUDBILLING_PG_BIN); when they are missing this throws a sentence saying how to get
 * them: no suite turns itself off. PostgreSQL refuses to run as root, so under root the
 * cluster runs as the system user `cloudbilling-pg`, created here on first use.
 *
 *   const pg = await startPostgres();        // beforeAll
 *   const url = await pg.createDatabase();   // a fresh database per server under test
 *   await pg.restart();                      // failover tests
 *   await pg.stop();                         // afterAll
 */
import { execFileSync, spawn, type SpawnOptions } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

export const PG_BIN = process.env.CLOUDBILLING_PG_BIN || '/usr/lib/postgresql/15/bin';
const PG_USER = 'cloudbilling-pg';

export interface PostgresCluster {
  port: number;
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  adminUrl: string;
  /** A new, empty database; returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** `pg_ctl restart -m fast` (connections are cut, acknowledged commits stay). */
  restart(): Promise<void>;
  /** Stop the server (fast) without deleting it; `start()` brings it back. */
  stopServer(): Promise<void>;
  start(): Promise<void>;
  /** Stop the server and delete the cluster. */
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** fsync and synchronous commit as in production (benchmarks). Default false: tests skip fsync. */
  durable?: boolean;
}

/** The path of a PostgreSQL server binary; throws how to install it when missing. */
export function pgBinary(name: 'initdb' | 'pg_ctl' | 'postgres'): string {
  const p = join(PG_BIN, name);
  if (!existsSync(p)) {
    throw new Error(
      `${name} is not in ${PG_BIN}: the PostgreSQL tests need the PostgreSQL 15 server binaries; install them with \`apt-get install postgresql-15\` (Debian/Ubuntu), or set CLOUDBILLING_PG_BIN to the directory holding initdb and pg_ctl.`,
    );
  }
  return p;
}

/** uid/gid to run the server as: ourselves, or (as root) the `cloudbilling-pg` system user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, PG_USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', PG_USER], { stdio: 'pipe' });
    } catch (e) {
      // Another test worker may have created it at the same moment.
      if (!/already exists/.test(String((e as { stderr?: Buffer }).stderr ?? ''))) throw e;
    }
    return { uid: id('-u'), gid: id('-g') };
  }
}

function run(cmd: string, args: string[], opts: SpawnOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresCluster> {
  const initdb = pgBinary('initdb');
  const pgCtl = pgBinary('pg_ctl');
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'cloudbilling-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  const spawnOpts: SpawnOptions = { env, cwd: dir, ...(user ?? {}) };
  await run(initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], spawnOpts);
  const port = await freePort();
  const settings = [
    `-c listen_addresses=127.0.0.1`,
    `-c port=${port}`,
    `-c unix_socket_directories=${dir}`,
    '-c max_connections=200',
    '-c shared_buffers=64MB',
    ...(options.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
  ].join(' ');
  const start = () => run(pgCtl, ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', '-o', settings, 'start'], spawnOpts).then(() => undefined);
  const stopServer = () => run(pgCtl, ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'], spawnOpts).then(() => undefined);
  await start();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let n = 0;
  let stopped = false;
  return {
    port,
    adminUrl,
    async createDatabase(name?: string) {
      const db = name ?? `t${process.pid}_${++n}`;
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${db}"`);
      } finally {
        await c.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${db}`;
    },
    restart: () => run(pgCtl, ['-D', data, '-m', 'fast', '-w', '-t', '30', '-l', join(dir, 'log'), '-o', settings, 'restart'], spawnOpts).then(() => undefined),
    stopServer,
    start,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopServer().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
