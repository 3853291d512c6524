/**
 * A throwaway PostgreSQL 15 cluster for tests and benchmarks (plain JS so bench/ can use it;
 * types in postgres.d.ts): `initdb` into a temp dir,
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
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const { chownSync, existsSync, mkdtempSync, rmSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { Client } = require('pg');
const { randomBytes } = require('node:crypto');

const PG_BIN = process.env.CLOUDBILLING_PG_BIN || '/usr/lib/postgresql/15/bin';
const PG_USER = 'cloudbilling-pg';



/** The path of a PostgreSQL server binary; throws how to install it when missing. */
function pgBinary(name) {
  const p = join(PG_BIN, name);
  if (!existsSync(p)) {
    throw new Error(
      `${name} is not in ${PG_BIN}: the PostgreSQL tests need the PostgreSQL 15 server binaries; install them with \`apt-get install postgresql-15\` (Debian/Ubuntu), or set CLOUDBILLING_PG_BIN to the directory holding initdb and pg_ctl.`,
    );
  }
  return p;
}

/** uid/gid to run the server as: ourselves, or (as root) the `cloudbilling-pg` system user. */
function serverUser() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const id = (flag) => Number(execFileSync('id', [flag, PG_USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', PG_USER], { stdio: 'pipe' });
    } catch (e) {
      // Another test worker may have created it at the same moment.
      if (!/already exists/.test(String(e.stderr ?? ''))) throw e;
    }
    return { uid: id('-u'), gid: id('-g') };
  }
}

function run(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

async function startPostgres(options = {}) {
  const initdb = pgBinary('initdb');
  pgBinary('pg_ctl');
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'cloudbilling-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  const spawnOpts = { env, cwd: dir, ...(user ?? {}) };
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
  const cluster = attach({ dir, data, port, settings, user: user ?? null });
  await cluster.start();
  return cluster;
}

/**
 * A handle on a running cluster from its description (`cluster.info`): another process
 * (a jest worker) can create databases in it and, the one that owns it, stop it.
 */
function attach(info) {
  const pgCtl = pgBinary('pg_ctl');
  const { dir, data, port, settings, user } = info;
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  const spawnOpts = { env, cwd: dir, ...(user ?? {}) };
  const start = () => run(pgCtl, ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', '-o', settings, 'start'], spawnOpts).then(() => undefined);
  const stopServer = () => run(pgCtl, ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'], spawnOpts).then(() => undefined);
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let n = 0;
  let stopped = false;
  return {
    info,
    port,
    adminUrl,
    async createDatabase(name) {
      // Unique across workers and across the test files one worker runs (each attaches anew).
      const db = name ?? `t${process.pid}_${++n}_${randomBytes(4).toString('hex')}`;
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

module.exports = { PG_BIN, pgBinary, freePort, startPostgres, attach };
