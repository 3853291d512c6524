/**
 * `cloudbilling terraform-setup`: install the Terraform provider so that `terraform init`
 * and `tofu init` (OpenTofu) find `cloudbilling/cloudbilling` with no network.
 *
 * Layout (the unpacked mirror layout both engines read, the implied local mirror by default),
 * once per registry host, because the same source `cloudbilling/cloudbilling` means
 * `registry.terraform.io/...` to Terraform and `registry.opentofu.org/...` to OpenTofu:
 *   <plugins>/<host>/cloudbilling/cloudbilling/<version>/<os>_<arch>/
 *     terraform-provider-cloudbilling_v<version>   #!/bin/sh launcher: exec node provider.js
 *     provider.js, provider.bundle.js, provider.cache   copies of dist/terraform-provider/*
 * with <plugins> = ~/.terraform.d/plugins unless `--dir` says otherwise. OpenTofu searches
 * ~/.terraform.d/plugins as an implied mirror too (cmd/tofu/provider_source.go, 1.12).
 *
 * CLI configuration: both engines search implied mirrors only when their CLI config has no
 * `provider_installation` block. So:
 * - `TF_CLI_CONFIG_FILE` set (even to a missing file): both engines read that file (OpenTofu
 *   1.12 has no variable of its own), so it must name our mirror. Missing or without
 *   `provider_installation`: we append a block (filesystem_mirror for our provider under
 *   both hosts + direct for everything else). With a block that lacks ours: we edit
 *   nothing and print exactly what to add (exit 1).
 * - unset: Terraform reads ~/.terraformrc; OpenTofu reads ~/.tofurc, else an existing
 *   ~/.terraformrc, else $XDG_CONFIG_HOME/opentofu/tofurc (see `tofuCliConfig`). The
 *   implied mirror works when they have no `provider_installation` block; with `--dir`
 *   (not an implied mirror) we add ours to each.
 * Idempotent: files already in place are left untouched (the lock file hashes them).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Registry hosts a bare `cloudbilling/cloudbilling` source means: Terraform's, then OpenTofu's. */
export const PROVIDER_HOSTS = ['registry.terraform.io', 'registry.opentofu.org'] as const;
export const PROVIDER_HOST = PROVIDER_HOSTS[0];
export const PROVIDER_NAMESPACE = 'cloudbilling';
export const PROVIDER_TYPE = 'cloudbilling';
export const PROVIDER_ADDRESS = `${PROVIDER_HOST}/${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}`;
/** The provider's full address under each host of PROVIDER_HOSTS. */
export const PROVIDER_ADDRESSES = PROVIDER_HOSTS.map((h) => `${h}/${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}`);
/** Files of dist/terraform-provider/ installed beside the launcher. */
export const BUNDLE_FILES = ['provider.js', 'provider.bundle.js', 'provider.cache'];

const USAGE = `usage: cloudbilling terraform-setup [--dir PLUGINS_DIR]

Installs the cloudbilling provider for offline \`terraform init\` and \`tofu init\`
(OpenTofu), under both registry.terraform.io and registry.opentofu.org.

  --dir DIR   plugins root to install into (default: ~/.terraform.d/plugins,
              the implied local mirror of Terraform and OpenTofu)

Honours TF_CLI_CONFIG_FILE (read by both engines): when set, that CLI config is made
to use the mirror (a provider_installation block is added when it has none).
Otherwise ~/.terraformrc (Terraform) and OpenTofu's ~/.tofurc when it has one.
`;

/** Root of the npm package (the directory with cloudbilling's package.json). */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'cloudbilling') return dir;
      } catch {
        /* keep looking */
      }
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find the cloudbilling package above ${from}`);
  }
}

/** Terraform's platform name for this machine, e.g. `linux_amd64`. */
export function terraformPlatform(): string {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };
  return `${process.platform === 'win32' ? 'windows' : process.platform}_${arch[process.arch] ?? process.arch}`;
}

/** The `provider_installation` block that makes both engines take our provider from `pluginsDir`. */
export function installationBlock(pluginsDir: string): string {
  const addrs = PROVIDER_ADDRESSES.map((a) => JSON.stringify(a)).join(', ');
  return [
    '# Added by `cloudbilling terraform-setup`: the cloudbilling provider comes from a local mirror.',
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${JSON.stringify(pluginsDir)}`,
    `    include = [${addrs}]`,
    '  }',
    '  direct {',
    `    exclude = [${addrs}]`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * Whether a CLI config text has a provider_installation block, and whether it names our
 * mirror for every host of PROVIDER_HOSTS (a block written for Terraform's host only
 * leaves OpenTofu going to the network).
 */
