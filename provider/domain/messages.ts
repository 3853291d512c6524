/**
 * Every rule code of SPEC §2, its kind, its HTTP status and all user-facing text.
 * This is the only file with message text for rules; front ends render these
 * diagnostics, they never word their own.
 */
import { toSnake } from './naming';
import { resources, type AttrType } from './resources';
import { toWellFormed } from './text';
import type { Diagnostic, Severity } from './types';

export interface RuleInfo {
  kind: Severity;
  /** HTTP status the API answers when this rule is the first error. */
  status: number;
  /** The rule in one sentence (SPEC §2). */
  rule: string;
}

export const RULES = {
  MAIN_GROUP_IMMUTABLE_NAME: { kind: 'error', status: 409, rule: "the main group's name cannot change" },
  MAIN_GROUP_UNDELETABLE: { kind: 'error', status: 409, rule: 'the main group cannot be deleted' },
  SUB_GROUP_LIMIT: { kind: 'error', status: 409, rule: 'at most 30 sub groups per domain' },
  MAIN_PAYMENT_REQUIRED: { kind: 'error', status: 409, rule: 'a sub group can be created only when the main group has a payment method' },
  NAME_TAKEN: { kind: 'error', status: 409, rule: 'group names are unique in a domain (trimmed, NFC, case-folded)' },
  NAME_INVALID: { kind: 'error', status: 422, rule: 'a name is 1-64 characters, no control or bidi characters, not blank or invisible' },
  BILLING_EMAILS_COUNT: { kind: 'error', status: 422, rule: '1-10 billing e-mails, no duplicates' },
  INVOICE_EMAILS_COUNT: { kind: 'error', status: 422, rule: '1-2 invoice e-mails, no duplicates' },
  EMAIL_INVALID: { kind: 'error', status: 422, rule: 'every address is a syntactically valid e-mail' },
  GROUP_NOT_FOUND: { kind: 'error', status: 404, rule: 'the billing group does not exist (or is being deleted)' },
  PROJECT_NOT_FOUND: { kind: 'error', status: 404, rule: 'the project does not exist' },
  PROJECT_MULTI_LINK: { kind: 'error', status: 409, rule: 'one project linked to two groups' },
  MAIN_UNLINK_FORBIDDEN: { kind: 'error', status: 409, rule: 'a project cannot be unlinked from the main group' },
  TRANSFER_NOT_ACKNOWLEDGED: { kind: 'error', status: 409, rule: 'moving a project between sub groups needs allowTransfer' },
  DELETE_HAS_PROJECTS: { kind: 'error', status: 409, rule: 'a sub group with linked projects cannot be deleted' },
  DELETE_OUTSTANDING_BALANCE: { kind: 'error', status: 409, rule: 'a group with unpaid invoices cannot be deleted' },
  DELETE_UNBILLED_USAGE: { kind: 'error', status: 409, rule: 'a group with usage not yet invoiced cannot be deleted' },
  DELETE_PAID_CREDITS: { kind: 'error', status: 409, rule: 'a group holding unspent paid credits cannot be deleted' },
  DELETE_CONFIRMATION: { kind: 'error', status: 409, rule: "delete needs confirmName equal to the group's name" },
  USER_NOT_FOUND: { kind: 'error', status: 404, rule: 'the user does not exist' },
  FORBIDDEN: { kind: 'error', status: 403, rule: 'the caller lacks the role or membership for this action' },
  STALE_VERSION: { kind: 'error', status: 412, rule: 'If-Match names an old version' },
  LINK_EFFECTIVE_NEXT_MONTH: { kind: 'warning', status: 200, rule: 'a link change shows on the bill of the following month' },
  FREE_CREDITS_FORFEITED: { kind: 'warning', status: 200, rule: 'deleting a group forfeits its free credits' },
  DELETE_IRREVERSIBLE: { kind: 'warning', status: 200, rule: 'a deleted group cannot be recovered' },
  NO_PAYMENT_METHOD: { kind: 'warning', status: 200, rule: 'a group without a payment method may accrue overdue interest' },
  USER_LOSES_BILLING_ACCESS: { kind: 'warning', status: 200, rule: "removing a user's last membership cuts them off the billing menu" },
  /** Not a SPEC §2 rule: Terraform/Pulumi `deletion_protection` on a billing group. */
  DELETION_PROTECTED: { kind: 'error', status: 409, rule: 'the resource has deletion protection on' },
} as const satisfies Record<string, RuleInfo>;

