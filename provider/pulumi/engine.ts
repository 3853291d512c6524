/**
 * What the four dynamic providers do (they only forward here; see providers.ts).
 * Runs in the dynamic-provider host during `pulumi preview/up/refresh/destroy`, or in
 * any process that drives `providers.*` directly (tests, the benchmark).
 *
 * Contract (docs/pulumi.md):
 * - Connection per call: resource args (`apiUrl`, `token`), else stack config
 *   `cloudbilling:apiUrl` / secret `cloudbilling:token` (given to `configure`), else
 *   `CLOUDBILLING_API_URL` / `CLOUDBILLING_TOKEN`.
 * - `check` turns the resource into SPEC §3 changes with the one change model
 *   (`resourceChanges`, domain/change-model.ts: olds are its before, news its after) and
 *   evaluates them with the rules engine against one live snapshot per process and
 *   connection (refetched after this process writes); failures are `{property, reason}`
 *   with the reason starting with the rule code. Values unknown during preview (the
 *   sentinel) are `undefined` to the change model and the rules: skipped. Writes take
 *   their fields from the same model (`groupInputOf`).
 * - `diff` compares the writable attributes of the definition; `replace` attributes are
 *   replacements; `deleteBeforeReplace` when the old and new object may share a key.
 * - `read` returns live state or nothing (vanished: Pulumi drops it).
 * - Writes go through `BillingClient` (Idempotency-Key on every write).
 */
import type * as dyn from '@pulumi/pulumi/dynamic';
import { createHash } from 'node:crypto';
import { BillingClient } from '../client/client';
import { isApiError } from '../client/errors';
import type { Group, Snapshot } from '../client/types';
import { adapterDiagnostic, diagnostic, messageOf } from '../domain/messages';
import { actionOf, findByName, groupInputOf, resourceChanges, stateOnlyFields, type ResourceChange, type Values } from '../domain/change-model';
import { resources, type Attribute, type AttrType } from '../domain/resources';
import { evaluate, stateReadBy } from '../domain/rules';
import type { Change, Diagnostic, GroupInput } from '../domain/types';
import type { ResourceKind } from './providers';

/** What Pulumi sends for a value that is only known after apply (preview). */
export const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

type Props = Record<string, any>;

interface Connection {
  apiUrl?: string;
  token?: string;
}

/**
 * Rules that depend on which live group a declared group is, which only the previous
 * declarations tell (a renamed group is the same group, a new one is a create even when a
 * live group has that name in another case): the inventory judges them for the whole
 * program; BillingDomain and the resources' own checks under it leave them here.
 */
export const IDENTITY_RULES = new Set(['SUB_GROUP_LIMIT', 'NAME_TAKEN', 'MAIN_PAYMENT_REQUIRED']);

/**
 * Pulumi-only arguments kept in state next to the attributes. `__managedBy` is the stack's
 * label (prepare.ts), sent on every write as X-Cloudbilling-Managed-By; it never makes a diff.
 */
const EXTRA_ARGS = ['adopt', 'apiUrl', 'token', '__managedBy'] as const;

const state = {
  /** From `configure` (stack config). */
  configured: {} as Connection,
  clients: new Map<string, BillingClient>(),
  snapshots: new Map<string, Promise<Snapshot>>(),
  /** Main-group changes checked in this process and not applied yet, by connection key. */
  plannedMain: new Map<string, Partial<GroupInput>>(),
  warned: new Set<string>(),
  /** HTTP requests made by this module's clients (benchmark, tests). */
  requests: 0,
};

// ---- connection ------------------------------------------------------------------

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' && v !== UNKNOWN ? v : undefined;
}

function runtimeConfig(key: string): string | undefined {
  try {
    // In a Pulumi program process (tests, direct use) the stack config is here; in the
    // dynamic-provider host it comes through `configure` instead.
    return text(require('@pulumi/pulumi').runtime.getConfig(key));
  } catch {
    return undefined;
  }
}

function connectionOf(props: Props | undefined): Connection {
  return {
    apiUrl: text(props?.apiUrl) ?? state.configured.apiUrl ?? runtimeConfig('cloudbilling:apiUrl'),
    token: text(props?.token) ?? state.configured.token ?? runtimeConfig('cloudbilling:token'),
  };
}

