/**
 * `npm run demo` is the README's main job for a newcomer: run it (without the build
 * step; the test run builds first) under each engine (CLOUDBILLING_TF_ENGINE) and check
 * each part of the story happened.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT, engineBinary, tfEngines } from '../helpers/terraform';

describe.each(tfEngines())('%s', (engine) => {
  test('scripts/demo.js: apply, a plan-time rule violation, drift exit 2, server stopped', () => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'demo.js'), '--no-build'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 180_000,
      env: { ...process.env, CHECKPOINT_DISABLE: '1', CLOUDBILLING_TF_ENGINE: engineBinary(engine) },
    });
    const out = `${r.stdout}\n${r.stderr}`;
    if (r.status !== 0) throw new Error(`demo exited ${r.status}:\n${out}`);
    expect(out).toContain(`== 4. ${engine} init && ${engine} apply`);
    expect(out).toContain('Apply complete! Resources: 8 added, 0 changed, 0 destroyed.');
    expect(out).toContain('Error: TRANSFER_NOT_ACKNOWLEDGED:');
    expect(out).toMatch(/Platform's event log unchanged \(\d+ events\)/);
    expect(out).toContain(`${engine} plan -detailed-exitcode exited 2`);
    expect(out).toMatch(/~ billing_group_id\s+= "bg-\S+" -> "bg-\S+"/);
    expect(out).toMatch(/== 7\. Stop the server ==\nstopped/);
    // The admin token never shows.
    expect(out).not.toMatch(/demo-[A-Za-z0-9_-]{24}/);
  });
});