export type RuleCode = keyof typeof RULES;

const q = (s: unknown) => JSON.stringify(String(s));
/** A group's name, quoted; a group created by the set whose name is unknown until apply is "the new group". */
const gq = (s: unknown) => (s === undefined ? 'the new group' : q(s));
/** A project by its name and id (`"web" (prj-…)`), or by its id when the name is not known. */
const pq = (p: Record<string, any>) => (p.name === undefined ? q(p.id) : `${q(p.name)} (${p.id})`);

/** Text for each code; `p` carries the facts the sentence needs. */
const TEXT: Record<RuleCode, (p: Record<string, any>) => { summary: string; detail: string }> = {
  MAIN_GROUP_IMMUTABLE_NAME: (p) => ({
    summary: 'The main billing group cannot be renamed',
    detail: `The main group is named after the domain (${q(p.name)}) and keeps that name. Remove the name change${p.wanted !== undefined ? ` to ${q(p.wanted)}` : ''}, or create a sub group with that name instead.`,
  }),
  MAIN_GROUP_UNDELETABLE: (p) => ({
    summary: 'The main billing group cannot be deleted',
    detail: `Group ${q(p.name)} is the domain's main group and exists as long as the domain does. Remove the delete; to stop managing it as code, remove it from state instead (terraform state rm / pulumi state delete).`,
  }),
  SUB_GROUP_LIMIT: (p) => ({
    summary: `A domain can have at most ${p.limit} sub billing groups`,
    detail: `This change would leave ${p.count} sub groups (limit ${p.limit}). Delete unused sub groups or merge projects into fewer groups before creating ${gq(p.name)}.`,
  }),
  MAIN_PAYMENT_REQUIRED: (p) => ({
    summary: 'The main billing group needs a payment method before sub groups can be created',
    detail: `Main group ${q(p.mainName)} has no payment method. Register one on the main group first (paymentMethod), then create ${gq(p.name)}.`,
  }),
  NAME_TAKEN: (p) => ({
    summary: `The group name ${q(p.name)} is already used`,
    detail: `Group names are unique in a domain, compared trimmed, in Unicode NFC and case-folded (straße = STRASSE); ${q(p.name)} clashes with ${p.otherId ? `group ${p.otherId} (${q(p.otherName)})` : `another group in this change set (${q(p.otherName)})`}. Choose a different name.`,
  }),
  NAME_INVALID: (p) => ({
    summary: 'The group name is not valid',
    detail: `${p.reason}. A name has 1 to 64 characters, is not blank or made only of invisible characters, and has no control characters (tabs, newlines) or bidirectional controls.`,
  }),
  BILLING_EMAILS_COUNT: (p) => ({
    summary: 'Billing e-mails must be 1 to 10 distinct addresses',
    detail: p.duplicate
      ? `${q(p.duplicate)} is listed twice. List each invoice recipient once.`
      : `${p.count} given. List between 1 and 10 addresses that receive the invoices.`,
  }),
  INVOICE_EMAILS_COUNT: (p) => ({
    summary: 'Invoice e-mails must be 1 or 2 distinct addresses',
    detail: p.duplicate
      ? `${q(p.duplicate)} is listed twice. List each tax-invoice recipient once.`
      : `${p.count} given. List 1 or 2 addresses that receive tax invoices.`,
  }),
  EMAIL_INVALID: (p) => ({
    summary: `${q(p.email)} is not a valid e-mail address`,
    detail: `Write the address as name@example.com, with no spaces or display name.`,
  }),
  GROUP_NOT_FOUND: (p) => ({
    summary: `Billing group ${q(p.ref)} does not exist`,
    detail: p.deleting
      ? `Group ${q(p.ref)} is deleted by this same change set. Point the ${p.what ?? 'change'} at a group that remains.`
      : `No billing group ${p.byName ? 'named' : 'with id'} ${q(p.ref)} in this domain. Check the ${p.byName ? 'name' : 'id'}, or create the group first.`,
  }),
  PROJECT_NOT_FOUND: (p) => ({
    summary: `Project ${q(p.id)} does not exist`,
    detail: `No project with id ${q(p.id)} in this domain. Check the id (cloudbilling_project data source, GET /v1/projects).`,
  }),
  PROJECT_MULTI_LINK: (p) => ({
    summary: `Project ${pq(p)} is linked more than once`,
    detail: `${p.changes ?? `Changes ${p.first} and ${p.second}`} both set the billing group of project ${pq(p)}; a project is in exactly one group. Keep one link for it (a link resource renamed in the configuration keeps its link with a \`moved\` block in Terraform, an alias in Pulumi).`,
  }),
  MAIN_UNLINK_FORBIDDEN: (p) => ({
    summary: `Project ${pq(p)} is already in the main group and cannot be unlinked`,
    detail: `Every project belongs to exactly one group and the main group is where unlinked projects go. To move project ${pq(p)}, link it to a sub group instead.`,
  }),
  TRANSFER_NOT_ACKNOWLEDGED: (p) => ({
    summary: `Moving project ${pq(p)} between sub groups needs allowTransfer`,
    detail: `Project ${pq(p)} is in sub group ${q(p.fromName)}; moving it to ${gq(p.toName)} changes who pays for it. When the admins of both groups agree, set allowTransfer = true.`,
  }),
  DELETE_HAS_PROJECTS: (p) => ({
    summary: `Group ${q(p.name)} still has ${p.count} linked project(s)`,
    detail: `Move the projects away first (or in the same change): ${p.ids}. Unlinking returns them to the main group.`,
  }),
  DELETE_OUTSTANDING_BALANCE: (p) => ({
    summary: `Group ${q(p.name)} has ${p.count} unpaid invoice(s)`,
    detail: `An outstanding balance of ${p.amount} must be paid before the group can be deleted. Pay the open invoices, then delete.`,
  }),
  DELETE_UNBILLED_USAGE: (p) => ({
    summary: `Group ${q(p.name)} has usage that is not invoiced yet`,
    detail: `Usage of ${p.amount} has not been invoiced. Close the billing period (POST /v1/billing-periods/YYYY-MM/close) and pay the invoice, then delete.`,
  }),
  DELETE_PAID_CREDITS: (p) => ({
    summary: `Group ${q(p.name)} holds unspent paid credits`,
    detail: `Paid credits worth ${p.amount} would be lost. Refund them first (POST .../credits/{creditId}/refund), then delete.`,
  }),
  DELETE_CONFIRMATION: (p) => ({
    summary: 'Delete confirmation does not match the group name',
    detail: `To delete group ${q(p.name)}, pass confirmName=${encodeURIComponent(toWellFormed(String(p.name)))} exactly${p.given !== undefined ? ` (got ${q(p.given)})` : ''}.`,
  }),
  USER_NOT_FOUND: (p) => ({
    summary: `User ${q(p.id)} does not exist`,
    detail: `No user with id ${q(p.id)} in this domain. Create the user first (POST /v1/users) or check the id.`,
  }),
  FORBIDDEN: (p) => ({
    summary: 'You are not allowed to do this',
    detail: p.reason ?? 'Only a billing_admin may create, change or delete billing groups, links and permissions. Ask a billing admin, or use a billing_admin token.',
  }),
  STALE_VERSION: (p) => ({
    summary: `Group ${q(p.id)} changed since version ${p.expected}`,
    detail: `The group is now at version ${p.actual}. Read it again (GET, or refresh), re-apply your change to the fresh copy and retry with If-Match: "${p.actual}".`,
  }),
  LINK_EFFECTIVE_NEXT_MONTH: (p) => ({
    summary: `Project ${pq(p)} is billed to ${gq(p.toName)} from ${p.effectiveFrom}`,
    detail: `The move takes effect now for access and new usage; the first whole month billed to ${gq(p.toName)} starts ${p.effectiveFrom} (UTC). This month's bill of ${q(p.fromName)} still shows the usage recorded there.`,
  }),
  FREE_CREDITS_FORFEITED: (p) => ({
    summary: `Deleting ${q(p.name)} forfeits free credits of ${p.amount}`,
    detail: 'Free credits cannot be moved or refunded. Keep the group until they are used, or accept losing them.',
  }),
  DELETE_IRREVERSIBLE: (p) => ({
    summary: `Deleting group ${q(p.name)} cannot be undone`,
    detail: 'A deleted billing group cannot be recovered; its invoices and event log stay readable by id only. Make sure this delete is intended.',
  }),
  NO_PAYMENT_METHOD: (p) => ({
    summary: `${p.name === undefined ? 'The new group' : `Group ${q(p.name)}`} has no payment method`,
    detail: 'Invoices of a group without its own payment method may go overdue and accrue interest. Add paymentMethod with a card or account reference.',
  }),
  USER_LOSES_BILLING_ACCESS: (p) => ({
    summary: `User ${q(p.userEmail ?? p.userId)} loses access to billing`,
    detail: `This removes the user's last billing group membership (${q(p.groupName)}); they will no longer see the billing menu. Grant another membership if they still need it.`,
  }),
  DELETION_PROTECTED: (p) => ({
    summary: `Group ${q(p.name)} has deletion protection`,
    detail: 'Set deletionProtection = false and apply that first, then delete or replace the group.',
  }),
};

