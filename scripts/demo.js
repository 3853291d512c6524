#!/usr/bin/env node
/**
 * `npm run demo`: the whole story in about half a minute, on your machine, touching
 * nothing outside one temp directory.
 *
 *   1. build (tsc + the provider bundle)
 *   2. start the local Billing API with the demo domain (`cloudbilling serve --demo`,
 *      temp SQLite file, a free port, a generated admin token)
 *   3. install the provider offline (`cloudbilling terraform-setup --dir`
 *      into a temp plugins dir, with a temp CLI config via TF_CLI_CONFIG_FILE, so
 *      ~/.terraform.d and ~/.terraformrc stay untouched)
 *   4. `terraform init && terraform apply` of examples/terraform (or `tofu ...`)
 *   5. a plan-time rule: moving a project between two sub groups without
 *      allow_transfer fails `terraform plan` with TRANSFER_NOT_ACKNOWLEDGED; nothing is written
 *   6. drift: a project moved in the "console" (the API) shows in
 *      `terraform plan -detailed-exitcode`, which exits 2
 *   7. stop the server and remove the temp directory (`--keep` keeps it)
 *
 * The engine: CLOUDBILLING_TF_ENGINE (`terraform`, `tofu`, or a path to either), else
 * `terraform` when it is on PATH, else OpenTofu's `tofu` (PATH, then .engines/bin from
 * `npm run engines`). Plain Node, no dependencies beyond the build output.
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'bin', 'cloudbilling.js');
const EXAMPLE = path.join(ROOT, 'examples', 'terraform');
const keep = process.argv.includes('--keep');
const skipBuild = process.argv.includes('--no-build');

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
let step = 0;
function heading(title) {
  step += 1;
  process.stdout.write(`\n${bold(`== ${step}. ${title} ==`)}\n`);
}
function say(s) {
  process.stdout.write(`${s}\n`);
}
function indent(text) {
  return text
    .replace(/\s+$/, '')
    .split('\n')
    .map((l) => `   ${l}`)
    .join('\n');
}
function fail(message) {
  process.stderr.write(`\ndemo failed: ${message}\n`);
  process.exitCode = 1;
  throw new DemoError(message);
}
class DemoError extends Error {}

/** Run a command, resolve with {code, out} (stdout+stderr). */
function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/** Keep what a newcomer needs from terraform's output: the plan, diagnostics, the summary, the outputs. */
function essentials(out) {
  const keepLine = (l) =>
    /^\s*# \S+ (will be|must be)/.test(l) ||
    /^\s*[~+-] (resource|billing_group_id|name)\b/.test(l) ||
    /^(Plan|Apply complete|Destroy complete|No changes)/.test(l) ||
    /^(Error|Warning): /.test(l) ||
    /^\s*(with|on) .*(line \d+|,)/.test(l) ||
    /^\s+\d+: /.test(l) ||
    /^\s{2,}\w+\s+= "/.test(l);
  const at = out.indexOf('\nOutputs:');
  const body = at === -1 ? out : out.slice(0, at);
  const outputs = at === -1 ? '' : `\n${out.slice(at + 1).trimEnd()}`;
  // A diagnostic's first paragraph of detail is kept too: a warning's specifics are there.
  let diag = 'none'; // 'head': after "Error:/Warning:", before the detail; 'detail': in it
  const kept = [];
  for (const l of body.split('\n')) {
    if (/^(Error|Warning): /.test(l)) diag = 'head';
    else if (diag === 'head' && l.trim() && !keepLine(l) && !/^\s+[│├└]/.test(l)) diag = 'detail'; // past the source snippet
    else if (diag === 'detail' && !l.trim()) diag = 'none';
    if (diag === 'detail' || keepLine(l) || /^\(and \d+ more similar/.test(l)) kept.push(l);
  }
  return kept.join('\n') + outputs;
}

/** A command that runs: `name` itself when it has a slash, else the first on PATH, then in .engines/bin. */
function findCommand(name) {
  const candidates = name.includes('/') ? [path.resolve(name)] : [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), path.join(ROOT, '.engines', 'bin')].map((d) => path.join(d, name));
  return candidates.find((c) => spawnSync(c, ['version'], { stdio: 'ignore', env: { ...process.env, CHECKPOINT_DISABLE: '1' } }).status === 0);
}