export function inspectCliConfig(text: string, pluginsDir: string): { hasBlock: boolean; hasOurs: boolean } {
  const uncommented = text
    .split('\n')
    .map((l) => l.replace(/^\s*(#|\/\/).*$/, ''))
    .join('\n');
  const hasBlock = /(^|\n)\s*provider_installation\s*\{/.test(uncommented);
  const hasOurs =
    hasBlock &&
    uncommented.includes(JSON.stringify(pluginsDir)) &&
    PROVIDER_ADDRESSES.every((a) => uncommented.includes(a)) &&
    /filesystem_mirror\s*\{/.test(uncommented);
  return { hasBlock, hasOurs };
}

/**
 * The CLI config file OpenTofu reads when TF_CLI_CONFIG_FILE is unset (OpenTofu 1.12,
 * internal/command/cliconfig/config_unix.go): ~/.tofurc when it exists, else an existing
 * ~/.terraformrc, else $XDG_CONFIG_HOME/opentofu/tofurc when that variable is set, else ~/.tofurc.
 */
export function tofuCliConfig(home: string, env: NodeJS.ProcessEnv, exists: (f: string) => boolean = fs.existsSync): string {
  const tofurc = path.join(home, '.tofurc');
  const terraformrc = path.join(home, '.terraformrc');
  if (exists(tofurc)) return tofurc;
  if (exists(terraformrc)) return terraformrc;
  return env.XDG_CONFIG_HOME ? path.join(env.XDG_CONFIG_HOME, 'opentofu', 'tofurc') : tofurc;
}

function writeIfChanged(file: string, content: string | Buffer, mode: number): boolean {
  const data = typeof content === 'string' ? Buffer.from(content) : content;
  if (fs.existsSync(file) && fs.readFileSync(file).equals(data)) {
    fs.chmodSync(file, mode);
    return false;
  }
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data, { mode });
  fs.renameSync(tmp, file);
  return true;
}

export interface SetupOptions {
  /** Plugins root; default `~/.terraform.d/plugins`. */
  dir?: string;
  env?: NodeJS.ProcessEnv;
  /** Where messages go; default stdout. */
  print?: (line: string) => void;
  /** The provider bundle to install; default `<package>/dist/terraform-provider/provider.js`. */
  bundle?: string;
  /** Version; default package.json's. */
  version?: string;
}

/** Install; returns the exit code (0 done, 1 a CLI config needs a manual edit, 2 cannot install). */
export function setup(options: SetupOptions = {}): number {
  const env = options.env ?? process.env;
  const print = options.print ?? ((l: string) => process.stdout.write(l + '\n'));
  const home = env.HOME || os.homedir();
  const implied = path.join(home, '.terraform.d', 'plugins');
  const pluginsDir = path.resolve(options.dir ?? implied);
  const root = packageRoot();
  const version = options.version ?? (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version as string);
  const bundle = options.bundle ?? path.join(root, 'dist', 'terraform-provider', 'provider.js');
  if (!fs.existsSync(bundle)) {
    process.stderr.write(`cloudbilling terraform-setup: the provider bundle ${bundle} is missing; run \`npm run build\` first\n`);
    return 2;
  }
  for (const host of PROVIDER_HOSTS) {
    if (!installPackage(path.join(pluginsDir, host, PROVIDER_NAMESPACE, PROVIDER_TYPE, version, terraformPlatform()), host, version, bundle, print)) return 2;
  }

  const envConfig = env.TF_CLI_CONFIG_FILE;
  let code = 0;
  if (envConfig) {
    code = configure(path.resolve(envConfig), `TF_CLI_CONFIG_FILE (${path.resolve(envConfig)}, read by Terraform and OpenTofu)`, true, pluginsDir, print);
  } else {
    const terraformrc = path.join(home, '.terraformrc');
    code = configure(terraformrc, `${terraformrc} (Terraform)`, pluginsDir !== implied, pluginsDir, print);
    // After the step above, which may have created ~/.terraformrc (OpenTofu then reads it too).
    const tofurc = tofuCliConfig(home, env);
    if (tofurc !== terraformrc) code = Math.max(code, configure(tofurc, `${tofurc} (OpenTofu)`, pluginsDir !== implied, pluginsDir, print));
  }
  if (code === 0) print('Done: `terraform init` and `tofu init` now find cloudbilling/cloudbilling offline.');
  return code;
}

/** Copy the bundle and write the launcher into one host's package directory; false when the build is incomplete. */
function installPackage(target: string, host: string, version: string, bundle: string, print: (l: string) => void): boolean {
  fs.mkdirSync(target, { recursive: true });
  const address = `${host}/${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}`;
  const launcher = [
    '#!/bin/sh',
    `# cloudbilling Terraform/OpenTofu provider v${version} (installed by \`cloudbilling terraform-setup\`).`,
    `NODE=${shellQuote(process.execPath)}`,
    '[ -x "$NODE" ] || NODE=node',
    'exec "$NODE" "$(dirname "$0")/provider.js" "$@"',
    '',
  ].join('\n');
  const existedBefore = fs.existsSync(path.join(target, 'provider.js'));
  // provider.js (loader) + provider.bundle.js + provider.cache (V8 code cache), see scripts/bundle.js.
  let copied = false;
  for (const name of BUNDLE_FILES) {
    const from = path.join(path.dirname(bundle), name);
    if (fs.existsSync(from)) copied = writeIfChanged(path.join(target, name), fs.readFileSync(from), 0o644) || copied;
    else if (name !== 'provider.cache') {
      process.stderr.write(`cloudbilling terraform-setup: ${from} is missing; run \`npm run build\` first\n`);
      return false;
    }
  }
  const wrote = writeIfChanged(path.join(target, `terraform-provider-${PROVIDER_TYPE}_v${version}`), launcher, 0o755);
  print(copied || wrote ? `installed ${address} ${version} in ${target}` : `${address} ${version} already installed in ${target}`);
  if (copied && existedBefore) {
    print('  note: the provider files changed; in existing working directories run `terraform init -upgrade` (or `tofu init -upgrade`) to refresh .terraform.lock.hcl');
  }
  return true;
}

/**
 * Make one CLI config file use `pluginsDir`: append our block when it has none and one is
 * needed (`needBlock`: the file is named by TF_CLI_CONFIG_FILE or the mirror is not the
 * implied one), or print what to add to a block of the user's own. Returns an exit code.
 */
function configure(configFile: string, label: string, needBlock: boolean, pluginsDir: string, print: (l: string) => void): number {
  const text = fs.existsSync(configFile) ? fs.readFileSync(configFile, 'utf8') : null;
  const { hasBlock, hasOurs } = inspectCliConfig(text ?? '', pluginsDir);
  if (!needBlock && !hasBlock) {
    print(`CLI config ${label}: no provider_installation block, so the implied mirror ${pluginsDir} is used`);
  } else if (hasOurs) {
    print(`CLI config ${label}: already uses the mirror ${pluginsDir}`);
  } else if (hasBlock) {
    const addrs = PROVIDER_ADDRESSES.map((a) => JSON.stringify(a)).join(', ');
    print(`CLI config ${label} has a provider_installation block without this mirror; it was not changed.`);
    print('Add this block inside its provider_installation { ... } block, then run `terraform init` / `tofu init`:');
    print('');
    print(`  filesystem_mirror {\n    path    = ${JSON.stringify(pluginsDir)}\n    include = [${addrs}]\n  }`);
    print(`  (and add ${addrs} to the exclude list of its direct { } block, if it has one)`);
    return 1;
  } else {
    fs.mkdirSync(path.dirname(configFile), { recursive: true });
    const prefix = text === null || text === '' ? '' : text.endsWith('\n') ? '\n' : '\n\n';
    fs.appendFileSync(configFile, prefix + installationBlock(pluginsDir));
    print(`CLI config ${label}: ${text === null ? 'created with' : 'added'} a provider_installation block for ${pluginsDir}`);
  }
  return 0;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export async function run(argv: string[]): Promise<number> {
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      return 0;
    } else if (a === '--dir' && argv[i + 1]) {
      dir = argv[++i];
    } else if (a.startsWith('--dir=')) {
      dir = a.slice('--dir='.length);
    } else {
      process.stderr.write(`cloudbilling terraform-setup: unknown argument ${JSON.stringify(a)}\n\n${USAGE}`);
      return 2;
    }
  }
  return setup({ dir });
}
