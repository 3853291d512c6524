/**
 * Whole-stack billing rules at CDKTF and CDK Terrain synth (SPEC §5 "Plan time", issue 5;
 * issue 13: one module for both construct libraries).
 *
 * `billingRulesFor(lib)` binds them to one library (`cdktf` or `cdktn`, which have the same
 * API); `cloudbilling/cdktf` and `cloudbilling/cdktn` each re-export the bound functions.
 * The lib-dependent half (collecting resources, tokens, the Aspect) lives in that one
 * closure, which is why this stays one file of ~500 lines; the pure helpers sit above it.
 *
 * `enableBillingRules(stack)` adds an Aspect that, on every synth, collects the stack's
 * `cloudbilling_*` resources, turns them into the change list of SPEC §3 and runs the one
 * rules engine (`evaluate` in provider/domain/rules.ts) on it. Each violation becomes a
 * construct validation on the resource it belongs to, so `app.synth()` fails with
 * `[construct path] CODE (attribute): summary. detail` for every violation at once.
 *
 * What synth can know: only the stack itself (no API call, no Terraform state). The live
 * domain is replaced by a synthetic one that can never cause a violation by itself (a
 * main group with a payment method, every referenced project in the main group, every
 * referenced user present), and only the rules decidable from the stack alone are
 * reported (`SYNTH_RULES`). Rules that need the live domain (`*_NOT_FOUND`, transfers,
 * clashes with existing names, ...) are left to `terraform plan`, whose provider reads
 * the snapshot.
 *
 * Unknown values are skipped, never guessed: any value that is a CDKTF token
 * (`Token.isUnresolved`: a reference, a variable, a function call) is `undefined` for the
 * rules engine. Two exceptions, both exact:
 *  - a group reference `billingGroupId: group.id` to a billing group of this stack is
 *    resolved to that construct (by name when its name is known), and to the main group
 *    for `mainBillingGroup.id`;
 *  - a project id that is one plain Terraform reference (`${data.cloudbilling_project.web.id}`,
 *    `${var.project}`) is compared as that expression, so two links of one project through
 *    the same reference are caught as PROJECT_MULTI_LINK.
 * Resources with `count` use each instance (a known count) or are checked alone (an
 * unknown count, `for_each`): their instances are unknown to the whole-stack rules.
 * Resources of different provider configurations (aliases) may manage different domains,
 * so each configuration's resources are checked on their own.
 */
import type { IConstruct } from 'constructs';
import { diagnostic, messageOf } from '../domain/messages';
import { toCamel, convertKeys } from '../domain/naming';
import { resourceChanges, type LiveView, type ResourceChange, type Values } from '../domain/change-model';
import { evaluate } from '../domain/rules';
import type { Change, Diagnostic, DomainState } from '../domain/types';

/**
 * What the rules use of a construct library. `cdktf` (0.21) and `cdktn` (0.24) both have
 * exactly this API, so `billingRulesFor(require('cdktf'))` and `billingRulesFor(require('cdktn'))`
 * give the same rules over either library's construct tree; structural types, so this
 * module imports neither library (a CDK Terrain user has no `cdktf`, and the reverse).
 */
export interface CdkLibrary {
  Annotations: { of(scope: IConstruct): { addWarning(message: string): void } };
  Aspects: { of(scope: IConstruct): { add(aspect: { visit(node: IConstruct): void }): void } };
  TerraformResource: { isTerraformResource(x: any): boolean };
  TerraformStack: { of(construct: IConstruct): IConstruct; isStack(x: any): boolean };
  Token: { isUnresolved(obj: any): boolean };
  Tokenization: { resolve(obj: any, options: { scope: IConstruct; preparing: boolean; resolver: any }): any };
  DefaultTokenResolver: new (concat: any) => unknown;
  StringConcat: new () => unknown;
}

/** A `TerraformResource` of either library, as far as the rules read it. */
export interface CdkResource extends IConstruct {
  readonly terraformResourceType: string;
  readonly friendlyUniqueId: string;
  toTerraform(): any;
}

/** A `TerraformStack` of either library. */
export type CdkStack = IConstruct;

