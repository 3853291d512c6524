/**
 * The contract between the Terraform protocol layer (`protocol/`) and the resources
 * (`resources/`). Resources see plain camelCase JavaScript values and domain
 * diagnostics; they never see gRPC, msgpack or snake_case. The protocol layer converts
 * (naming.ts is the one converter), fills defaults and nulls for every attribute of the
 * definition, and turns diagnostics into tfplugin6 diagnostics with attribute paths.
 */
import type { Diagnostic } from '../domain/types';
import type { ResourceDefinition } from '../domain/resources';

/** A value not known until apply (msgpack extension 0, or refined unknown ext 12). */
export const UNKNOWN: unique symbol = Symbol.for('cloudbilling.terraform.unknown');
export type Unknown = typeof UNKNOWN;

export type TfValue = null | string | number | boolean | Unknown | TfValue[] | { [key: string]: TfValue };
/** An object of attribute values keyed by camelCase attribute name. Every attribute is present (null when unset). */
export type Values = { [key: string]: TfValue };

export function isUnknown(v: unknown): v is Unknown {
  return v === UNKNOWN;
}

/** True when `v` or anything inside it is unknown. */
export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === 'object') return Object.values(v).some(containsUnknown);
  return false;
}

/**
 * Per-process services handed to every resource call. `snapshot()` is fetched once per
 * provider process and cached (a plan of 1,000 resources makes a handful of API calls).
 */
export interface ProviderContext {
  /** The configured API client (provider block `api_url`/`token`, else the environment). */
  client: import('../client').BillingClient;
  /** `GET /v1/snapshot`, cached for the process. */
  snapshot(): Promise<import('../client').Snapshot>;
  /** The whole change of this process's plan or apply walk (change-session.ts). */
  session: import('./change-session').ChangeSession;
}

export interface PlanRequest {
  /** State before the plan; null when the resource is being created. */
  prior: Values | null;
  /** Terraform's proposed new state (config merged with prior computed values); null = destroy. */
  proposed: Values | null;
  /** The configuration as written; null = destroy. */
  config: Values | null;
  /** What this provider keeps in Terraform's private state for the instance (absent for older state). */
  priorPrivate?: PrivateState;
}

/**
 * The provider's private state of a resource instance (opaque bytes to Terraform, JSON here):
 * - `applied`: the `keepApplied` values of the last apply;
 * - `inPlace`: set by an update's plan. For \`-replace\` Terraform plans the object in place
 *   and then plans its successor as a create, handing it this call's planned private state:
 *   the token pairs the two calls exactly (never a new resource that merely looks the same).
 */
export interface PrivateState {
  applied?: Values;
  inPlace?: string;
}

export interface PlanResult {
  /** The planned state: non-computed attributes must equal `proposed`. Null for destroy. */
  planned: Values | null;
  /** Attribute names (camelCase, top level) whose change forces replacement. */
  requiresReplace?: string[];
  diagnostics?: Diagnostic[];
  /** The planned private state (lifecycle.ts sets it). */
  private?: PrivateState;
}

/** What a resource file exports. Written like a hashicups resource, not like gRPC. */
export interface ResourceHandler {
  definition: ResourceDefinition;
  /** Which resource of the one change model (domain/change-model.ts) this is. */
  kind: import('../domain/change-model').ResourceKind;
  /** Config-only checks (ValidateResourceConfig). Unknown values are skipped. */
  validate?(config: Values): Diagnostic[];
  /**
   * PlanResourceChange: the planned values (computed attributes unknown on create, prior
   * values when unchanged) and replacement. The rules are not the handler's: lifecycle.ts
   * turns the change into §3 changes and judges them with the whole plan. Diagnostics here
   * are the adapter's own (deletion protection, forgetting the main group).
   */
  plan(req: PlanRequest, ctx: ProviderContext): Promise<PlanResult>;
  /** The state after the whole change was applied, from this resource's part of the outcome (or the live view when it had none). */
  fromResult(result: import('../client').ChangeResult, planned: Values, ctx: ProviderContext): Promise<Values>;
  /** create/update/delete write one resource on its own: only for a change that a value known only at apply kept out of the change set. */
  create(planned: Values, ctx: ProviderContext): Promise<{ state: Values; diagnostics?: Diagnostic[] }>;
  /** Live state, or null when the object is gone (deleted outside Terraform). */
  read(state: Values, ctx: ProviderContext): Promise<Values | null>;
  update(prior: Values, planned: Values, ctx: ProviderContext): Promise<{ state: Values; diagnostics?: Diagnostic[] }>;
  delete(prior: Values, ctx: ProviderContext): Promise<{ diagnostics?: Diagnostic[] }>;
  /**
   * Attributes whose last applied value is kept in Terraform's private state: a refresh
   * shows the live value (drift), a destroy is judged by what this configuration did (a
   * link whose project was moved outside Terraform is left where it is).
   */
  keepApplied?: string[];
  /** ImportResourceState: a state skeleton from the import id; ReadResource fills it in. */
  importState(id: string, ctx: ProviderContext): Promise<Values>;
}

export interface DataSourceHandler {
  definition: ResourceDefinition;
  read(config: Values, ctx: ProviderContext): Promise<{ state: Values; diagnostics?: Diagnostic[] }>;
}
