/**
 * Wire types of the Billing API v1 (SPEC §3), as the client returns them.
 */
import type {
  Change,
  DomainInfo,
  Group,
  GroupInput,
  Permission,
  Project,
  Role,
  User,
} from '../domain/types';

/**
 * Header an IaC client sends on every write: the Terraform workspace or Pulumi stack it
 * writes for (e.g. `terraform:infra/default`, `pulumi:acme/billing/prod`). The API stores
 * it as the objects' `managedBy` and on their events (SPEC §9).
 */
export const MANAGED_BY_HEADER = 'x-cloudbilling-managed-by';
export const MANAGED_BY_MAX = 200;

/** A warning of SPEC §2 attached to a successful write. */
export interface ApiWarning {
  code: string;
  message: string;
  index?: number;
  path?: (string | number)[];
}

export interface WithWarnings {
  warnings: ApiWarning[];
}

export interface Link {
  projectId: string;
  billingGroupId: string;
  effectiveFrom: string;
}

/** `GET /v1/snapshot`: the caller's whole view in one call. */
export interface Snapshot {
  domain: DomainInfo;
  groups: Group[];
  projects: Project[];
  links: Link[];
  permissions: Permission[];
  users: User[];
  at: string;
}

export interface List<T> {
  items: T[];
  nextCursor?: string;
}

export interface LinkResult extends WithWarnings {
  projectId: string;
  billingGroupId: string;
  previousBillingGroupId: string;
  effectiveFrom: string;
}

export interface PermissionResult extends WithWarnings {
  userId: string;
  billingGroupId: string;
  createdAt?: string;
}

export interface CreatedUser extends User {
  /** Shown once, at creation. */
  token: string;
}

export interface UserInput {
  email: string;
  name: string;
  role?: Role;
}

export interface Credit {
  id: string;
  code: string;
  kind: 'free' | 'paid';
  amount: number;
  status: 'active' | 'refunded' | 'forfeited';
  billingGroupId: string;
  createdAt: string;
}

export interface InvoiceLine {
  projectId: string;
  service: string;
  amount: number;
}

export interface Invoice {
  id: string;
  billingGroupId: string;
  period: string;
  lines: InvoiceLine[];
  total: number;
  status: 'open' | 'paid';
  createdAt: string;
  paidAt: string | null;
}

export interface UsageInput {
  projectId: string;
  service: string;
  amount: number;
  at?: string;
}

export interface BillingEvent {
  id: string;
  billingGroupId: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
  /** The Terraform workspace or Pulumi stack that made the write; null for a write outside IaC (console, API). Absent from servers before v0.2. */
  managedBy?: string | null;
}

export interface PlanIssue {
  code: string;
  message: string;
  index: number;
  path?: (string | number)[];
}

export interface PlanResponse {
  errors: PlanIssue[];
  warnings: PlanIssue[];
}

/** What one change of an applied change list produced (SPEC §6). */
export interface ChangeResult {
  group?: Group;
  link?: { projectId: string; billingGroupId: string; previousBillingGroupId: string; effectiveFrom: string };
  permission?: Permission;
}

export type ChangeSetStatus = 'open' | 'applied' | 'refused' | 'superseded';

/** One resource's part of a change set: its key (stable between plan and apply) and its changes. */
export interface ChangeSetEntry {
  key: string;
  /** What the IaC tool does to the object (create, update, delete): an apply must do the same. */
  action?: 'create' | 'update' | 'delete';
  /** Empty: the resource changes nothing the API stores (a Terraform-only setting). */
  changes: Change[];
  /** A value is known only at apply: the resource is applied on its own, not with the set. */
  pending?: boolean;
}

export interface ChangeSetDiagnostic {
  code: string;
  message: string;
  /** The entry the diagnostic is about. */
  key?: string;
  path?: (string | number)[];
}

export interface ChangeSetView {
  id: string;
  workspace: string;
  managedBy: string;
  status: ChangeSetStatus;
  entries: ChangeSetEntry[];
  createdAt: string;
  expiresAt: string;
  appliedAt: string | null;
  /** The verdict: at registration (a preview), or the one that refused the apply. */
  errors: ChangeSetDiagnostic[];
  warnings: ChangeSetDiagnostic[];
  /** Applied sets: what each entry produced, by key. */
  results?: Record<string, ChangeResult>;
}

export type GroupPatch = Partial<GroupInput>;
export type { Change, DomainInfo, Group, GroupInput, Permission, Project, User };