/** Terraform resource types this validation reads. */
export const BILLING_RESOURCE_TYPES = {
  billingGroup: 'cloudbilling_billing_group',
  mainBillingGroup: 'cloudbilling_main_billing_group',
  projectLink: 'cloudbilling_project_link',
  groupPermission: 'cloudbilling_group_permission',
} as const;

/** Sub group limit of a domain unless `BillingRulesOptions.subGroupLimit` says otherwise (SPEC §2). */
export const DEFAULT_SUB_GROUP_LIMIT = 30;

/**
 * Rule codes decidable from a stack alone; the rest need the live domain (terraform plan).
 * Not MAIN_PAYMENT_REQUIRED: it holds only for groups that do not exist yet, and synth cannot
 * tell a new group from an existing one (removing main's payment method is fine when every
 * sub group of the stack exists); `terraform plan` decides it against the live domain.
 */
export const SYNTH_RULES: readonly string[] = [
  'NAME_INVALID',
  'NAME_TAKEN',
  'BILLING_EMAILS_COUNT',
  'INVOICE_EMAILS_COUNT',
  'EMAIL_INVALID',
  'SUB_GROUP_LIMIT',
  'PROJECT_MULTI_LINK',
];

/** Warnings decidable from a stack alone; added as construct warnings (annotations). */
export const SYNTH_WARNINGS: readonly string[] = ['NO_PAYMENT_METHOD'];

export interface BillingRulesOptions {
  /**
   * The domain's sub group limit, used for SUB_GROUP_LIMIT among the stack's groups.
   * Default 30 (`DEFAULT_SUB_GROUP_LIMIT`).
   */
  subGroupLimit?: number;
}

/** A rule diagnostic placed on the construct (and `count` instance) it comes from. */
export interface StackDiagnostic extends Diagnostic {
  /** The resource's construct path, e.g. `billing/team-a`. */
  constructPath: string;
  /** The `count` instance, when the resource has a known count. */
  instance?: number;
  /** The resource construct. */
  construct: CdkResource;
}

export interface StackCheckResult {
  errors: StackDiagnostic[];
  warnings: StackDiagnostic[];
}

type Kind = keyof typeof BILLING_RESOURCE_TYPES;

interface Entry {
  construct: CdkResource;
  kind: Kind;
  /** Attribute values, camelCase; `undefined` = unknown. */
  values: Record<string, unknown>;
  /** Known instance count (1 without `count`); null = unknown (token count or `for_each`). */
  instances: number | null;
  /** The provider configuration it uses (`cloudbilling` or `cloudbilling.<alias>`): one domain each. */
  provider: string;
}

/** Resources without `provider` use the default (unaliased) provider configuration. */
const DEFAULT_PROVIDER = 'cloudbilling';

/** Placeholder ids of the synthetic domain; never shown to users. */
const MAIN_ID = 'synth:main';
const PLACEHOLDER_PAYMENT = { type: 'card', reference: 'synth:payment' } as const;
/** The synthetic main group's name: a control character, so no valid group name of the stack can clash with it. Never shown (see `place`). */
const SYNTH_MAIN_NAME = '\u0000main';

function kindOf(type: string): Kind {
  return (Object.keys(BILLING_RESOURCE_TYPES) as Kind[]).find((k) => BILLING_RESOURCE_TYPES[k] === type)!;
}

const PLAIN_REFERENCE = /^\$\{(?:var\.[A-Za-z0-9_-]+|(?:data\.)?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_]+)\}$/;

interface Built {
  changes: Change[];
  /** Change index -> where it comes from. */
  origin: { entry: Entry; instance?: number }[];
}

/** A domain in which the stack's changes can only break rules by themselves. */
function syntheticState(changes: Change[], subGroupLimit: number): DomainState {
  const at = '1970-01-01T00:00:00.000Z';
  const projectIds = new Set<string>();
  const userIds = new Set<string>();
  for (const c of changes) {
    if (c.op === 'link' || c.op === 'unlink') projectIds.add(c.projectId);
    if (c.op === 'grant' || c.op === 'revoke') userIds.add(c.userId);
  }
  return {
    domain: { id: 'synth:domain', name: SYNTH_MAIN_NAME, mainGroupId: MAIN_ID, subGroupLimit },
    groups: [
      {
        id: MAIN_ID,
        name: SYNTH_MAIN_NAME,
        type: 'main',
        billingEmails: [],
        invoiceEmails: [],
        paymentMethod: { ...PLACEHOLDER_PAYMENT },
        details: { currency: 'USD' },
        createdAt: at,
        updatedAt: at,
        createdBy: 'synth',
        version: 1,
        projectCount: projectIds.size,
      },
    ],
    projects: [...projectIds].map((id) => ({ id, name: id, billingGroupId: MAIN_ID, effectiveFrom: '1970-01-01', createdAt: at })),
    users: [...userIds].map((id) => ({ id, email: `${id}@synth.invalid`, name: id, role: null })),
    permissions: [],
  };
}