/** NAME_INVALID reasons for the Unicode part of the name rule (domain/text.ts). */
export const NAME_TEXT_REASONS = {
  'lone-surrogate': 'The name contains a lone UTF-16 surrogate, which cannot be stored as UTF-8',
  'bidi-control': 'The name contains a bidirectional control character (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069)',
  invisible: 'The name is made only of invisible characters (white space, zero-width or filler characters)',
} as const;

/** Build a diagnostic for `code` with the sentence filled from `params`. */
export function diagnostic(
  code: RuleCode,
  params: Record<string, unknown> = {},
  where: { index?: number; path?: (string | number)[] } = {},
): Diagnostic {
  const { summary, detail } = TEXT[code](params);
  const d: Diagnostic = { severity: RULES[code].kind, code, summary, detail };
  if (where.index !== undefined) d.index = where.index;
  if (where.path !== undefined) d.path = where.path;
  // Kept (not enumerable: not part of the value, never serialised) so that a front end can
  // say the same sentence in its own words (`reword`).
  Object.defineProperty(d, 'params', { value: params, enumerable: false });
  return d;
}

/** How a front end names things in a diagnostic (see `reword`). */
export interface Wording {
  /** Terraform: attribute names in snake_case (`allow_transfer`, `payment_method`). */
  terraform?: boolean;
  /** The user's name for change `i` of the judged list (a resource address); undefined = anonymous. */
  change?: (index: number) => string | undefined;
}

