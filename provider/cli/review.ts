/**
 * `cloudbilling review PLAN|-`: checks a Terraform plan or Pulumi preview against the
 * domain rules. Thin: parsing, mapping, evaluation and rendering live in provider/gitops.
 * Exit 0 clean, 1 rule errors (warnings too with --strict), 2 the plan or the snapshot
 * could not be read.
 */
import { CONNECTION_HELP, REPORT_FORMATS, emitReport, fail, loadSnapshot, parseCommand } from '../gitops/cli-common';
import { parsePlanText, readSource } from '../gitops/input';
import { progress } from '../gitops/progress';
import { review } from '../gitops/review';
import { renderJson, renderMarkdown, renderText } from '../gitops/review-format';

const HELP = `usage: cloudbilling review PLAN|- [options]

Checks every planned action on cloudbilling resources of a saved plan against the
domain rules, reading the live snapshot once. PLAN is the output of
\`terraform show -json PLANFILE\` or \`pulumi preview --json\` (auto-detected); - reads stdin.

  --format F        markdown (PR comment) | text (default) | json
  --strict          treat warnings as errors
  --out FILE        also write the report to FILE
${CONNECTION_HELP}

Exit status: 0 no errors, 1 rule errors, 2 the plan or snapshot could not be read.
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand('review', argv, HELP, {
    options: { format: { type: 'string', short: 'f' }, strict: { type: 'boolean' }, out: { type: 'string', short: 'o' } },
    positionals: true,
    formats: REPORT_FORMATS,
    defaultFormat: 'text',
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals, format } = parsed;
  if (positionals.length !== 1) {
    process.stderr.write(`cloudbilling review: give exactly one plan file (or - for stdin)\n\n${HELP}`);
    return 2;
  }
  const p = progress();
  try {
    p.step('reading the plan');
    const plan = parsePlanText(await readSource(positionals[0]));
    p.step('reading the live snapshot');
    const snapshot = await loadSnapshot(values as Record<string, string>);
    p.step(`evaluating ${plan.resources.length} resources`);
    const report = review(plan, snapshot, { strict: values.strict === true });
    p.done();
    await emitReport(format, values.out as string | undefined, {
      json: () => renderJson(report),
      markdown: () => renderMarkdown(report),
      text: (color) => renderText(report, color),
    });
    return report.exitCode;
  } catch (e) {
    p.done();
    return fail('review', e);
  }
}
