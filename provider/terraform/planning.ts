/**
 * Shared plan helpers for the resources (PlanResourceChange), so each resource file
 * stays small and every resource plans by the same rules Terraform enforces:
 *
 * - A non-computed attribute must be planned exactly as configured ("invalid plan").
 * - On create, computed attributes the API decides are planned UNKNOWN; defaults of the
 *   definition are planned when the config leaves an attribute null.
 * - On update, computed attributes keep their prior values (Terraform's proposed state
 *   already carries them) unless they change on every write (`volatile`: `version`,
 *   `updatedAt`), which are planned UNKNOWN when anything changes.
 * - Apply must return exactly what was planned for every known planned value
 *   ("inconsistent result after apply").
 *
 * Everything here is pure: no I/O, no snapshot.
 */
import type { AttrType, Attribute, ResourceDefinition } from '../domain/resources';
import { UNKNOWN, isUnknown, type PlanRequest, type TfValue, type Values } from './framework';

/** Deep equality of Terraform values. UNKNOWN equals only UNKNOWN; null equals only null. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (isUnknown(a) || isUnknown(b)) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => valuesEqual(v, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const k of keys) {
      if (!valuesEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
    }
    return true;
  }
  return false;
}

/** The value when it is known and not null, else `undefined` (handy for rules: skip what is not known yet). */
export function known<T extends TfValue>(v: T): Exclude<T, null | typeof UNKNOWN> | undefined {
  return v === null || isUnknown(v) ? undefined : (v as Exclude<T, null | typeof UNKNOWN>);
}

/** True when the request plans a create (no prior state). */
export function isCreate(req: PlanRequest): boolean {
  return req.prior === null && req.proposed !== null;
}

/** True when the request plans a destroy (Terraform sends a null proposed state; `plan_destroy` capability). */
export function isDestroy(req: PlanRequest): boolean {
  return req.proposed === null;
}

/** Whether the user can set the attribute (it appears in configuration). */
export function isConfigurable(attr: Attribute): boolean {
  return attr.presence !== 'computed';
}

/**
 * Fill the definition's defaults into `values` where they are null, recursively into
 * known nested objects (e.g. `details.currency` = `USD`). Unknown values are kept.
 * Returns a new object; `values` is not modified.
 */
export function applyDefaults(attributes: Record<string, Attribute>, values: Values): Values {
  const out: Values = { ...values };
  for (const [name, attr] of Object.entries(attributes)) {
    const v = out[name] ?? null;
    if (v === null && attr.default !== undefined) out[name] = attr.default;
    else if (v !== null && !isUnknown(v)) out[name] = defaultsIn(attr.type, v);
  }
  return out;
}

function defaultsIn(type: AttrType, v: TfValue): TfValue {
  if (type.kind === 'object' && v !== null && typeof v === 'object' && !Array.isArray(v) && !isUnknown(v)) {
    return applyDefaults(type.attributes, v as Values);
  }
  if (type.kind === 'list' && Array.isArray(v)) return v.map((e) => (e === null || isUnknown(e) ? e : defaultsIn(type.element, e)));
  return v;
}

export interface BasePlanOptions {
  /**
   * Computed attributes that change on every write (e.g. `version`, `updatedAt`):
   * planned UNKNOWN on update when any configurable attribute changes. Default none.
   */
  volatile?: string[];
  /**
   * Computed attributes that are known at plan time on create and should be planned
   * from the given values instead of UNKNOWN (e.g. `{type: 'sub'}`). Default none.
   */
  knownOnCreate?: Values;
}

/**
 * The starting point of every plan: Terraform's proposed state with the definition's
 * defaults applied, and computed attributes planned as follows.
 *
 * - destroy (`proposed` null): returns null.
 * - create: `computed` attributes are UNKNOWN (or `knownOnCreate`);
 *   `optionalComputed` ones left null in config are UNKNOWN (the API decides), unless
 *   they have a default.
 * - update: computed values are kept from the prior state (the proposed state carries
 *   them); `volatile` attributes become UNKNOWN when a configurable attribute changed.
 *
 * The result satisfies Terraform's plan checks as long as the resource only adds
 * computed values on top of it.
 */
