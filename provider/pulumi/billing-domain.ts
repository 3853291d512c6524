/**
 * `BillingDomain`: whole-program rules at preview (SPEC §5 "Plan time").
 *
 * Resources declared with `{ parent: domain }` are collected; their registration waits
 * until the domain has evaluated the program's declarations together, as one change list,
 * with the rules engine against the live snapshot: two links for one project
 * (`PROJECT_MULTI_LINK`), more sub groups than allowed counting declared and live ones
 * (`SUB_GROUP_LIMIT`), two new groups with one name (`NAME_TAKEN`), and every other rule
 * the declarations can tell. Every resource of the failing batch is registered with a
 * `__blocked` input that its provider's `check` turns into failures (its own violations,
 * then the rest of the batch's, since the engine shows only the first failing resource):
 * so the preview fails with every violation and nothing of the domain is created.
 * (Rejecting the registrations instead would surface as a flood of unhandled rejections.)
 * Deletes (groups no longer declared) are judged by the domain's inventory (inventory.ts),
 * on which every declared resource depends.
 *
 * Declarations made in the same tick form a batch (a program declares its resources
 * synchronously); a later batch (e.g. declared inside an `apply`) is evaluated with all
 * earlier declarations. A declared group whose name matches a live sub group counts as
 * that group (already managed or adopted), not as a new one.
 */
import * as pulumi from '@pulumi/pulumi';
import { BillingClient } from '../client/client';
import type { Snapshot } from '../client/types';
import { resourceChanges, type ResourceChange } from '../domain/change-model';
import { evaluate } from '../domain/rules';
import type { Change, Diagnostic } from '../domain/types';
import { IDENTITY_RULES, modelValues, reasonOf, UNKNOWN } from './engine';
import { inventoryProvider, type InventoryInputs } from './inventory';
import type { ResourceKind } from './providers';

export interface BillingDomainArgs {
  /** Billing API URL for the whole-program check. Default: stack config `cloudbilling:apiUrl`, else `CLOUDBILLING_API_URL`. */
  apiUrl?: pulumi.Input<string>;
  /** Token for the whole-program check. Default: secret stack config `cloudbilling:token`, else `CLOUDBILLING_TOKEN`. */
  token?: pulumi.Input<string>;
}

/** A diagnostic of the whole-program check, with the declaration it concerns. */
export interface DomainDiagnostic extends Diagnostic {
  kind: ResourceKind;
  /** The Pulumi name of the declared resource. */
  resource: string;
}

export interface DomainVerdict {
  errors: DomainDiagnostic[];
  warnings: DomainDiagnostic[];
}

interface Declaration {
  kind: ResourceKind;
  name: string;
  args: Record<string, unknown>;
  resource?: pulumi.CustomResource;
  reported: boolean;
  /** Check-failure reasons when the whole-program check failed. */
  blocked?: string[];
}

interface Batch {
  promise: Promise<void>;
  resolve(): void;
}

export class BillingDomain extends pulumi.ComponentResource {
  readonly #args: BillingDomainArgs;
  readonly #decls: Declaration[] = [];
  readonly #verdict: DomainVerdict = { errors: [], warnings: [] };
  readonly #runs: Promise<void>[] = [];
  #batch: Batch | undefined;
  /** Registered after the first batch that passes; every declared resource depends on it (inventory.ts). */
  #inventory: pulumi.CustomResource | undefined;

  constructor(name: string, args: BillingDomainArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super('cloudbilling:index:BillingDomain', name, {}, opts);
    this.#args = args;
    this.registerOutputs({});
  }

