/**
 * One declarative definition per resource, data source and provider config (SPEC §5).
 * Attribute names are camelCase; the Terraform schema (snake_case via `naming.ts`), the
 * API's request schemas, the Pulumi input/output types and the docs are derived from
 * these definitions. Nothing else keeps a list of attributes.
 */

export type AttrType =
  | { kind: 'string'; enum?: readonly string[] }
  | { kind: 'number' }
  | { kind: 'bool' }
  | { kind: 'list'; element: AttrType }
  | { kind: 'object'; attributes: Record<string, Attribute> };

/**
 * - `required`: the user must set it.
 * - `optional`: the user may set it; null when unset (unless `default`).
 * - `computed`: set by the API only.
 * - `optionalComputed`: the user may set it; otherwise the API's value is kept.
 */
export type Presence = 'required' | 'optional' | 'computed' | 'optionalComputed';

export interface Attribute {
  type: AttrType;
  presence: Presence;
  description: string;
  /** Changing it replaces the resource. Default false. */
  replace?: boolean;
  /** Hidden in plans, logs and CLI output; a Pulumi secret. Default false. */
  sensitive?: boolean;
  /** Value used when the user leaves it unset. */
  default?: string | number | boolean;
  /** A setting of the IaC resource only (e.g. `deletion_protection`): never sent to or stored by the API. Default false. */
  iacOnly?: boolean;
}

export interface ResourceDefinition {
  /** Terraform type suffix: `cloudbilling_<tfName>`. */
  tfName: string;
  /** Class name in CDKTF and Pulumi. */
  className: string;
  description: string;
  attributes: Record<string, Attribute>;
  /** What `terraform import` takes. Resources only. */
  importId?: string;
  /** What destroying it means. Resources only. */
  destroy?: string;
}

const str: AttrType = { kind: 'string' };
const strList: AttrType = { kind: 'list', element: str };

export const paymentMethodType: AttrType = {
  kind: 'object',
  attributes: {
    type: { type: { kind: 'string', enum: ['card', 'account'] }, presence: 'required', description: 'Payment method kind: `card` or `account`.' },
    reference: {
      type: str,
      presence: 'optionalComputed',
      sensitive: true,
      description:
        "Opaque token issued by the payment processor (never a card number). Required when the group gets a payment method; left out afterwards, the API's reference is kept (so a generated or imported configuration, which cannot contain it, plans clean).",
    },
  },
};

export const detailsType: AttrType = {
  kind: 'object',
  attributes: {
    company: { type: str, presence: 'optional', description: 'Company name printed on invoices.' },
    addressLines: { type: strList, presence: 'optional', description: 'Postal address, one line per element.' },
    countryCode: { type: str, presence: 'optional', description: 'ISO 3166-1 alpha-2 country code.' },
    vatId: { type: str, presence: 'optional', description: 'VAT or tax id.' },
    currency: { type: str, presence: 'optionalComputed', default: 'USD', description: 'ISO 4217 invoice currency. Default `USD`.' },
  },
};

const groupContact = {
  billingEmails: { type: strList, presence: 'required', description: 'Invoice recipients: 1 to 10 distinct e-mail addresses.' },
  invoiceEmails: { type: strList, presence: 'required', description: 'Tax-invoice recipients: 1 or 2 distinct e-mail addresses.' },
  paymentMethod: { type: paymentMethodType, presence: 'optional', description: 'How the group pays. Without one the group may accrue overdue interest (`NO_PAYMENT_METHOD`).' },
  details: { type: detailsType, presence: 'optionalComputed', description: 'Billing details printed on invoices.' },
} satisfies Record<string, Attribute>;

const groupComputed = {
  id: { type: str, presence: 'computed', description: 'Billing group id.' },
  type: { type: str, presence: 'computed', description: '`main` or `sub`.' },
  projectCount: { type: { kind: 'number' }, presence: 'computed', description: 'Projects linked to this group.' },
  version: { type: { kind: 'number' }, presence: 'computed', description: 'Increases by one on every change.' },
  createdAt: { type: str, presence: 'computed', description: 'Creation time (RFC 3339).' },
  updatedAt: { type: str, presence: 'computed', description: 'Last change (RFC 3339).' },
  createdBy: { type: str, presence: 'computed', description: 'Id of the user who created the group.' },
} satisfies Record<string, Attribute>;

export const billingGroup: ResourceDefinition = {
  tfName: 'billing_group',
  className: 'BillingGroup',
  description: 'A sub billing group: a share of the domain\'s bill with its own recipients, payment method and projects.',
  importId: 'the group id',
  destroy: 'deletes the sub group; the delete rules apply (no linked projects, no unpaid invoices or unbilled usage, no paid credits)',
  attributes: {
    name: { type: str, presence: 'required', description: 'Group name, unique in the domain (trimmed, case-insensitive), 1-64 characters.' },
    ...groupContact,
    deletionProtection: { type: { kind: 'bool' }, presence: 'optional', default: false, iacOnly: true, description: 'When true, plans that delete or replace the group fail. Default false.' },
    ...groupComputed,
  },
};

export const mainBillingGroup: ResourceDefinition = {
  tfName: 'main_billing_group',
  className: 'MainBillingGroup',
  description: 'The domain\'s main billing group. It always exists: creating it adopts it, destroying it only forgets it.',
  importId: 'anything (there is one main group per domain)',
  destroy: 'removes it from state only; the main group is never deleted',
  attributes: {
    ...groupContact,
    id: groupComputed.id,
    name: { type: str, presence: 'computed', description: 'The main group is named after the domain and cannot be renamed.' },
    totalProjectCount: { type: { kind: 'number' }, presence: 'computed', description: 'All projects of the domain.' },
    projectCount: groupComputed.projectCount,
    version: groupComputed.version,
  },
};

