/**
 * Readers for Pulumi's machine-readable JSON:
 *
 * - `pulumi preview --json`: `{steps: [{op, urn, provider, oldState, newState,
 *   diffReasons, replaceReasons, detailedDiff}], diagnostics, changeSummary}`, where the
 *   states are `apitype.ResourceV3` (`urn, custom, id, type, inputs, outputs,
 *   dependencies, propertyDependencies, ...`). Values not known before apply are the
 *   string `04da6b54-80e4-46f7-96ec-b56ff0331ba9`; secrets are shown as `"[secret]"`.
 * - `pulumi stack export`: `{version: 3, deployment: {resources: [ResourceV3]}}`, where a
 *   secret is `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
 *   "ciphertext"|"plaintext": ...}`.
 *
 * Identifying our resources. Dynamic resources have the type token
 * `pulumi-nodejs:dynamic[/MODULE]:TYPE` (the SDK's default TYPE is `Resource`) and carry
 * the serialized provider in the input `__provider`. A resource is ours when:
 * 1. the last segment of its type token is one of our class names (`BillingGroup`,
 *    `MainBillingGroup`, `ProjectLink`, `GroupPermission`), or
 * 2. it is a dynamic resource (type `pulumi-nodejs:dynamic...` or a `__provider` input)
 *    whose inputs have the shape of one of them: `projectId` + `billingGroupId` → link,
 *    `userId` + `billingGroupId` → permission, `name` + `billingEmails` → group,
 *    `billingEmails` without `name` → main group.
 * The `__provider` text itself is never read into the model (it may hold captured values).
 */
import {
  InputError,
  definitionOf,
  kindOfClassName,
  type ManagedObject,
  type ParsedPlan,
  type ParsedState,
  type PlanAction,
  type PlannedResource,
  type ResourceKind,
} from './model';
import { normalizeValues, type ValueMasks } from './values';

type Json = Record<string, any>;

/** Pulumi's placeholder for values that are unknown during preview. */
export const PULUMI_UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';
/** Signature key of a serialized secret in Pulumi state. */
export const PULUMI_SECRET_SIG = '4dabf18193072939515e22adb298388d';
const SECRET_MARKER = Symbol('pulumi-secret');

export function isPulumiPreview(doc: unknown): boolean {
  const d = doc as Json;
  return !!d && typeof d === 'object' && Array.isArray(d.steps);
}

export function isPulumiStackExport(doc: unknown): boolean {
  const d = doc as Json;
  return !!d && typeof d === 'object' && !!d.deployment && typeof d.deployment === 'object' && typeof d.version === 'number';
}

/** The resource name part of a URN (`urn:pulumi:stack::project::type::name`). */
export function urnName(urn: string): string {
  const i = urn.lastIndexOf('::');
  return i >= 0 ? urn.slice(i + 2) : urn;
}

/** Which of our resources a Pulumi resource state is, or null. See the module header. */
export function detectKind(type: string, inputs: Json | undefined): ResourceKind | null {
  const last = type.slice(type.lastIndexOf(':') + 1);
  const byName = kindOfClassName(last);
  if (byName && (type.startsWith('pulumi-nodejs:dynamic') || /cloudbilling/i.test(type))) return byName;
  const dynamic = type.startsWith('pulumi-nodejs:dynamic') || (inputs !== undefined && '__provider' in inputs);
  if (!dynamic || !inputs) return null;
  const has = (k: string) => k in inputs;
  if (has('projectId') && has('billingGroupId')) return 'projectLink';
  if (has('userId') && has('billingGroupId')) return 'groupPermission';
  if (has('billingEmails') && has('invoiceEmails')) return has('name') ? 'billingGroup' : 'mainBillingGroup';
  return null;
}

/** Unwrap state secrets: plaintext → the value; ciphertext → a marker (not comparable). */
function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === 'object') {
    const o = v as Json;
    if (o[PULUMI_SECRET_SIG] !== undefined) {
      if (typeof o.plaintext === 'string') {
        try {
          return unwrapSecrets(JSON.parse(o.plaintext));
        } catch {
          return SECRET_MARKER;
        }
      }
      return SECRET_MARKER;
    }
    const out: Json = {};
    for (const [k, x] of Object.entries(o)) out[k] = unwrapSecrets(x);
    return out;
  }
  return v;
}

