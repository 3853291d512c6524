/**
 * What the three GitOps commands share: the API connection options, snapshot loading
 * (live, or a saved `GET /v1/snapshot` document for offline runs and tests) and turning
 * failures into an exit code with a message that never carries a token.
 */
import { BillingClient, isApiError, type Snapshot } from '../client';
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
