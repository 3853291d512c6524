/**
 * examples/cdktf through the real CLIs, as a user runs it (issue 13, SPEC §7): for cdktf-cli
 * 0.21 and for CDK Terrain's cdktn-cli 0.24, a project made by `<cli> init
 * --template=typescript --local`, the packed package (`npm pack`) installed into it, the
 * example as its main.ts, the provider installed by the package's own `cloudbilling
 * terraform-setup`, then `synth`, `diff`, `deploy`, a second `diff` with no changes, a rule
 * violation failing `synth` with its code, and `destroy`, against a real Billing API server.
 * Offline for Terraform: no `--skip-provider-lock`, no overrides in the project.
 *
 * The only edits to what `init` makes: main.ts is the example (for cdktn with its two
 * imports renamed, `cdktf` -> `cdktn` and `cloudbilling/cdktf` -> `cloudbilling/cdktn`, as
 * CDK Terrain's upgrade guide says), and for cdktf `typescript@5`: cdktf-cli 0.21 installs
 * the latest TypeScript, and TypeScript 7 has no JavaScript API, so ts-node (the template's
 * `app`) fails for any project (docs/cdktf.md says so).
 *
 * Needs `npm run build` (the tarball is packed from dist/) and the CLIs (`npm run engines`);
 * the npm registry (or npm's cache) for the template's and the example's dependencies.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BillingClient } from '../../provider/client';
import { findCdkCli, ok, packRepo, REPO_ROOT, run, type CdkCliName, type RunResult } from '../helpers/cdk-cli';
import { startTestServer, type TestServer } from '../helpers/server';

jest.setTimeout(900_000);

/** Packages a CDKTF / CDK Terrain user must not get from us (server, engines' libraries). */
const NOT_PULLED = ['better-sqlite3', 'fastify', '@fastify/swagger', '@fastify/static', 'preact', 'vite', '@pulumi/pulumi', '@grpc/grpc-js', 'protobufjs', 'cdktf', 'cdktn'];

interface Flavor {
  cli: CdkCliName;
  /** Extra dev dependencies on top of what `init` installed (see the header). */
  fixes: string[];
}

const FLAVORS: Flavor[] = [
  { cli: 'cdktf', fixes: ['typescript@5'] },
  { cli: 'cdktn', fixes: [] },
];