  /**
   * All diagnostics of the whole-program check so far (waits for pending batches).
   * Never rejects; a failed check also fails the declared resources.
   */
  async verdict(): Promise<DomainVerdict> {
    for (let n = -1; n !== this.#runs.length; ) {
      n = this.#runs.length;
      await Promise.allSettled(this.#runs);
    }
    return { errors: [...this.#verdict.errors], warnings: [...this.#verdict.warnings] };
  }

  /** @internal Called by the resource constructors (prepare.ts). */
  declare(kind: ResourceKind, name: string, args: object) {
    const decl: Declaration = { kind, name, args: args as Record<string, unknown>, reported: false };
    this.#decls.push(decl);
    if (!this.#batch) {
      let resolve!: () => void;
      const promise = new Promise<void>((res) => {
        resolve = res;
      });
      const batch: Batch = { promise, resolve };
      this.#batch = batch;
      this.#runs.push(
        new Promise<void>((done) =>
          setImmediate(() => {
            this.#batch = undefined;
            void this.#check(batch).finally(done);
          }),
        ),
      );
    }
    const gate = this.#batch.promise;
    return {
      gate,
      registered: (resource: pulumi.CustomResource) => {
        decl.resource = resource;
      },
      /** After the gate: the reasons this resource must fail its check, if any. */
      blocked: (): string[] | undefined => decl.blocked,
      /**
       * Every resource waits for the inventory (deletes judged first); a sub group also for
       * the main group's update (its payment method allows creating it).
       */
      dependsOn: (): pulumi.Resource[] => {
        const out: pulumi.Resource[] = this.#inventory ? [this.#inventory] : [];
        if (kind !== 'billingGroup') return out;
        const main = this.#decls.find((d) => d.kind === 'mainBillingGroup' && d.resource);
        return main?.resource ? [...out, main.resource] : out;
      },
    };
  }

  async #check(batch: Batch): Promise<void> {
    const fresh = this.#decls.filter((d) => !d.reported);
    try {
      const { errors, warnings, inventory } = await this.#evaluate();
      for (const d of fresh) d.reported = true;
      const mine = (x: DomainDiagnostic) => fresh.some((d) => d.name === x.resource && d.kind === x.kind);
      const newErrors = errors.filter(mine);
      this.#verdict.errors.push(...newErrors);
      const newWarnings = warnings.filter(mine);
      this.#verdict.warnings.push(...newWarnings);
      // Warnings are logged from the program, on the resource: the program is connected to
      // the engine (a dynamic provider's pulumi.log falls back to console output,
      // pulumi/pulumi#18253). Never for a failing batch: a log on a resource waits for its
      // URN, the engine stops at the first failed check, and under the real engine such a
      // pending log kept the next `up` of the same process from ever finishing. For the
      // same reason errors are not logged on the component: the failures carry them.
      if (newErrors.length === 0) {
        for (const w of newWarnings) {
          const d = fresh.find((x) => x.name === w.resource && x.kind === w.kind);
          void pulumi.log.warn(reasonOf(w), d?.resource);
        }
      }
      if (errors.length === 0 && !this.#inventory) this.#registerInventory(inventory);
      if (newErrors.length > 0) {
        const line = (e: DomainDiagnostic) => `${e.code}: ${e.kind} "${e.resource}": ${reasonOf(e).slice(e.code.length + 2)}`;
        // The engine stops at the first resource whose check fails and shows only its
        // failures (the component's log lines may never be shown): so every blocked
        // resource carries its own violations first, then all the others of the batch.
        for (const d of fresh) {
          const isOwn = (e: DomainDiagnostic) => e.resource === d.name && e.kind === d.kind;
          d.blocked = [...newErrors.filter(isOwn).map(reasonOf), ...newErrors.filter((e) => !isOwn(e)).map(line)];
        }
      }
    } catch (e) {
      for (const d of fresh) d.reported = true;
      const err = e instanceof Error ? e : new Error(String(e));
      void pulumi.log.error(`BillingDomain "${this.#name()}": the whole-program check could not run: ${err.message}`);
    } finally {
      batch.resolve();
    }
  }

  #registerInventory(inventory: InventoryInputs): void {
    const props: Record<string, unknown> = { ...inventory };
    if (this.#args.apiUrl !== undefined) props.apiUrl = this.#args.apiUrl;
    if (this.#args.token !== undefined) props.token = pulumi.secret(this.#args.token);
    this.#inventory = new DomainInventory(
      `${this.#name()}-inventory`,
      props,
      { parent: this, additionalSecretOutputs: ['token'] },
    );
  }

  #name(): string {
    return (this as unknown as { __name?: string }).__name ?? 'domain';
  }

  async #evaluate(): Promise<{ errors: DomainDiagnostic[]; warnings: DomainDiagnostic[]; inventory: InventoryInputs }> {
    const apiUrl = asText(await resolve(this.#args.apiUrl)) ?? asText(pulumi.runtime.getConfig('cloudbilling:apiUrl'));
    const token = asText(await resolve(this.#args.token)) ?? asText(pulumi.runtime.getConfig('cloudbilling:token'));
    const client = new BillingClient({ apiUrl, token });
    const snapshot = await client.getSnapshot();

    const decls = [...this.#decls];
    const held = new Set<pulumi.Resource>(decls.map((d) => d.resource).filter((r): r is pulumi.CustomResource => r !== undefined));
    const resolved = await Promise.all(decls.map(async (d) => (await resolve(d.args, held)) as Record<string, unknown>));
    /** A reference to the id of a group declared in this program: by name, known now. */
    const groupRef = (arg: unknown): DeclaredGroupRef | undefined => {
      for (let i = 0; i < decls.length; i++) {
        const res = decls[i].resource;
        if (!res || arg !== res.id) continue;
        if (decls[i].kind === 'mainBillingGroup') return { main: true };
        if (decls[i].kind === 'billingGroup' && typeof resolved[i].name === 'string' && resolved[i].name !== UNKNOWN) return { name: resolved[i].name as string, resource: decls[i].name };
      }
      return undefined;
    };
    const program: ProgramDeclaration[] = decls.map((d, i) => ({ kind: d.kind, resource: d.name, values: resolved[i], groupRef: groupRef(d.args.billingGroupId) }));
    const { errors, warnings } = judgeProgram(snapshot, program);
    return { errors, warnings, inventory: inventoryOf(program, snapshot.domain.mainGroupId) };
  }
}

/** A group reference of a declaration resolved by identity: the program's main group, or a declared sub group's name. */
export type DeclaredGroupRef = { main: true } | { name: string; resource?: string };

/** One declaration of the program with its inputs resolved (unknowns are the sentinel). */
export interface ProgramDeclaration {
  kind: ResourceKind;
  /** The Pulumi name of the declared resource. */
  resource: string;
  values: Record<string, unknown>;
  /** When `values.billingGroupId` is the id of a group declared in the program. */
  groupRef?: DeclaredGroupRef;
}

/**
 * The whole-program check of `BillingDomain`, pure: every declaration through the one
 * change model (`resourceChanges`), evaluated together against the live snapshot.
 *
 * A program sees no Pulumi state, so a declaration is its desired state: a sub group is a
 * create that takes over the live sub group of its name (`adopt`: already managed, or
 * adopted), and a link or membership declares where its object is (`no-op`: it may have
 * been applied by an earlier run; a link to main that already did its job is then no
 * MAIN_UNLINK_FORBIDDEN). What needs the previous inputs (a rename onto a taken name, a
 * new link to main of a project in main) is the per-resource `check`'s, which sees them.
 */
export function judgeProgram(snapshot: Snapshot, program: ProgramDeclaration[]): DomainVerdict & { changes: Change[]; owners: string[] } {
  const changes: Change[] = [];
  const owner: number[] = [];
  program.forEach((d, i) => {
    const values = modelValues(d.kind, d.values);
    // A declared sub group is known here by its new name only, not by identity (a rename is
    // not visible to the program): its target rules are the inventory's; the link still
    // declares its project (PROJECT_MULTI_LINK).
    if (d.groupRef && 'main' in d.groupRef) values.billingGroupId = snapshot.domain.mainGroupId;
    else if (d.groupRef) values.billingGroupId = undefined;
    const declares = d.kind === 'projectLink' || d.kind === 'groupPermission';
    const rc: ResourceChange = declares
      ? { kind: d.kind, action: 'no-op', before: values, after: values }
      : { kind: d.kind, action: 'create', before: null, after: values, adopt: true };
    for (const c of resourceChanges(rc, snapshot).changes) {
      changes.push(c);
      owner.push(i);
    }
  });
  const r = evaluate(snapshot, changes);
  const tag = (x: Diagnostic): DomainDiagnostic => {
    const d = program[owner[x.index ?? 0]];
    return { ...x, kind: d.kind, resource: d.resource };
  };
  // Which live group a declared group is (a rename, or a new group named like a live one),
  // and which groups this update deletes, only the previous declarations tell: the identity
  // rules and transfers are the inventory's, judged with them (inventory.ts).
  const errors = r.errors.filter((x) => !IDENTITY_RULES.has(x.code) && x.code !== 'TRANSFER_NOT_ACKNOWLEDGED').map(tag);
  // Two declared groups with one name clash whatever groups they are (and so does one named
  // like the main group): that much NAME_TAKEN needs no identity.
  const groups = program.map((d, i) => ({ d, i })).filter(({ d }) => d.kind === 'billingGroup');
  const creates: Change[] = groups.map(({ d }) => ({ op: 'createGroup', group: { name: modelValues('billingGroup', d.values).name as string, billingEmails: undefined as never, invoiceEmails: undefined as never } }));
  const main = snapshot.groups.filter((g) => g.id === snapshot.domain.mainGroupId);
  for (const x of evaluate({ ...snapshot, groups: main, projects: [], permissions: [] }, creates).errors) {
    if (x.code !== 'NAME_TAKEN' || x.index === undefined) continue;
    const d = groups[x.index].d;
    errors.push({ ...x, index: undefined, kind: d.kind, resource: d.resource });
  }
  return { errors, warnings: r.warnings.map(tag), changes, owners: owner.map((i) => program[i].resource) };
}

/** What the inventory records of the program's declarations: group names and resources, links and memberships with their group. */
export function inventoryOf(program: ProgramDeclaration[], mainId: string): InventoryInputs {
  const inventory: InventoryInputs = { groups: [], groupResources: [], adopted: [], links: [], grants: [] };
  const known = (v: unknown): v is string => typeof v === 'string' && v !== UNKNOWN;
  for (const d of program) {
    const v = d.values;
    const ref: { billingGroupId?: string; billingGroupName?: string; groupResource?: string } = {};
    if (d.groupRef && 'main' in d.groupRef) ref.billingGroupId = mainId;
    else if (d.groupRef) (ref.billingGroupName = d.groupRef.name), d.groupRef.resource !== undefined && (ref.groupResource = d.groupRef.resource);
    else if (known(v.billingGroupId)) ref.billingGroupId = v.billingGroupId;
    switch (d.kind) {
      case 'mainBillingGroup':
        if (v.paymentMethod !== UNKNOWN) inventory.mainPayment = v.paymentMethod !== null && v.paymentMethod !== undefined;
        break;
      case 'billingGroup':
        if (!known(v.name)) break;
        inventory.groups.push(v.name);
        inventory.groupResources!.push(d.resource);
        if (v.adopt === true) inventory.adopted!.push(d.resource);
        break;
      case 'projectLink':
        if (!known(v.projectId)) break;
        inventory.links.push({ projectId: v.projectId, ...ref, resource: d.resource, ...(v.allowTransfer === UNKNOWN ? {} : { allowTransfer: v.allowTransfer === true }) });
        break;
      case 'groupPermission':
        if (known(v.userId)) inventory.grants!.push({ userId: v.userId, ...ref });
        break;
    }
  }
  return inventory;
}

/** The inventory resource (inventory.ts): `cloudbilling:DomainInventory`. */
class DomainInventory extends pulumi.dynamic.Resource {
  constructor(name: string, props: Record<string, unknown>, opts: pulumi.CustomResourceOptions) {
    super(inventoryProvider, name, props, opts, 'cloudbilling', 'DomainInventory');
  }
}

function asText(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' && v !== UNKNOWN ? v : undefined;
}

/**
 * Resolve an Input deeply to plain values; unknowns (preview) become the sentinel.
 * Outputs of resources this domain holds back cannot resolve before its verdict: they
 * are unknown here (a reference to a declared group's `id` is mapped by identity
 * before). Anything else that does not resolve within `waitMs` is treated as unknown too.
 */
async function resolve(v: unknown, held: Set<pulumi.Resource> = new Set(), waitMs = 5000): Promise<unknown> {
  const again = (x: unknown) => resolve(x, held, waitMs);
  if (pulumi.Output.isInstance(v)) {
    const o = v as unknown as {
      isKnown: Promise<boolean>;
      promise(withUnknowns?: boolean): Promise<unknown>;
      resources(): Set<pulumi.Resource>;
      allResources?: () => Promise<Set<pulumi.Resource>>;
    };
    for (const r of o.resources()) if (held.has(r)) return UNKNOWN;
    const known = await withTimeout(o.isKnown, waitMs, false);
    if (!known) return UNKNOWN;
    return again(await o.promise());
  }
  if (v instanceof Promise) return again(await withTimeout(v, waitMs, UNKNOWN));
  if (Array.isArray(v)) return Promise.all(v.map(again));
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await again(x);
    return out;
  }
  return v;
}

function withTimeout<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<T>((res) => {
    timer = setTimeout(() => res(fallback), ms);
    timer.unref?.();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