const MASKS: ValueMasks = {
  isUnknown: (v) => v === PULUMI_UNKNOWN,
  isSecret: (v) => v === '[secret]' || v === SECRET_MARKER,
};

function stateValues(kind: ResourceKind, state: Json | undefined, digestSecrets = false): Json | null {
  if (!state) return null;
  const inputs = unwrapSecrets(state.inputs ?? {}) as Json;
  const outputs = unwrapSecrets(state.outputs ?? {}) as Json;
  // Outputs win for computed values; an unknown output never hides a known input.
  const merged: Json = { ...inputs };
  for (const [k, v] of Object.entries(outputs)) if (v !== PULUMI_UNKNOWN || !(k in merged)) merged[k] = v;
  if (typeof state.id === 'string' && state.id !== '') merged.id = state.id;
  return normalizeValues(definitionOf(kind), merged, { ...MASKS, digestSecrets }, 'camel');
}

const OP_ACTION: Record<string, PlanAction | null> = {
  same: 'no-op',
  create: 'create',
  update: 'update',
  delete: 'delete',
  replace: 'replace',
  'create-replacement': 'replace',
  'delete-replaced': 'replace',
  'import-replacement': 'replace',
  import: 'no-op',
  discard: 'forget',
  'discard-replaced': 'forget',
  read: null,
  refresh: null,
  'read-replacement': null,
  'remove-pending-replace': null,
};

export function parsePulumiPreview(doc: Json): ParsedPlan {
  const byUrn = new Map<string, PlannedResource>();
  const order: string[] = [];
  let otherResources = 0;
  for (const step of doc.steps as Json[]) {
    if (!step || typeof step !== 'object' || typeof step.urn !== 'string') throw new InputError('a step has no urn');
    if (!(step.op in OP_ACTION)) throw new InputError(`${step.urn}: unknown op ${JSON.stringify(step.op)}`);
    const action = OP_ACTION[step.op];
    const state = step.newState ?? step.oldState;
    const type = String(state?.type ?? step.urn.split('::')[2] ?? '');
    const kind = detectKind(type, state?.inputs);
    if (!kind) {
      if (action && action !== 'no-op' && state?.custom !== false && !type.startsWith('pulumi:')) otherResources++;
      continue;
    }
    if (action === null) continue;
    const before = stateValues(kind, step.oldState);
    const after = action === 'delete' ? null : stateValues(kind, step.newState);
    const refs: Record<string, string[]> = {};
    for (const [k, urns] of Object.entries<unknown>(step.newState?.propertyDependencies ?? {})) {
      if (Array.isArray(urns) && urns.length > 0) refs[k] = urns.map(String);
    }
    const label = `${definitionOf(kind).className} ${JSON.stringify(urnName(step.urn))}`;
    const existing = byUrn.get(step.urn);
    if (existing) {
      // One replace shows as several steps (create-replacement, replace, delete-replaced).
      if (action === 'replace') existing.action = 'replace';
      existing.before = existing.before ?? before;
      existing.after = existing.after ?? after;
      if (Object.keys(existing.refs).length === 0) existing.refs = refs;
      continue;
    }
    const planned: PlannedResource = { address: step.urn, label, kind, action, before: action === 'create' ? null : before, after, refs };
    if (Array.isArray(step.replaceReasons) && step.replaceReasons.length > 0) planned.replaceReasons = step.replaceReasons.map(String);
    if (step.op === 'import' || step.op === 'import-replacement') planned.importing = true;
    if (step.newState?.inputs?.adopt === true) planned.adopt = true;
    byUrn.set(step.urn, planned);
    order.push(step.urn);
  }
  return { tool: 'pulumi', resources: order.map((u) => byUrn.get(u)!), otherResources };
}

export function parsePulumiStackExport(doc: Json): ParsedState {
  const list = doc.deployment?.resources;
  if (list !== undefined && !Array.isArray(list)) throw new InputError('deployment.resources is not a list');
  const objects: ManagedObject[] = [];
  for (const r of (list ?? []) as Json[]) {
    if (!r || r.custom === false || r.delete === true || typeof r.type !== 'string') continue;
    const kind = detectKind(r.type, r.inputs);
    if (!kind) continue;
    const values = stateValues(kind, r, true);
    if (!values) continue;
    objects.push({ address: String(r.urn), label: `${definitionOf(kind).className} ${JSON.stringify(urnName(String(r.urn)))}`, kind, values });
  }
  return { tool: 'pulumi', objects };
}
