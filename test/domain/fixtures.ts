/**
 * Test fixtures for the rules engine: a small builder for `DomainState` and the
 * invariant checker the property tests use. Ids are readable and stable:
 * the main group is `main`, sub groups are `sub-1`, `sub-2`, ... in the order they
 * are added; projects and users take the ids the test gives them.
 */
import type {
  Change,
  Diagnostic,
  DomainState,
  Group,
  GroupFinance,
  GroupInput,
  PaymentMethod,
  Permission,
  Project,
  Role,
  User,
} from '../../provider/domain/types';
import { isValidEmail, MAX_NAME_LENGTH, normalizeName, type EvaluateContext } from '../../provider/domain/rules';

/** A fixed clock: plans made "now" are effective from 2026-12-01. */
export const NOW = new Date('2026-11-22T12:00:00.000Z');
export const NEXT_MONTH = '2026-12-01';
export const CTX: EvaluateContext = { now: NOW };
export const CARD: PaymentMethod = { type: 'card', reference: 'tok_visa_0001' };
export const MAIN_ID = 'main';
const T0 = '2026-01-01T00:00:00.000Z';

/** A valid group input named `name`; override any field. */
export function groupInput(name: string, over: Partial<GroupInput> = {}): GroupInput {
  return { name, billingEmails: ['billing@example.com'], invoiceEmails: ['tax@example.com'], paymentMethod: CARD, ...over };
}

function group(id: string, name: string, type: Group['type']): Group {
  return {
    id,
    name,
    type,
    billingEmails: ['billing@example.com'],
    invoiceEmails: ['tax@example.com'],
    paymentMethod: CARD,
    details: { currency: 'USD' },
    createdAt: T0,
    updatedAt: T0,
    createdBy: 'u-admin',
    version: 1,
    projectCount: 0,
  };
}

export class StateBuilder {
  private readonly groups: Group[];
  private readonly projects: Project[] = [];
  private readonly users: User[] = [];
  private readonly permissions: Permission[] = [];
  private limit = 30;

  constructor(private readonly domainName: string) {
    this.groups = [group(MAIN_ID, domainName, 'main')];
  }

  /** Set (or with `null`, remove) the main group's payment method. Default: a card. */
  mainPayment(pm: PaymentMethod | null): this {
    this.groups[0].paymentMethod = pm;
    return this;
  }

  subGroupLimit(n: number): this {
    this.limit = n;
    return this;
  }

  /** Add a sub group with id `sub-<k>`; `over` replaces any field. */
  sub(name: string, over: Partial<Group> = {}): this {
    const id = `sub-${this.groups.length}`;
    this.groups.push({ ...group(id, name, 'sub'), ...over, id, type: 'sub' });
    return this;
  }

  /** Add `n` sub groups named `Team 1` ... `Team n`. */
  subs(n: number): this {
    for (let i = 1; i <= n; i++) this.sub(`Team ${i}`);
    return this;
  }

  /** Add a project linked to the group named `groupName` (default: main). */
  project(id: string, groupName?: string): this {
    this.projects.push({
      id,
      name: `Project ${id}`,
      billingGroupId: groupName === undefined ? MAIN_ID : this.idOf(groupName),
      effectiveFrom: '2026-01-01',
      createdAt: T0,
    });
    return this;
  }

  user(id: string, role: Role = null): this {
    this.users.push({ id, email: `${id}@example.com`, name: `User ${id}`, role });
    return this;
  }

  /** Membership of user `userId` in the group named `groupName`. */
  permission(userId: string, groupName: string): this {
    this.permissions.push({ userId, billingGroupId: this.idOf(groupName), createdAt: T0 });
    return this;
  }

  /** Money figures of a group; unset figures are 0. */
  finance(groupName: string, f: Partial<GroupFinance>): this {
    const g = this.groups.find((x) => x.name === groupName)!;
    g.finance = { openInvoices: 0, outstandingAmount: 0, unbilledUsage: 0, paidCredits: 0, freeCredits: 0, ...f };
    return this;
  }

  idOf(groupName: string): string {
    const g = this.groups.find((x) => x.name === groupName);
    if (!g) throw new Error(`fixture: no group named ${groupName}`);
    return g.id;
  }

