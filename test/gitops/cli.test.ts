/**
 * The three commands as processes (built CLI), offline with `--snapshot`: options,
 * stdin, --out, exit codes, and that progress and colour stay off in CI / pipes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { progress } from '../../provider/gitops/progress';
import { wantsColor } from '../../provider/gitops/format';
import { requireBuild } from '../helpers/engines';
import { FIXTURES, cli } from './helpers';

const SNAP = path.join(FIXTURES, 'snapshot.json');

describe('cloudbilling review/drift/export as commands', () => {
  // Never skipped: without the build, every test here fails saying `npm run build`.
  beforeAll(() => requireBuild());
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cb-cli-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('review reads stdin, writes --out, and exits 1 on rule errors', async () => {
    const plan = fs.readFileSync(path.join(FIXTURES, 'pulumi-preview-rules.json'), 'utf8');
    const out = path.join(dir, 'review.md');
    const r = await cli(['review', '-', '--snapshot', SNAP, '--format', 'markdown', '--out', out], { stdin: plan });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(''); // no progress in CI
    expect(fs.readFileSync(out, 'utf8')).toBe(r.stdout);
    expect(r.stdout).toContain('**PROJECT_MULTI_LINK**');
  });

  test('review: a clean plan exits 0; --strict with a warning exits 1', async () => {
    const clean = path.join(FIXTURES, 'terraform-sensitive.plan.json');
    expect((await cli(['review', clean, '--snapshot', SNAP])).code).toBe(0);
    const warn = path.join(FIXTURES, 'pulumi-preview-delete.json');
    expect((await cli(['review', warn, '--snapshot', SNAP])).code).toBe(0);
    const strict = await cli(['review', warn, '--snapshot', SNAP, '--strict', '--format', 'text']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('DELETE_IRREVERSIBLE (strict)');
    expect(strict.stdout).not.toContain('\u001b['); // not a TTY: no colour
  });

  test('usage errors exit 2 with a message; --help exits 0', async () => {
    for (const args of [['review'], ['review', 'a', 'b'], ['review', 'x.json', '--format', 'html'], ['review', 'x.json', '--bogus'], ['drift'], ['drift', '--terraform-state', 'a', '--pulumi-stack', 'b'], ['export'], ['export', '--format', 'yaml']]) {
      const r = await cli(args);
      expect([args, r.code]).toEqual([args, 2]);
      expect(r.stderr).toMatch(/^cloudbilling (review|drift|export): /);
    }
    for (const c of ['review', 'drift', 'export']) {
      const r = await cli([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`usage: cloudbilling ${c}`);
    }
    const missing = await cli(['review', path.join(dir, 'nope.json'), '--snapshot', SNAP]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
  });

  test('drift offline: a Terraform state against the saved snapshot', async () => {
    const snap = JSON.parse(fs.readFileSync(SNAP, 'utf8'));
    const team = snap.groups.find((g: { name: string }) => g.name === 'Team A');
    const state = {
      format_version: '1.0',
      values: {
        root_module: {
          resources: [
            { address: 'cloudbilling_billing_group.a', mode: 'managed', type: 'cloudbilling_billing_group', name: 'a', values: { id: team.id, name: 'Team A', billing_emails: team.billingEmails, invoice_emails: team.invoiceEmails } },
          ],
        },
      },
    };
    const file = path.join(dir, 'state.json');
    fs.writeFileSync(file, JSON.stringify(state));
    const r = await cli(['drift', '--terraform-state', file, '--snapshot', SNAP, '--format', 'json']);
    expect(r.stderr).toBe('');
    // The web project sits in Team A with no link resource: unmanaged.
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).items.map((i: { status: string; kind: string }) => `${i.status}:${i.kind}`)).toEqual(['unmanaged:projectLink']);
    expect((await cli(['drift', '--terraform-state', file, '--snapshot', SNAP, '--ignore-unmanaged'])).code).toBe(0);
  });

  test('export offline writes the files and refuses to overwrite without --force', async () => {
    const out = path.join(dir, 'export');
    const r = await cli(['export', '--format', 'pulumi', '--out', out, '--snapshot', SNAP]);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['.gitignore', 'Pulumi.yaml', 'index.ts', 'set-secrets.sh']);
    expect((await cli(['export', '--format', 'pulumi', '--out', out, '--snapshot', SNAP])).code).toBe(2);
    expect((await cli(['export', '--format', 'pulumi', '--out', out, '--snapshot', SNAP, '--force'])).code).toBe(0);
  });
});

test('progress shows on a TTY only, never in CI', () => {
  const capture = (isTTY: boolean, env: NodeJS.ProcessEnv) => {
    const s = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
    (s as { isTTY?: boolean }).isTTY = isTTY;
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    const p = progress(s, env);
    p.step('reading');
    p.done();
    return text;
  };
  expect(capture(true, {})).toContain('… reading');
  expect(capture(true, { CI: 'true' })).toBe('');
  expect(capture(false, {})).toBe('');
  const tty = { isTTY: true } as NodeJS.WriteStream;
  expect(wantsColor(tty, {})).toBe(true);
  expect(wantsColor(tty, { NO_COLOR: '1' })).toBe(false);
  expect(wantsColor({ isTTY: false } as NodeJS.WriteStream, { FORCE_COLOR: '1' })).toBe(true);
});
