/**
 * `cloudbilling drift --terraform-state FILE | --pulumi-stack FILE`: compares what IaC
 * manages with the live domain; reports changed, missing and unmanaged objects with who
 * changed them and when. Exit 0 no drift, 2 drift (or a failure to read, with a message
 * on stderr and no report on stdout). Logic in provider/gitops/drift.ts.
 */
import { CONNECTION_HELP, REPORT_FORMATS, clientFrom, emitReport, fail, loadSnapshot, parseCommand } from '../gitops/cli-common';
import { parseStateText, readSource } from '../gitops/input';
import { progress } from '../gitops/progress';
import { attributeDrift, compareDrift } from '../gitops/drift';
import { renderDriftJson, renderDriftMarkdown, renderDriftText } from '../gitops/drift-format';

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
  const parsed = parseCommand('drift', argv, HELP, {
    options: {
      'terraform-state': { type: 'string' },
      'pulumi-stack': { type: 'string' },
      format: { type: 'string', short: 'f' },
      'ignore-unmanaged': { type: 'boolean' },
      out: { type: 'string', short: 'o' },
    },
    formats: REPORT_FORMATS,
    defaultFormat: 'text',
  });
  if (typeof parsed === 'number') return parsed;
  const { values, format } = parsed;
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
    await emitReport(format, values.out as string | undefined, {
      json: () => renderDriftJson(report),
      markdown: () => renderDriftMarkdown(report),
      text: (color) => renderDriftText(report, color),
    });
    return report.exitCode;
  } catch (e) {
    p.done();
    return fail('drift', e);
  }
}