function label(o: { entry: Entry; instance?: number }): string {
  return o.instance === undefined ? o.entry.construct.node.path : `${o.entry.construct.node.path}[${o.instance}]`;
}

/** One line for a construct validation: `CODE (attribute, instance n): summary. detail`. */
export function formatStackDiagnostic(d: Pick<StackDiagnostic, 'code' | 'summary' | 'detail' | 'path' | 'instance'>): string {
  const where: string[] = [];
  if (d.path && d.path.length > 0) where.push(formatPath(d.path));
  if (d.instance !== undefined) where.push(`instance ${d.instance}`);
  return `${d.code}${where.length ? ` (${where.join(', ')})` : ''}: ${messageOf(d)}`;
}

/** `["billingEmails", 2]` -> `billingEmails[2]` (the camelCase names of the CDKTF bindings). */
function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The rules API bound to one construct library; `cloudbilling/cdktf` and `cloudbilling/cdktn` re-export it. */
export interface BillingRulesApi {
  /**
   * Check a stack's billing resources with the rules engine, without synthesizing.
   * Entries of unknown multiplicity (`for_each`, a token `count`) are checked alone.
   */
  checkBillingStack(stack: CdkStack, options?: BillingRulesOptions): StackCheckResult;
  /**
   * The change list (SPEC §3) the stack stands for, as the rules engine sees it at synth,
   * for one provider configuration (default `cloudbilling`). For tools and tests.
   */
  billingChanges(stack: CdkStack, provider?: string): { changes: Change[]; sources: { constructPath: string; instance?: number }[] };
  /**
   * Check the whole stack against the billing rules at every synth (an Aspect); `scope` is
   * the stack or a construct in it. Calling it again for a stack applies `options` to the
   * existing Aspect and returns it.
   */
  enableBillingRules(scope: IConstruct, options?: BillingRulesOptions): BillingRulesAspect;
  /** The Aspect class behind `enableBillingRules`. */
  BillingRules: new (stack: CdkStack, options?: BillingRulesOptions) => BillingRulesAspect;
}

/** The Aspect `enableBillingRules` adds to a stack. */
export interface BillingRulesAspect {
  readonly stack: CdkStack;
  /** Change the options (e.g. the sub group limit) for the next synth. */
  configure(options: BillingRulesOptions): void;
  visit(node: IConstruct): void;
  /** The check of the current synth (computed once per synth). */
  current(): StackCheckResult;
}

