/**
 * Helpers of the GitOps tests: run the built CLI as a user would (a child process, so
 * exit codes, stdout and stderr are the real ones), and produce real plan JSON with the
 * real engine (`terraform` or `tofu`) and our offline-installed provider.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, REQUIRED_PROVIDERS, runTerraform, terraformWorkdir, type PreparedTerraform } from '../helpers/terraform';

export const CLI = path.join(REPO_ROOT, 'bin', 'cloudbilling.js');
export const FIXTURES = path.join(__dirname, 'fixtures');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `cloudbilling <args>` from the build output. */
export function cli(args: string[], opts: { env?: Record<string, string | undefined>; stdin?: string; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, CI: '1', ...opts.env };
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

/** A Terraform working directory with the provider block and `body`, initialised. */
export async function tfDir(tf: PreparedTerraform, env: Record<string, string>, body: string, parent: string): Promise<string> {
  const dir = terraformWorkdir({ 'main.tf': `${REQUIRED_PROVIDERS}\nprovider "cloudbilling" {}\n\n${body}` }, parent);
  const init = await runTerraform(tf, dir, ['init', '-input=false', '-no-color'], env);
  if (init.code !== 0) throw new Error(`${tf.engine} init failed:\n${init.stdout}\n${init.stderr}`);
  return dir;
}

/** `terraform plan -out` + `terraform show -json`: the plan JSON text `cloudbilling review` reads. */
export async function planJson(tf: PreparedTerraform, env: Record<string, string>, dir: string, extra: string[] = []): Promise<string> {
  const plan = await runTerraform(tf, dir, ['plan', '-input=false', '-no-color', '-out=review.tfplan', ...extra], env);
  if (plan.code !== 0) throw new Error(`${tf.engine} plan failed:\n${plan.stdout}\n${plan.stderr}`);
  const show = await runTerraform(tf, dir, ['show', '-json', 'review.tfplan'], env);
  if (show.code !== 0) throw new Error(`${tf.engine} show failed:\n${show.stderr}`);
  const file = path.join(dir, 'plan.json');
  fs.writeFileSync(file, show.stdout);
  return file;
}

/** `plan` must fail with the rule `code` (the provider judges the whole plan first, SPEC §6); returns the output. */
export async function planFails(tf: PreparedTerraform, env: Record<string, string>, dir: string, code: string): Promise<string> {
  const plan = await runTerraform(tf, dir, ['plan', '-input=false', '-no-color', '-out=review.tfplan'], env);
  const out = `${plan.stdout}\n${plan.stderr}`;
  if (plan.code !== 1 || !out.includes(`Error: ${code}:`)) throw new Error(`${tf.engine} plan should fail with ${code} (exit ${plan.code}):\n${out}`);
  return out;
}

/** Rewrite main.tf (keeps .terraform and the state). */
export function rewrite(dir: string, body: string): void {
  fs.writeFileSync(path.join(dir, 'main.tf'), `${REQUIRED_PROVIDERS}\nprovider "cloudbilling" {}\n\n${body}`);
}

export const GROUP = (res: string, name: string, extra = '') => `
resource "cloudbilling_billing_group" "${res}" {
  name           = ${JSON.stringify(name)}
  billing_emails = ["billing@example.com"]
  invoice_emails = ["tax@example.com"]
  payment_method = { type = "card", reference = "tok_${res}_do_not_print" }
  ${extra}
}
`;
