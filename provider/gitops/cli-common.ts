/**
 * What the three GitOps commands share: the API connection options, snapshot loading
 * (live, or a saved `GET /v1/snapshot` document for offline runs and tests) and turning
 * failures into an exit code with a message that never carries a token.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { BillingClient, isApiError, type Snapshot } from '../client';
import { wantsColor } from './format';
import { InputError, isInputError } from './model';
import { parseJson, readSource } from './input';

export const CONNECTION_OPTIONS = {
  'api-url': { type: 'string' },
  token: { type: 'string' },
  snapshot: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const CONNECTION_HELP = [
  '  --api-url URL     Billing API (default: CLOUDBILLING_API_URL)',
  '  --token TOKEN     API token (default: CLOUDBILLING_TOKEN; prefer the variable)',
  '  --snapshot FILE   use a saved GET /v1/snapshot document instead of the live API',
].join('\n');

export function clientFrom(values: { 'api-url'?: string; token?: string }): BillingClient {
  return new BillingClient({ apiUrl: values['api-url'], token: values.token });
}

/** The snapshot, read once: from `--snapshot FILE` or `GET /v1/snapshot`. */
export async function loadSnapshot(values: { 'api-url'?: string; token?: string; snapshot?: string }): Promise<Snapshot> {
  if (values.snapshot) {
    const doc = parseJson(await readSource(values.snapshot), 'the snapshot') as Snapshot;
    if (!doc || typeof doc !== 'object' || !doc.domain || !Array.isArray(doc.groups) || !Array.isArray(doc.projects)) {
      throw new InputError('the snapshot file is not a GET /v1/snapshot document');
    }
    doc.users ??= [];
    doc.permissions ??= [];
    doc.links ??= [];
    return doc;
  }
  return clientFrom(values).getSnapshot();
}

/** Print a failure and return exit code 2. Messages of ApiError never include the token. */
export function fail(command: string, e: unknown): number {
  let msg: string;
  if (isInputError(e)) msg = e.message;
  else if (isApiError(e)) msg = `Billing API: ${e.code}: ${e.message}`;
  else if (e instanceof Error && (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') msg = e.message;
  else if (e instanceof TypeError && /parseArgs|option/i.test(e.message)) msg = e.message;
  else msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  process.stderr.write(`cloudbilling ${command}: ${msg}\n`);
  return 2;
}

export type CommandValues = Record<string, string | boolean | undefined>;

/**
 * Parse a command's arguments (the connection options are added). `--help` prints the
 * help and gives exit code 0; a parse error or a `--format` outside `formats` prints
 * the problem with the help and gives 2. Otherwise the values, positionals and format.
 */
export function parseCommand(
  command: string,
  argv: string[],
  help: string,
  spec: { options: NonNullable<ParseArgsConfig['options']>; positionals?: boolean; formats: readonly string[]; defaultFormat?: string },
): { values: CommandValues; positionals: string[]; format: string } | number {
  let values: CommandValues;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, allowPositionals: spec.positionals ?? false, options: { ...CONNECTION_OPTIONS, ...spec.options } }));
  } catch (e) {
    process.stderr.write(`cloudbilling ${command}: ${(e as Error).message}\n\n${help}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  const format = (values.format as string | undefined) ?? spec.defaultFormat;
  if (format === undefined || !spec.formats.includes(format)) {
    const list = spec.formats.join(', ').replace(/, ([^,]*)$/, ' or $1');
    process.stderr.write(`cloudbilling ${command}: --format must be ${list}\n\n${help}`);
    return 2;
  }
  return { values, positionals, format };
}

export const REPORT_FORMATS = ['markdown', 'text', 'json'] as const;

/** Print a report in the chosen format (colour only on a TTY) and, with `--out FILE`, write it there too (never coloured). */
export async function emitReport(
  format: string,
  out: string | undefined,
  render: { json(): string; markdown(): string; text(color: boolean): string },
): Promise<void> {
  const body = format === 'json' ? render.json() : format === 'markdown' ? render.markdown() : render.text(wantsColor(process.stdout));
  if (out) await writeFile(out, format === 'text' ? render.text(false) : body);
  process.stdout.write(body);
}
