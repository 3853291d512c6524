/**
 * JSON schemas of the Billing API routes. Request-body schemas of groups and links are
 * derived from the declarative definitions in `domain/resources.ts` by `schemaOf`; no
 * second attribute list is kept here. The rules of SPEC §2 (name length, e-mail counts,
 * e-mail syntax) are NOT schema constraints: a wrongly typed body is 400 BAD_REQUEST, a
 * well-typed body that breaks a rule reaches `evaluate` and gets the rule's code (422).
 */
import { billingGroup, groupPermission, projectLink, type AttrType, type Attribute } from '../domain/resources';
import { CHANGE_OPS } from '../domain/rules';

export type JsonSchema = Record<string, unknown>;

export interface SchemaOfOptions {
  /** Every attribute optional (PATCH bodies, planned changes with unknown values). */
  partial?: boolean;
}

function typeSchema(t: AttrType, description?: string): JsonSchema {
  const withDesc = (s: JsonSchema) => (description ? { ...s, description } : s);
  switch (t.kind) {
    case 'string':
      return withDesc(t.enum ? { type: 'string', enum: [...t.enum] } : { type: 'string' });
    case 'number':
      return withDesc({ type: 'number' });
    case 'bool':
      return withDesc({ type: 'boolean' });
    case 'list':
      return withDesc({ type: 'array', items: typeSchema(t.element) });
    case 'object':
      return withDesc(schemaOf(t.attributes));
  }
}

function nullable(s: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...s, type: [s.type as string, 'null'] };
  if (Array.isArray(s.enum)) out.enum = [...(s.enum as unknown[]), null];
  return out;
}

/**
 * The JSON schema of the writable part of a resource: computed attributes are left out,
 * `required` attributes are required (unless `partial`), `optional` ones may be null,
 * unknown properties are rejected.
 */
export function schemaOf(attributes: Record<string, Attribute>, options: SchemaOfOptions = {}): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, attr] of Object.entries(attributes)) {
    if (attr.presence === 'computed' || attr.iacOnly) continue;
    const s = typeSchema(attr.type, attr.description);
    properties[name] = attr.presence === 'required' ? s : nullable(s);
    if (attr.presence === 'required' && !options.partial) required.push(name);
  }
  const out: JsonSchema = { type: 'object', properties, additionalProperties: false };
  if (required.length > 0) out.required = required;
  return out;
}

function omit<T extends Record<string, unknown>>(o: T, keys: string[]): T {
  const out = { ...o };
  for (const k of keys) delete out[k];
  return out;
}

/** Group attributes the API takes (`iacOnly` ones such as `deletionProtection` are left out by `schemaOf`). */
const groupAttributes = billingGroup.attributes;
/** Link attributes the API takes in the body (`projectId` is in the path). */
const linkAttributes = omit(projectLink.attributes, ['projectId']);

export const groupCreateBody = schemaOf(groupAttributes);
export const groupPatchBody = schemaOf(groupAttributes, { partial: true });
export const linkBody = schemaOf(linkAttributes);

const groupRef = {
  billingGroupId: { type: 'string', description: 'Id of an existing group.' },
  billingGroupName: { type: 'string', description: 'Name of a group, e.g. one created in the same change set.' },
};
/** A link or permission change names its group by id or by name (SPEC §3). */
const groupRefRequired = [{ required: ['billingGroupId'] }, { required: ['billingGroupName'] }];