/** Attribute names of every definition (nested too) that differ in snake_case. */
const CAMEL_ATTRIBUTES = (() => {
  const names = new Set<string>();
  const walk = (attrs: Record<string, { type: AttrType }>) => {
    for (const [name, a] of Object.entries(attrs)) {
      if (toSnake(name) !== name) names.add(name);
      if (a.type.kind === 'object') walk(a.type.attributes);
      if (a.type.kind === 'list' && a.type.element.kind === 'object') walk(a.type.element.attributes);
    }
  };
  for (const def of Object.values(resources)) walk(def.attributes);
  // Longest first, so `billingGroupId` is replaced before a shorter name inside it could be.
  return new RegExp(`\\b(${[...names].sort((a, b) => b.length - a.length).join('|')})\\b`, 'g');
})();

/** Text with the definitions' camelCase attribute names as Terraform spells them. */
export function inTerraformWords(text: string): string {
  return text.replace(CAMEL_ATTRIBUTES, (name) => toSnake(name));
}

/**
 * The same diagnostic in a front end's words (SPEC §6 "messages in the user's words"):
 * messages are written once, with the API's (and Pulumi's and CDKTF's) camelCase names and
 * change positions; Terraform and `review` of a Terraform plan get snake_case attribute
 * names, and a rule about two changes names the two resources. Code, severity, index and
 * path are unchanged.
 */
export function reword(d: Diagnostic, w: Wording): Diagnostic {
  const params = (d as Diagnostic & { params?: Record<string, unknown> }).params;
  let { summary, detail } = d;
  if (params && isRuleCode(d.code) && typeof params.first === 'number' && typeof params.second === 'number') {
    const a = w.change?.(params.first);
    const b = w.change?.(params.second);
    const changes = a !== undefined && b !== undefined ? `${a} and ${b}` : w.change ? undefined : w.terraform ? 'Two resources of this plan' : undefined;
    if (changes !== undefined) ({ summary, detail } = TEXT[d.code]({ ...params, changes }));
  }
  if (w.terraform) {
    summary = inTerraformWords(summary);
    detail = inTerraformWords(detail);
  }
  if (summary === d.summary && detail === d.detail) return d;
  const out: Diagnostic = { ...d, summary, detail };
  if (params) Object.defineProperty(out, 'params', { value: params, enumerable: false });
  return out;
}

