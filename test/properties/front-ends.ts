/**
 * The front ends of the differential property test (differential.test.ts), each driven
 * in-process the way its host drives it, against one real Billing API server whose store
 * is replaced per case (a fresh `:memory:` SQLite store: starting a server costs ~400 ms,
 * a store a few ms).
 *
 * A case is an IaC configuration: resources with a key, their state (`prior`, null for a
 * new one) and their desired values (`desired`, null for a removed one). A group reference
 * is symbolic (`{ ref: key }`) and every front end resolves it its own way: Terraform to
 * the id its plan reserved, Pulumi to the sentinel plus the declared group's name, CDKTF
 * to the construct's `id` token.
 */
import { randomUUID } from 'node:crypto';
import { App, TerraformStack } from 'cdktf';
import { BillingClient, isApiError } from '../../provider/client';
import { BillingService, buildApp, openStore, type Store } from '../../provider/server';
import { resources as tfResources } from '../../provider/terraform/resources';
import { applyResource, planResource } from '../../provider/terraform/lifecycle';
import { ChangeSession } from '../../provider/terraform/change-session';
import { valuesEqual } from '../../provider/terraform/planning';
import { UNKNOWN as TF_UNKNOWN, type Values } from '../../provider/terraform/framework';
import { engine, UNKNOWN as PULUMI_UNKNOWN } from '../../provider/pulumi';
import { inventoryOf, judgeProgram, type ProgramDeclaration } from '../../provider/pulumi/billing-domain';
import { inventory } from '../../provider/pulumi/inventory';
import { providers } from '../../provider/pulumi/providers';
import { parsePlanText } from '../../provider/gitops/input';
import { review } from '../../provider/gitops/review';
import { BillingGroup, MainBillingGroup, ProjectLink, GroupPermission, checkBillingStack } from '../../provider/cdktf';
import { resources as definitions, toSnake, convertKeys, type Change, type Diagnostic } from '../../provider/domain';
import type { ResourceKind } from '../../provider/domain/change-model';
import type { Snapshot } from '../../provider/client/types';
import { config, proposedNew } from '../terraform/resources/harness';

export const TOKEN = 'cbt_differential_admin_token';

/** A group reference to another resource of the configuration (a sub group or the main group). */
export interface Ref {
  ref: string;
}

export interface CaseResource {
  key: string;
  kind: ResourceKind;
  /** Terraform state as last applied (camelCase, every attribute); null = not in state. */
  prior: Values | null;
  /** Desired configuration (camelCase, writable attributes); `billingGroupId` may be a Ref; null = removed. */
  desired: Record<string, unknown> | null;
}

export interface Verdict {
  /** Error codes, as a set (sorted, unique). */
  errors: string[];
  warnings: string[];
}

/** Plan warnings that stand for "apply refuses the whole change if it still holds" (change-session.ts). */
const DECIDED_AT_APPLY = ['DELETE_HAS_PROJECTS'];

const codeSet = (ds: { code: string }[]): string[] => [...new Set(ds.map((d) => d.code))].sort();

// ---- the server with a replaceable store --------------------------------------------------

export class World {
  service!: BillingService;
  url = '';
  #store: Store | undefined;
  #close: (() => Promise<void>) | undefined;

