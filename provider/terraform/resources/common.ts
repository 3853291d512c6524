/**
 * What the resource files share: the process's view of the live state, turning
 * Terraform values into domain inputs and back, and running the rules engine for one
 * resource's change.
 *
 * The live view. Plans read `ctx.snapshot()` (one `GET /v1/snapshot` per provider
 * process) and never make one API call per resource. Within one process Terraform may
 * plan a resource *after* others were applied (`terraform apply` re-plans each resource
 * just before applying it), so the writes this process makes are folded into a private
 * copy of the snapshot: a link planned after its group was created sees the group.
 * Reads (refresh, import) use the same view.
 *
 * The rules are not judged here: lifecycle.ts and change-session.ts judge every
 * resource's change with the whole plan.
 */
import type { Snapshot, Group as ApiGroup, LinkResult } from '../../client';
import { resources, type AttrType, type Attribute, type ResourceDefinition } from '../../domain/resources';
import { apiFields, groupInputOf, type ResourceKind } from '../../domain/change-model';
import { adapterDiagnostic } from '../../domain/messages';
import type { BillingDetails, Diagnostic, DomainState, Group, GroupInput, PaymentMethod, Project } from '../../domain/types';
import { isUnknown, type ProviderContext, type TfValue, type Values } from '../framework';
import { changedAttributes } from '../planning';

// ---- live view ----------------------------------------------------------------------

interface LiveView {
  state: Snapshot;
}

const views = new WeakMap<object, LiveView>();

async function view(ctx: ProviderContext): Promise<LiveView> {
  const snap = await ctx.snapshot();
  let v = views.get(snap);
  if (!v) {
    v = { state: structuredClone(snap) };
    views.set(snap, v);
  }
  return v;
}

/** The live state as this process knows it: the snapshot plus this process's own writes. */
export async function liveState(ctx: ProviderContext): Promise<Snapshot> {
  return (await view(ctx)).state;
}

/** Fold a group the API returned (created or updated) into the live view. */
export async function recordGroup(ctx: ProviderContext, group: ApiGroup): Promise<void> {
  const s = await liveState(ctx);
  const { warnings: _w, ...plain } = group as ApiGroup & { warnings?: unknown };
  const prev = s.groups.find((g) => g.id === group.id);
  const next = { ...plain, finance: prev?.finance ?? plain.finance } as Group;
  s.groups = prev ? s.groups.map((g) => (g.id === group.id ? next : g)) : [...s.groups, next];
}

export async function recordGroupDeleted(ctx: ProviderContext, id: string): Promise<void> {
  const s = await liveState(ctx);
  s.groups = s.groups.filter((g) => g.id !== id);
  s.permissions = s.permissions.filter((p) => p.billingGroupId !== id);
}

/** Fold a link or unlink result into the live view (project's group, group counts). */
export async function recordLink(ctx: ProviderContext, r: Pick<LinkResult, 'projectId' | 'billingGroupId' | 'effectiveFrom'>): Promise<void> {
  const s = await liveState(ctx);
  s.projects = s.projects.map((p) => (p.id === r.projectId ? { ...p, billingGroupId: r.billingGroupId, effectiveFrom: r.effectiveFrom } : p));
  s.links = (s.links ?? []).map((l) => (l.projectId === r.projectId ? { ...l, billingGroupId: r.billingGroupId, effectiveFrom: r.effectiveFrom } : l));
  const counts = new Map<string, number>();
  for (const p of s.projects) counts.set(p.billingGroupId, (counts.get(p.billingGroupId) ?? 0) + 1);
  s.groups = s.groups.map((g) => ({
    ...g,
    projectCount: counts.get(g.id) ?? 0,
    ...(g.type === 'main' ? { totalProjectCount: s.projects.length } : {}),
  }));
}

export async function recordPermission(ctx: ProviderContext, userId: string, billingGroupId: string, createdAt: string | null): Promise<void> {
  const s = await liveState(ctx);
  s.permissions = s.permissions.filter((p) => !(p.userId === userId && p.billingGroupId === billingGroupId));
  if (createdAt !== null) s.permissions.push({ userId, billingGroupId, createdAt });
}

/**
 * Projects by id, made once per `projects` array: refresh reads one project per link, so a
 * linear search was O(projects) per resource. The live view never changes a projects array
 * in place (`recordLink` makes a new one), so the array is a safe cache key.
 */
const projectIndexes = new WeakMap<readonly Project[], Map<string, Project>>();
function projectIndex(projects: readonly Project[]): Map<string, Project> {
  let index = projectIndexes.get(projects);
  if (!index) {
    index = new Map(projects.map((p) => [p.id, p]));
    projectIndexes.set(projects, index);
  }
  return index;
}

/** The project with this id in a state of the live view, if any. */
export function findProject(state: Pick<DomainState, 'projects'>, id: unknown): Project | undefined {
  return typeof id === 'string' ? projectIndex(state.projects).get(id) : undefined;
}

