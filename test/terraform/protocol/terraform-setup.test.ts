import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspectCliConfig, installationBlock, setup, tofuCliConfig, PROVIDER_ADDRESSES } from '../../../provider/cli/terraform-setup';

let root: string;
let bundleDir: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-setup-'));
  bundleDir = path.join(root, 'dist');
  fs.mkdirSync(bundleDir);
  fs.writeFileSync(path.join(bundleDir, 'provider.js'), '// loader\n');
  fs.writeFileSync(path.join(bundleDir, 'provider.bundle.js'), '// bundle v1\n');
  fs.writeFileSync(path.join(bundleDir, 'provider.cache'), 'cache');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function run(env: Record<string, string>, dir?: string) {
  const lines: string[] = [];
  const code = setup({ env: { HOME: path.join(root, 'home'), ...env }, dir, bundle: path.join(bundleDir, 'provider.js'), version: '0.1.0', print: (l) => lines.push(l) });
  return { code, out: lines.join('\n') };
}

const pkg = (plugins: string, host = 'registry.terraform.io') => path.join(plugins, `${host}/cloudbilling/cloudbilling/0.1.0/linux_amd64`);
const BOTH = '["registry.terraform.io/cloudbilling/cloudbilling", "registry.opentofu.org/cloudbilling/cloudbilling"]';

