/**
 * Domain diagnostics → tfplugin6 diagnostics, and exceptions → error diagnostics.
 *
 * - `summary` is `"<CODE>: <summary>"` so the rule code leads what the user reads; for a
 *   warning of SPEC §2 it is `"<CODE>: <the rule>"`, so that Terraform consolidates them.
 * - `path` (camelCase, e.g. `["billingEmails", 2]`) becomes `attribute.steps`
 *   (`attribute_name: "billing_emails"`, `element_key_int: 2`), which Terraform renders
 *   with the offending source line highlighted.
 * - A thrown `ApiError` carries the API's rule code (and every violation in
 *   `details.violations`): one error diagnostic per violation. Anything else thrown is a
 *   provider bug or transport failure: one `PROVIDER_ERROR` diagnostic, never a crash.
 */
import { inTerraformWords, isRuleCode, reword, RULES } from '../../domain/messages';
import type { Diagnostic } from '../../domain/types';
import { toSnake } from '../../domain/naming';

export interface ProtoStep {
  attribute_name?: string;
  element_key_string?: string;
  element_key_int?: number;
}
export interface ProtoAttributePath {
  steps: ProtoStep[];
}
export interface ProtoDiagnostic {
  severity: 'ERROR' | 'WARNING';
  summary: string;
  detail: string;
  attribute?: ProtoAttributePath;
}

/** camelCase path → tfplugin6 AttributePath. Strings are attribute names, numbers list indices. */
export function attributePath(path: readonly (string | number)[]): ProtoAttributePath {
  return {
    steps: path.map((p) => (typeof p === 'number' ? { element_key_int: p } : { attribute_name: toSnake(p) })),
  };
}

/**
 * One domain diagnostic in the tfplugin6 form. A warning of SPEC §2 gets its rule as the
 * summary (the same for every resource) and the specific sentence in the detail: Terraform
 * shows warnings that share a summary once, "(and N more similar warnings elsewhere)".
 * With a summary per resource it rendered every one of them, with a source snippet: for
 * 1,000 links that took longer than applying them.
 */
export function toProtoDiagnostic(diag: Diagnostic): ProtoDiagnostic {
  // In Terraform's words: snake_case attribute names; the provider does not know resource addresses.
  const d = reword(diag, { terraform: true });
  const warning = d.severity === 'warning';
  const rule = warning && d.code && isRuleCode(d.code) && RULES[d.code].kind === 'warning' ? RULES[d.code].rule : undefined;
  const out: ProtoDiagnostic = rule
    ? { severity: 'WARNING', summary: `${d.code}: ${rule[0].toUpperCase()}${rule.slice(1)}`, detail: [`${d.summary}.`, d.detail].filter(Boolean).join(' ') }
    : { severity: warning ? 'WARNING' : 'ERROR', summary: d.code ? `${d.code}: ${d.summary}` : d.summary, detail: d.detail ?? '' };
  if (d.path && d.path.length > 0) out.attribute = attributePath(d.path);
  return out;
}

export function toProtoDiagnostics(ds: readonly Diagnostic[] | undefined): ProtoDiagnostic[] {
  return (ds ?? []).map(toProtoDiagnostic);
}

/** A plain error diagnostic from the protocol layer itself. */
export function errorDiagnostic(code: string, summary: string, detail = ''): ProtoDiagnostic {
  return { severity: 'ERROR', summary: `${code}: ${summary}`, detail };
}

interface ApiErrorLike {
  code: string;
  message: string;
  status?: number;
  request?: string;
  violations?: { code: string; message: string; path?: (string | number)[] }[];
}

function looksLikeApiError(e: unknown): e is ApiErrorLike {
  return e instanceof Error && e.name === 'ApiError' && typeof (e as { code?: unknown }).code === 'string';
}

/**
 * An exception thrown by a handler, as error diagnostics (the rule code first in the
 * summary). `action` says what was being done, e.g. `creating cloudbilling_billing_group`.
 */
export function errorToDiagnostics(e: unknown, action: string): ProtoDiagnostic[] {
  if (looksLikeApiError(e)) {
    const where = e.request ? ` (${e.request})` : '';
    const violations = Array.isArray(e.violations) && e.violations.length > 0 ? e.violations : [{ code: e.code, message: e.message }];
    // No HTTP answer at all: the message says which URL and what to check; nothing was refused.
    const transport = !e.status && (e.code === 'NETWORK_ERROR' || e.code === 'TIMEOUT');
    return violations.map((v) => {
      const d: ProtoDiagnostic = {
        severity: 'ERROR',
        summary: `${v.code}: ${inTerraformWords(v.message)}`,
        detail: transport ? `No answer from the Billing API while ${action}${where}.` : `The Billing API refused ${action}${where}${e.status ? ` with HTTP ${e.status}` : ''}.`,
      };
      if (Array.isArray(v.path) && v.path.length > 0) d.attribute = attributePath(v.path);
      return d;
    });
  }
  const message = e instanceof Error ? e.message : String(e);
  return [
    {
      severity: 'ERROR',
      summary: `PROVIDER_ERROR: ${message}`,
      detail: `Unexpected failure while ${action}. This is a bug in the cloudbilling provider; please report it with the steps that led here.`,
    },
  ];
}

/** True when any diagnostic is an error. */
export function hasError(ds: readonly { severity: string }[]): boolean {
  return ds.some((d) => d.severity === 'ERROR' || d.severity === 'error');
}
