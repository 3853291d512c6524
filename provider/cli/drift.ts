/**
 * `cloudbilling drift --terraform-state FILE | --pulumi-stack FILE`: compares what IaC
 * manages with the live domain; reports changed, missing and unmanaged objects with who
 * changed them and when. Exit 0 no drift, 2 drift (or a failure to read, with a message
 * on stderr and no report on stdout). Logic in provider/gitops/drift.ts.
 */
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { CONNECTION_HELP, CONNECTION_OPTIONS, clientFrom, fail, loadSnapshot } from '../gitops/cli-common';
import { parseStateText, readSource } from '../gitops/input';
import { progress } from '../gitops/progress';
import { attributeDrift, compareDrift } from '../gitops/drift';
import { renderDriftJson, renderDriftMarkdown, renderDriftText } from '../gitops/drift-format';
import { wantsColor } from '../gitops/format';

const HELP = `usage: cloudbilling drift (--terraform-state FILE | --pulumi-stack FILE) [options]

Compares the objects IaC manages with the live domain and reports what changed outside
IaC, what is missing and what no code declares, with who changed it and when.

  --terraform-state FILE  output of \`terraform show -json\` (or a terraform.tfstate); - for stdin
  --pulumi-stack FILE     output of \`pulumi stack export\`; - for stdin
  --format F              markdown | text (default) | json
  --ignore-unmanaged      do not report live objects that no code declares
  --out FILE              also write the report to FILE
${CONNECTION_HELP}

Exit status: 0 no drift, 2 drift found or the state/snapshot could not be read.
`;

export async function run(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        ...CONNECTION_OPTIONS,
        'terraform-state': { type: 'string' },
        'pulumi-stack': { type: 'string' },
        format: { type: 'string', short: 'f' },
        'ignore-unmanaged': { type: 'boolean' },
        out: { type: 'string', short: 'o' },
      },
    }));
  } catch (e) {
    process.stderr.write(`cloudbilling drift: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const format = (values.format as string | undefined) ?? 'text';
  if (!['markdown', 'text', 'json'].includes(format)) {
    process.stderr.write('cloudbilling drift: --format must be markdown, text or json\n');
    return 2;
  }
  const tf = values['terraform-state'] as string | undefined;
  const pu = values['pulumi-stack'] as string | undefined;
  if ((tf === undefined) === (pu === undefined)) {
    process.stderr.write(`cloudbilling drift: give one of --terraform-state or --pulumi-stack\n\n${HELP}`);
    return 2;
  }
  const p = progress();
  try {
    p.step('reading the state');
    const state = parseStateText(await readSource((tf ?? pu)!), tf !== undefined ? 'terraform' : 'pulumi');
    p.step('reading the live snapshot');
    const snapshot = await loadSnapshot(values as Record<string, string>);
    const report = compareDrift(state, snapshot, { ignoreUnmanaged: values['ignore-unmanaged'] === true });
    if (report.items.length > 0 && !values.snapshot) {
      p.step(`reading event logs for ${report.items.length} drifted objects`);
      const client = clientFrom(values as Record<string, string>);
      await attributeDrift(report, (id) => client.allEvents(id), snapshot.users);
    }
    p.done();
    const body = format === 'json' ? renderDriftJson(report) : format === 'markdown' ? renderDriftMarkdown(report) : renderDriftText(report, wantsColor(process.stdout));
    if (values.out) await writeFile(values.out as string, format === 'text' ? renderDriftText(report, false) : body);
    process.stdout.write(body);
    return report.exitCode;
  } catch (e) {
    p.done();
    return fail('drift', e);
  }
}