  async start(): Promise<void> {
    await this.reset();
    // The real app over a service that is always the current one (routes keep their reference).
    const self = this;
    const forward = (target: () => object) =>
      new Proxy({}, { get: (_t, k) => { const o = target() as Record<string | symbol, unknown>; const v = o[k]; return typeof v === 'function' ? (v as Function).bind(o) : v; } });
    const storeProxy = forward(() => self.service.store);
    const serviceProxy = new Proxy({}, { get: (_t, k) => (k === 'store' ? storeProxy : (forward(() => self.service) as Record<string | symbol, unknown>)[k]) }) as BillingService;
    const app = await buildApp(serviceProxy, { rateLimit: 0 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const a = app.server.address();
    this.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    this.#close = () => app.close();
  }

  /** A fresh `:memory:` store with a new domain: the server now answers from it. */
  async reset(): Promise<BillingService> {
    await this.#store?.close();
    this.#store = await openStore({ db: ':memory:' });
    this.service = new BillingService(this.#store);
    await this.service.bootstrap({ domain: 'example', adminEmail: 'admin@example.com', adminToken: TOKEN });
    return this.service;
  }

  client(): BillingClient {
    return new BillingClient({ apiUrl: this.url, token: TOKEN, retries: 0 });
  }

  async close(): Promise<void> {
    await this.#close?.();
    await this.#store?.close();
  }
}

// ---- Terraform: the provider's plan and apply RPC handlers, in-process ----------------------

const TF_TYPE: Record<ResourceKind, string> = {
  billingGroup: 'cloudbilling_billing_group',
  mainBillingGroup: 'cloudbilling_main_billing_group',
  projectLink: 'cloudbilling_project_link',
  groupPermission: 'cloudbilling_group_permission',
};

interface TfProcess {
  client: BillingClient;
  session: ChangeSession;
  snapshot: () => Promise<Snapshot>;
}

function tfProcess(world: World, workspace: string): TfProcess {
  const client = world.client();
  let cached: Promise<Snapshot> | undefined;
  // Every resource of a phase is planned at once, as Terraform does with -parallelism: a short quiet time suffices.
  const session = new ChangeSession(() => client, { workspace, managedBy: workspace }, { quietMs: 5 });
  return { client, session, snapshot: () => (cached ??= client.getSnapshot()) };
}

export interface TerraformRun {
  plan: Verdict;
  /** Codes of the whole run: the plan's errors, else the apply's refusal. */
  run: Verdict;
  /** Plan warnings that say "apply refuses the whole change if this still holds" (DELETE_HAS_PROJECTS). */
  atApply: string[];
  applied: boolean;
  /** The resources as `terraform show -json` of the saved plan would list them (for review). */
  planJson: string;
}

/**
 * `terraform plan -out` + `terraform apply` of the configuration: a plan walk in one process (groups first, then
 * links and memberships, which reference them; all resources of a phase at once), its
 * change set registered at the end of the walk, then an apply walk in another process.
 * Without refresh (`-refresh=false`): the state is as last applied.
 */
export async function terraformApply(world: World, rs: CaseResource[], mainId: string, afterPlan: (planJson: string) => Promise<void>): Promise<TerraformRun> {
  const workspace = `differential:${randomUUID()}`;
  const planCtx = tfProcess(world, workspace);
  const planned = new Map<string, { prior: Values | null; planned: Values | null; cfg: Values | null; replace: string[] }>();
  const diagnostics: Diagnostic[] = [];
  const phases: ResourceKind[][] = [['mainBillingGroup', 'billingGroup'], ['projectLink', 'groupPermission']];
  for (const kinds of phases) {
    await Promise.all(
      rs.filter((r) => kinds.includes(r.kind)).map(async (r) => {
        const h = tfResources[TF_TYPE[r.kind]];
        const cfg = r.desired === null ? null : config(h.definition, resolveTf(r.desired, planned, mainId) as Values);
        const proposed = cfg === null ? null : proposedNew(h.definition, r.prior, cfg);
        const out = await planResource(h, { prior: r.prior, proposed, config: cfg }, planCtx as never);
        diagnostics.push(...(out.diagnostics ?? []));
        planned.set(r.key, { prior: r.prior, planned: out.planned, cfg, replace: out.requiresReplace ?? [] });
      }),
    );
  }
  const plan = { errors: codeSet(diagnostics.filter((d) => d.severity === 'error')), warnings: codeSet(diagnostics.filter((d) => d.severity === 'warning')) };
  const planJson = JSON.stringify(planDocument(rs, planned));
  await afterPlan(planJson); // e.g. `cloudbilling review` of the saved plan, before apply
  // What the plan cannot be sure of it shows as a warning saying apply refuses the whole change (ADR 0005).
  const atApply = plan.warnings.filter((c) => DECIDED_AT_APPLY.includes(c));
  if (plan.errors.length > 0) return { plan, run: { errors: plan.errors, warnings: plan.warnings }, atApply, applied: false, planJson };
  await planCtx.session.flush();

  const applyCtx = tfProcess(world, workspace);
  // Terraform re-plans each resource (not a destroy) in the apply process just before applying it.
  for (const kinds of phases) {
    await Promise.all(
      rs.filter((r) => kinds.includes(r.kind) && planned.get(r.key)!.cfg !== null).map(async (r) => {
        const p = planned.get(r.key)!;
        const h = tfResources[TF_TYPE[r.kind]];
        await planResource(h, { prior: p.prior, proposed: proposedNew(h.definition, p.prior, p.cfg!), config: p.cfg }, applyCtx as never);
      }),
    );
  }
  const refused: Diagnostic[] = [];
  await Promise.all(
    rs.map(async (r) => {
      const p = planned.get(r.key)!;
      if (p.prior === null && p.planned === null) return;
      if (actionsOf(p)[0] === 'no-op') return; // Terraform applies nothing for it
      const h = tfResources[TF_TYPE[r.kind]];
      const out = await applyResource(h, p.prior, p.planned, applyCtx as never);
      refused.push(...out.diagnostics.filter((d) => d.severity === 'error'));
    }),
  );
  // Refusals are rule codes prefixed by the adapter's wording; the rule code is the diagnostic's code.
  const run = { errors: codeSet(refused.filter((d) => d.code !== 'CHANGE_REFUSED')), warnings: plan.warnings };
  return { plan, run, atApply, applied: refused.length === 0, planJson };
}

/** Terraform's `change.actions` for a planned resource. */
function actionsOf(p: { prior: Values | null; planned: Values | null; replace: string[] }): string[] {
  if (p.prior === null) return ['create'];
  if (p.planned === null) return ['delete'];
  if (p.replace.length > 0) return ['delete', 'create'];
  return valuesEqual(p.prior, p.planned) ? ['no-op'] : ['update'];
}

function resolveTf(desired: Record<string, unknown>, planned: Map<string, { planned: Values | null }>, mainId: string): Record<string, unknown> {
  const out = { ...desired };
  const ref = desired.billingGroupId as Ref | undefined;
  if (ref && typeof ref === 'object') {
    const target = planned.get(ref.ref)?.planned;
    out.billingGroupId = ref.ref === 'main' ? mainId : ((target?.id as string | undefined) ?? TF_UNKNOWN);
  }
  return out;
}

/** The plan as `terraform show -json` prints it (snake_case values, unknowns in `after_unknown`). */
function planDocument(rs: CaseResource[], planned: Map<string, { prior: Values | null; planned: Values | null; replace: string[] }>): object {
  const snake = (v: Values | null) => (v === null ? null : (convertKeys(JSON.parse(JSON.stringify(v, (_k, x) => (x === TF_UNKNOWN ? null : x))), toSnake) as object));
  const unknowns = (v: Values | null): object => {
    if (v === null) return {};
    const walk = (x: unknown): unknown => (x === TF_UNKNOWN ? true : Array.isArray(x) ? x.map(walk) : x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).map(([k, y]) => [toSnake(k), walk(y)]).filter(([, y]) => y !== false && !(y && typeof y === 'object' && Object.keys(y).length === 0))) : false);
    return walk(v) as object;
  };
  const resource_changes = rs.map((r) => {
    const p = planned.get(r.key)!;
    const actions = actionsOf(p);
    return { address: `${TF_TYPE[r.kind]}.${r.key}`, mode: 'managed', type: TF_TYPE[r.kind], name: r.key, provider_name: 'registry.terraform.io/cloudbilling/cloudbilling', change: { actions, before: snake(p.prior), after: snake(p.planned), after_unknown: unknowns(p.planned) } };
  });
  return { format_version: '1.2', terraform_version: '1.11.4', resource_changes, configuration: { root_module: { resources: [] } } };
}

// ---- review: `cloudbilling review` of that plan JSON --------------------------------------------

export async function reviewPlan(world: World, planJson: string): Promise<Verdict> {
  const state = await world.client().getSnapshot();
  const r = review(parsePlanText(planJson), state);
  return { errors: codeSet(r.errors), warnings: codeSet(r.warnings) };
}

// ---- Pulumi: the providers' check (preview), BillingDomain's whole-program check, the inventory --

/**
 * `pulumi preview` of the program with a `BillingDomain`. The preview stops at the first
 * failing stage — the whole-program check, then the inventory (deletes), then the
 * resources' own checks — so `errors` are that stage's codes and `all` those of every stage.
 */
export async function pulumiPreview(world: World, rs: CaseResource[], mainId: string): Promise<Verdict & { all: string[] }> {
  engine.reset();
  process.env.CLOUDBILLING_API_URL = world.url;
  process.env.CLOUDBILLING_TOKEN = TOKEN;
  const keyOf = new Map(rs.map((r) => [r.key, r]));
  /** A reference: the id in state for a group that exists, the sentinel for one the preview creates. */
  const resolve = (desired: Record<string, unknown>): { values: Record<string, unknown>; groupRef?: ProgramDeclaration['groupRef'] } => {
    const ref = desired.billingGroupId as Ref | undefined;
    if (!ref || typeof ref !== 'object') return { values: desired };
    if (ref.ref === 'main') return { values: { ...desired, billingGroupId: mainId }, groupRef: { main: true } };
    const target = keyOf.get(ref.ref)!;
    const name = target.desired?.name as string;
    const id = target.prior?.id as string | undefined;
    return { values: { ...desired, billingGroupId: id ?? PULUMI_UNKNOWN }, groupRef: { name, resource: ref.ref } };
  };
  const inputsOf = (kind: ResourceKind, v: Values | null) => {
    if (v === null) return {};
    const out: Record<string, unknown> = {};
    for (const [k, a] of Object.entries(definitions[kind].attributes)) if (a.presence !== 'computed' && v[k] !== null && v[k] !== undefined) out[k] = v[k];
    return out;
  };
  const declared = rs.filter((r) => r.desired !== null);
  // Stage 1, in the program: BillingDomain's whole-program check (a failure blocks every resource).
  const snapshot = await world.client().getSnapshot();
  const program: ProgramDeclaration[] = declared.map((r) => {
    const { values, groupRef } = resolve(r.desired!);
    // BillingDomain holds the declared resources back, so a reference to a declared group is known by its name only.
    return { kind: r.kind, resource: r.key, values, groupRef };
  });
  const whole = judgeProgram(snapshot, program);
  // Stage 2: the inventory's check (deletes), which every declared resource depends on; registered only when stage 1 passed.
  const before: ProgramDeclaration[] = rs.filter((r) => r.prior !== null).map((r) => ({ kind: r.kind, resource: r.key, values: inputsOf(r.kind, r.prior) }));
  const inv = await inventory.check(inventoryOf(before, mainId), inventoryOf(program, mainId));
  // Stage 3: each resource's check (preview), in registration order: the main group first.
  const checks: string[] = [];
  const order = [...declared].sort((a, b) => (a.kind === 'mainBillingGroup' ? -1 : b.kind === 'mainBillingGroup' ? 1 : 0));
  for (const r of order) {
    // Under a BillingDomain every declared resource carries `__blocked` (empty when the program passed).
    const c = await providers[r.kind].check!(inputsOf(r.kind, r.prior), { ...resolve(r.desired!).values, __blocked: [] });
    for (const f of c.failures ?? []) checks.push(f.reason.split(':')[0]);
  }
  const stages = [whole.errors.map((d) => d.code), (inv.failures ?? []).map((f) => f.reason.split(':')[0]), checks];
  const set = (xs: string[]) => [...new Set(xs)].sort();
  return { errors: set(stages.find((x) => x.length > 0) ?? []), all: set(stages.flat()), warnings: set(whole.warnings.map((d) => d.code)) };
}

// ---- CDKTF: the synth-time validation of the equivalent stack ------------------------------------

export function cdktfSynth(rs: CaseResource[]): Verdict {
  const app = new App({ outdir: '/tmp/cdktf-differential-unused', skipValidation: true });
  const stack = new TerraformStack(app, 'billing');
  const made = new Map<string, { id: string }>();
  const value = (v: Record<string, unknown>) => {
    const ref = v.billingGroupId as Ref | undefined;
    return ref && typeof ref === 'object' ? { ...v, billingGroupId: made.get(ref.ref)!.id } : v;
  };
  const clean = (v: Record<string, unknown>) => Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null && x !== undefined)) as never;
  for (const r of rs) {
    if (r.desired === null) continue;
    if (r.kind === 'mainBillingGroup') made.set(r.key, new MainBillingGroup(stack, r.key, clean(r.desired)));
    if (r.kind === 'billingGroup') made.set(r.key, new BillingGroup(stack, r.key, clean(r.desired)));
  }
  for (const r of rs) {
    if (r.desired === null) continue;
    if (r.kind === 'projectLink') new ProjectLink(stack, r.key, clean(value(r.desired)));
    if (r.kind === 'groupPermission') new GroupPermission(stack, r.key, clean(value(r.desired)));
  }
  const result = checkBillingStack(stack);
  return { errors: codeSet(result.errors), warnings: codeSet(result.warnings) };
}

// ---- the API's whole-change apply of the oracle's change list -----------------------------------

export interface ApiRun {
  applied: boolean;
  errors: string[];
}

/** `POST /v1/change-sets` with one entry per change, then `POST /v1/change-sets/{id}/apply`. */
export async function apiApply(world: World, changes: Change[]): Promise<ApiRun> {
  const client = world.client();
  if (changes.length === 0) return { applied: true, errors: [] };
  const cs = await client.registerChangeSet({ workspace: `oracle:${randomUUID()}`, entries: changes.map((c, i) => ({ key: `c${i}`, changes: [c] })) });
  try {
    await client.applyChangeSet(cs.id);
    return { applied: true, errors: [] };
  } catch (e) {
    if (!isApiError(e) || e.status !== 409) throw e;
    const violations = (e.details.violations as { code: string }[] | undefined) ?? [{ code: e.code }];
    return { applied: false, errors: codeSet(violations) };
  }
}