/** The engine to drive: {bin, cmd: 'terraform' | 'tofu' (what the user types), label}. */
function chooseEngine() {
  const wanted = process.env.CLOUDBILLING_TF_ENGINE;
  const describe = (bin) => {
    const cmd = path.basename(bin) === 'tofu' ? 'tofu' : 'terraform';
    return { bin, cmd, label: cmd === 'tofu' ? 'OpenTofu' : 'Terraform' };
  };
  if (wanted) {
    const bin = findCommand(wanted);
    if (!bin) fail(`CLOUDBILLING_TF_ENGINE=${wanted}: no such engine runs here (use terraform or tofu; \`npm run engines\` builds tofu into .engines/bin).`);
    return describe(bin);
  }
  const bin = findCommand('terraform') ?? findCommand('tofu');
  if (!bin) {
    fail('neither `terraform` nor `tofu` found. Install Terraform 1.11+ (https://developer.hashicorp.com/terraform/install), or build OpenTofu with `npm run engines`, and run `npm run demo` again.');
  }
  return describe(bin);
}

async function main() {
  const started = Date.now();
  const engine = chooseEngine();
  const cmd = engine.cmd;

  heading('Build');
  if (skipBuild) say(dim('skipped (--no-build)'));
  else {
    const b = await run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build']);
    if (b.code !== 0) fail(`npm run build failed:\n${b.out}`);
    say('tsc + provider bundle: dist/terraform-provider/');
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cloudbilling-demo-'));
  const token = `demo-${crypto.randomBytes(18).toString('base64url')}`;
  let server;
  try {
    heading('Start the local Billing API with the demo domain');
    server = spawn(process.execPath, [CLI, 'serve', '--demo', '--db', path.join(tmp, 'billing.db'), '--port', '0', '--rate-limit', '0'], {
      env: { ...process.env, CLOUDBILLING_ADMIN_TOKEN: token, CLOUDBILLING_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let serverOut = '';
    server.stderr.on('data', (d) => (serverOut += d));
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not start:\n${serverOut}`)), 30_000);
      server.stdout.on('data', (d) => {
        serverOut += d;
        const m = /listening on (http:\/\/\S+)/.exec(serverOut);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      server.on('exit', (code) => reject(new Error(`the server exited (${code}):\n${serverOut}`)));
    }).catch((e) => fail(e.message));
    say(`cloudbilling serve --demo   ${url}   (db ${path.join(tmp, 'billing.db')})`);
    say(`web console: ${url}/console/ while the demo runs (\`npm run serve -- --demo\` keeps one running; docs/console.md)`);
    const api = async (method, p, body) => {
      const res = await fetch(`${url}${p}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      if (!res.ok) fail(`${method} ${p}: HTTP ${res.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    };
    const snap = await api('GET', '/v1/snapshot');
    say(`domain "${snap.domain.name}": ${snap.groups.length - 1} sub groups, ${snap.projects.length} projects, ${snap.users.length} users`);

    heading(`Install the provider for ${engine.label} (offline, into the temp dir)`);
    const cliConfig = path.join(tmp, 'terraformrc');
    const tfEnv = {
      ...process.env,
      TF_CLI_CONFIG_FILE: cliConfig,
      CHECKPOINT_DISABLE: '1',
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      TF_PLUGIN_CACHE_DIR: '',
      CLOUDBILLING_API_URL: url,
      CLOUDBILLING_TOKEN: token,
    };
    const setup = await run(process.execPath, [CLI, 'terraform-setup', '--dir', path.join(tmp, 'plugins')], { env: tfEnv });
    if (setup.code !== 0) fail(`cloudbilling terraform-setup failed:\n${setup.out}`);
    say(indent(setup.out));
    say(dim(`(to install for real: \`npx cloudbilling terraform-setup\` puts it in ~/.terraform.d/plugins)`));

    heading(`${cmd} init && ${cmd} apply  (examples/terraform/main.tf, ${engine.bin})`);
    const work = path.join(tmp, 'work');
    fs.mkdirSync(work);
    for (const f of fs.readdirSync(EXAMPLE)) if (f.endsWith('.tf')) fs.copyFileSync(path.join(EXAMPLE, f), path.join(work, f));
    const tf = (...args) => run(engine.bin, args, { cwd: work, env: tfEnv });
    const init = await tf('init', '-no-color', '-input=false');
    if (init.code !== 0) fail(`${cmd} init failed:\n${init.out}`);
    say(`${cmd} init: provider cloudbilling/cloudbilling installed from the local mirror`);
    const cto = snap.users.find((u) => u.email.startsWith('cto@'));
    const vars = ['-var', `mobile_lead_user_id=${cto.id}`];
    const apply = await tf('apply', '-no-color', '-input=false', '-auto-approve', ...vars);
    if (apply.code !== 0) fail(`${cmd} apply failed:\n${apply.out}`);
    say(indent(essentials(apply.out)));

    heading('A plan-time rule: a transfer between sub groups needs allow_transfer');
    const after = await api('GET', '/v1/snapshot');
    const platform = after.groups.find((g) => g.name === 'Platform');
    const apiGateway = after.projects.find((p) => p.name === 'api-gateway');
    say(`Adding to the configuration: move project "api-gateway" from sub group "Platform" to "Mobile"`);
    const transferTf = `resource "cloudbilling_project_link" "api_gateway" {
  project_id       = "${apiGateway.id}"
  billing_group_id = cloudbilling_billing_group.mobile.id
  # allow_transfer = true   # both groups' admins agreed
}
`;
    say(indent(transferTf));
    fs.writeFileSync(path.join(work, 'transfer.tf'), transferTf);
    const eventsBefore = (await api('GET', `/v1/billing-groups/${platform.id}/events?limit=200`)).items.length;
    const violation = await tf('plan', '-no-color', '-input=false', ...vars);
    const eventsAfter = (await api('GET', `/v1/billing-groups/${platform.id}/events?limit=200`)).items.length;
    if (violation.code !== 1 || !violation.out.includes('TRANSFER_NOT_ACKNOWLEDGED')) fail(`expected the plan to fail with TRANSFER_NOT_ACKNOWLEDGED:\n${violation.out}`);
    say(`${cmd} plan exited ${violation.code}:`);
    say(indent(violation.out.slice(violation.out.indexOf('Error: '))));
    const nowIn = (await api('GET', `/v1/projects/${apiGateway.id}`)).billingGroupId;
    if (nowIn !== platform.id || eventsAfter !== eventsBefore) fail('the failed plan changed something on the server');
    say(`Nothing was written: api-gateway is still in "Platform", Platform's event log unchanged (${eventsAfter} events).`);
    fs.rmSync(path.join(work, 'transfer.tf'));

    heading(`Drift: a project moved outside ${engine.label}`);
    const chatbot = after.projects.find((p) => p.name === 'chatbot');
    await api('DELETE', `/v1/projects/${chatbot.id}/billing-group`);
    say(`DELETE /v1/projects/${chatbot.id}/billing-group   (someone put "chatbot" back into the main group in the console)`);
    const drift = await tf('plan', '-no-color', '-input=false', '-detailed-exitcode', ...vars);
    if (drift.code !== 2) fail(`expected ${cmd} plan -detailed-exitcode to exit 2:\n${drift.out}`);
    say(`${cmd} plan -detailed-exitcode exited ${drift.code} (changes present):`);
    say(indent(essentials(drift.out)));
    say(`\n${bold('Done')} in ${((Date.now() - started) / 1000).toFixed(1)} s. Next: \`${cmd} apply\` would move chatbot back; \`cloudbilling review\` checks a saved plan as a whole.`);
    if (keep) say(`\nKept ${tmp} (--keep): the database, the plugins mirror, the CLI config and the working directory.`);
  } finally {
    heading('Stop the server');
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    say('stopped');
    if (!keep) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  if (!(e instanceof DemoError)) {
    process.stderr.write(`\ndemo failed: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 1;
  }
});