/** @internal The shared client (and its cache key) for a resource's connection; used by inventory.ts too. */
export function clientFor(props: Props | undefined): { client: BillingClient; key: string } {
  const conn = connectionOf(props);
  const client0 = new BillingClient({ apiUrl: conn.apiUrl, token: conn.token });
  const tokenHash = createHash('sha256')
    .update(conn.token ?? process.env.CLOUDBILLING_TOKEN ?? '')
    .digest('hex');
  const managedBy = text(props?.__managedBy);
  const key = `${client0.apiUrl} ${tokenHash}${managedBy ? ` ${managedBy}` : ''}`;
  let client = state.clients.get(key);
  if (!client) {
    client = new BillingClient({
      apiUrl: conn.apiUrl,
      token: conn.token,
      managedBy,
      onRequest: () => {
        state.requests += 1;
      },
    });
    state.clients.set(key, client);
  }
  return { client, key };
}

/** @internal One live snapshot per process and connection, refetched after a write. */
export function snapshotOf(client: BillingClient, key: string): Promise<Snapshot> {
  let p = state.snapshots.get(key);
  if (!p) {
    p = client.getSnapshot();
    state.snapshots.set(key, p);
    p.catch(() => state.snapshots.delete(key));
  }
  return p;
}

/** After a write by this process the cached snapshot is stale. */
function wrote(key: string): void {
  state.snapshots.delete(key);
}

// ---- values ------------------------------------------------------------------------

/** Deep copy with every unknown (the sentinel) turned into `undefined`. */
export function fromWire(v: unknown): any {
  if (v === UNKNOWN) return undefined;
  if (Array.isArray(v)) return v.map(fromWire);
  if (v && typeof v === 'object') {
    const out: Props = {};
    for (const [k, x] of Object.entries(v)) out[k] = fromWire(x);
    return out;
  }
  return v;
}

export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === 'object') return Object.values(v).some(containsUnknown);
  return false;
}

const isNil = (v: unknown) => v === undefined || v === null;

/** Whether `next` (an input, maybe unknown) leaves `prev` (stored) unchanged. */
function same(a: Attribute, prev: unknown, next: unknown): boolean {
  if (containsUnknown(next)) return false;
  if (a.presence === 'optionalComputed' && isNil(next)) return true;
  const p = isNil(prev) ? (a.default ?? null) : prev;
  const n = isNil(next) ? (a.default ?? null) : next;
  return sameValue(a.type, p, n);
}

function sameValue(t: AttrType, p: unknown, n: unknown): boolean {
  if (isNil(p) || isNil(n)) return isNil(p) && isNil(n);
  switch (t.kind) {
    case 'list':
      return Array.isArray(p) && Array.isArray(n) && p.length === n.length && p.every((x, i) => sameValue(t.element, x, n[i]));
    case 'object':
      return Object.entries(t.attributes).every(([k, a]) => same(a, (p as Props)[k], (n as Props)[k]));
    default:
      return p === n;
  }
}

function writable(kind: ResourceKind): [string, Attribute][] {
  return Object.entries(resources[kind].attributes).filter(([, a]) => a.presence !== 'computed');
}

/** Writable attributes whose value changes from `olds` (state) to `news` (inputs). */
export function changedAttributes(kind: ResourceKind, olds: Props, news: Props): string[] {
  return writable(kind)
    .filter(([name, a]) => !same(a, olds[name], news[name]))
    .map(([name]) => name);
}

/** `news` with defaults of the definition filled in (unknowns kept as they are). */
function withDefaults(kind: ResourceKind, news: Props): Props {
  const out: Props = { ...news };
  for (const [name, a] of writable(kind)) if (out[name] === undefined && a.default !== undefined) out[name] = a.default;
  return out;
}

/** The Pulumi-only arguments of `props`, to keep in the outputs. */
function extras(props: Props): Props {
  const out: Props = {};
  for (const k of EXTRA_ARGS) if (props[k] !== undefined) out[k] = props[k];
  return out;
}

/**
 * Pulumi values → the change model's: the sentinel becomes `undefined` (unknown), a
 * configurable attribute left out becomes its default or `null` (Pulumi has no other
 * "unset"), and a left-out `optionalComputed` one stays out (the API's value is kept).
 */
