/**
 * `cloudbilling export --format terraform|cdktf|pulumi [--out DIR]`: writes code for
 * every group, link and permission of the live domain so that the first plan after
 * import shows no changes. Logic in provider/gitops/export.ts.
 */
import { mkdir, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { CONNECTION_HELP, fail, loadSnapshot, parseCommand } from '../gitops/cli-common';
import { progress } from '../gitops/progress';
import { renderExport, type ExportFormat } from '../gitops/export';

const HELP = `usage: cloudbilling export --format terraform|cdktf|pulumi [--out DIR] [options]

Writes code for every billing group, project link and membership of the live domain:
Terraform HCL with import {} blocks, a CDKTF TypeScript stack (importFrom), or a Pulumi
program (adopt: true). Payment references go to a separate secrets file (mode 0600,
git-ignored), never into the code.

  --format F      terraform | cdktf | pulumi (required)
  --out DIR       directory to write (default: current directory)
  --no-secrets    do not write the secrets file; supply the references yourself
  --force         overwrite existing files
${CONNECTION_HELP}

Exit status: 0 written, 2 failure.
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand('export', argv, HELP, {
    options: { format: { type: 'string', short: 'f' }, out: { type: 'string', short: 'o' }, 'no-secrets': { type: 'boolean' }, force: { type: 'boolean' } },
    formats: ['terraform', 'cdktf', 'pulumi'],
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const format = parsed.format as ExportFormat;
  const dir = (values.out as string | undefined) ?? '.';
  const p = progress();
  try {
    p.step('reading the live snapshot');
    const snapshot = await loadSnapshot(values as Record<string, string>);
    const { files, model } = renderExport(snapshot, format, { secrets: values['no-secrets'] !== true });
    p.step(`writing ${files.length} files`);
    await mkdir(dir, { recursive: true });
    for (const f of files) {
      const path = join(dir, f.path);
      try {
        await writeFile(path, f.content, { flag: values.force ? 'w' : 'wx', mode: f.mode ?? 0o644 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
          p.done();
          process.stderr.write(`cloudbilling export: ${path} exists; pass --force to overwrite\n`);
          return 2;
        }
        throw e;
      }
      if (f.mode !== undefined) await chmod(path, f.mode);
    }
    p.done();
    const counts = (k: string) => model.objects.filter((o) => o.kind === k).length;
    process.stderr.write(
      `cloudbilling export: wrote ${files.map((f) => f.path).join(', ')} in ${dir}: ` +
        `${counts('mainBillingGroup') + counts('billingGroup')} groups, ${counts('projectLink')} links, ${counts('groupPermission')} memberships` +
        (model.secrets.size > 0 ? `; ${model.secrets.size} payment reference(s) ${values['no-secrets'] ? 'left for you to supply' : 'in the git-ignored secrets file'}` : '') +
        '\n',
    );
    return 0;
  } catch (e) {
    p.done();
    return fail('export', e);
  }
}
