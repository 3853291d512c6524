/**
 * Export without a server: identifiers, secrets handling, and the generated CDKTF and
 * Pulumi programs type-check against the real `cloudbilling/cdktf` and
 * `cloudbilling/pulumi` modules (the Terraform output is run for real in
 * export-drift-e2e.test.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { buildExportModel, identifier, renderExport } from '../../provider/gitops/export';
import type { Snapshot } from '../../provider/client/types';
import { domain } from '../domain/fixtures';
import { REPO_ROOT } from '../helpers/terraform';

function snap(): Snapshot {
  const s = domain('Acme')
    .sub('Team A')
    .sub('team-a')
    .sub('2024 Budget ${x}')
    .sub('Équipe', { paymentMethod: null, details: { company: 'Équipe SARL', countryCode: 'FR', currency: 'EUR' } })
    .project('p1', 'Team A')
    .project('p2', 'Équipe')
    .project('p3')
    .user('u1')
    .permission('u1', 'Team A')
    .build();
  return { ...s, links: [], at: '2026-11-22T12:00:00.000Z' };
}

test('identifiers are valid, unique and stable', () => {
  const used = new Set<string>();
  expect(['Team A', 'team-a', '2024 Budget', 'Équipe', '', '***'].map((n) => identifier(n, used, 'group'))).toEqual([
    'team_a',
    'team_a_2',
    'group_2024_budget',
    'equipe',
    'group',
    'group_2',
  ]);
});

test('the model covers every group, link of a project outside main, and membership; defaults left out', () => {
  const m = buildExportModel(snap());
  expect(m.objects.map((o) => `${o.kind}:${o.name}:${o.importId}`)).toEqual([
    'mainBillingGroup:main:main',
    'billingGroup:group_2024_budget_x:sub-3',
    'billingGroup:equipe:sub-4',
    'billingGroup:team_a:sub-1',
    'billingGroup:team_a_2:sub-2',
    'projectLink:link_project_p1:p1',
    'projectLink:link_project_p2:p2',
    'groupPermission:member_team_a_u1:sub-1/u1',
  ]);
  const team = m.objects.find((o) => o.name === 'team_a')!;
  expect(Object.keys(team.values)).toEqual(['name', 'billingEmails', 'invoiceEmails', 'paymentMethod']); // details = defaults only
  const equipe = m.objects.find((o) => o.name === 'equipe')!;
  expect(Object.keys(equipe.values)).toEqual(['name', 'billingEmails', 'invoiceEmails', 'details']);
  expect(m.secrets.size).toBe(4); // main + three sub groups with a card
});

test('secrets stay out of the code and only go to the secrets file unless --no-secrets', () => {
  for (const format of ['terraform', 'cdktf', 'pulumi'] as const) {
    const { files } = renderExport(snap(), format);
    const secretFiles = files.filter((f) => f.mode === 0o600);
    expect(secretFiles).toHaveLength(1);
    for (const f of files) {
      if (f.mode !== 0o600) expect(f.content).not.toContain('tok_visa_0001');
      else expect(f.content).toContain('tok_visa_0001');
    }
    const gitignore = files.find((f) => f.path === '.gitignore')!.content;
    expect(gitignore).toContain(secretFiles[0].path);
    expect(renderExport(snap(), format, { secrets: false }).files.some((f) => f.content.includes('tok_visa_0001'))).toBe(false);
  }
});

function typecheck(file: string, content: string): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cb-export-ts-'));
  try {
    const main = path.join(dir, file);
    fs.writeFileSync(main, content);
    const program = ts.createProgram([main], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      types: ['node'],
      typeRoots: [path.join(REPO_ROOT, 'node_modules', '@types')],
      baseUrl: REPO_ROOT,
      paths: { 'cloudbilling/*': ['provider/*'], '*': ['node_modules/*'] },
    });
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the CDKTF stack type-checks against cloudbilling/cdktf', () => {
  const main = renderExport(snap(), 'cdktf').files.find((f) => f.path === 'main.ts')!;
  expect(main.content).toContain(".importFrom(\"sub-1\")");
  expect(typecheck('main.ts', main.content)).toEqual([]);
}, 60_000);

test('the Pulumi program type-checks against cloudbilling/pulumi and adopts every object', () => {
  const index = renderExport(snap(), 'pulumi').files.find((f) => f.path === 'index.ts')!;
  expect(index.content.match(/^  adopt: true,$/gm)).toHaveLength(7); // all but the main group, which is always adopted
  expect(index.content).toContain('config.requireSecret("paymentReferenceTeamA")');
  expect(typecheck('index.ts', index.content)).toEqual([]);
}, 60_000);