// ---- values <-> domain ------------------------------------------------------------

/** A known string, else undefined (unknown or null). */
export function str(v: TfValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Terraform values → the change model's (`UNKNOWN` → `undefined`, also inside lists and objects). */
export function modelValues(v: Values): Values;
export function modelValues(v: Values | null): Values | null;
export function modelValues(v: Values | null): Values | null {
  if (v === null) return null;
  const walk = (x: TfValue): unknown => (isUnknown(x) ? undefined : Array.isArray(x) ? x.map(walk) : x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)])) : x);
  return walk(v) as Values;
}

/** Of Terraform values, the group fields `fields` as the change model maps them (`groupInputOf`; unknown → undefined). */
export function groupFields(kind: ResourceKind, v: Values, fields: readonly (keyof GroupInput)[]): Partial<GroupInput> {
  const all = groupInputOf(kind, modelValues(v)) as Record<string, unknown>;
  return Object.fromEntries(fields.filter((f) => f in all).map((f) => [f, all[f]])) as Partial<GroupInput>;
}

/** Drop keys whose value is undefined (so the API never sees them). */
export function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** The API's details as a state value: every field present (null when unset), currency defaulting to USD. */
export function detailsValue(d: BillingDetails | null | undefined): Values {
  return {
    company: d?.company ?? null,
    addressLines: d?.addressLines ?? null,
    countryCode: d?.countryCode ?? null,
    vatId: d?.vatId ?? null,
    currency: d?.currency ?? 'USD',
  };
}

export function paymentMethodValue(pm: PaymentMethod | null | undefined): Values | null {
  return pm ? { type: pm.type, reference: pm.reference } : null;
}

/**
 * `payment_method.reference` is optional and computed: left out (a generated or imported
 * configuration cannot contain a sensitive value), the plan keeps the reference of `keep`
 * (the prior state, or the live group). With nothing to keep it is an error on the
 * attribute at plan, never a 400 at apply. Changes `planned` in place.
 */
export function keepPaymentReference(planned: Values, keep: PaymentMethod | Values | null | undefined, name: unknown): Diagnostic[] {
  const pm = planned.paymentMethod as Values | null | undefined;
  if (!pm || isUnknown(pm) || isUnknown(pm.reference) || (pm.reference !== null && pm.reference !== undefined)) return [];
  const ref = keep && typeof keep.reference === 'string' ? keep.reference : undefined;
  if (ref !== undefined) {
    planned.paymentMethod = { ...pm, reference: ref };
    return [];
  }
  return [adapterDiagnostic('PAYMENT_REFERENCE_REQUIRED', { attribute: 'payment_method.reference', name }, { path: ['paymentMethod'] })];
}

/** An import skeleton: every attribute of `definition` null, then `values`; ReadResource fills in the rest. */
export function importSkeleton(definition: ResourceDefinition, values: Values): Values {
  return { ...Object.fromEntries(Object.keys(definition.attributes).map((k) => [k, null])), ...values };
}

// ---- planning -----------------------------------------------------------------------

/**
 * The API fields (of `fields`) whose value differs between two states, e.g. prior and
 * planned: what a PATCH must send. A field still unknown in `after` is left out (the
 * API keeps its value: `details` left out of the config).
 */
export function changedApiFields(kind: ResourceKind, before: Values, after: Values): (keyof GroupInput)[] {
  const fields: string[] = apiFields(kind);
  return changedAttributes(resources[kind], before, after).filter((n): n is keyof GroupInput => fields.includes(n) && !isUnknown(after[n]));
}

// ---- config checks -----------------------------------------------------------------

/**
 * Config-only checks every resource shares: enum values of string attributes (also
 * inside nested objects). Unknown values are skipped.
 */
export function enumDiagnostics(attributes: Record<string, Attribute>, values: Values, at: (string | number)[] = []): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [name, attr] of Object.entries(attributes)) out.push(...enumIn(attr.type, values[name] ?? null, [...at, name]));
  return out;
}

function enumIn(type: AttrType, v: TfValue, path: (string | number)[]): Diagnostic[] {
  if (v === null || isUnknown(v)) return [];
  if (type.kind === 'string' && type.enum && typeof v === 'string' && !type.enum.includes(v)) {
    return [adapterDiagnostic('VALUE_NOT_ALLOWED', { value: v, allowed: type.enum }, { path })];
  }
  if (type.kind === 'object' && typeof v === 'object' && !Array.isArray(v)) return enumDiagnostics(type.attributes, v as Values, path);
  if (type.kind === 'list' && Array.isArray(v)) return v.flatMap((e, i) => enumIn(type.element, e, [...path, i]));
  return [];
}

/** True when a diagnostic list holds an error. */
export function hasError(ds: Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}