/** One-line human text: "CODE: summary. detail". Used by the API's `message` and CLI lines. */
export function messageOf(d: Pick<Diagnostic, 'code' | 'summary' | 'detail'>): string {
  return `${d.summary}. ${d.detail}`;
}

export function isRuleCode(code: string): code is RuleCode {
  return Object.prototype.hasOwnProperty.call(RULES, code);
}

/** HTTP status for a rule code (SPEC §3). */
export function statusOf(code: string): number {
  return isRuleCode(code) ? RULES[code].status : 400;
}

// ---- IaC adapter texts ------------------------------------------------------------
// Situations of the Terraform/Pulumi adapters that are not rules of SPEC §2 (so not in
// RULES: no HTTP status, never from `evaluate`). Where one concerns a rule, it keeps the
// rule's code (e.g. a lookup by name that finds nothing is PROJECT_NOT_FOUND).

const ADAPTER_TEXT = {
  MAIN_GROUP_FORGOTTEN: {
    severity: 'warning',
    code: 'MAIN_GROUP_FORGOTTEN',
    text: (p: Record<string, any>) => ({
      summary: `The main billing group ${q(p.name)} is only removed from state`,
      detail: 'The main group exists as long as the domain does and is never deleted; its e-mails, payment method and details stay as they are. Import or declare it again to manage it.',
    }),
  },
  IMPORT_ID_INVALID: {
    severity: 'error',
    code: 'IMPORT_ID_INVALID',
    text: (p: Record<string, any>) => ({
      summary: `${q(p.id)} is not a valid import id for ${p.type}`,
      detail: `Use ${p.expected}.`,
    }),
  },
  VALUE_NOT_ALLOWED: {
    severity: 'error',
    code: 'VALUE_NOT_ALLOWED',
    text: (p: Record<string, any>) => ({
      summary: `${q(p.value)} is not allowed here`,
      detail: `Use one of: ${(p.allowed as string[]).join(', ')}.`,
    }),
  },
  PROJECT_NAME_NOT_FOUND: {
    severity: 'error',
    code: 'PROJECT_NOT_FOUND',
    text: (p: Record<string, any>) => ({
      summary: `No project named ${q(p.name)}`,
      detail: 'Check the name (GET /v1/projects lists them); project names are compared exactly.',
    }),
  },
  DUPLICATE_RESOURCE: {
    severity: 'error',
    code: 'DUPLICATE_RESOURCE',
    text: (p: Record<string, any>) => ({
      summary: `Two resources of this configuration manage ${p.what}`,
      detail: `Keep one ${p.type} for it and remove the other (or join them with a \`moved\` block); two resources for one object would undo each other's changes and a destroy of either would remove it for both.`,
    }),
  },
  LINK_MOVED_OUTSIDE: {
    severity: 'warning',
    code: 'LINK_MOVED_OUTSIDE',
    text: (p: Record<string, any>) => ({
      summary: `Project ${q(p.projectName ?? p.projectId)} is no longer where this link put it; it is left alone`,
      detail: `Project ${q(p.projectName ?? p.projectId)} (${p.projectId}) was moved to ${gq(p.groupName)} outside IaC${p.oursName !== undefined ? `, away from ${q(p.oursName)}` : ''}. Removing the link forgets it and does not return the project to the main group: that move is no longer this configuration's to undo.`,
    }),
  },
  PAYMENT_REFERENCE_REQUIRED: {
    severity: 'error',
    code: 'PAYMENT_REFERENCE_REQUIRED',
    text: (p: Record<string, any>) => ({
      summary: `${p.attribute} is required here`,
      detail: `${q(p.name)} has no payment method yet, so there is no reference to keep. Set ${p.attribute} to the token your payment processor issued (never a card number); after that it may be left out and the API's value is kept.`,
    }),
  },
  READ_ONLY_ATTRIBUTE: {
    severity: 'error',
    code: 'READ_ONLY_ATTRIBUTE',
    text: (p: Record<string, any>) => ({
      summary: `${p.attribute} cannot be set`,
      detail: `${p.attribute} is decided by the Billing API (${p.why}). Remove it from the configuration; read it from the resource instead.`,
    }),
  },
  NOT_IN_CHANGE_SET: {
    severity: 'error',
    code: 'NOT_IN_CHANGE_SET',
    text: (p: Record<string, any>) => ({
      summary: 'This change is not part of the plan registered with the Billing API; nothing was applied',
      detail: `A plan registers its whole change with the Billing API so that apply writes all of it or nothing (workspace ${q(p.workspace)}). No registered plan holds this change: the plan was made by an older provider, could not reach the API, or a newer plan of the same workspace replaced it. Run terraform plan (or terraform apply) again.`,
    }),
  },
  CHANGE_REFUSED_ELSEWHERE: {
    severity: 'error',
    code: 'CHANGE_REFUSED',
    text: () => ({
      summary: 'Not applied: the Billing API refused the whole change of this apply',
      detail: 'The reasons are reported once, on the first resource applied. Nothing of this change was written.',
    }),
  },
  PROJECT_NAME_AMBIGUOUS: {
    severity: 'error',
    code: 'PROJECT_NAME_AMBIGUOUS',
    text: (p: Record<string, any>) => ({
      summary: `${p.count} projects are named ${q(p.name)}`,
      detail: `Refer to the project by id instead (${p.ids}).`,
    }),
  },
} as const;

