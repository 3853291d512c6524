/**
 * The common model of the GitOps commands: one planned or managed cloudbilling object,
 * independent of the IaC tool that produced it. Terraform plan/state readers and the
 * Pulumi preview/stack readers produce these; the mapping to the SPEC §3 change list,
 * the drift comparison and the formatters consume them.
 *
 * Values are camelCase (naming.ts is the one converter). Inside `before`/`after` a value
 * of `undefined` means *unknown* (known only after apply, or hidden as sensitive by the
 * tool in a place where the rules would need it): rules on it are skipped, never guessed.
 */
import { resources, type ResourceDefinition } from '../domain/resources';
import type { ResourceAction, ResourceKind, Values } from '../domain/change-model';

export type { ResourceKind, Values };

/** What the tool plans to do with one resource instance (the one change model's actions). */
export type PlanAction = ResourceAction;

export interface PlannedResource {
  /** Tool address: `cloudbilling_billing_group.team`, or a Pulumi URN. */
  address: string;
  /** Short label for people: the Terraform address, or `BillingGroup "team"` for Pulumi. */
  label: string;
  kind: ResourceKind;
  action: PlanAction;
  /** Attribute values before (null on create). */
  before: Values | null;
  /** Attribute values after (null on delete). Unknown values are `undefined`. */
  after: Values | null;
  /**
   * For attributes that are unknown in `after`: the addresses of the resources they are
   * computed from (Terraform configuration references, Pulumi property dependencies).
   */
  refs: Record<string, string[]>;
  /** The plan's reasons for a replace (attribute names, camelCase), when given. */
  replaceReasons?: string[];
  /** Terraform `import {}` / Pulumi import in the same plan. */
  importing?: boolean;
  /** Pulumi `adopt: true`: a create that takes over an existing object when there is one. */
  adopt?: boolean;
}

/** A parsed plan: what the tool is and the cloudbilling resources it touches. */
export interface ParsedPlan {
  tool: 'terraform' | 'pulumi';
  resources: PlannedResource[];
  /** Resources of other providers that the plan touches (counted, not reviewed). */
  otherResources: number;
}

/** An object that IaC state says it manages (for drift). */
export interface ManagedObject {
  address: string;
  label: string;
  kind: ResourceKind;
  /** Values recorded in state; `undefined` = not comparable (e.g. an encrypted secret). */
  values: Values;
}

export interface ParsedState {
  tool: 'terraform' | 'pulumi';
  objects: ManagedObject[];
}

/** A plan or state that cannot be read: exit code 2. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

export function isInputError(e: unknown): e is InputError {
  return e instanceof InputError;
}

/** Sentinel written in place of sensitive values that must never be printed. */
export const REDACTED = '(sensitive)';

const BY_TF_TYPE = new Map<string, ResourceKind>(
  (Object.entries(resources) as [ResourceKind, ResourceDefinition][]).map(([k, d]) => [`cloudbilling_${d.tfName}`, k]),
);
const BY_CLASS = new Map<string, ResourceKind>(
  (Object.entries(resources) as [ResourceKind, ResourceDefinition][]).map(([k, d]) => [d.className, k]),
);

/** `cloudbilling_billing_group` → `billingGroup`; null for other types. */
export function kindOfTerraformType(type: string): ResourceKind | null {
  return BY_TF_TYPE.get(type) ?? null;
}

/** `BillingGroup` → `billingGroup`; null for other names. */
export function kindOfClassName(name: string): ResourceKind | null {
  return BY_CLASS.get(name) ?? null;
}

export function terraformTypeOf(kind: ResourceKind): string {
  return `cloudbilling_${resources[kind].tfName}`;
}

export function definitionOf(kind: ResourceKind): ResourceDefinition {
  return resources[kind];
}