let tmp: string;
let tarball: string;
const npmCache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim();

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-cli-'));
  tarball = packRepo(tmp);
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe.each(FLAVORS)('examples/cdktf with $cli', ({ cli, fixes }) => {
  const library = cli; // the construct library has the CLI's name
  let command: string;
  let server: TestServer;
  let client: BillingClient;
  let root: string;
  let project: string;
  let env: NodeJS.ProcessEnv;
  let deployed = false;
  const projectIds: Record<string, string> = {};
  const version = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version as string;

  const cdk = (args: string[]): Promise<RunResult> => run(command, [...args, '--no-color'], project, env);
  const npm = (args: string[]): Promise<RunResult> => run('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund'], project, env);

  beforeAll(async () => {
    command = findCdkCli(cli);
    server = await startTestServer();
    client = new BillingClient({ apiUrl: server.url, token: server.adminToken, retries: 0 });
    for (const name of ['web-frontend', 'api-gateway', 'etl-nightly']) projectIds[name] = (await client.createProject({ name })).id;
    const finance = await client.createUser({ email: 'finance@example.com', name: 'Fay Finance' });
    root = fs.mkdtempSync(path.join(tmp, `${cli}-`));
    project = path.join(root, 'billing');
    fs.mkdirSync(project);
    fs.mkdirSync(path.join(root, 'home'));
    env = {
      ...process.env,
      HOME: path.join(root, 'home'),
      TF_CLI_CONFIG_FILE: path.join(root, 'home', 'terraformrc'),
      TF_PLUGIN_CACHE_DIR: '',
      CHECKPOINT_DISABLE: '1',
      FORCE_COLOR: '0',
      npm_config_cache: npmCache,
      npm_config_update_notifier: 'false',
      CLOUDBILLING_API_URL: server.url,
      CLOUDBILLING_TOKEN: server.adminToken,
      TF_VAR_finance_user_id: finance.id,
    };
  });

  afterAll(async () => {
    // Never leave objects behind when a step failed half way.
    if (deployed) await cdk(['destroy', 'billing', '--auto-approve']);
    await server?.close();
  });

  it(`${cli} init --template=typescript makes the project`, async () => {
    ok(
      await run(command, ['init', '--template=typescript', '--local', '--project-name=billing', '--project-description=billing', '--enable-crash-reporting=false'], project, env),
      `${cli} init`,
    );
    const pkg = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies).sort()).toEqual([library, 'constructs'].sort());
    expect(JSON.parse(fs.readFileSync(path.join(project, 'cdktf.json'), 'utf8')).app).toBe('npx ts-node main.ts');
    if (fixes.length) ok(await npm(['install', '-D', ...fixes]), `npm install -D ${fixes.join(' ')}`);
  });

  it('installs the packed package: no native build, no server framework, no second construct library', async () => {
    const before = installed(project);
    ok(await npm(['install', tarball]), 'npm install <tarball>');
    const after = installed(project);
    const added = [...after.keys()].filter((p) => !before.has(p));
    expect(added).toContain('node_modules/cloudbilling');
    expect(added.filter((p) => after.get(p)!.hasInstallScript)).toEqual([]);
    for (const name of NOT_PULLED.filter((n) => n !== library)) expect(after.has(`node_modules/${name}`)).toBe(false);
    // One `constructs` and one construct library: the user's.
    expect([...after.keys()].filter((p) => p.endsWith('/constructs') || p.endsWith(`/${library}`)).sort()).toEqual([`node_modules/${library}`, 'node_modules/constructs'].sort());
    expect(fs.existsSync(path.join(project, 'node_modules', 'cloudbilling', 'test'))).toBe(false);
    expect(fs.existsSync(path.join(project, 'node_modules', 'cloudbilling', 'bench'))).toBe(false);
    // The server is not part of this install, and says what to add for it.
    const serve = await run(path.join(project, 'node_modules', '.bin', 'cloudbilling'), ['serve', '--port', '0'], project, env, 60_000);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain('npm install better-sqlite3 fastify @fastify/swagger @fastify/static');
  });

  it('type-checks the example under the tsconfig init wrote', async () => {
    const example = fs.readFileSync(path.join(REPO_ROOT, 'examples', 'cdktf', 'main.ts'), 'utf8');
    const main = cli === 'cdktf' ? example : example.replace(/from 'cdktf'/g, "from 'cdktn'").replace(/from 'cloudbilling\/cdktf'/g, "from 'cloudbilling/cdktn'");
    expect(main).toContain(`from 'cloudbilling/${library}'`);
    fs.writeFileSync(path.join(project, 'main.ts'), main);
    ok(await run(path.join(project, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', '.'], project, env), 'tsc');
  });

  it('installs the provider with the package’s terraform-setup', async () => {
    const r = ok(await run(path.join(project, 'node_modules', '.bin', 'cloudbilling'), ['terraform-setup'], project, env), 'cloudbilling terraform-setup');
    expect(r.stdout).toMatch(/init` now finds? cloudbilling\/cloudbilling offline/);
  });

  it(`${cli} synth pins the provider version and seeds the lock`, async () => {
    ok(await cdk(['synth']), `${cli} synth`);
    const stackDir = path.join(project, 'cdktf.out', 'stacks', 'billing');
    const synthesized = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    expect(synthesized.terraform.required_providers).toEqual({ cloudbilling: { source: 'cloudbilling/cloudbilling', version } });
    expect(fs.readFileSync(path.join(stackDir, '.terraform.lock.hcl'), 'utf8')).toContain(`constraints = "${version}"`);
  });

  it(`${cli} diff plans the whole example, offline`, async () => {
    const r = ok(await cdk(['diff', 'billing']), `${cli} diff`);
    expect(r.stdout).toMatch(/Plan: 8 to add, 0 to change, 0 to destroy/);
    expect((await client.listGroups()).filter((g) => g.type === 'sub')).toEqual([]);
  });

  it(`${cli} deploy applies it against the real server`, async () => {
    deployed = true;
    ok(await cdk(['deploy', 'billing', '--auto-approve']), `${cli} deploy`);
    const groups = await client.listGroups();
    const byName = new Map(groups.map((g) => [g.name, g]));
    expect([...byName.keys()].filter((n) => n !== groups.find((g) => g.type === 'main')!.name).sort()).toEqual(['Data & Analytics', 'Platform']);
    expect((await client.getProject(projectIds['web-frontend']!))!.billingGroupId).toBe(byName.get('Platform')!.id);
    expect((await client.getProject(projectIds['etl-nightly']!))!.billingGroupId).toBe(byName.get('Data & Analytics')!.id);
    // terraform init recorded the installed package's hash in the seeded lock.
    expect(fs.readFileSync(path.join(project, 'cdktf.out', 'stacks', 'billing', '.terraform.lock.hcl'), 'utf8')).toMatch(/h1:/);
  });

  it(`a second ${cli} diff has no changes`, async () => {
    const r = ok(await cdk(['diff', 'billing']), `${cli} diff`);
    expect(r.stdout).toMatch(/No changes\./);
  });

  it(`a rule violation fails ${cli} synth with its code`, async () => {
    const file = path.join(project, 'main.ts');
    const good = fs.readFileSync(file, 'utf8');
    expect(good).toContain("name: 'Data & Analytics'");
    fs.writeFileSync(file, good.replace("name: 'Data & Analytics'", "name: 'PLATFORM '"));
    try {
      const r = await cdk(['synth']);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/\[billing\/data\] NAME_TAKEN \(name\)/);
    } finally {
      fs.writeFileSync(file, good);
    }
  });

  it(`${cli} destroy removes the sub groups and returns the projects`, async () => {
    ok(await cdk(['destroy', 'billing', '--auto-approve']), `${cli} destroy`);
    deployed = false;
    const groups = await client.listGroups();
    expect(groups.map((g) => g.type)).toEqual(['main']);
    for (const id of Object.values(projectIds)) expect((await client.getProject(id))!.billingGroupId).toBe(groups[0]!.id);
  });
});

/** Installed packages of `project` (npm's hidden lockfile): path -> entry. */
function installed(project: string): Map<string, { hasInstallScript?: boolean }> {
  const lock = JSON.parse(fs.readFileSync(path.join(project, 'node_modules', '.package-lock.json'), 'utf8'));
  return new Map(Object.entries(lock.packages as Record<string, { hasInstallScript?: boolean }>));
}