export function basePlan(definition: ResourceDefinition, req: PlanRequest, options: BasePlanOptions = {}): Values | null {
  if (req.proposed === null) return null;
  const planned = applyDefaults(definition.attributes, req.proposed);
  const create = req.prior === null;
  for (const [name, attr] of Object.entries(definition.attributes)) {
    const configured = req.config ? (req.config[name] ?? null) : null;
    // An optional setting with a default (deletion_protection, allow_transfer) that is not in
    // the config plans its default, not the prior value Terraform proposes for it.
    if (attr.presence === 'optional' && attr.default !== undefined && req.config && configured === null) planned[name] = attr.default;
    if (create) {
      if (attr.presence === 'computed') {
        planned[name] = options.knownOnCreate && name in options.knownOnCreate ? options.knownOnCreate[name] : UNKNOWN;
      } else if (attr.presence === 'optionalComputed' && configured === null && attr.default === undefined) {
        planned[name] = UNKNOWN;
      }
    }
  }
  if (!create && options.volatile && options.volatile.length > 0 && changedAttributes(definition, req.prior!, planned).length > 0) {
    for (const name of options.volatile) planned[name] = UNKNOWN;
  }
  return planned;
}

/**
 * Configurable attributes (top level, camelCase) whose value differs between two states,
 * e.g. prior vs planned. Unknown planned values count as changed.
 */
export function changedAttributes(definition: ResourceDefinition, before: Values, after: Values): string[] {
  return Object.entries(definition.attributes)
    .filter(([name, attr]) => isConfigurable(attr) && !valuesEqual(before[name] ?? null, after[name] ?? null))
    .map(([name]) => name);
}

/**
 * Attributes with `replace: true` whose configured value differs from the prior state
 * (an unknown configured value counts as a change, as Terraform's SDKs do). Empty on
 * create and destroy. Return it as `requiresReplace` from `plan`.
 */
export function replaceNeeded(definition: ResourceDefinition, prior: Values | null, config: Values | null): string[] {
  if (prior === null || config === null) return [];
  return Object.entries(definition.attributes)
    .filter(([name, attr]) => attr.replace === true && !valuesEqual(prior[name] ?? null, config[name] ?? null))
    .map(([name]) => name);
}

/**
 * Check a planned state against the rules Terraform enforces, for tests and debugging:
 * returns human-readable problems (empty when the plan is acceptable). A non-computed
 * attribute must equal the config (after defaults, which are computed in the schema).
 */
export function planProblems(definition: ResourceDefinition, config: Values | null, planned: Values | null): string[] {
  if (config === null || planned === null) return [];
  const problems: string[] = [];
  for (const [name, attr] of Object.entries(definition.attributes)) {
    const schemaComputed = attr.presence === 'computed' || attr.presence === 'optionalComputed' || attr.default !== undefined;
    const c = config[name] ?? null;
    const p = planned[name] ?? null;
    if (!schemaComputed && !valuesEqual(c, p) && !(isUnknown(c) && isUnknown(p))) {
      problems.push(`${name}: planned ${describe(p)} but configured ${describe(c)}`);
    }
    if (schemaComputed && c !== null && !isUnknown(c) && attr.type.kind !== 'object' && !valuesEqual(c, p)) {
      problems.push(`${name}: configured value must be planned as is`);
    }
  }
  return problems;
}

/**
 * Where a state returned by apply breaks the plan: known planned values must come back
 * unchanged and nothing may stay unknown. Returns the offending attribute names.
 */
export function applyProblems(definition: ResourceDefinition, planned: Values, state: Values): string[] {
  const bad: string[] = [];
  for (const name of Object.keys(definition.attributes)) {
    const p = planned[name] ?? null;
    const s = state[name] ?? null;
    if (containsUnknownValue(s)) bad.push(name);
    else if (!containsUnknownValue(p) && !valuesEqual(p, s)) bad.push(name);
  }
  return bad;
}

function describe(v: unknown): string {
  return isUnknown(v) ? '(unknown)' : JSON.stringify(v, (_k, x) => (isUnknown(x) ? '(unknown)' : x));
}

function containsUnknownValue(v: unknown): boolean {
  if (isUnknown(v)) return true;
  if (Array.isArray(v)) return v.some(containsUnknownValue);
  if (v && typeof v === 'object') return Object.values(v).some(containsUnknownValue);
  return false;
}
