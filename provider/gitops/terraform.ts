/**
 * Readers for Terraform's machine-readable JSON:
 *
 * - `terraform show -json PLANFILE`: `resource_changes[]` with `change.{actions, before,
 *   after, after_unknown, before_sensitive, after_sensitive}` and the configuration,
 *   whose `expressions.<attr>.references` tell which resource an unknown value comes from;
 * - `terraform show -json` (state): `values.root_module.resources[]` (+ child modules);
 * - a raw `terraform.tfstate` (version 4), for convenience.
 *
 * Only `cloudbilling_*` managed resources are kept. Values are normalized by values.ts.
 */
import {
  InputError,
  kindOfTerraformType,
  definitionOf,
  type ManagedObject,
  type ParsedPlan,
  type ParsedState,
  type PlanAction,
  type PlannedResource,
} from './model';
import { normalizeValues } from './values';
import { toCamel } from '../domain/naming';

type Json = Record<string, any>;

export function isTerraformPlan(doc: unknown): boolean {
  const d = doc as Json;
  return !!d && typeof d === 'object' && typeof d.format_version === 'string' && ('resource_changes' in d || 'planned_values' in d);
}

export function isTerraformShowState(doc: unknown): boolean {
  const d = doc as Json;
  return !!d && typeof d === 'object' && typeof d.format_version === 'string' && !('resource_changes' in d) && !('planned_values' in d);
}

export function isTerraformRawState(doc: unknown): boolean {
  const d = doc as Json;
  return !!d && typeof d === 'object' && typeof d.version === 'number' && Array.isArray(d.resources) && 'terraform_version' in d;
}

/** Terraform `change.actions` → our action. */
export function actionOf(actions: unknown): PlanAction | 'read' | null {
  if (!Array.isArray(actions)) return null;
  const a = actions.join(',');
  switch (a) {
    case 'no-op':
      return 'no-op';
    case 'create':
      return 'create';
    case 'read':
      return 'read';
    case 'update':
      return 'update';
    case 'delete':
      return 'delete';
    case 'delete,create':
    case 'create,delete':
      return 'replace';
    case 'forget':
      return 'forget';
    default:
      return null;
  }
}

/** `module.a["x"].module.b[0]` → `["a", "b"]` (module call names, instance keys dropped). */
function moduleCallPath(moduleAddress: string | undefined): string[] {
  if (!moduleAddress) return [];
  const out: string[] = [];
  const re = /module\.([A-Za-z0-9_-]+)(\[[^\]]*\])?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(moduleAddress))) out.push(m[1]);
  return out;
}

function configModule(root: Json | undefined, path: string[]): Json | undefined {
  let mod = root;
  for (const name of path) {
    mod = mod?.module_calls?.[name]?.module;
    if (!mod) return undefined;
  }
  return mod;
}

