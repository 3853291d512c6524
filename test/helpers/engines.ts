/**
 * Where the tests find the engines they drive: `.engines/bin` of the checkout first (what
 * `npm run engines` builds or installs), then PATH. A missing engine is an error whose
 * message says how to get it, in CI and on a laptop alike: no suite turns into a skip
 * because a tool is missing.
 *
 *   const tofu = enginePath('tofu');                       // at the top of a test file
 *   spawn(tofu, args, { env: { ...engineEnv(), ...more } }); // children find them by name
 *   requireBuild();                                         // tests of the built CLI
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** `<repo>/.engines/bin`, or `$CLOUDBILLING_ENGINES_DIR/bin` like scripts/engines.js. */
export const ENGINES_BIN = path.join(path.resolve(process.env.CLOUDBILLING_ENGINES_DIR || path.join(REPO_ROOT, '.engines')), 'bin');

export type Engine = 'tofu' | 'pulumi' | 'cdktf' | 'cdktn' | 'node22' | 'node24' | 'terraform';

const HOW_TO_GET: Record<Engine, string> = {
  tofu: 'run `npm run engines` (builds OpenTofu from Go modules into .engines/bin)',
  pulumi: 'run `npm run engines` (builds the Pulumi CLI from Go modules into .engines/bin)',
  cdktf: 'run `npm run engines` (installs cdktf-cli into .engines/bin)',
  cdktn: 'run `npm run engines` (installs cdktn-cli and the Node 22 it needs into .engines/bin)',
  node22: 'run `npm run engines` (installs Node 22 from the npm registry into .engines/bin)',
  node24: 'run `npm run engines` (installs Node 24 from the npm registry into .engines/bin)',
  terraform:
    'install Terraform >= 1.11 on PATH (https://developer.hashicorp.com/terraform/install); it cannot be built from Go modules, so `npm run engines` does not provide it',
};

function isExecutableFile(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Path of `name` in `.engines/bin`, else on PATH, else null. */
export function findEngine(name: string, pathVar: string = process.env.PATH ?? ''): string | null {
  for (const dir of [ENGINES_BIN, ...pathVar.split(path.delimiter).filter(Boolean)]) {
    const p = path.join(dir, name);
    if (isExecutableFile(p)) return p;
  }
  return null;
}

/** Path of an engine; throws an Error saying how to get it when it is missing. */
export function enginePath(name: Engine): string {
  const found = findEngine(name);
  if (found) return found;
  throw new Error(`${name} is not in ${path.relative(REPO_ROOT, ENGINES_BIN)} or on PATH: ${HOW_TO_GET[name]}.`);
}

/** `base` with `.engines/bin` first on PATH, so child processes find the engines by name. */
export function engineEnv(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  env.PATH = [ENGINES_BIN, base.PATH].filter(Boolean).join(path.delimiter);
  return env;
}

/** Build outputs the CLI and provider tests run. */
const BUILD_OUTPUTS = ['dist/provider/cli/review.js', 'dist/terraform-provider/provider.js'];

/** Throws "run `npm run build`" when the build output the CLI tests run is missing. */
export function requireBuild(): void {
  const missing = BUILD_OUTPUTS.filter((f) => !fs.existsSync(path.join(REPO_ROOT, f)));
  if (missing.length) throw new Error(`${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing: run \`npm run build\` before these tests (\`npm test\` does).`);
}