/** One change of SPEC §3 (`POST /v1/plan`, change sets). */
const changeItem: JsonSchema = {
        type: 'object',
        required: ['op'],
        properties: { op: { type: 'string', enum: [...CHANGE_OPS] } },
        allOf: [
          {
            if: { properties: { op: { const: 'createGroup' } } },
            then: { required: ['group'], additionalProperties: false, properties: { op: {}, group: groupPatchBody, id: { type: 'string', maxLength: 64 } } },
          },
          {
            if: { properties: { op: { const: 'updateGroup' } } },
            then: {
              required: ['id', 'group'],
              additionalProperties: false,
              properties: { op: {}, id: { type: 'string' }, group: groupPatchBody, expectedVersion: { type: 'integer' } },
            },
          },
          {
            if: { properties: { op: { const: 'deleteGroup' } } },
            then: { required: ['id'], additionalProperties: false, properties: { op: {}, id: { type: 'string' }, confirmName: { type: 'string' } } },
          },
          {
            if: { properties: { op: { const: 'link' } } },
            then: {
              required: ['projectId'],
              anyOf: groupRefRequired,
              additionalProperties: false,
              properties: { op: {}, projectId: { type: 'string' }, ...groupRef, allowTransfer: { type: 'boolean' }, declared: { type: 'boolean' } },
            },
          },
          {
            if: { properties: { op: { const: 'unlink' } } },
            then: { required: ['projectId'], additionalProperties: false, properties: { op: {}, projectId: { type: 'string' } } },
          },
          {
            if: { properties: { op: { enum: ['grant', 'revoke'] } } },
            then: {
              required: ['userId'],
              anyOf: groupRefRequired,
              additionalProperties: false,
              properties: { op: {}, userId: { type: groupPermission.attributes.userId.type.kind }, ...groupRef },
            },
          },
        ],
};

/** `POST /v1/plan` body: the change list of SPEC §3. */
export const planBody: JsonSchema = {
  type: 'object',
  required: ['changes'],
  additionalProperties: false,
  properties: { changes: { type: 'array', maxItems: 1000, items: changeItem } },
};

/** `POST /v1/change-sets` body: a plan's whole change, one entry per resource (SPEC §6). */
export const changeSetBody: JsonSchema = {
  type: 'object',
  required: ['workspace', 'entries'],
  additionalProperties: false,
  properties: {
    workspace: { type: 'string', minLength: 1, maxLength: 500, description: 'Who plans: one open change set per workspace.' },
    managedBy: { type: 'string', minLength: 1, maxLength: 200, description: 'Label of the IaC workspace or stack (shown as "managed by").' },
    entries: {
      type: 'array',
      maxItems: 5000,
      items: {
        type: 'object',
        required: ['key', 'changes'],
        additionalProperties: false,
        properties: {
          key: { type: 'string', minLength: 1, maxLength: 500 },
          action: { type: 'string', enum: ['create', 'update', 'delete'] },
          changes: { type: 'array', maxItems: 4, items: changeItem, description: 'Empty: the resource changes nothing the API stores.' },
          pending: { type: 'boolean', description: 'Known only at apply: applied on its own, not with the set.' },
        },
      },
    },
  },
};
export const changeSetQuery = {
  type: 'object',
  required: ['workspace'],
  additionalProperties: false,
  properties: { workspace: { type: 'string', minLength: 1, maxLength: 500 }, status: { type: 'string', enum: ['open', 'applied', 'refused', 'superseded'] } },
};

export const projectCreateBody: JsonSchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 200, description: 'Project name.' } },
};

export const userCreateBody: JsonSchema = {
  type: 'object',
  required: ['email', 'name'],
  additionalProperties: false,
  properties: {
    email: { type: 'string', maxLength: 254 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    role: { type: ['string', 'null'], enum: ['billing_admin', null], description: '`billing_admin` or null (default).' },
  },
};

export const usageBody: JsonSchema = {
  type: 'object',
  required: ['projectId', 'service', 'amount'],
  additionalProperties: false,
  properties: {
    projectId: { type: 'string' },
    service: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._:/ -]{0,63}$',
      description: 'Service name: letters, digits, space and . _ : / -, up to 64 characters.',
    },
    amount: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000_000, description: 'Positive amount, at most 6 decimals count.' },
    at: { type: 'string', description: 'RFC 3339 timestamp; default now. Its UTC month is the billing period.' },
  },
};

