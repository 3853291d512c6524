/**
 * Domain types of cloudbilling (SPEC §1). Pure data, shared by the rules engine, the
 * Billing API server, the client and every IaC front end. Field names are camelCase;
 * the Terraform adapter converts to snake_case with the one converter in `naming.ts`.
 */

export type GroupType = 'main' | 'sub';
export type PaymentMethodType = 'card' | 'account';
export type Role = 'billing_admin' | null;

/** A payment method. `reference` is an opaque token issued by a payment processor, never a card number. */
export interface PaymentMethod {
  type: PaymentMethodType;
  reference: string;
}

/** Optional billing details printed on invoices. */
export interface BillingDetails {
  company?: string | null;
  addressLines?: string[] | null;
  countryCode?: string | null;
  vatId?: string | null;
  /** ISO 4217 code. Default `USD`. */
  currency?: string | null;
}

/** What a user declares about a group (the writable part). */
export interface GroupInput {
  name: string;
  billingEmails: string[];
  invoiceEmails: string[];
  paymentMethod?: PaymentMethod | null;
  details?: BillingDetails | null;
}

/** Money and credit figures of a group that the delete rules depend on. */
export interface GroupFinance {
  /** Number of invoices with status `open`. */
  openInvoices: number;
  /** Sum of the open invoices' totals. */
  outstandingAmount: number;
  /** Sum of usage recorded for the group and not yet invoiced. */
  unbilledUsage: number;
  /** Sum of active paid credits (must be refunded before a delete). */
  paidCredits: number;
  /** Sum of active free credits (forfeited by a delete). */
  freeCredits: number;
}

export interface Group {
  id: string;
  name: string;
  type: GroupType;
  billingEmails: string[];
  invoiceEmails: string[];
  paymentMethod: PaymentMethod | null;
  details: BillingDetails;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  /** +1 on every change; starts at 1. */
  version: number;
  /** Derived: projects linked to this group. */
  projectCount: number;
  /** Main group only: all projects of the domain. */
  totalProjectCount?: number;
  /** Snapshot only: figures the delete rules need. Absent means unknown (rules skipped). */
  finance?: GroupFinance;
  /** The Terraform workspace or Pulumi stack that manages the group (its last IaC write); null = not managed. */
  managedBy?: string | null;
}

export interface Project {
  id: string;
  name: string;
  billingGroupId: string;
  /** First day (YYYY-MM-DD, UTC) of the first whole month billed to `billingGroupId`. */
  effectiveFrom: string;
  createdAt: string;
  /** The workspace or stack that manages the project's link (its last IaC link); null = not managed. */
  managedBy?: string | null;
}

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export interface Permission {
  userId: string;
  billingGroupId: string;
  createdAt: string;
  /** The workspace or stack that granted it; null = not managed. */
  managedBy?: string | null;
}

export interface DomainInfo {
  id: string;
  name: string;
  mainGroupId: string;
  subGroupLimit: number;
}

/**
 * The whole state the rules need. The same shape as `GET /v1/snapshot`
 * (less `links` and `at`, which are derived views).
 */
export interface DomainState {
  domain: DomainInfo;
  groups: Group[];
  projects: Project[];
  users: User[];
  permissions: Permission[];
}

/** A reference to a group: by id, or by name for a group created in the same change set. */
export interface GroupRef {
  billingGroupId?: string;
  billingGroupName?: string;
}

/** The change list of SPEC §3 (`POST /v1/plan`); it describes a desired result, not a sequence. */
export type Change =
  | {
      op: 'createGroup';
      group: GroupInput;
      /** An id reserved for the new group (a change set planned before apply); default: the server's choice. */
      id?: string;
    }
  | {
      op: 'updateGroup';
      id: string;
      group: Partial<GroupInput>;
      /** `If-Match`: the version the caller last saw. */
      expectedVersion?: number;
    }
  | {
      op: 'deleteGroup';
      id: string;
      /** API only: must equal the group's name (`DELETE_CONFIRMATION`). Not checked when absent. */
      confirmName?: string;
    }
  | ({
      op: 'link';
      projectId: string;
      allowTransfer?: boolean;
      /**
       * A link that already holds, declared by an unchanged IaC resource (a link to the main
       * group whose project is in it): it writes nothing and is judged only as the project's
       * change, so another link or unlink of the project in the list is PROJECT_MULTI_LINK.
       */
      declared?: boolean;
    } & GroupRef)
  | { op: 'unlink'; projectId: string }
  | ({ op: 'grant' | 'revoke'; userId: string } & GroupRef);

export type ChangeOp = Change['op'];

export type Severity = 'error' | 'warning';

/** A rule violation or warning. Diagnostics are data; adapters render them. */
export interface Diagnostic {
  severity: Severity;
  /** Stable rule code of SPEC §2. */
  code: string;
  /** One line: what is wrong. */
  summary: string;
  /** Why, and how to fix it. */
  detail: string;
  /** Position of the change in the change list. */
  index?: number;
  /** Field path inside the change's object, camelCase (e.g. `["billingEmails", 2]`). */
  path?: (string | number)[];
}