export type AdapterMessage = keyof typeof ADAPTER_TEXT;

/** A diagnostic of an IaC adapter (see ADAPTER_TEXT). */
export function adapterDiagnostic(
  which: AdapterMessage,
  params: Record<string, unknown> = {},
  where: { path?: (string | number)[] } = {},
): Diagnostic {
  const m = ADAPTER_TEXT[which];
  const d: Diagnostic = { severity: m.severity, code: m.code, ...m.text(params) };
  if (where.path !== undefined) d.path = where.path;
  return d;
}

/**
 * A rule that depends on the whole plan (e.g. DELETE_HAS_PROJECTS, when other resources
 * of the same plan may move the projects away), reported by a per-resource plan: kept
 * with its code, as a warning that says who decides.
 */
export function deferredToApply(d: Diagnostic): Diagnostic {
  return {
    ...d,
    severity: 'warning',
    detail: `${d.detail} Other resources of this plan may change this, so the Billing API decides at apply; \`cloudbilling review\` checks the whole plan before that.`,
  };
}

/**
 * A rule the Billing API found when it applied the whole change (SPEC §6): nothing was
 * written. Keeps the rule's code; `message` is the API's sentence.
 */
export function refusedAtApply(code: string, message: string): Diagnostic {
  return {
    severity: 'error',
    code,
    summary: 'The Billing API refused the whole change; nothing was applied',
    detail: `${message} Fix it in the configuration (or the live state) and run the plan again; apply writes every resource of a change or none.`,
  };
}

// ---- Billing API request-level texts ------------------------------------------------
// Refusals of the HTTP layer that are not rules of SPEC §2 (400, 404, 408, 431): the
// body guard, the HTTP parser's refusals, the visibility check. Never names an object
// the caller cannot see.

export const API_TEXT = {
  bodyTooDeep: (max: number) => `The request body nests deeper than ${max} levels. Send a flatter JSON document.`,
  bodyNotStorable: (path: string) =>
    `The request body has a string with a lone UTF-16 surrogate at ${path || 'the top level'}; it cannot be stored as UTF-8. Send well-formed Unicode text.`,
  bodyNotAllowed: (fields: string[]) =>
    fields.length > 0
      ? `This route takes no request body; unknown field(s) ${fields.map((f) => JSON.stringify(f)).join(', ')}. Send no body (or {}).`
      : 'This route takes no request body. Send no body (or {}).',
  hostMissing: 'The request has no Host header, which HTTP/1.1 requires.',
  storeUnavailable: 'The database does not answer right now (down, restarting or overloaded); nothing of this request was applied. Retry after the number of seconds in Retry-After.',
  managedByInvalid: (max: number) =>
    `X-Cloudbilling-Managed-By must be 1 to ${max} printable characters naming the Terraform workspace or Pulumi stack (e.g. terraform:infra/default). Send a shorter label, or no header for a write outside IaC.`,
  headersTooLarge: (max: number) => `The request headers are larger than ${max} bytes. Send fewer or shorter headers.`,
  requestTimeout: 'The request was not received in time. Send the whole request at once.',
  badHttp: (reason: string) => `The request is not valid HTTP/1.1 (${reason}). Check the method, the headers and Content-Length.`,
  expectationFailed: 'The Billing API supports no Expect header other than 100-continue. Send the request without it.',
  connectRefused: 'The Billing API is not a proxy; CONNECT is not supported.',
  consoleNotBuilt: 'The web console is not built: run `npm run build` in the cloudbilling checkout (it writes dist/console/), then restart `cloudbilling serve`.',
  usageTooFuture: (at: string, max: string) => `"at" (${at}) is more than 24 hours in the future; usage may be recorded up to ${max}.`,
  usageTooPast: (at: string, min: string) => `"at" (${at}) is before ${min}, the earliest time usage may be recorded.`,
  invoiceNotFound: (id: string) => `Invoice ${JSON.stringify(id)} does not exist. List a group's invoices with GET /v1/billing-groups/{id}/invoices.`,
  creditNotFound: (id: string, groupId: string) => `Credit ${JSON.stringify(id)} does not exist in billing group ${JSON.stringify(groupId)}.`,
  storeNotReady: 'The Billing API cannot reach its database right now, so it is not ready. Retry after the Retry-After seconds; the operator should check the store (docs/operations.md).',
  draining: 'This Billing API process is shutting down and takes no new work. Retry after the Retry-After seconds; another replica or the restarted process will answer.',
  idempotencyUnreadable: (key: string) => `The answer recorded for Idempotency-Key ${JSON.stringify(key)} cannot be read back. Use a new key for a new request.`,
} as const;