export function modelValues(kind: ResourceKind, props: Props): Values {
  const out: Values = fromWire(props);
  for (const [name, a] of writable(kind)) {
    if (props[name] !== undefined && props[name] !== null) continue;
    if (props[name] === null || a.presence !== 'optionalComputed') out[name] = a.default ?? null;
  }
  return out;
}

/** The group fields a write sends: all of them for a create, the changed ones with `olds` (outputs). */
function writeFields(kind: ResourceKind, news: Props, olds: Props | null = null): Partial<GroupInput> {
  const fields = groupInputOf(kind, modelValues(kind, news), olds && modelValues(kind, olds));
  for (const k of Object.keys(fields) as (keyof GroupInput)[]) if (fields[k] === undefined) delete fields[k];
  return fields;
}

function groupOutputs(kind: ResourceKind, g: Group): Props {
  const out: Props = {};
  const local = stateOnlyFields(kind);
  for (const name of Object.keys(resources[kind].attributes)) {
    if (name === 'id' || local.includes(name)) continue;
    const v = (g as unknown as Props)[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

// ---- diagnostics -------------------------------------------------------------------

function propertyOf(d: Diagnostic, fallback: string): string {
  if (!d.path || d.path.length === 0) return fallback;
  return d.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** `CODE: summary. detail` — the reason of a check failure and of a warning. */
export function reasonOf(d: Pick<Diagnostic, 'code' | 'summary' | 'detail'>): string {
  return `${d.code}: ${messageOf(d)}`;
}

function warnOnce(d: Diagnostic, scope: string): void {
  const line = reasonOf(d);
  const key = `${scope}\u0000${line}`;
  if (state.warned.has(key)) return;
  state.warned.add(key);
  void require('@pulumi/pulumi').log.warn(line);
}

function logApiWarnings(warnings: { code: string; message: string }[] | undefined, scope: string): void {
  for (const w of warnings ?? []) {
    const key = `${scope}\u0000${w.code}: ${w.message}`;
    if (state.warned.has(key)) continue;
    state.warned.add(key);
    void require('@pulumi/pulumi').log.warn(`${w.code}: ${w.message}`);
  }
}

/** An API error as a plain Error whose message starts with the rule code. */
function asError(e: unknown): Error {
  if (isApiError(e)) {
    const lines = e.violations.map((v) => `${v.code}: ${v.message}`);
    return new Error(lines.join('\n'));
  }
  return e instanceof Error ? e : new Error(String(e));
}

export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw asError(e);
  }
}

/** Evaluate `own` after `before` (context changes) and keep what concerns `own`. */
function evaluateSome(snapshot: Snapshot, before: Change[], own: Change[]): { errors: Diagnostic[]; warnings: Diagnostic[] } {
  const first = before.length;
  const changes = [...before, ...own];
  const mine = (d: Diagnostic) => d.index !== undefined && d.index >= first;
  // Only the slice of the snapshot these changes read: O(1) per link/permission check, not O(domain).
  const r = evaluate(stateReadBy(snapshot, changes), changes);
  return { errors: r.errors.filter(mine), warnings: r.warnings.filter(mine) };
}

/** A resource's check as one change of the change model; `before` null on a create. */
function checkChange(kind: ResourceKind, snapshot: Snapshot, olds: Props, news: Props, extra: Partial<ResourceChange> = {}): Change[] {
  const before = Object.keys(olds).length > 0 ? modelValues(kind, olds) : null;
  const after = modelValues(kind, news);
  const rc: ResourceChange = { kind, action: actionOf(kind, before, after), before, after, ...extra };
  return resourceChanges(rc, { domain: snapshot.domain, groups: snapshot.groups, projects: snapshot.projects, permissions: snapshot.permissions }).changes;
}

// ---- per kind ------------------------------------------------------------------------

interface KindOps {
  /** The changes this resource means, given the live snapshot (the change model), after the context changes `before`. */
  change(snapshot: Snapshot, olds: Props, news: Props, key: string): { before: Change[]; changes: Change[]; fallbackProperty: string };
  /** Drop diagnostics that do not apply to this resource (see ProjectLink). */
  keep?(d: Diagnostic, olds: Props, news: Props): boolean;
  /** Properties whose new value may be the same object as the old one: delete first. */
  replaceKey?: string[];
  create(client: BillingClient, inputs: Props): Promise<{ id: string; outs: Props }>;
  read(client: BillingClient, id: string, props: Props): Promise<Props | null>;
  update(client: BillingClient, id: string, olds: Props, news: Props): Promise<Props>;
  delete(client: BillingClient, id: string, props: Props): Promise<void>;
}

const billingGroupOps: KindOps = {
  change(snapshot, olds, news, key) {
    // The live group is the one this resource managed (found by its previous name); without one, a create (or an adoption).
    const live = findByName(snapshot.groups, fromWire(olds.name));
    const before: Change[] = [];
    const main = state.plannedMain.get(key);
    if (main) before.push({ op: 'updateGroup', id: snapshot.domain.mainGroupId, group: main });
    const prior = live ? { ...olds, id: live.id } : {};
    return { before, changes: checkChange('billingGroup', snapshot, prior, news, { adopt: news.adopt === true }), fallbackProperty: 'name' };
  },
  async create(client, inputs) {
    const fields = writeFields('billingGroup', inputs) as GroupInput;
    let g: Group | undefined;
    if (inputs.adopt === true) {
      const existing = findByName(await client.listGroups(), fields.name);
      if (existing) {
        const patch = writeFields('billingGroup', inputs, groupOutputs('billingGroup', existing));
        if (Object.keys(patch).length === 0) g = existing;
        else {
          const res = await client.updateGroup(existing.id, patch);
          logApiWarnings(res.warnings, `group ${existing.id}`);
          g = res;
        }
      }
    }
    if (!g) {
      const res = await client.createGroup(fields);
      logApiWarnings(res.warnings, `group ${res.id}`);
      g = res;
    }
    return { id: g.id, outs: groupOutputs('billingGroup', g) };
  },
  async read(client, id) {
    const g = await client.getGroup(id);
    return g ? groupOutputs('billingGroup', g) : null;
  },
  async update(client, id, olds, news) {
    const patch = writeFields('billingGroup', news, olds);
    if (Object.keys(patch).length === 0) {
      const g = await client.getGroup(id);
      if (!g) throw asError(new Error(reasonOf(diagnostic('GROUP_NOT_FOUND', { ref: id }))));
      return groupOutputs('billingGroup', g);
    }
    const g = await client.updateGroup(id, patch);
    logApiWarnings(g.warnings, `group ${id}`);
    return groupOutputs('billingGroup', g);
  },
  async delete(client, id, props) {
    const g = await client.getGroup(id);
    if (!g) return; // already gone
    if (props.deletionProtection === true) throw new Error(reasonOf(diagnostic('DELETION_PROTECTED', { name: g.name })));
    // The API's DELETE answers 204 without warnings: the rules engine tells them
    // (DELETE_IRREVERSIBLE, FREE_CREDITS_FORFEITED, USER_LOSES_BILLING_ACCESS) from a fresh snapshot.
    const r = evaluate(await client.getSnapshot(), [{ op: 'deleteGroup', id }]);
    await client.deleteGroup(id, g.name);
    for (const d of r.warnings) warnOnce(d, `delete group ${id}`);
  },
};

const mainBillingGroupOps: KindOps = {
  change(snapshot, olds, news, key) {
    const changes = checkChange('mainBillingGroup', snapshot, olds, news);
    // Sub groups checked later in this process (preview) see the main group as planned.
    const known: Partial<GroupInput> = {};
    for (const c of changes) if (c.op === 'updateGroup') for (const [k, v] of Object.entries(c.group)) if (v !== undefined) (known as Props)[k] = v;
    state.plannedMain.set(key, known);
    return { before: [], changes, fallbackProperty: 'billingEmails' };
  },
  async create(client, inputs) {
    const domain = await client.getDomain();
    const current = await client.getGroup(domain.mainGroupId);
    if (!current) throw new Error(reasonOf(diagnostic('GROUP_NOT_FOUND', { ref: domain.mainGroupId })));
    const patch = writeFields('mainBillingGroup', inputs, groupOutputs('mainBillingGroup', current));
    const g = Object.keys(patch).length === 0 ? current : await client.updateGroup(domain.mainGroupId, patch);
    logApiWarnings((g as { warnings?: [] }).warnings, `group ${g.id}`);
    return { id: g.id, outs: groupOutputs('mainBillingGroup', g) };
  },
  async read(client, id) {
    const g = await client.getGroup(id);
    return g ? groupOutputs('mainBillingGroup', g) : null;
  },
  async update(client, id, olds, news) {
    const patch = writeFields('mainBillingGroup', news, olds);
    if (Object.keys(patch).length === 0) {
      const g = await client.getGroup(id);
      return g ? groupOutputs('mainBillingGroup', g) : olds;
    }
    const g = await client.updateGroup(id, patch);
    logApiWarnings(g.warnings, `group ${id}`);
    return groupOutputs('mainBillingGroup', g);
  },
  async delete(_client, _id, props) {
    // Never deleted: only forgotten (removed from state).
    const d = adapterDiagnostic('MAIN_GROUP_FORGOTTEN', { name: props.name });
    void require('@pulumi/pulumi').log.warn(reasonOf(d));
  },
};

const projectLinkOps: KindOps = {
  change(snapshot, olds, news) {
    return { before: [], changes: checkChange('projectLink', snapshot, olds, news), fallbackProperty: 'billingGroupId' };
  },
  keep(d, _olds, news) {
    // allowTransfer known only after apply: the transfer may be acknowledged.
    return d.code !== 'TRANSFER_NOT_ACKNOWLEDGED' || news.allowTransfer !== UNKNOWN;
  },
  replaceKey: ['projectId'],
  async create(client, inputs) {
    const projectId = inputs.projectId as string;
    if (inputs.adopt === true) {
      const p = await client.getProject(projectId);
      if (p && p.billingGroupId === inputs.billingGroupId) {
        return { id: projectId, outs: { projectId, billingGroupId: p.billingGroupId, previousBillingGroupId: p.billingGroupId, effectiveFrom: p.effectiveFrom } };
      }
    }
    const r = await client.linkProject(projectId, inputs.billingGroupId, inputs.allowTransfer === true);
    logApiWarnings(r.warnings, `project ${projectId}`);
    return { id: projectId, outs: linkOutputs(r) };
  },
  async read(client, id, props) {
    const p = await client.getProject(id);
    if (!p) return null;
    return { projectId: p.id, billingGroupId: p.billingGroupId, previousBillingGroupId: props.previousBillingGroupId ?? null, effectiveFrom: p.effectiveFrom };
  },
  async update(client, id, _olds, news) {
    const r = await client.linkProject(id, news.billingGroupId, news.allowTransfer === true);
    logApiWarnings(r.warnings, `project ${id}`);
    return linkOutputs(r);
  },
  async delete(client, id, props) {
    const snapshot = await client.getSnapshot();
    // The change model decides: return the project to main only if it is still where this link put it.
    const { changes, notes } = resourceChanges({ kind: 'projectLink', action: 'delete', before: modelValues('projectLink', { ...props, projectId: id }), after: null }, snapshot);
    for (const d of notes) warnOnce(d, `project ${id}`);
    if (!changes.some((c) => c.op === 'unlink')) return;
    const r = await client.unlinkProject(id);
    logApiWarnings(r.warnings, `project ${id}`);
  },
};

function linkOutputs(r: { projectId: string; billingGroupId: string; previousBillingGroupId: string; effectiveFrom: string }): Props {
  return { projectId: r.projectId, billingGroupId: r.billingGroupId, previousBillingGroupId: r.previousBillingGroupId, effectiveFrom: r.effectiveFrom };
}

const groupPermissionOps: KindOps = {
  change(snapshot, olds, news) {
    return { before: [], changes: checkChange('groupPermission', snapshot, olds, news), fallbackProperty: 'userId' };
  },
  replaceKey: ['billingGroupId', 'userId'],
  async create(client, inputs) {
    const { billingGroupId, userId } = inputs as { billingGroupId: string; userId: string };
    if (inputs.adopt === true) {
      const existing = (await client.listPermissions(billingGroupId)).find((p) => p.userId === userId);
      if (existing) return { id: `${billingGroupId}/${userId}`, outs: { billingGroupId, userId, createdAt: existing.createdAt } };
    }
    const r = await client.grantPermission(billingGroupId, userId);
    logApiWarnings(r.warnings, `permission ${billingGroupId}/${userId}`);
    return { id: `${billingGroupId}/${userId}`, outs: { billingGroupId, userId, createdAt: r.createdAt ?? null } };
  },
  async read(client, _id, props) {
    const { billingGroupId, userId } = props as { billingGroupId: string; userId: string };
    let list;
    try {
      list = await client.listPermissions(billingGroupId);
    } catch (e) {
      if (isApiError(e) && e.status === 404) return null; // the group is gone
      throw e;
    }
    const p = list.find((x) => x.userId === userId);
    return p ? { billingGroupId, userId, createdAt: p.createdAt } : null;
  },
  async update(_client, _id, olds, news) {
    // Every attribute replaces; only the connection or `adopt` can change in place.
    return { billingGroupId: olds.billingGroupId, userId: olds.userId, createdAt: olds.createdAt, ...extras(news) };
  },
  async delete(client, _id, props) {
    try {
      const r = await client.revokePermission(props.billingGroupId, props.userId);
      logApiWarnings(r.warnings, `permission ${props.billingGroupId}/${props.userId}`);
    } catch (e) {
      if (isApiError(e) && e.status === 404) return; // group, user or membership already gone
      throw e;
    }
  },
};

const OPS: Record<ResourceKind, KindOps> = {
  billingGroup: billingGroupOps,
  mainBillingGroup: mainBillingGroupOps,
  projectLink: projectLinkOps,
  groupPermission: groupPermissionOps,
};


function checkEnums(kind: ResourceKind, news: Props): Diagnostic[] {
  const out: Diagnostic[] = [];
  const walk = (attrs: Record<string, Attribute>, value: Props | undefined, path: string[]) => {
    if (!value || typeof value !== 'object') return;
    for (const [name, a] of Object.entries(attrs)) {
      const v = value[name];
      if (a.type.kind === 'string' && a.type.enum && typeof v === 'string' && v !== UNKNOWN && !a.type.enum.includes(v)) {
        out.push(adapterDiagnostic('VALUE_NOT_ALLOWED', { value: v, allowed: a.type.enum }, { path: [...path, name] }));
      }
      if (a.type.kind === 'object') walk(a.type.attributes, v, [...path, name]);
    }
  };
  walk(resources[kind].attributes, news, []);
  return out;
}

// ---- the provider interface ---------------------------------------------------------

export const engine = {
  /** Stack config of the host: `cloudbilling:apiUrl`, secret `cloudbilling:token`. */
  async configure(req: dyn.ConfigureRequest): Promise<void> {
    state.configured = {
      apiUrl: text(req.config.get('cloudbilling:apiUrl')),
      token: text(req.config.get('cloudbilling:token')),
    };
  },

  async check(kind: ResourceKind, olds: Props, news: Props): Promise<dyn.CheckResult> {
    const ops = OPS[kind];
    const { __blocked: blocked, ...rest } = news;
    const inputs = withDefaults(kind, rest);
    if (Array.isArray(blocked) && blocked.length > 0) {
      // Set by BillingDomain: the whole program breaks a rule (billing-domain.ts).
      return { inputs, failures: blocked.map((reason: string) => ({ property: '', reason: String(reason) })) };
    }
    const failures: dyn.CheckFailure[] = [];
    const enumErrors = checkEnums(kind, news);
    for (const d of enumErrors) failures.push({ property: propertyOf(d, ''), reason: reasonOf(d) });
    const { client, key } = clientFor(news);
    const snapshot = await guarded(() => snapshotOf(client, key));
    const { before, changes, fallbackProperty } = ops.change(snapshot, olds ?? {}, news, key);
    for (const c of changes) {
      // A payment method with nothing to keep needs its reference: say so here, not as the API's 400.
      const pm = (c.op === 'createGroup' || c.op === 'updateGroup') && !containsUnknown(news.paymentMethod) ? c.group.paymentMethod : undefined;
      if (pm && typeof pm.reference !== 'string') {
        const d = adapterDiagnostic('PAYMENT_REFERENCE_REQUIRED', { attribute: 'paymentMethod.reference', name: news.name ?? 'the main group' }, { path: ['paymentMethod', 'reference'] });
        failures.push({ property: propertyOf(d, 'paymentMethod'), reason: reasonOf(d) });
      }
    }
    if (changes.length > 0) {
      const r = evaluateSome(snapshot, before, changes);
      // Under a BillingDomain (it sets `__blocked`), the identity rules are judged for the whole program by its inventory.
      const domainJudged = Array.isArray(blocked) ? IDENTITY_RULES : new Set<string>();
      for (const d of r.errors) {
        if (domainJudged.has(d.code)) continue;
        if (ops.keep && !ops.keep(d, olds ?? {}, news)) continue;
        if (enumErrors.length > 0 && d.path && enumErrors.some((e) => e.path?.join('.') === d.path?.join('.'))) continue;
        failures.push({ property: propertyOf(d, fallbackProperty), reason: reasonOf(d) });
      }
      if (failures.length === 0) for (const d of r.warnings) warnOnce(d, `${kind} ${JSON.stringify(changes)}`);
    }
    return { inputs, failures };
  },

  async diff(kind: ResourceKind, _id: string, olds: Props, news: Props): Promise<dyn.DiffResult> {
    const ops = OPS[kind];
    const n = withDefaults(kind, news);
    const changed = changedAttributes(kind, olds, n);
    const def = resources[kind].attributes;
    const replaces = changed.filter((k) => def[k].replace === true);
    // Connection or adopt changes rewrite the state only (no API write).
    const extraChanged = EXTRA_ARGS.some((k) => k !== 'adopt' && k !== '__managedBy' && text(olds[k]) !== text(n[k]) && n[k] !== UNKNOWN);
    let deleteBeforeReplace = false;
    if (replaces.length > 0 && ops.replaceKey) {
      // The replacement may be the same object (same project, same membership) when its
      // key is unknown now or equal: create-then-delete would undo it. Delete first.
      deleteBeforeReplace = ops.replaceKey.every((k) => containsUnknown(n[k]) || n[k] === olds[k]);
    }
    return { changes: changed.length > 0 || extraChanged, replaces, deleteBeforeReplace };
  },

  async create(kind: ResourceKind, inputs: Props): Promise<dyn.CreateResult> {
    const { client, key } = clientFor(inputs);
    try {
      const { id, outs } = await guarded(() => OPS[kind].create(client, inputs));
      return { id, outs: { ...localOf(kind, inputs), ...outs, ...extras(inputs) } };
    } finally {
      wrote(key);
      if (kind === 'mainBillingGroup') state.plannedMain.delete(key);
    }
  },

  async read(kind: ResourceKind, id: string, props: Props = {}): Promise<dyn.ReadResult> {
    const { client } = clientFor(props);
    const live = await guarded(() => OPS[kind].read(client, id, props));
    if (!live) return {}; // vanished: Pulumi drops it from state
    const out = { ...localOf(kind, props), ...live, ...extras(props) };
    // Refreshed inputs: the writable attributes as they are live (drift shows in the next diff).
    const inputs: Props = extras(props);
    for (const [name] of writable(kind)) if (out[name] !== undefined) inputs[name] = out[name];
    return { id, props: out, inputs };
  },

  async update(kind: ResourceKind, id: string, olds: Props, news: Props): Promise<dyn.UpdateResult> {
    const n = withDefaults(kind, news);
    const { client, key } = clientFor(n);
    try {
      const outs = await guarded(() => OPS[kind].update(client, id, olds, n));
      return { outs: { ...localOf(kind, n), ...outs, ...extras(n) } };
    } finally {
      wrote(key);
      if (kind === 'mainBillingGroup') state.plannedMain.delete(key);
    }
  },

  async delete(kind: ResourceKind, id: string, props: Props): Promise<void> {
    const { client, key } = clientFor(props);
    try {
      await guarded(() => OPS[kind].delete(client, id, props));
    } finally {
      wrote(key);
    }
  },

  /** Requests made so far by the providers' clients in this process. */
  get requests(): number {
    return state.requests;
  },

  /** Forget cached snapshots, clients, plans and warnings (tests, benchmark runs). */
  reset(): void {
    state.clients.clear();
    state.snapshots.clear();
    state.plannedMain.clear();
    state.warned.clear();
    state.configured = {};
  },
};

/** IaC-side attributes (with defaults) carried from the inputs to the outputs. */
function localOf(kind: ResourceKind, props: Props): Props {
  const out: Props = {};
  const local = stateOnlyFields(kind);
  for (const [name, a] of writable(kind)) {
    if (!local.includes(name)) continue;
    out[name] = props[name] ?? a.default ?? null;
  }
  return out;
}
