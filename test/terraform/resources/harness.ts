/**
 * Drive the Terraform resource handlers directly, the way the protocol layer does, against
 * the real Billing API server (no terraform binary): fast tests of plan-time rules,
 * create/read/update/delete and import.
 *
 * - `processContext(server)` is one provider process: a real `BillingClient` and a
 *   snapshot cached for the process (as provider.ts does), with a counter of API calls.
 * - `proposedNew` builds Terraform's proposed new state from prior state and config
 *   (config values, prior values for computed attributes and for optional+computed ones
 *   left null), like Terraform's objchange.ProposedNew does for this provider's schema.
 */
import { BillingClient, type Snapshot } from '../../../provider/client';
import type { Attribute, ResourceDefinition } from '../../../provider/domain/resources';
import type { Diagnostic } from '../../../provider/domain/types';
import type { PrivateState, ProviderContext, ResourceHandler, TfValue, Values } from '../../../provider/terraform/framework';
import { randomUUID } from 'node:crypto';
import { applyProblems, planProblems } from '../../../provider/terraform/planning';
import { ChangeSession } from '../../../provider/terraform/change-session';
import { applyResource, planResource } from '../../../provider/terraform/lifecycle';

export interface CountingContext extends ProviderContext {
  /** `METHOD path` of every API request this process made. */
  calls: string[];
  /** A new provider process of the same workspace (Terraform starts one per walk). */
  fork(): CountingContext;
  workspace: string;
}

export function processContext(server: { url: string; adminToken: string }, token = server.adminToken, workspace = `test:${randomUUID()}`): CountingContext {
  const calls: string[] = [];
  const client = new BillingClient({ apiUrl: server.url, token, retries: 0, onRequest: (m, p) => calls.push(`${m} ${p}`) });
  let cached: Promise<Snapshot> | undefined;
  const session = new ChangeSession(() => client, { workspace, managedBy: workspace });
  return { client, calls, session, workspace, snapshot: () => (cached ??= client.getSnapshot()), fork: () => processContext(server, token, workspace) };
}

/** An admin client for arranging the server's state and checking it. */
export function adminClient(server: { url: string; adminToken: string }): BillingClient {
  return new BillingClient({ apiUrl: server.url, token: server.adminToken, retries: 0 });
}

/** A configuration object: every attribute of `def` null unless given. */
export function config(def: ResourceDefinition, values: Values): Values {
  const out: Values = Object.fromEntries(Object.keys(def.attributes).map((k) => [k, null]));
  for (const [k, v] of Object.entries(values)) {
    if (!(k in def.attributes)) throw new Error(`${def.tfName} has no attribute ${k}`);
    out[k] = nestedConfig(def.attributes[k], v);
  }
  return out;
}

function nestedConfig(attr: Attribute, v: TfValue): TfValue {
  if (attr.type.kind === 'object' && v && typeof v === 'object' && !Array.isArray(v)) {
    const inner: Values = Object.fromEntries(Object.keys(attr.type.attributes).map((k) => [k, null]));
    return { ...inner, ...(v as Values) };
  }
  return v;
}

function computedInSchema(a: Attribute): boolean {
  return a.presence === 'computed' || a.presence === 'optionalComputed' || a.default !== undefined;
}

function proposedAttrs(attributes: Record<string, Attribute>, prior: Values | null, cfg: Values): Values {
  const out: Values = {};
  for (const [name, attr] of Object.entries(attributes)) {
    const c = cfg[name] ?? null;
    const p = prior ? (prior[name] ?? null) : null;
    if (attr.presence === 'computed') out[name] = p;
    else if (c === null && computedInSchema(attr)) out[name] = p;
    else if (attr.type.kind === 'object' && c !== null && typeof c === 'object' && !Array.isArray(c)) {
      out[name] = proposedAttrs(attr.type.attributes, p && typeof p === 'object' && !Array.isArray(p) ? (p as Values) : null, c as Values);
    } else out[name] = c;
  }
  return out;
}

/** Terraform's proposed new state for `config` over `prior`. */
export function proposedNew(def: ResourceDefinition, prior: Values | null, cfg: Values): Values {
  return proposedAttrs(def.attributes, prior, cfg);
}

export interface Planned {
  planned: Values | null;
  requiresReplace: string[];
  diagnostics: Diagnostic[];
  /** The planned private state (Terraform hands it to a replacement's second call). */
  private: PrivateState;
}

/** PlanResourceChange for a create/update (`cfg` given) or destroy (`cfg` null). Fails on a plan Terraform would reject. */
export async function plan(h: ResourceHandler, ctx: ProviderContext, prior: Values | null, cfg: Values | null, priorPrivate?: PrivateState): Promise<Planned> {
  const proposed = cfg === null ? null : proposedNew(h.definition, prior, cfg);
  const r = await planResource(h, { prior, proposed, config: cfg, priorPrivate }, ctx);
  const problems = planProblems(h.definition, cfg, r.planned);
  if (problems.length > 0) throw new Error(`invalid plan for ${h.definition.tfName}: ${problems.join('; ')}`);
  return { planned: r.planned, requiresReplace: r.requiresReplace ?? [], diagnostics: r.diagnostics ?? [], private: r.private ?? {} };
}

/**
 * Plan then apply one resource like `terraform apply`: a plan walk in its own process that
 * registers its change set when it ends, then an apply walk in another process (ctx's own,
 * so its live view sees the result). Fails on plan errors or an inconsistent result.
 */
export async function apply(h: ResourceHandler, ctx: CountingContext, prior: Values | null, cfg: Values): Promise<Values> {
  return (await walk(h, ctx, prior, cfg))!;
}

/** Plan and apply a destroy the same way; returns the diagnostics of the apply. */
export async function destroy(h: ResourceHandler, ctx: CountingContext, prior: Values): Promise<void> {
  await walk(h, ctx, prior, null);
}

async function walk(h: ResourceHandler, ctx: CountingContext, prior: Values | null, cfg: Values | null): Promise<Values | null> {
  const planCtx = ctx.fork();
  const p = await plan(h, planCtx, prior, cfg);
  const errors = p.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`plan failed: ${errors.map((d) => d.code).join(', ')}`);
  await planCtx.session.flush();
  const applyCtx = { ...ctx, session: new ChangeSession(() => ctx.client, { workspace: ctx.workspace, managedBy: ctx.workspace }) };
  // Terraform re-plans each resource (not a destroy) in the apply process just before applying it.
  if (cfg !== null) await planResource(h, { prior, proposed: proposedNew(h.definition, prior, cfg), config: cfg }, applyCtx);
  const r = await applyResource(h, prior, p.planned, applyCtx);
  const failed = r.diagnostics.filter((d) => d.severity === 'error');
  if (failed.length > 0) throw new Error(`apply failed: ${failed.map((d) => `${d.code}: ${d.detail}`).join('; ')}`);
  if (p.planned === null) return r.state;
  const bad = applyProblems(h.definition, p.planned, r.state!);
  if (bad.length > 0) throw new Error(`inconsistent result after apply for ${bad.join(', ')}`);
  return r.state;
}

export function codes(ds: Diagnostic[]): string[] {
  return ds.map((d) => d.code);
}

export function find(ds: Diagnostic[], code: string): Diagnostic {
  const d = ds.find((x) => x.code === code);
  if (!d) throw new Error(`no ${code} among ${JSON.stringify(codes(ds))}`);
  return d;
}

export const CARD = { type: 'card', reference: 'tok_test_card' };
