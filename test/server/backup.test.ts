/**
 * `cloudbilling backup` (docs/operations.md): an online copy of the SQLite store taken
 * while a real server runs on it and keeps writing; the copy starts a server that serves
 * everything acknowledged before the backup began, and restoring is the same command.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/serve-process';
import { expectOk, Fixture, groupBody } from './client';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cloudbilling-backup-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const backup = (...args: string[]) => spawnSync(process.execPath, [CLI, 'backup', ...args], { encoding: 'utf8' });
/** The same, without blocking this process (the server under test runs in it and keeps writing). */
const backupAsync = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, 'backup', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
const withoutAt = ({ at: _at, ...rest }: { at: string; [k: string]: unknown }) => rest;

test('backup while the server writes; the copy serves everything acknowledged before it; restore is the same command', async () => {
  const dbFile = join(dir, 'live.db');
  const out = join(dir, 'copy.db');
  const f = await Fixture.start({ dbFile, adminToken: 'backup-admin' });
  let before: { at: string };
  let writes: Promise<unknown>;
  let stop = false;
  try {
    await f.enableSubGroups();
    for (let i = 0; i < 5; i++) await f.group(`kept-${i}`);
    const p = await f.project('kept-project');
    await f.link(p.id, (await f.group('kept-target')).id);
    before = expectOk(await f.admin.get('/v1/snapshot'));
    // Writes keep coming while the backup runs.
    writes = (async () => {
      for (let i = 0; !stop && i < 200; i++) expectOk(await f.admin.post('/v1/projects', { name: `during-${i}` }), 201);
    })();
    const r = await backupAsync('--db', dbFile, '--to', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^backed up .* \(\d+ bytes\): schema version \d+, domain "example", 7 billing groups, \d+ projects, \d+ events, integrity ok\n$/);
    stop = true;
    await writes;
  } finally {
    stop = true;
    await f.close();
  }
  expect(existsSync(`${out}.partial`)).toBe(false);

  const restored = await Fixture.start({ dbFile: out, adminToken: 'backup-admin' });
  try {
    const snap = expectOk(await restored.admin.get('/v1/snapshot'));
    // The projects created during the backup land in main: counts differ, nothing else.
    const stable = (groups: Record<string, unknown>[]) => groups.map(({ projectCount: _p, totalProjectCount: _t, finance: _f, ...g }) => g);
    expect(stable(snap.groups)).toEqual(stable((before! as unknown as { groups: Record<string, unknown>[] }).groups));
    // A consistent copy: the writes during the backup are there as an unbroken prefix.
    const during = snap.projects.map((x: { name: string }) => x.name).filter((n: string) => n.startsWith('during-'));
    expect(during).toEqual(during.map((_: string, i: number) => `during-${i}`));
    expect(during.length).toBeGreaterThan(0);
    expect(snap.projects).toEqual(expect.arrayContaining((before! as unknown as { projects: object[] }).projects));
    expect(snap.links).toEqual(expect.arrayContaining((before! as unknown as { links: object[] }).links));
    expectOk(await restored.admin.post('/v1/billing-groups', groupBody('after-restore')), 201);
  } finally {
    await restored.close();
  }

  // Restore: the same command onto a path with no database, then serve on it.
  const back = join(dir, 'restored.db');
  const r2 = backup('--db', out, '--to', back);
  expect(r2.status).toBe(0);
  const again = await Fixture.start({ dbFile: back, adminToken: 'backup-admin' });
  try {
    const names = expectOk(await again.admin.get('/v1/billing-groups')).items.map((g: { name: string }) => g.name);
    expect(names).toEqual(expect.arrayContaining(['kept-0', 'kept-target', 'after-restore']));
    expect(withoutAt(expectOk(await again.admin.get('/v1/snapshot'))).domain).toEqual(withoutAt(before!).domain);
  } finally {
    await again.close();
  }
});

test('backup refuses what it cannot do, with a sentence and exit 2, and writes nothing', () => {
  const existing = join(dir, 'exists.db');
  writeFileSync(existing, 'not a database');
  const live = join(dir, 'live.db');
  const cases: [string[], RegExp][] = [
    [['--db', live], /--db and --to are both required/],
    [['--db', join(dir, 'missing.db'), '--to', join(dir, 'x.db')], /does not exist/],
    [['--db', live, '--to', existing], /already exists; nothing was written/],
    [['--db', existing, '--to', join(dir, 'y.db')], /is not a cloudbilling SQLite database/],
    [['--db', 'postgres://u@127.0.0.1:5432/billing', '--to', join(dir, 'z.db')], /pg_dump/],
    [['--bogus'], /Unknown option/],
  ];
  for (const [args, message] of cases) {
    const r = backup(...args);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(2);
  }
  for (const name of ['x.db', 'y.db', 'z.db']) expect(existsSync(join(dir, name))).toBe(false);
});
