/**
 * Reading a plan or state document from a file or stdin and telling which tool wrote it.
 * Every failure is an `InputError` (exit code 2) whose message never quotes the input:
 * plans and states can hold secrets.
 */
import { readFile } from 'node:fs/promises';
import { InputError, type ParsedPlan, type ParsedState } from './model';
import { isTerraformPlan, isTerraformRawState, isTerraformShowState, parseTerraformPlan, parseTerraformState } from './terraform';
import { isPulumiPreview, isPulumiStackExport, parsePulumiPreview, parsePulumiStackExport } from './pulumi';

/** Read a whole file, or stdin for `-`. */
export async function readSource(path: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'read error')}`);
  }
}

export function parseJson(text: string, what: string): unknown {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') throw new InputError(`${what} is empty`);
  try {
    return JSON.parse(trimmed);
  } catch (e) {
    // `pulumi preview --json` may print log lines before the document when misused.
    const start = trimmed.indexOf('{');
    if (start > 0) {
      try {
        return JSON.parse(trimmed.slice(start));
      } catch {
        /* report the original error */
      }
    }
    // Never quote the input (it may hold secrets): say where, not what.
    const pos = /position (\d+)/.exec((e as Error).message);
    throw new InputError(`${what} is not JSON${pos ? ` (syntax error at character ${pos[1]})` : ''}`);
  }
}

/** A Terraform plan (`terraform show -json PLANFILE`) or a Pulumi preview (`pulumi preview --json`). */
export function parsePlanText(text: string): ParsedPlan {
  const doc = parseJson(text, 'the plan');
  if (isTerraformPlan(doc)) return parseTerraformPlan(doc as Record<string, any>);
  if (isPulumiPreview(doc)) return parsePulumiPreview(doc as Record<string, any>);
  if (isTerraformShowState(doc) || isTerraformRawState(doc) || isPulumiStackExport(doc)) {
    throw new InputError('this is a state, not a plan: pass `terraform show -json PLANFILE` or `pulumi preview --json` output (drift reads states)');
  }
  throw new InputError('not a Terraform plan (terraform show -json PLANFILE) or a Pulumi preview (pulumi preview --json)');
}

/** Terraform state (`terraform show -json`, or terraform.tfstate) or a Pulumi stack export. */
export function parseStateText(text: string, expect: 'terraform' | 'pulumi' | 'any' = 'any'): ParsedState {
  const doc = parseJson(text, 'the state');
  if (expect !== 'pulumi' && (isTerraformShowState(doc) || isTerraformRawState(doc))) return parseTerraformState(doc as Record<string, any>);
  if (expect !== 'terraform' && isPulumiStackExport(doc)) return parsePulumiStackExport(doc as Record<string, any>);
  if (isTerraformPlan(doc) && expect !== 'pulumi') {
    // A saved plan's JSON also carries the prior state; use it.
    const prior = (doc as Record<string, any>).prior_state;
    if (prior) return parseTerraformState(prior);
  }
  throw new InputError(
    expect === 'pulumi'
      ? 'not a Pulumi stack export (pulumi stack export)'
      : expect === 'terraform'
        ? 'not Terraform state (terraform show -json, or terraform.tfstate)'
        : 'not Terraform state or a Pulumi stack export',
  );
}