  build(): DomainState {
    const groups = this.groups.map((g) => {
      const out: Group = { ...g, projectCount: this.projects.filter((p) => p.billingGroupId === g.id).length };
      if (g.type === 'main') out.totalProjectCount = this.projects.length;
      return out;
    });
    return {
      domain: { id: 'd-1', name: this.domainName, mainGroupId: MAIN_ID, subGroupLimit: this.limit },
      groups,
      projects: this.projects.map((p) => ({ ...p })),
      users: this.users.map((u) => ({ ...u })),
      permissions: this.permissions.map((p) => ({ ...p })),
    };
  }
}

/** Start a domain named `name` whose main group has a card and an admin user `u-admin`. */
export function domain(name = 'Acme'): StateBuilder {
  return new StateBuilder(name).user('u-admin', 'billing_admin');
}

/** The codes of a list of diagnostics, in order. */
export const codes = (ds: Diagnostic[]): string[] => ds.map((d) => d.code);

/** Deep-frozen copy, so a test fails if `evaluate` mutates its input. */
export function frozen<T>(v: T): T {
  const copy = structuredClone(v);
  const freeze = (o: unknown): void => {
    if (o && typeof o === 'object') {
      Object.freeze(o);
      for (const x of Object.values(o)) freeze(x);
    }
  };
  freeze(copy);
  return copy;
}

/** The facts a change list can change, order-insensitive: for comparing two evaluations. */
export function essence(s: DomainState) {
  const byId = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => a.id.localeCompare(b.id));
  return {
    groups: byId(s.groups),
    projects: byId(s.projects),
    permissions: s.permissions.map((p) => `${p.userId}|${p.billingGroupId}|${p.createdAt}`).sort(),
  };
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Every invariant of SPEC §1-2 that a state must keep; returns the broken ones
 * (empty when the state is sound).
 */
export function invariantViolations(s: DomainState): string[] {
  const out: string[] = [];
  const mains = s.groups.filter((g) => g.type === 'main');
  if (mains.length !== 1) out.push(`${mains.length} main groups`);
  const main = s.groups.find((g) => g.id === s.domain.mainGroupId);
  if (!main || main.type !== 'main') out.push('domain.mainGroupId is not the main group');
  if (main && main.name !== s.domain.name) out.push(`main group named ${main.name}, domain ${s.domain.name}`);
  const subs = s.groups.filter((g) => g.type === 'sub').length;
  if (subs > s.domain.subGroupLimit) out.push(`${subs} sub groups > ${s.domain.subGroupLimit}`);
  const ids = new Set(s.groups.map((g) => g.id));
  if (ids.size !== s.groups.length) out.push('duplicate group ids');
  const names = new Set(s.groups.map((g) => normalizeName(g.name)));
  if (names.size !== s.groups.length) out.push('duplicate normalized group names');
  for (const g of s.groups) {
    if (typeof g.name !== 'string' || g.name.trim() === '' || [...g.name].length > MAX_NAME_LENGTH || CONTROL.test(g.name)) {
      out.push(`group ${g.id} has invalid name ${JSON.stringify(g.name)}`);
    }
    for (const [field, max] of [['billingEmails', 10], ['invoiceEmails', 2]] as const) {
      const list = g[field];
      if (!Array.isArray(list) || list.length < 1 || list.length > max) out.push(`group ${g.id} ${field} count`);
      else {
        if (!list.every(isValidEmail)) out.push(`group ${g.id} ${field} invalid address`);
        if (new Set(list.map((e) => e.toLowerCase())).size !== list.length) out.push(`group ${g.id} ${field} duplicate`);
      }
    }
    const count = s.projects.filter((p) => p.billingGroupId === g.id).length;
    if (g.projectCount !== count) out.push(`group ${g.id} projectCount ${g.projectCount} != ${count}`);
    if (g.type === 'main' && g.totalProjectCount !== s.projects.length) out.push(`main totalProjectCount ${g.totalProjectCount}`);
    if (!Number.isInteger(g.version) || g.version < 1) out.push(`group ${g.id} version ${g.version}`);
  }
  for (const p of s.projects) if (!ids.has(p.billingGroupId)) out.push(`project ${p.id} in missing group ${p.billingGroupId}`);
  const userIds = new Set(s.users.map((u) => u.id));
  const permKeys = new Set<string>();
  for (const p of s.permissions) {
    if (!ids.has(p.billingGroupId)) out.push(`permission for missing group ${p.billingGroupId}`);
    if (!userIds.has(p.userId)) out.push(`permission for missing user ${p.userId}`);
    const key = `${p.userId}|${p.billingGroupId}`;
    if (permKeys.has(key)) out.push(`duplicate permission ${key}`);
    permKeys.add(key);
  }
  return out;
}

export type { Change };
