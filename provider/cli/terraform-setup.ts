/**
 * `cloudbilling terraform-setup`: install the Terraform provider so that `terraform init`
 * finds `cloudbilling/cloudbilling` with no network.
 *
 * Layout (Terraform's unpacked mirror layout, the implied local mirror by default):
 *   <plugins>/registry.terraform.io/cloudbilling/cloudbilling/<version>/<os>_<arch>/
 *     terraform-provider-cloudbilling_v<version>   #!/bin/sh launcher: exec node provider.js
 *     provider.js, provider.bundle.js, provider.cache   copies of dist/terraform-provider/*
 * with <plugins> = ~/.terraform.d/plugins unless `--dir` says otherwise.
 *
 * CLI configuration: Terraform searches implied mirrors only when its CLI config has no
 * `provider_installation` block. So:
 * - `TF_CLI_CONFIG_FILE` set (even to a missing file): that file must name our mirror.
 *   Missing or without `provider_installation`: we append a block (filesystem_mirror for
 *   our provider + direct for everything else). With a block that lacks ours: we edit
 *   nothing and print exactly what to add (exit 1).
 * - unset: ~/.terraformrc is the config. The implied mirror works when it has no
 *   `provider_installation` block; with `--dir` (not an implied mirror) we add ours.
 * Idempotent: files already in place are left untouched (Terraform's lock file hashes them).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const PROVIDER_HOST = 'registry.terraform.io';
export const PROVIDER_NAMESPACE = 'cloudbilling';
export const PROVIDER_TYPE = 'cloudbilling';
export const PROVIDER_ADDRESS = `${PROVIDER_HOST}/${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}`;
/** Files of dist/terraform-provider/ installed beside the launcher. */
export const BUNDLE_FILES = ['provider.js', 'provider.bundle.js', 'provider.cache'];

const USAGE = `usage: cloudbilling terraform-setup [--dir PLUGINS_DIR]

Installs the cloudbilling Terraform provider for offline \`terraform init\`.

  --dir DIR   plugins root to install into (default: ~/.terraform.d/plugins,
              Terraform's implied local mirror)

Honours TF_CLI_CONFIG_FILE: when set, that CLI config is made to use the mirror
(a provider_installation block is added when it has none). Otherwise ~/.terraformrc.
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

/** The `provider_installation` block that makes Terraform take our provider from `pluginsDir`. */
export function installationBlock(pluginsDir: string): string {
  const addr = JSON.stringify(PROVIDER_ADDRESS);
  return [
    '# Added by `cloudbilling terraform-setup`: the cloudbilling provider comes from a local mirror.',
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${JSON.stringify(pluginsDir)}`,
    `    include = [${addr}]`,
    '  }',
    '  direct {',
    `    exclude = [${addr}]`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Whether a CLI config text has a provider_installation block, and whether it names our mirror. */
export function inspectCliConfig(text: string, pluginsDir: string): { hasBlock: boolean; hasOurs: boolean } {
  const uncommented = text
    .split('\n')
    .map((l) => l.replace(/^\s*(#|\/\/).*$/, ''))
    .join('\n');
  const hasBlock = /(^|\n)\s*provider_installation\s*\{/.test(uncommented);
  const hasOurs =
    hasBlock &&
    uncommented.includes(JSON.stringify(pluginsDir)) &&
    uncommented.includes(`${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}`) &&
    /filesystem_mirror\s*\{/.test(uncommented);
  return { hasBlock, hasOurs };
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

/** Install; returns the exit code (0 done, 1 the CLI config needs a manual edit, 2 cannot install). */
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

  const target = path.join(pluginsDir, PROVIDER_HOST, PROVIDER_NAMESPACE, PROVIDER_TYPE, version, terraformPlatform());
  fs.mkdirSync(target, { recursive: true });
  const launcherName = `terraform-provider-${PROVIDER_TYPE}_v${version}`;
  const node = process.execPath;
  const launcher = [
    '#!/bin/sh',
    `# cloudbilling Terraform provider v${version} (installed by \`cloudbilling terraform-setup\`).`,
    `NODE=${shellQuote(node)}`,
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
      return 2;
    }
  }
  const wrote = writeIfChanged(path.join(target, launcherName), launcher, 0o755);
  print(
    copied || wrote
      ? `installed ${PROVIDER_ADDRESS} ${version} in ${target}`
      : `${PROVIDER_ADDRESS} ${version} already installed in ${target}`,
  );
  if (copied && existedBefore) {
    print('  note: the provider files changed; in existing working directories run `terraform init -upgrade` to refresh .terraform.lock.hcl');
  }

  const envConfig = env.TF_CLI_CONFIG_FILE;
  const configFile = envConfig ? path.resolve(envConfig) : path.join(home, '.terraformrc');
  const source = envConfig ? `TF_CLI_CONFIG_FILE (${configFile})` : configFile;
  const text = fs.existsSync(configFile) ? fs.readFileSync(configFile, 'utf8') : null;
  const { hasBlock, hasOurs } = inspectCliConfig(text ?? '', pluginsDir);
  const needBlock = Boolean(envConfig) || pluginsDir !== implied || hasBlock;
  if (!needBlock) {
    print(`CLI config ${source}: no provider_installation block, so Terraform uses the implied mirror ${implied}`);
  } else if (hasOurs) {
    print(`CLI config ${source}: already uses the mirror ${pluginsDir}`);
  } else if (hasBlock) {
    print(`CLI config ${source} has a provider_installation block without this mirror; it was not changed.`);
    print('Add these two blocks inside its provider_installation { ... } block, then run `terraform init`:');
    print('');
    print(`  filesystem_mirror {\n    path    = ${JSON.stringify(pluginsDir)}\n    include = [${JSON.stringify(PROVIDER_ADDRESS)}]\n  }`);
    print(`  (and add ${JSON.stringify(PROVIDER_ADDRESS)} to the exclude list of its direct { } block, if it has one)`);
    return 1;
  } else {
    fs.mkdirSync(path.dirname(configFile), { recursive: true });
    const prefix = text === null || text === '' ? '' : text.endsWith('\n') ? '\n' : '\n\n';
    fs.appendFileSync(configFile, prefix + installationBlock(pluginsDir));
    print(`CLI config ${source}: ${text === null ? 'created with' : 'added'} a provider_installation block for ${pluginsDir}`);
  }
  print('Done: `terraform init` now finds cloudbilling/cloudbilling offline.');
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