export const creditBody: JsonSchema = {
  type: 'object',
  required: ['code'],
  additionalProperties: false,
  properties: { code: { type: 'string', minLength: 1, maxLength: 100, description: 'Credit code; `PAID-...` codes are paid credits, others free; the amount follows the last `-`.' } },
};

// ---- params and query ---------------------------------------------------------------

export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string' } } };
export const groupUserParams = { type: 'object', required: ['id', 'userId'], properties: { id: { type: 'string' }, userId: { type: 'string' } } };
export const groupCreditParams = { type: 'object', required: ['id', 'creditId'], properties: { id: { type: 'string' }, creditId: { type: 'string' } } };
export const periodParams = { type: 'object', required: ['period'], properties: { period: { type: 'string', description: 'YYYY-MM' } } };
export const deleteQuery = { type: 'object', properties: { confirmName: { type: 'string', description: "Must equal the group's name." } } };
export const eventsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'string', pattern: '^[0-9]{1,4}$', description: '1-200, default 50.' },
    cursor: { type: 'string', maxLength: 200, description: 'nextCursor of the previous page.' },
  },
};
export const invoiceQuery = { type: 'object', properties: { format: { type: 'string', enum: ['json', 'csv'] } } };
export const ifMatchHeaders = { type: 'object', properties: { 'if-match': { type: 'string', description: 'The version last seen, as its ETag ("3").' } } };

// ---- responses ----------------------------------------------------------------------

export const errorSchema: JsonSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object', additionalProperties: true } },
    },
  },
};

const diagnosticSchema = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' }, index: { type: 'integer' }, path: { type: 'array', items: {} } },
  additionalProperties: true,
};
const warnings = { type: 'array', items: diagnosticSchema };

const managedBy = { type: ['string', 'null'], description: 'Terraform workspace or Pulumi stack that manages it (X-Cloudbilling-Managed-By of its last IaC write); null when not managed.' };
const groupObject = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string', enum: ['main', 'sub'] },
    billingEmails: { type: 'array', items: { type: 'string' } },
    invoiceEmails: { type: 'array', items: { type: 'string' } },
    paymentMethod: { type: ['object', 'null'], additionalProperties: true },
    details: { type: 'object', additionalProperties: true },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    createdBy: { type: 'string' },
    version: { type: 'integer' },
    projectCount: { type: 'integer' },
    totalProjectCount: { type: 'integer' },
    managedBy: managedBy,
  },
};
const projectObject = {
  type: 'object',
  additionalProperties: true,
  properties: { id: { type: 'string' }, name: { type: 'string' }, billingGroupId: { type: 'string' }, effectiveFrom: { type: 'string' }, createdAt: { type: 'string' }, managedBy: managedBy },
};
const anyObject = { type: 'object', additionalProperties: true };
const list = (item: JsonSchema) => ({ type: 'object', properties: { items: { type: 'array', items: item }, nextCursor: { type: 'string' } } });
const withWarnings = (o: JsonSchema) => ({ ...o, properties: { ...(o.properties as object), warnings } });

export const responses = {
  group: groupObject,
  groupWritten: withWarnings(groupObject),
  groups: list(groupObject),
  project: projectObject,
  projectWritten: withWarnings(projectObject),
  projects: list(projectObject),
  link: {
    type: 'object',
    properties: {
      projectId: { type: 'string' },
      billingGroupId: { type: 'string' },
      previousBillingGroupId: { type: 'string' },
      effectiveFrom: { type: 'string' },
      warnings,
    },
  },
  written: withWarnings(anyObject),
  any: anyObject,
  list: list(anyObject),
  plan: { type: 'object', properties: { errors: warnings, warnings } },
};

/** Response map of a route: the success schema plus the shared error shape for 4xx. */
export function replies(status: number, schema: JsonSchema, description = 'OK'): Record<string, JsonSchema> {
  return { [status]: { description, ...schema }, '4xx': { description: 'Error', $ref: 'Error#' } };
}