/** The rules over the construct tree of `lib` (the `cdktf` or the `cdktn` module). */
export function billingRulesFor(lib: CdkLibrary): BillingRulesApi {
  const { Annotations, Aspects, DefaultTokenResolver, StringConcat, TerraformResource, TerraformStack, Token, Tokenization } = lib;

  function isBillingResource(node: IConstruct): node is CdkResource {
    return (
      TerraformResource.isTerraformResource(node) &&
      (Object.values(BILLING_RESOURCE_TYPES) as string[]).includes((node as CdkResource).terraformResourceType)
    );
  }

  /** The Terraform expression a token stands for, e.g. `${cloudbilling_billing_group.team_a.id}`. */
  function expressionOf(stack: CdkStack, value: unknown): unknown {
    return Tokenization.resolve(value, {
      scope: stack,
      preparing: false,
      resolver: new DefaultTokenResolver(new StringConcat()),
    });
  }

  /** `value` unless it is a token (unknown at synth): then `undefined`. */
  function known(value: unknown): unknown {
    if (value === null || value === undefined) return value;
    return Token.isUnresolved(value) ? undefined : value;
  }

  function knownString(value: unknown): string | undefined {
    const v = known(value);
    return typeof v === 'string' ? v : undefined;
  }

  /** A string list: unknown as a whole (undefined) or with unknown elements (undefined elements). */
  function knownList(value: unknown): unknown[] | undefined | null {
    if (value === null) return null;
    const v = known(value);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) return undefined;
    return v.map((e) => known(e));
  }

  function collect(stack: CdkStack): Entry[] {
    const entries: Entry[] = [];
    for (const node of stack.node.findAll()) {
      if (!isBillingResource(node) || TerraformStack.of(node) !== stack) continue;
      const type = node.terraformResourceType;
      const tf = node.toTerraform() as { resource?: Record<string, Record<string, Record<string, unknown>>> };
      const raw = tf.resource?.[type]?.[node.friendlyUniqueId] ?? {};
      const values = convertKeys(raw, toCamel) as Record<string, unknown>;
      let instances: number | null = 1;
      if (values.forEach !== undefined) instances = null;
      else if (values.count !== undefined) {
        const count = known(values.count);
        instances = typeof count === 'number' ? count : null;
      }
      const provider = typeof values.provider === 'string' && !Token.isUnresolved(values.provider) ? values.provider : DEFAULT_PROVIDER;
      entries.push({ construct: node, kind: kindOf(type), values, instances, provider });
    }
    return entries;
  }

  /**
   * Turn entries into one change list. `standalone` entries (unknown multiplicity) are built
   * one list each by the caller.
   */
  function build(stack: CdkStack, entries: Entry[], all: Entry[]): Built {
    const changes: Change[] = [];
    const origin: Built['origin'] = [];
    const byUniqueId = new Map(all.map((e) => [e.construct.friendlyUniqueId, e]));

    /**
     * A `billingGroupId` value as the change model takes it: the synthetic main id for a
     * reference to the stack's main group, `groupName` for a reference to a sub group of
     * this stack with a known name, unknown otherwise (a literal id of an existing group is
     * unknown to synth too: it needs the live domain).
     */
    const groupRef = (value: unknown, from: Entry): { billingGroupId?: string; groupName?: string } => {
      if (value === undefined || value === null) return {};
      if (!Token.isUnresolved(value)) return {};
      const expr = expressionOf(stack, value);
      const m = typeof expr === 'string' ? /^\$\{(cloudbilling_billing_group|cloudbilling_main_billing_group)\.([^.}]+)\.id\}$/.exec(expr) : null;
      if (!m) return {};
      const target = byUniqueId.get(m[2]!);
      if (!target || target.provider !== from.provider) return {}; // another domain's group: unknown here
      if (target.kind === 'mainBillingGroup') return { billingGroupId: MAIN_ID };
      if (target.instances !== 1) return {};
      const name = knownString(target.values.name);
      return name === undefined ? {} : { groupName: name };
    };

    /** A project/user id for whole-stack comparison: a literal, or one plain reference expression. */
    const idOf = (value: unknown, entry: Entry): string | undefined => {
      if (typeof value === 'string' && !Token.isUnresolved(value)) return value;
      if (value === undefined || value === null || entry.instances !== 1 || !Token.isUnresolved(value)) return undefined;
      const expr = expressionOf(stack, value);
      return typeof expr === 'string' && PLAIN_REFERENCE.test(expr) ? expr : undefined;
    };

    /** The stack's values as the change model's `after` (tokens are unknown: `undefined`). */
    const groupValues = (v: Record<string, unknown>): Values => ({
      name: knownString(v.name),
      billingEmails: knownList(v.billingEmails),
      invoiceEmails: knownList(v.invoiceEmails),
      // Absent or null: no payment method. A token: unknown.
      paymentMethod: v.paymentMethod === undefined || v.paymentMethod === null ? null : known(v.paymentMethod) === undefined ? undefined : v.paymentMethod,
      details: null, // not read by any synth rule
    });

    const live: LiveView = { domain: { id: 'synth:domain', name: SYNTH_MAIN_NAME, mainGroupId: MAIN_ID, subGroupLimit: DEFAULT_SUB_GROUP_LIMIT }, groups: [] };
    for (const entry of entries) {
      const count = entry.instances ?? 1;
      for (let i = 0; i < count; i++) {
        const instance = entry.instances === 1 || entry.instances === null ? undefined : i;
        const v = entry.values;
        // Synth sees no Terraform state: every resource of the stack is its desired state, a create.
        let rc: ResourceChange;
        switch (entry.kind) {
          case 'billingGroup':
          case 'mainBillingGroup':
            rc = { kind: entry.kind, action: 'create', before: null, after: groupValues(v) };
            break;
          case 'projectLink': {
            const projectId = idOf(v.projectId, entry);
            if (projectId === undefined) continue; // unknown project: nothing to compare
            const { groupName, billingGroupId } = groupRef(v.billingGroupId, entry);
            rc = { kind: 'projectLink', action: 'create', before: null, after: { projectId, billingGroupId, allowTransfer: known(v.allowTransfer) }, groupName };
            break;
          }
          case 'groupPermission': {
            const userId = idOf(v.userId, entry);
            if (userId === undefined) continue;
            const { groupName, billingGroupId } = groupRef(v.billingGroupId, entry);
            rc = { kind: 'groupPermission', action: 'create', before: null, after: { userId, billingGroupId }, groupName };
            break;
          }
        }
        for (const change of resourceChanges(rc, live).changes) {
          changes.push(change);
          origin.push({ entry, instance });
        }
      }
    }
    return { changes, origin };
  }

  function run(stack: CdkStack, entries: Entry[], all: Entry[], subGroupLimit: number): StackCheckResult {
    const { changes, origin } = build(stack, entries, all);
    if (changes.length === 0) return { errors: [], warnings: [] };
    const state = syntheticState(changes, subGroupLimit);
    const result = evaluate(state, changes, { now: new Date(0) });
    // `evaluate` stops at NOT_FOUND-style errors; the synthetic domain has none, but keep only
    // what the stack alone decides.
    const place = (d: Diagnostic): StackDiagnostic => {
      const o = origin[d.index ?? 0]!;
      let out: Diagnostic = d;
      if (d.code === 'PROJECT_MULTI_LINK' && d.index !== undefined) {
        // Name the constructs instead of change-list positions.
        const c = changes[d.index] as Extract<Change, { op: 'link' }>;
        const first = changes.findIndex((x) => (x.op === 'link' || x.op === 'unlink') && x.projectId === c.projectId);
        out = diagnostic('PROJECT_MULTI_LINK', { id: c.projectId, first: label(origin[first]!), second: label(o) }, { index: d.index, path: d.path });
      }
      // The synthetic main group is named by the stack's main group resource, never by its placeholder.
      const mainEntry = entries.find((e) => e.kind === 'mainBillingGroup');
      const mainLabel = JSON.stringify(mainEntry ? `${mainEntry.construct.node.path} (the main billing group)` : 'the main billing group');
      const unsentinel = (t: string) => t.split(JSON.stringify(SYNTH_MAIN_NAME)).join(mainLabel).split(SYNTH_MAIN_NAME).join(mainLabel.slice(1, -1));
      out = { ...out, summary: unsentinel(out.summary), detail: unsentinel(out.detail) };
      const placed: StackDiagnostic = { ...out, constructPath: o.entry.construct.node.path, construct: o.entry.construct };
      delete placed.index;
      if (o.instance !== undefined) placed.instance = o.instance;
      return placed;
    };
    return {
      errors: result.errors.filter((d) => SYNTH_RULES.includes(d.code)).map(place),
      warnings: result.warnings.filter((d) => SYNTH_WARNINGS.includes(d.code)).map(place),
    };
  }

  /**
   * Check a stack's billing resources with the rules engine, without synthesizing.
   * Entries of unknown multiplicity (`for_each`, a token `count`) are checked alone.
   */
  function checkBillingStack(stack: CdkStack, options: BillingRulesOptions = {}): StackCheckResult {
    const limit = options.subGroupLimit ?? DEFAULT_SUB_GROUP_LIMIT;
    const all = collect(stack);
    const results: StackCheckResult[] = [];
    // Each provider configuration (alias) may point at another domain: check each on its own.
    for (const provider of [...new Set(all.map((e) => e.provider))]) {
      const mine = all.filter((e) => e.provider === provider);
      results.push(run(stack, mine.filter((e) => e.instances !== null), all, limit));
      for (const e of mine.filter((x) => x.instances === null)) results.push(run(stack, [e], all, limit));
    }
    return {
      errors: results.flatMap((r) => r.errors),
      warnings: results.flatMap((r) => r.warnings),
    };
  }

  /**
   * The change list (SPEC §3) the stack stands for, as the rules engine sees it at synth:
   * unknown values are `undefined`, group references to the stack's own groups are
   * `billingGroupName` (sub group with a known name) or the synthetic main group id
   * `synth:main`. Only the resources of one provider configuration (`cloudbilling`, or
   * `cloudbilling.<alias>`); those of unknown multiplicity are left out. For tools and tests.
   */
  function billingChanges(
    stack: CdkStack,
    provider: string = DEFAULT_PROVIDER,
  ): { changes: Change[]; sources: { constructPath: string; instance?: number }[] } {
    const all = collect(stack);
    const { changes, origin } = build(stack, all.filter((e) => e.instances !== null && e.provider === provider), all);
    return {
      changes,
      sources: origin.map((o) => (o.instance === undefined ? { constructPath: o.entry.construct.node.path } : { constructPath: o.entry.construct.node.path, instance: o.instance })),
    };
  }

  /**
   * The Aspect behind `enableBillingRules`, added to a stack. On each synth it checks the
   * whole stack once (when visiting the stack), adds a validation to every billing resource
   * of the stack that returns that resource's violations, and adds the synth-time warnings
   * as construct warnings (once each).
   */
  class BillingRules {
    private result: StackCheckResult | undefined;
    private readonly validated = new WeakSet<IConstruct>();
    private readonly warned = new WeakMap<IConstruct, Set<string>>();

    constructor(
      readonly stack: CdkStack,
      private options: BillingRulesOptions = {},
    ) {}

    /** Change the options (e.g. the sub group limit) for the next synth. */
    configure(options: BillingRulesOptions): void {
      this.options = { ...this.options, ...options };
      this.result = undefined;
    }

    visit(node: IConstruct): void {
      if (node === this.stack) {
        this.result = undefined; // a new synth: the stack may have changed since the last one
        for (const w of this.current().warnings) this.warnOnce(w);
      }
      if (isBillingResource(node) && !this.validated.has(node) && TerraformStack.of(node) === this.stack) {
        this.validated.add(node);
        node.node.addValidation({
          validate: () => this.current().errors.filter((d) => d.construct === node).map(formatStackDiagnostic),
        });
      }
    }

    /** The check of the current synth (computed once per synth). */
    current(): StackCheckResult {
      if (!this.result) this.result = checkBillingStack(this.stack, this.options);
      return this.result;
    }

    private warnOnce(w: StackDiagnostic): void {
      const text = formatStackDiagnostic(w);
      let seen = this.warned.get(w.construct);
      if (!seen) this.warned.set(w.construct, (seen = new Set()));
      if (seen.has(text)) return;
      seen.add(text);
      Annotations.of(w.construct).addWarning(text);
    }
  }

  const enabled = new WeakMap<CdkStack, BillingRules>();

  /**
   * Check the whole stack against the billing rules at every synth. `app.synth()` then fails
   * with every violation (code, construct path, attribute). `scope` is the stack, or any
   * construct inside it (the rules always cover the whole stack). `CloudbillingProvider`
   * calls it for its stack; calling it again for the same stack returns the existing Aspect
   * with `options` applied.
   */
  function enableBillingRules(scope: IConstruct, options: BillingRulesOptions = {}): BillingRules {
    // CDKTF runs aspects per stack, from the stack down: one added to the App would never run.
    if (!scope.node.scopes.some((s) => TerraformStack.isStack(s))) {
      throw new TypeError(`enableBillingRules needs a stack or a construct inside one, not ${scope.node.path || 'the App'}: call it for each stack`);
    }
    const stack = TerraformStack.of(scope);
    const existing = enabled.get(stack);
    if (existing) {
      existing.configure(options);
      return existing;
    }
    const rules = new BillingRules(stack, options);
    Aspects.of(stack).add(rules);
    enabled.set(stack, rules);
    return rules;
  }

  return { checkBillingStack, billingChanges, enableBillingRules, BillingRules };
}