describe('cloudbilling terraform-setup', () => {
  test('default: implied mirror under ~/.terraform.d/plugins, launcher + bundle files, no CLI config written', () => {
    const r = run({});
    expect(r.code).toBe(0);
    const dir = pkg(path.join(root, 'home/.terraform.d/plugins'));
    const launcher = fs.readFileSync(path.join(dir, 'terraform-provider-cloudbilling_v0.1.0'), 'utf8');
    expect(launcher.startsWith('#!/bin/sh\n')).toBe(true);
    expect(launcher).toMatch(/exec "\$NODE" "\$\(dirname "\$0"\)\/provider\.js"/);
    expect(fs.statSync(path.join(dir, 'terraform-provider-cloudbilling_v0.1.0')).mode & 0o755).toBe(0o755);
    expect(fs.readFileSync(path.join(dir, 'provider.bundle.js'), 'utf8')).toBe('// bundle v1\n');
    expect(fs.existsSync(path.join(dir, 'provider.cache'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'home/.terraformrc'))).toBe(false);
    expect(r.out).toMatch(/implied mirror/);
  });

  test('TF_CLI_CONFIG_FILE pointing at a missing file: created with the provider_installation block; idempotent', () => {
    const rc = path.join(root, 'cfg', 'terraformrc');
    const plugins = path.join(root, 'plugins');
    expect(run({ TF_CLI_CONFIG_FILE: rc }, plugins).code).toBe(0);
    const first = fs.readFileSync(rc, 'utf8');
    expect(first).toBe(installationBlock(plugins));
    const mtime = fs.statSync(path.join(pkg(plugins), 'provider.bundle.js')).mtimeMs;
    const again = run({ TF_CLI_CONFIG_FILE: rc }, plugins);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/already installed/);
    expect(again.out).toMatch(/already uses the mirror/);
    expect(fs.readFileSync(rc, 'utf8')).toBe(first);
    expect(fs.statSync(path.join(pkg(plugins), 'provider.bundle.js')).mtimeMs).toBe(mtime);
  });

  test('TF_CLI_CONFIG_FILE with other settings: the block is appended, the rest kept', () => {
    const rc = path.join(root, 'terraformrc');
    fs.writeFileSync(rc, 'plugin_cache_may_break_dependency_lock_file = true');
    expect(run({ TF_CLI_CONFIG_FILE: rc }, path.join(root, 'plugins')).code).toBe(0);
    const text = fs.readFileSync(rc, 'utf8');
    expect(text.startsWith('plugin_cache_may_break_dependency_lock_file = true\n\n# Added by')).toBe(true);
    expect(inspectCliConfig(text, path.join(root, 'plugins'))).toEqual({ hasBlock: true, hasOurs: true });
  });

  test('an existing provider_installation block without ours is not edited: exact instructions, exit 1', () => {
    const rc = path.join(root, 'terraformrc');
    const original = 'provider_installation {\n  direct {}\n}\n';
    fs.writeFileSync(rc, original);
    const r = run({ TF_CLI_CONFIG_FILE: rc }, path.join(root, 'plugins'));
    expect(r.code).toBe(1);
    expect(fs.readFileSync(rc, 'utf8')).toBe(original);
    expect(r.out).toContain(`path    = ${JSON.stringify(path.join(root, 'plugins'))}`);
    expect(r.out).toContain(`include = ${BOTH}`);
  });

  test('a changed bundle is re-copied (and the lock-file note printed)', () => {
    const plugins = path.join(root, 'plugins');
    run({ TF_CLI_CONFIG_FILE: path.join(root, 'rc') }, plugins);
    fs.writeFileSync(path.join(bundleDir, 'provider.bundle.js'), '// bundle v2\n');
    const r = run({ TF_CLI_CONFIG_FILE: path.join(root, 'rc') }, plugins);
    expect(r.out).toMatch(/terraform init -upgrade/);
    expect(fs.readFileSync(path.join(pkg(plugins), 'provider.bundle.js'), 'utf8')).toBe('// bundle v2\n');
  });

  test('OpenTofu: the same package under registry.opentofu.org, byte for byte', () => {
    const plugins = path.join(root, 'plugins');
    const r = run({ TF_CLI_CONFIG_FILE: path.join(root, 'rc') }, plugins);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`installed registry.opentofu.org/cloudbilling/cloudbilling 0.1.0 in ${pkg(plugins, 'registry.opentofu.org')}`);
    for (const f of ['terraform-provider-cloudbilling_v0.1.0', 'provider.js', 'provider.bundle.js', 'provider.cache']) {
      expect(fs.readFileSync(path.join(pkg(plugins, 'registry.opentofu.org'), f))).toEqual(fs.readFileSync(path.join(pkg(plugins), f)));
    }
    expect(fs.statSync(path.join(pkg(plugins, 'registry.opentofu.org'), 'terraform-provider-cloudbilling_v0.1.0')).mode & 0o755).toBe(0o755);
  });

  test('the block written covers both hosts, in filesystem_mirror include and direct exclude', () => {
    const block = installationBlock('/m');
    expect(block).toContain(`include = ${BOTH}`);
    expect(block).toContain(`exclude = ${BOTH}`);
    expect(PROVIDER_ADDRESSES).toEqual(['registry.terraform.io/cloudbilling/cloudbilling', 'registry.opentofu.org/cloudbilling/cloudbilling']);
  });

  test('a block naming our mirror for Terraform\'s host only is not ours: OpenTofu would go to the network', () => {
    const rc = path.join(root, 'terraformrc');
    const plugins = path.join(root, 'plugins');
    const terraformOnly = `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(plugins)}\n    include = ["registry.terraform.io/cloudbilling/cloudbilling"]\n  }\n  direct {}\n}\n`;
    fs.writeFileSync(rc, terraformOnly);
    expect(inspectCliConfig(terraformOnly, plugins)).toEqual({ hasBlock: true, hasOurs: false });
    const r = run({ TF_CLI_CONFIG_FILE: rc }, plugins);
    expect(r.code).toBe(1);
    expect(fs.readFileSync(rc, 'utf8')).toBe(terraformOnly);
    expect(r.out).toContain(`include = ${BOTH}`);
  });

  test('no TF_CLI_CONFIG_FILE, --dir: ~/.terraformrc gets the block, and OpenTofu reads that same file', () => {
    const home = path.join(root, 'home');
    const r = run({}, path.join(root, 'plugins'));
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(home, '.terraformrc'), 'utf8')).toBe(installationBlock(path.join(root, 'plugins')));
    expect(tofuCliConfig(home, {})).toBe(path.join(home, '.terraformrc'));
    expect(fs.existsSync(path.join(home, '.tofurc'))).toBe(false);
  });

  test('no TF_CLI_CONFIG_FILE, --dir, an existing ~/.tofurc: OpenTofu reads only that, so it gets the block too', () => {
    const home = path.join(root, 'home');
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(path.join(home, '.tofurc'), 'disable_checkpoint = true\n');
    const plugins = path.join(root, 'plugins');
    const r = run({}, plugins);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`CLI config ${path.join(home, '.tofurc')} (OpenTofu): added a provider_installation block`);
    expect(fs.readFileSync(path.join(home, '.tofurc'), 'utf8')).toBe(`disable_checkpoint = true\n\n${installationBlock(plugins)}`);
    expect(inspectCliConfig(fs.readFileSync(path.join(home, '.terraformrc'), 'utf8'), plugins).hasOurs).toBe(true);
  });

  test('implied mirror, but ~/.tofurc has a provider_installation block of its own: instructions for it, exit 1', () => {
    const home = path.join(root, 'home');
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(path.join(home, '.tofurc'), 'provider_installation {\n  direct {}\n}\n');
    const r = run({});
    expect(r.code).toBe(1);
    expect(r.out).toContain(`CLI config ${path.join(home, '.tofurc')} (OpenTofu) has a provider_installation block without this mirror`);
    expect(fs.existsSync(path.join(home, '.terraformrc'))).toBe(false);
  });

  test("OpenTofu's CLI config file: ~/.tofurc, else an existing ~/.terraformrc, else XDG_CONFIG_HOME/opentofu/tofurc, else ~/.tofurc", () => {
    const has = (...files: string[]) => (f: string) => files.includes(f);
    expect(tofuCliConfig('/h', {}, has('/h/.tofurc', '/h/.terraformrc'))).toBe('/h/.tofurc');
    expect(tofuCliConfig('/h', { XDG_CONFIG_HOME: '/x' }, has('/h/.terraformrc'))).toBe('/h/.terraformrc');
    expect(tofuCliConfig('/h', { XDG_CONFIG_HOME: '/x' }, has())).toBe('/x/opentofu/tofurc');
    expect(tofuCliConfig('/h', {}, has())).toBe('/h/.tofurc');
  });

  test('commented-out blocks do not count', () => {
    expect(inspectCliConfig('# provider_installation {\n', '/x')).toEqual({ hasBlock: false, hasOurs: false });
  });
});