// ---- transport failures of the client ----------------------------------------------

/** The message of a transport failure: names the URL, the request and what to check. */
export function transportMessage(url: string, request: string, code: string | undefined): string {
  return `Could not reach the Billing API at ${url} (${request}: ${code ?? 'network error'}). ${transportHint(code, url)}`;
}

/** What to check when the Billing API at `url` cannot be reached (`code`: ECONNREFUSED, EPROTO, ...). */
export function transportHint(code: string | undefined, url: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return `Nothing is listening at ${url}: is \`cloudbilling serve\` running? Check CLOUDBILLING_API_URL (api_url in Terraform, --api-url on the CLI).`;
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return `${url} did not answer TLS: the server speaks plain HTTP. Use an http:// URL in CLOUDBILLING_API_URL (api_url in Terraform, --api-url on the CLI).`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `The host of ${url} is not known (DNS). Check the host name in CLOUDBILLING_API_URL (api_url in Terraform, --api-url on the CLI).`;
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ERR_BAD_RESPONSE':
    case 'HPE_INVALID_CONSTANT':
      return `The connection to ${url} was dropped. Check that CLOUDBILLING_API_URL (api_url in Terraform, --api-url on the CLI) points at a Billing API (\`cloudbilling serve\`).`;
    case 'TIMEOUT':
      return `${url} did not answer in time. Check that the server is running and not overloaded, and CLOUDBILLING_API_URL (api_url in Terraform, --api-url on the CLI).`;
    default:
      return `Could not reach ${url}. Check that \`cloudbilling serve\` is running and CLOUDBILLING_API_URL (api_url in Terraform, --api-url on the CLI).`;
  }
}

// ---- Packaging ------------------------------------------------------------------------
// The server's libraries are optional peer dependencies (docs/adr/0003-packaging.md): a
// CDKTF, CDK Terrain or Pulumi user does not get them, and `cloudbilling serve` says how.

/** Packages `cloudbilling serve` needs beyond the package's own dependencies. */
export const SERVER_PACKAGES = ['better-sqlite3', 'fastify', '@fastify/swagger', '@fastify/static'] as const;

/** Loaded only by `cloudbilling serve --metrics` (GET /metrics); serve runs without it. */
export const METRICS_PACKAGE = 'prom-client';

export const missingMetricsPackageText =
  `cloudbilling serve --metrics needs ${METRICS_PACKAGE}, which is not installed: it is an optional peer dependency of cloudbilling, ` +
  `used only for GET /metrics. Install it next to it (npm install ${METRICS_PACKAGE}) or start serve without --metrics.`;

/** The line `cloudbilling <command>` prints when `missing` (module names) are not installed. */
export function missingPackagesText(command: string, missing: readonly string[]): string {
  return (
    `cloudbilling ${command} needs ${missing.join(', ')}, which are not installed: they are optional peer dependencies ` +
    `of cloudbilling, left out for CDKTF, CDK Terrain and Pulumi users. Install them next to it: npm install ${SERVER_PACKAGES.join(' ')}`
  );
}