const REF_RE = /^(cloudbilling_[a-z_]+)\.([A-Za-z0-9_-]+)(?:\[((?:"(?:[^"\\]|\\.)*")|\d+)\])?/;

interface RcInfo {
  address: string;
  type: string;
  name: string;
  module: string;
  index: unknown;
}

/**
 * Resolve configuration references (`cloudbilling_billing_group.team.id`,
 * `cloudbilling_billing_group.team["a"]`) to resource instance addresses in the plan.
 * A reference without an instance key to a resource with several instances resolves only
 * when the referrer has an instance with the same key (the `for_each = same map` pattern).
 */
function resolveRefs(refs: string[], from: RcInfo, byResource: Map<string, RcInfo[]>): string[] {
  const out = new Set<string>();
  // `x.teams["a"].id` also lists the bare `x.teams`: the keyed form decides.
  const keyed = new Set(refs.map((r) => REF_RE.exec(r)).filter((m) => m && m[3] !== undefined).map((m) => `${m![1]}.${m![2]}`));
  for (const ref of refs) {
    const m = REF_RE.exec(ref);
    if (!m) continue;
    const [, type, name, key] = m;
    if (key === undefined && keyed.has(`${type}.${name}`)) continue;
    const candidates = byResource.get(`${from.module}|${type}.${name}`) ?? [];
    if (candidates.length === 0) continue;
    if (key !== undefined) {
      const want = key.startsWith('"') ? JSON.parse(key) : Number(key);
      for (const c of candidates) if (c.index === want) out.add(c.address);
    } else if (candidates.length === 1) {
      out.add(candidates[0].address);
    } else if (from.index !== undefined) {
      const same = candidates.filter((c) => c.index === from.index);
      if (same.length === 1) out.add(same[0].address);
    }
  }
  return [...out];
}

export function parseTerraformPlan(doc: Json): ParsedPlan {
  if (!Array.isArray(doc.resource_changes ?? [])) throw new InputError('resource_changes is not a list');
  const rcs: Json[] = (doc.resource_changes ?? []).filter((rc: Json) => rc && rc.mode !== 'data');
  const infos: RcInfo[] = rcs.map((rc) => ({
    address: String(rc.address),
    type: String(rc.type),
    name: String(rc.name),
    module: rc.module_address ?? '',
    index: rc.index,
  }));
  // Indexes, so that a plan of thousands of resources is read in linear time.
  const byResource = new Map<string, RcInfo[]>();
  for (const info of infos) {
    const key = `${info.module}|${info.type}.${info.name}`;
    const list = byResource.get(key);
    if (list) list.push(info);
    else byResource.set(key, [info]);
  }
  const configs = new Map<string, Json>();
  const loadedModules = new Set<string>();
  const configOf = (rc: Json): Json | undefined => {
    const path = moduleCallPath(rc.module_address);
    const modulePath = path.join('.');
    if (!loadedModules.has(modulePath)) {
      loadedModules.add(modulePath);
      const mod = configModule(doc.configuration?.root_module, path);
      for (const r of (mod?.resources ?? []) as Json[]) if (r.mode === 'managed') configs.set(`${modulePath}|${r.type}.${r.name}`, r);
    }
    return configs.get(`${modulePath}|${rc.type}.${rc.name}`);
  };
  // What the refresh found changed outside Terraform: a destroyed link undoes what it applied
  // (the provider keeps that in private state, docs/adr/0005), not the group the refresh
  // found. OpenTofu's plan shows the refreshed value as the destroy's `before`.
  const drifted = new Map<string, Json>((Array.isArray(doc.resource_drift) ? doc.resource_drift : []).map((d: Json) => [String(d.address), d.change?.before]));
  const resources: PlannedResource[] = [];
  let otherResources = 0;
  rcs.forEach((rc, i) => {
    const kind = kindOfTerraformType(String(rc.type));
    const action = actionOf(rc.change?.actions);
    if (!kind) {
      if (action && action !== 'no-op' && action !== 'read') otherResources++;
      return;
    }
    if (action === null) throw new InputError(`${rc.address}: unknown actions ${JSON.stringify(rc.change?.actions)}`);
    if (action === 'read') return;
    const def = definitionOf(kind);
    const change = rc.change ?? {};
    const applied = kind === 'projectLink' && action === 'delete' ? drifted.get(String(rc.address)) : undefined;
    const rawBefore = applied?.billing_group_id && change.before ? { ...change.before, billing_group_id: applied.billing_group_id } : change.before;
    const before = normalizeValues(def, rawBefore, { sensitive: change.before_sensitive, absentIsUnknown: true });
    const after = normalizeValues(def, change.after, { unknown: change.after_unknown, sensitive: change.after_sensitive, absentIsUnknown: true });
    const refs: Record<string, string[]> = {};
    const cfg = configOf(rc);
    const unknown = change.after_unknown ?? {};
    for (const [key, expr] of Object.entries<Json>(cfg?.expressions ?? {})) {
      if (unknown[key] !== true || !Array.isArray(expr?.references)) continue;
      const resolved = resolveRefs(expr.references, infos[i], byResource);
      if (resolved.length > 0) refs[toCamel(key)] = resolved;
    }
    const planned: PlannedResource = { address: infos[i].address, label: infos[i].address, kind, action, before, after, refs };
    if (Array.isArray(change.replace_paths) && change.replace_paths.length > 0) {
      planned.replaceReasons = change.replace_paths.map((p: unknown) => (Array.isArray(p) ? toCamel(String(p[0])) : String(p)));
    }
    if (change.importing) planned.importing = true;
    resources.push(planned);
  });
  return { tool: 'terraform', resources, otherResources };
}

/** `terraform show -json` of a state, or a raw `terraform.tfstate`. */
export function parseTerraformState(doc: Json): ParsedState {
  const objects: ManagedObject[] = [];
  const add = (address: string, type: string, values: Json, sensitive: unknown) => {
    const kind = kindOfTerraformType(type);
    if (!kind) return;
    const v = normalizeValues(definitionOf(kind), values, { sensitive, digestSecrets: true, absentIsUnknown: true });
    if (v) objects.push({ address, label: address, kind, values: v });
  };
  if (isTerraformRawState(doc)) {
    for (const r of doc.resources as Json[]) {
      if (r.mode !== 'managed') continue;
      const base = `${r.module ? r.module + '.' : ''}${r.type}.${r.name}`;
      for (const inst of (r.instances ?? []) as Json[]) {
        if (inst.deposed) continue;
        const key = inst.index_key === undefined ? '' : `[${JSON.stringify(inst.index_key)}]`;
        add(base + key, r.type, inst.attributes ?? {}, undefined);
      }
    }
    return { tool: 'terraform', objects };
  }
  const walk = (mod: Json | undefined) => {
    if (!mod) return;
    for (const r of (mod.resources ?? []) as Json[]) {
      if (r.mode === 'managed') add(String(r.address), String(r.type), r.values ?? {}, r.sensitive_values);
    }
    for (const child of (mod.child_modules ?? []) as Json[]) walk(child);
  };
  walk(doc.values?.root_module);
  return { tool: 'terraform', objects };
}