export const projectLink: ResourceDefinition = {
  tfName: 'project_link',
  className: 'ProjectLink',
  description: 'Puts a project in a billing group. A project is in exactly one group; destroying the link returns it to the main group.',
  importId: 'the project id',
  destroy: 'returns the project to the main group',
  attributes: {
    projectId: { type: str, presence: 'required', replace: true, description: 'The project to link.' },
    billingGroupId: { type: str, presence: 'required', description: 'The group that pays for the project.' },
    allowTransfer: {
      type: { kind: 'bool' },
      presence: 'optional',
      default: false,
      description: 'Must be true to move the project from one sub group to another (both groups\' admins agreed). Default false.',
    },
    id: { type: str, presence: 'computed', description: 'Same as project_id.' },
    previousBillingGroupId: { type: str, presence: 'computed', description: 'The group the project was in before this link moved it.' },
    effectiveFrom: { type: str, presence: 'computed', description: 'First day (YYYY-MM-DD, UTC) of the first whole month billed to the group.' },
  },
};

export const groupPermission: ResourceDefinition = {
  tfName: 'group_permission',
  className: 'GroupPermission',
  description: 'Makes a user a member of a billing group: they see its billing data (a main-group member sees every project).',
  importId: '`GROUP_ID/USER_ID`',
  destroy: 'revokes the membership',
  attributes: {
    billingGroupId: { type: str, presence: 'required', replace: true, description: 'The billing group.' },
    userId: { type: str, presence: 'required', replace: true, description: 'The user who becomes a member.' },
    id: { type: str, presence: 'computed', description: '`GROUP_ID/USER_ID`.' },
    createdAt: { type: str, presence: 'computed', description: 'When the membership was granted (RFC 3339).' },
  },
};

export const resources = { billingGroup, mainBillingGroup, projectLink, groupPermission } as const;

const invoiceLine: AttrType = {
  kind: 'object',
  attributes: {
    projectId: { type: str, presence: 'computed', description: 'Project.' },
    service: { type: str, presence: 'computed', description: 'Service.' },
    amount: { type: { kind: 'number' }, presence: 'computed', description: 'Amount.' },
  },
};

export const dataSources = {
  domain: {
    tfName: 'domain',
    className: 'DataCloudbillingDomain',
    description: 'The domain the token belongs to.',
    attributes: {
      id: { type: str, presence: 'computed', description: 'Domain id.' },
      name: { type: str, presence: 'computed', description: 'Domain name (also the main group\'s name).' },
      mainGroupId: { type: str, presence: 'computed', description: 'Id of the main billing group.' },
      subGroupLimit: { type: { kind: 'number' }, presence: 'computed', description: 'Maximum number of sub groups.' },
    },
  },
  billingGroup: {
    tfName: 'billing_group',
    className: 'DataCloudbillingBillingGroup',
    description: 'Looks up a billing group by name (trimmed, case-insensitive).',
    attributes: {
      name: { type: str, presence: 'required', description: 'Group name.' },
      id: groupComputed.id,
      type: groupComputed.type,
      billingEmails: { type: strList, presence: 'computed', description: 'Invoice recipients.' },
      invoiceEmails: { type: strList, presence: 'computed', description: 'Tax-invoice recipients.' },
      projectCount: groupComputed.projectCount,
      version: groupComputed.version,
    },
  },
  project: {
    tfName: 'project',
    className: 'DataCloudbillingProject',
    description: 'Looks up a project by name.',
    attributes: {
      name: { type: str, presence: 'required', description: 'Project name.' },
      id: { type: str, presence: 'computed', description: 'Project id.' },
      billingGroupId: { type: str, presence: 'computed', description: 'The group the project is in now.' },
      effectiveFrom: { type: str, presence: 'computed', description: 'First whole month billed to that group (YYYY-MM-DD).' },
    },
  },
  invoices: {
    tfName: 'invoices',
    className: 'DataCloudbillingInvoices',
    description: 'The invoices of a billing group.',
    attributes: {
      billingGroupId: { type: str, presence: 'required', description: 'The billing group.' },
      id: { type: str, presence: 'computed', description: 'Same as billing_group_id.' },
      invoices: {
        type: {
          kind: 'list',
          element: {
            kind: 'object',
            attributes: {
              id: { type: str, presence: 'computed', description: 'Invoice id.' },
              period: { type: str, presence: 'computed', description: 'YYYY-MM.' },
              total: { type: { kind: 'number' }, presence: 'computed', description: 'Sum of the lines.' },
              status: { type: str, presence: 'computed', description: '`open` or `paid`.' },
              lines: { type: { kind: 'list', element: invoiceLine }, presence: 'computed', description: 'A line per project and service.' },
            },
          },
        },
        presence: 'computed',
        description: 'Invoices, oldest period first.',
      },
    },
  },
} as const satisfies Record<string, ResourceDefinition>;

export const providerConfig: ResourceDefinition = {
  tfName: 'cloudbilling',
  className: 'CloudbillingProvider',
  description: 'Connection to the Billing API.',
  attributes: {
    apiUrl: { type: str, presence: 'optional', description: 'Billing API base URL. Default: `CLOUDBILLING_API_URL`.' },
    token: { type: str, presence: 'optional', sensitive: true, description: 'API token. Default: `CLOUDBILLING_TOKEN`.' },
  },
};
