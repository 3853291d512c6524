/**
 * The engine finder of the tests and `npm run engines --check`: a missing engine is an
 * error that says how to get it, and what `npm run engines` installed is found and runs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENGINES_BIN, REPO_ROOT, engineEnv, enginePath } from './engines';

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'engines.js');

/** Run `fn` with a fresh ./engines whose bin dir is in `dir`, and PATH=`dir`: nothing installed. */
function withNothingInstalled<T>(dir: string, fn: (h: typeof import('./engines')) => T): T {
  const saved = { dir: process.env.CLOUDBILLING_ENGINES_DIR, path: process.env.PATH };
  process.env.CLOUDBILLING_ENGINES_DIR = dir;
  process.env.PATH = dir;
  try {
    let mod!: typeof import('./engines');
    jest.isolateModules(() => {
      mod = require('./engines');
    });
    return fn(mod);
  } finally {
    process.env.PATH = saved.path;
    if (saved.dir === undefined) delete process.env.CLOUDBILLING_ENGINES_DIR;
    else process.env.CLOUDBILLING_ENGINES_DIR = saved.dir;
  }
}

describe('enginePath', () => {
  let empty: string;
  beforeAll(() => {
    empty = fs.mkdtempSync(path.join(os.tmpdir(), 'cb-engines-'));
  });
  afterAll(() => fs.rmSync(empty, { recursive: true, force: true }));

  test('a missing engine throws, naming it and `npm run engines`', () => {
    withNothingInstalled(empty, (h) => {
      expect(h.ENGINES_BIN).toBe(path.join(empty, 'bin'));
      for (const name of ['tofu', 'pulumi', 'cdktf', 'cdktn', 'node22', 'node24'] as const) {
        expect(() => h.enginePath(name)).toThrow(new RegExp(`^${name} is not in .* or on PATH: run \`npm run engines\``));
      }
    });
  });

  test('missing terraform says to install it: it cannot be built here', () => {
    withNothingInstalled(empty, (h) => expect(() => h.enginePath('terraform')).toThrow(/install Terraform >= 1\.11 on PATH/));
  });

  test('.engines/bin comes before PATH', () => {
    const h = withNothingInstalled(empty, (mod) => mod);
    fs.mkdirSync(h.ENGINES_BIN, { recursive: true });
    const onPath = path.join(empty, 'tofu');
    const inBin = path.join(h.ENGINES_BIN, 'tofu');
    for (const f of [onPath, inBin]) fs.writeFileSync(f, '#!/bin/sh\n', { mode: 0o755 });
    expect(h.findEngine('tofu', empty)).toBe(inBin);
    fs.rmSync(inBin);
    expect(h.findEngine('tofu', empty)).toBe(onPath);
    fs.chmodSync(onPath, 0o644); // not executable: not an engine
    expect(h.findEngine('tofu', empty)).toBeNull();
  });

  test('engineEnv puts .engines/bin first on PATH and keeps the rest', () => {
    const env = engineEnv({ PATH: '/usr/bin:/bin', FOO: 'bar' });
    expect(env.PATH).toBe(`${ENGINES_BIN}${path.delimiter}/usr/bin:/bin`);
    expect(env.FOO).toBe('bar');
  });

  // What `npm run engines` installs: found, and each runs at its version.
  test.each([
    ['node22', ['--version'], /^v22\./],
    ['node24', ['--version'], /^v24\./],
    ['tofu', ['version'], /^OpenTofu v1\.12\./m],
    ['pulumi', ['version'], /^v3\./],
  ] as const)('%s is found and runs', (name, args, version) => {
    const p = enginePath(name);
    const r = spawnSync(p, args, { encoding: 'utf8', env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', PULUMI_SKIP_UPDATE_CHECK: 'true' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(version);
  });
});

describe('scripts/engines.js --check', () => {
  test('with nothing installed: every engine MISSING, exit 1, and how to get them', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'cb-engines-'));
    try {
      const r = spawnSync(process.execPath, [SCRIPT, '--check', 'tofu', 'pulumi', 'cdktf', 'cdktn', 'node22', 'node24'], {
        encoding: 'utf8',
        env: { ...process.env, CLOUDBILLING_ENGINES_DIR: empty, PATH: empty },
      });
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/terraform +not found: OpenTofu \(bin\/tofu\) drives the Terraform-protocol tests/);
      for (const name of ['tofu', 'pulumi', 'cdktf', 'cdktn', 'node22', 'node24']) expect(r.stdout).toMatch(new RegExp(`^  ${name} +MISSING`, 'm'));
      expect(r.stdout).toContain('6 missing: run `npm run engines`');
      expect(fs.readdirSync(path.join(empty, 'bin'))).toEqual([]); // --check builds nothing
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  test('a build that cannot run exits 1 and says what is needed (no Go on PATH)', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'cb-engines-'));
    try {
      const r = spawnSync(process.execPath, [SCRIPT, 'tofu'], { encoding: 'utf8', env: { ...process.env, CLOUDBILLING_ENGINES_DIR: empty, PATH: empty } });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^tofu: tofu is built from Go modules and needs Go on PATH/m);
      expect(fs.existsSync(path.join(empty, 'bin', 'tofu'))).toBe(false);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  test('an unknown engine name exits 2 and lists the known ones', () => {
    const r = spawnSync(process.execPath, [SCRIPT, '--check', 'terraformx'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Unknown engine terraformx; known: tofu pulumi node22 node24 cdktf cdktn pulumi-plugin sqlite/);
  });

  test('after `npm run engines`, everything is found, better-sqlite3 for each Node included', () => {
    const r = spawnSync(process.execPath, [SCRIPT, '--check'], { encoding: 'utf8' });
    expect(r.stdout).not.toContain('MISSING');
    // This Node's ABI (the machine's, or 22's/24's when CI runs the suite on them), 22's and 24's.
    expect(r.stdout).toMatch(new RegExp(`^  sqlite +found .*ABI ${process.versions.modules}, ABI 127, ABI 137`, 'm'));
    expect(r.status).toBe(0);
  });
});
