/**
 * Table-driven tests of the rules engine (SPEC §2-3): for every rule code one case that
 * triggers it and one close case that does not, then the whole-change-set semantics,
 * ordering, unknown values, and the name and e-mail syntax tables.
 */
import { diagnostic, messageOf, RULES, type RuleCode } from '../../provider/domain/messages';
import {
  checkGroupInput,
  evaluate,
  firstOfNextMonth,
  isValidEmail,
  normalizeName,
  type EvaluateContext,
} from '../../provider/domain/rules';
import type { Change, Diagnostic, DomainState, GroupInput } from '../../provider/domain/types';
import { CARD, codes, CTX, domain, frozen, groupInput, MAIN_ID, NEXT_MONTH, NOW } from './fixtures';

/** Evaluate on a frozen copy (so mutation of the input throws) with the fixed clock. */
function run(state: DomainState, changes: Change[], ctx: EvaluateContext = CTX) {
  const input = frozen(state);
  return { ...evaluate(input, frozen(changes), ctx), input };
}
const all = (r: { errors: Diagnostic[]; warnings: Diagnostic[] }) => [...r.errors, ...r.warnings];
const find = (r: { errors: Diagnostic[]; warnings: Diagnostic[] }, code: string) => all(r).filter((d) => d.code === code);

/**
 * The base state of most rows:
 *   Acme (main, card): p2        Team A (sub-1): p1        Team B (sub-2): empty
 *   u1 is a plain user, member of Team A; u-admin is a billing_admin.
 */
const base = () => domain('Acme').sub('Team A').sub('Team B').project('p1', 'Team A').project('p2').user('u1').permission('u1', 'Team A');
const S = base().build();
const A = 'sub-1';
const B = 'sub-2';
const emails = (n: number) => Array.from({ length: n }, (_, i) => `r${i}@example.com`);

interface Row {
  code: RuleCode;
  what: string;
  state: DomainState;
  changes: Change[];
  ctx?: EvaluateContext;
  index: number;
  path: (string | number)[] | undefined;
  /** The detail (or summary) names the fix. */
  fix: RegExp;
  /** A close case that must not report `code` (and, for errors, nothing at all). */
  near: { what: string; state?: DomainState; changes: Change[]; ctx?: EvaluateContext };
}

const ROWS: Row[] = [
  {
    code: 'MAIN_GROUP_IMMUTABLE_NAME',
    what: 'rename the main group',
    state: S,
    changes: [{ op: 'updateGroup', id: MAIN_ID, group: { name: 'Acme Corp' } }],
    index: 0,
    path: ['name'],
    fix: /Remove the name change/,
    near: { what: 'update the main group repeating its name', changes: [{ op: 'updateGroup', id: MAIN_ID, group: { name: 'Acme', billingEmails: ['new@example.com'] } }] },
  },
  {
    code: 'MAIN_GROUP_UNDELETABLE',
    what: 'delete the main group',
    state: S,
    changes: [{ op: 'updateGroup', id: B, group: {} }, { op: 'deleteGroup', id: MAIN_ID }],
    index: 1,
    path: undefined,
    fix: /Remove the delete/,
    near: { what: 'delete an empty sub group', changes: [{ op: 'updateGroup', id: A, group: {} }, { op: 'deleteGroup', id: B }] },
  },
  {
    code: 'SUB_GROUP_LIMIT',
    what: '30 sub groups + 1 create',
    state: domain().subs(30).build(),
    changes: [{ op: 'createGroup', group: groupInput('New') }],
    index: 0,
    path: undefined,
    fix: /Delete unused sub groups/,
    near: { what: '29 sub groups + 1 create', state: domain().subs(29).build(), changes: [{ op: 'createGroup', group: groupInput('New') }] },
  },
  {
    code: 'MAIN_PAYMENT_REQUIRED',
    what: 'create a sub group while main has no payment method',
    state: base().mainPayment(null).build(),
    changes: [{ op: 'createGroup', group: groupInput('New') }],
    index: 0,
    // The fix is on the main group, not on the new group's own paymentMethod.
    path: undefined,
    fix: /Register one on the main group/,
    near: { what: 'main has a card', state: S, changes: [{ op: 'createGroup', group: groupInput('New') }] },
  },
  {
    code: 'NAME_TAKEN',
    what: 'create a group named like an existing one (case, spaces)',
    state: S,
    changes: [{ op: 'createGroup', group: groupInput('  team a ') }],
    index: 0,
    path: ['name'],
    fix: /Choose a different name/,
    near: { what: 'a new name', changes: [{ op: 'createGroup', group: groupInput('Team A2') }] },
  },
  {
    code: 'NAME_INVALID',
    what: 'a tab in a name',
    state: S,
    changes: [{ op: 'updateGroup', id: B, group: { name: 'Team\tB' } }],
    index: 0,
    path: ['name'],
    fix: /1 to 64 characters/,
    near: { what: 'a space instead', changes: [{ op: 'updateGroup', id: B, group: { name: 'Team  B' } }] },
  },
  {
    code: 'BILLING_EMAILS_COUNT',
    what: '11 billing e-mails',
    state: S,
    changes: [{ op: 'createGroup', group: groupInput('New', { billingEmails: emails(11) }) }],
    index: 0,
    path: ['billingEmails'],
    fix: /List between 1 and 10/,
    near: { what: '10 billing e-mails', changes: [{ op: 'createGroup', group: groupInput('New', { billingEmails: emails(10) }) }] },
  },
  {
    code: 'INVOICE_EMAILS_COUNT',
    what: '3 invoice e-mails',
    state: S,
    changes: [{ op: 'updateGroup', id: A, group: { invoiceEmails: emails(3) } }],
    index: 0,
    path: ['invoiceEmails'],
    fix: /List 1 or 2/,
    near: { what: '2 invoice e-mails', changes: [{ op: 'updateGroup', id: A, group: { invoiceEmails: emails(2) } }] },
  },
  {
    code: 'EMAIL_INVALID',
    what: 'the second billing e-mail has a space',
    state: S,
    changes: [{ op: 'createGroup', group: groupInput('New', { billingEmails: ['ok@example.com', 'not ok@example.com'] }) }],
    index: 0,
    path: ['billingEmails', 1],
    fix: /name@example\.com/,
    near: { what: 'both valid', changes: [{ op: 'createGroup', group: groupInput('New', { billingEmails: ['ok@example.com', 'not.ok@example.com'] }) }] },
  },
  {
    code: 'GROUP_NOT_FOUND',
    what: 'link to an unknown group id',
    state: S,
    changes: [{ op: 'link', projectId: 'p2', billingGroupId: 'sub-99' }],
    index: 0,
    path: ['billingGroupId'],
    fix: /Check the id, or create the group first/,
    near: { what: 'link to an existing group', changes: [{ op: 'link', projectId: 'p2', billingGroupId: B }] },
  },
  {
    code: 'PROJECT_NOT_FOUND',
    what: 'link an unknown project',
    state: S,
    changes: [{ op: 'unlink', projectId: 'p1' }, { op: 'link', projectId: 'p9', billingGroupId: B }],
    index: 1,
    path: ['projectId'],
    fix: /Check the id/,
    near: { what: 'link a known project', changes: [{ op: 'unlink', projectId: 'p1' }, { op: 'link', projectId: 'p2', billingGroupId: B }] },
  },
  {
    code: 'PROJECT_MULTI_LINK',
    what: 'two links for one project',
    state: S,
    changes: [
      { op: 'link', projectId: 'p2', billingGroupId: A },
      { op: 'link', projectId: 'p2', billingGroupId: B },
    ],
    index: 1,
    path: ['projectId'],
    fix: /Keep one link/,
    near: {
      what: 'two links for two projects',
      changes: [
        { op: 'link', projectId: 'p2', billingGroupId: A },
        { op: 'link', projectId: 'p1', billingGroupId: B, allowTransfer: true },
      ],
    },
  },
  {
    code: 'MAIN_UNLINK_FORBIDDEN',
    what: 'unlink a project that is in main',
    state: S,
    changes: [{ op: 'unlink', projectId: 'p2' }],
    index: 0,
    path: ['projectId'],
    fix: /link it to a sub group instead/,
    near: { what: 'unlink a project that is in a sub group', changes: [{ op: 'unlink', projectId: 'p1' }] },
  },
  {
    code: 'TRANSFER_NOT_ACKNOWLEDGED',
    what: 'move sub -> sub without allowTransfer',
    state: S,
    changes: [{ op: 'link', projectId: 'p1', billingGroupId: B }],
    index: 0,
    path: ['allowTransfer'],
    fix: /set allowTransfer = true/,
    near: { what: 'with allowTransfer', changes: [{ op: 'link', projectId: 'p1', billingGroupId: B, allowTransfer: true }] },
  },
  {
    code: 'DELETE_HAS_PROJECTS',
    what: 'delete a group that keeps a project',
    state: S,
    changes: [{ op: 'deleteGroup', id: A }],
    index: 0,
    path: undefined,
    fix: /Move the projects away/,
    near: { what: 'the same set unlinks it', changes: [{ op: 'deleteGroup', id: A }, { op: 'unlink', projectId: 'p1' }] },
  },
  {
    code: 'DELETE_OUTSTANDING_BALANCE',
    what: 'delete a group with an open invoice',
    state: base().finance('Team B', { openInvoices: 1, outstandingAmount: 120 }).build(),
    changes: [{ op: 'deleteGroup', id: B }],
    index: 0,
    path: undefined,
    fix: /Pay the open invoices/,
    near: { what: 'invoices paid', state: base().finance('Team B', { openInvoices: 0 }).build(), changes: [{ op: 'deleteGroup', id: B }] },
  },
  {
    code: 'DELETE_UNBILLED_USAGE',
    what: 'delete a group with usage not invoiced',
    state: base().finance('Team B', { unbilledUsage: 3.5 }).build(),
    changes: [{ op: 'deleteGroup', id: B }],
    index: 0,
    path: undefined,
    fix: /Close the billing period/,
    near: { what: 'usage invoiced', state: base().finance('Team B', { unbilledUsage: 0 }).build(), changes: [{ op: 'deleteGroup', id: B }] },
  },
  {
    code: 'DELETE_PAID_CREDITS',
    what: 'delete a group with paid credits',
    state: base().finance('Team B', { paidCredits: 50 }).build(),
    changes: [{ op: 'deleteGroup', id: B }],
    index: 0,
    path: undefined,
    fix: /Refund them first/,
    near: { what: 'only free credits', state: base().finance('Team B', { freeCredits: 50 }).build(), changes: [{ op: 'deleteGroup', id: B }] },
  },
  {
    code: 'DELETE_CONFIRMATION',
    what: 'confirmName in another case',
    state: S,
    changes: [{ op: 'deleteGroup', id: B, confirmName: 'team b' }],
    index: 0,
    path: ['confirmName'],
    fix: /pass confirmName=Team%20B exactly/,
    near: { what: 'exact confirmName', changes: [{ op: 'deleteGroup', id: B, confirmName: 'Team B' }] },
  },
  {
    code: 'USER_NOT_FOUND',
    what: 'grant to an unknown user',
    state: S,
    changes: [{ op: 'grant', userId: 'u9', billingGroupId: B }],
    index: 0,
    path: ['userId'],
    fix: /Create the user first/,
    near: { what: 'grant to a known user', changes: [{ op: 'grant', userId: 'u1', billingGroupId: B }] },
  },
  {
    code: 'FORBIDDEN',
    what: 'a plain user changes a group',
    state: S,
    changes: [{ op: 'updateGroup', id: A, group: { name: 'Team A1' } }],
    ctx: { now: NOW, actor: { id: 'u1', role: null } },
    index: 0,
    path: undefined,
    fix: /Ask a billing admin/,
    near: { what: 'a billing admin does it', changes: [{ op: 'updateGroup', id: A, group: { name: 'Team A1' } }], ctx: { now: NOW, actor: { id: 'u-admin', role: 'billing_admin' } } },
  },
  {
    code: 'STALE_VERSION',
    what: 'If-Match names an old version',
    state: base().sub('Team C', { version: 4 }).build(),
    changes: [{ op: 'updateGroup', id: 'sub-3', group: { name: 'Team C1' }, expectedVersion: 3 }],
    index: 0,
    path: undefined,
    fix: /Read it again/,
    near: {
      what: 'If-Match names the current version',
      state: base().sub('Team C', { version: 4 }).build(),
      changes: [{ op: 'updateGroup', id: 'sub-3', group: { name: 'Team C1' }, expectedVersion: 4 }],
    },
  },
  {
    code: 'LINK_EFFECTIVE_NEXT_MONTH',
    what: 'move a project main -> sub',
    state: S,
    changes: [{ op: 'link', projectId: 'p2', billingGroupId: B }],
    index: 0,
    path: undefined,
    fix: new RegExp(NEXT_MONTH),
    near: { what: 'link to the group it is in', changes: [{ op: 'link', projectId: 'p1', billingGroupId: A }] },
  },
  {
    code: 'FREE_CREDITS_FORFEITED',
    what: 'delete a group with free credits',
    state: base().finance('Team B', { freeCredits: 25 }).build(),
    changes: [{ op: 'deleteGroup', id: B }],
    index: 0,
    path: undefined,
    fix: /Keep the group until they are used/,
    near: { what: 'no free credits', state: base().finance('Team B', {}).build(), changes: [{ op: 'deleteGroup', id: B }] },
  },
  {
    code: 'DELETE_IRREVERSIBLE',
    what: 'delete a sub group',
    state: S,
    changes: [{ op: 'link', projectId: 'p2', billingGroupId: A }, { op: 'deleteGroup', id: B }],
    index: 1,
    path: undefined,
    fix: /Make sure this delete is intended/,
    near: { what: 'update it instead', changes: [{ op: 'link', projectId: 'p2', billingGroupId: A }, { op: 'updateGroup', id: B, group: { name: 'Team B2' } }] },
  },
  {
    code: 'NO_PAYMENT_METHOD',
    what: 'create a group with paymentMethod null',
    state: S,
    changes: [{ op: 'createGroup', group: groupInput('New', { paymentMethod: null }) }],
    index: 0,
    path: ['paymentMethod'],
    fix: /Add paymentMethod/,
    near: { what: 'with a card', changes: [{ op: 'createGroup', group: groupInput('New', { paymentMethod: CARD }) }] },
  },
  {
    code: 'USER_LOSES_BILLING_ACCESS',
    what: "revoke a user's last membership",
    state: S,
    changes: [{ op: 'revoke', userId: 'u1', billingGroupId: A }],
    index: 0,
    path: ['userId'],
    fix: /Grant another membership/,
    near: {
      what: 'the user keeps another membership',
      changes: [
        { op: 'grant', userId: 'u1', billingGroupId: B },
        { op: 'revoke', userId: 'u1', billingGroupId: A },
      ],
    },
  },
];

/** Codes in RULES that `evaluate` never emits, and why. */
const NOT_FROM_EVALUATE: Partial<Record<RuleCode, string>> = {
  DELETION_PROTECTED: 'a Terraform/Pulumi resource setting, checked by those adapters',
};

describe('every rule code has a triggering and a near-miss case', () => {
  test('the table covers every code of RULES', () => {
    const covered = new Set<string>([...ROWS.map((r) => r.code), ...Object.keys(NOT_FROM_EVALUATE)]);
    expect([...Object.keys(RULES)].filter((c) => !covered.has(c))).toEqual([]);
  });

  describe.each(ROWS)('$code', (row) => {
    test(`reports it: ${row.what}`, () => {
      const r = run(row.state, row.changes, row.ctx);
      const hits = find(r, row.code);
      expect(hits).toHaveLength(1);
      const d = hits[0];
      expect(d.severity).toBe(RULES[row.code].kind);
      expect(d.index).toBe(row.index);
      expect(d.path).toEqual(row.path);
      // It lands in the right list, and errors block the change.
      if (RULES[row.code].kind === 'error') {
        expect(r.errors).toContain(d);
        expect(r.next).toBe(r.input);
      } else {
        expect(r.warnings).toContain(d);
      }
      expect(`${d.summary}. ${d.detail}`).toMatch(row.fix);
    });

    test(`does not report it: ${row.near.what}`, () => {
      const r = run(row.near.state ?? row.state, row.near.changes, row.near.ctx ?? row.ctx);
      expect(codes(all(r))).not.toContain(row.code);
      expect(r.errors).toEqual([]);
    });
  });
});

describe('diagnostic text', () => {
  // One sample diagnostic per code, with the facts the engine passes.
  const samples = Object.keys(RULES).map((code) => {
    const row = ROWS.find((r) => r.code === code);
    if (!row) return diagnostic(code as RuleCode, { name: 'Team B' });
    return find(run(row.state, row.changes, row.ctx), code)[0];
  });

  test.each(samples.map((d) => [d.code, d]))('%s has a one-line summary and a detail sentence', (_code, d) => {
    expect(d.summary.trim().length).toBeGreaterThan(10);
    expect(d.summary).not.toMatch(/[.\n]$/); // messageOf adds the full stop
    expect(d.detail).toMatch(/^[A-Z0-9"(].*[.)]$/s);
    expect(messageOf(d)).not.toMatch(/undefined|null|\[object Object\]|NaN/);
  });
});

describe('whole change set semantics', () => {
  test('delete + moving all its projects away in the same set passes', () => {
    const s = domain().sub('Old').sub('New').project('a', 'Old').project('b', 'Old').build();
    const r = run(s, [
      { op: 'deleteGroup', id: 'sub-1' },
      { op: 'link', projectId: 'a', billingGroupId: 'sub-2', allowTransfer: true },
      { op: 'unlink', projectId: 'b' },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.next.groups.map((g) => g.id)).toEqual(['main', 'sub-2']);
    expect(r.next.projects.map((p) => [p.id, p.billingGroupId])).toEqual([
      ['a', 'sub-2'],
      ['b', 'main'],
    ]);
  });

  test('delete with one project left fails with DELETE_HAS_PROJECTS naming it', () => {
    const s = domain().sub('Old').project('a', 'Old').project('b', 'Old').build();
    const r = run(s, [{ op: 'unlink', projectId: 'a' }, { op: 'deleteGroup', id: 'sub-1' }]);
    expect(codes(r.errors)).toEqual(['DELETE_HAS_PROJECTS']);
    expect(r.errors[0].index).toBe(1);
    expect(r.errors[0].summary).toContain('1 linked project');
    expect(r.errors[0].detail).toContain('b');
    expect(r.errors[0].detail).not.toMatch(/\ba\b/);
    expect(r.next).toBe(r.input);
  });

  test('a failed move away does not count as moved', () => {
    const s = domain().sub('Old').sub('Other').project('a', 'Old').build();
    const r = run(s, [{ op: 'link', projectId: 'a', billingGroupId: 'sub-2' }, { op: 'deleteGroup', id: 'sub-1' }]);
    expect(codes(r.errors)).toEqual(['TRANSFER_NOT_ACKNOWLEDGED', 'DELETE_HAS_PROJECTS']);
  });

  test.each([
    ['Team X', 'Team X'],
    ['Team X', 'team x'],
    ['Team X', '  TEAM X\u00a0'.replace('\u00a0', ' ')],
    ['Caf\u00e9', 'Cafe\u0301'], // NFC: composed and decomposed é are one name
  ])('two creates named %j and %j -> NAME_TAKEN on the second', (a, b) => {
    const r = run(S, [{ op: 'createGroup', group: groupInput(a) }, { op: 'createGroup', group: groupInput(b) }]);
    expect(codes(r.errors)).toEqual(['NAME_TAKEN']);
    expect(r.errors[0]).toMatchObject({ index: 1, path: ['name'] });
    expect(r.errors[0].detail).toContain('another group in this change set');
  });

  test('a rename clashing with an existing group names that group', () => {
    const r = run(S, [{ op: 'updateGroup', id: B, group: { name: 'TEAM A' } }]);
    expect(codes(r.errors)).toEqual(['NAME_TAKEN']);
    expect(r.errors[0]).toMatchObject({ index: 0, path: ['name'] });
    expect(r.errors[0].detail).toContain(A);
  });

  test('a rename frees a name for a create in the same set (either order)', () => {
    for (const changes of [
      [{ op: 'createGroup', group: groupInput('Team A') }, { op: 'updateGroup', id: A, group: { name: 'Team A (old)' } }],
      [{ op: 'updateGroup', id: A, group: { name: 'Team A (old)' } }, { op: 'createGroup', group: groupInput('Team A') }],
    ] as Change[][]) {
      const r = run(S, changes);
      expect(r.errors).toEqual([]);
      expect(r.next.groups.map((g) => g.name).sort()).toEqual(['Acme', 'Team A', 'Team A (old)', 'Team B']);
    }
  });

  test('two groups can swap names in one set', () => {
    const r = run(S, [
      { op: 'updateGroup', id: A, group: { name: 'Team B' } },
      { op: 'updateGroup', id: B, group: { name: 'Team A' } },
    ]);
    expect(r.errors).toEqual([]);
  });

  test('a delete frees its name for a create in the same set, and the name then means the new group', () => {
    const r = run(S, [
      { op: 'deleteGroup', id: B },
      { op: 'createGroup', group: groupInput('team b') },
      { op: 'link', projectId: 'p2', billingGroupName: 'Team B' },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.next.projects.find((p) => p.id === 'p2')!.billingGroupId).toBe('planned:1');
  });

  test('an update repeating its own name does not take the blame for a create with that name', () => {
    const r = run(S, [{ op: 'createGroup', group: groupInput('team a') }, { op: 'updateGroup', id: A, group: { name: 'Team A' } }]);
    expect(r.errors.map((d) => [d.code, d.index])).toEqual([['NAME_TAKEN', 0]]);
  });

  test('three groups with one name: both newcomers clash with the existing group', () => {
    const r = run(S, [{ op: 'createGroup', group: groupInput('TEAM A') }, { op: 'createGroup', group: groupInput('team a') }]);
    expect(r.errors.map((d) => [d.code, d.index])).toEqual([
      ['NAME_TAKEN', 0],
      ['NAME_TAKEN', 1],
    ]);
    for (const d of r.errors) expect(d.detail).toContain(`group ${A}`);
  });

  test('deleting main does not make main "being deleted" for the other changes', () => {
    const r = run(S, [
      { op: 'deleteGroup', id: MAIN_ID },
      { op: 'link', projectId: 'p1', billingGroupId: MAIN_ID },
      { op: 'grant', userId: 'u1', billingGroupId: MAIN_ID },
    ]);
    expect(codes(r.errors)).toEqual(['MAIN_GROUP_UNDELETABLE']);
  });

  test('a create may not take the main group name, even with a rename of main in the set', () => {
    const r = run(S, [{ op: 'createGroup', group: groupInput('ACME') }]);
    expect(codes(r.errors)).toEqual(['NAME_TAKEN']);
    const r2 = run(S, [
      { op: 'updateGroup', id: MAIN_ID, group: { name: 'Acme Old' } },
      { op: 'createGroup', group: groupInput('Acme') },
    ]);
    expect(codes(r2.errors)).toEqual(['MAIN_GROUP_IMMUTABLE_NAME', 'NAME_TAKEN']);
    expect(r2.errors.map((d) => d.index)).toEqual([0, 1]);
  });

  test('29 existing + 2 creates -> SUB_GROUP_LIMIT on the 2nd only', () => {
    const s = domain().subs(29).build();
    const r = run(s, [{ op: 'createGroup', group: groupInput('N1') }, { op: 'createGroup', group: groupInput('N2') }]);
    expect(codes(r.errors)).toEqual(['SUB_GROUP_LIMIT']);
    expect(r.errors[0].index).toBe(1);
    expect(r.errors[0].detail).toContain('31 sub groups (limit 30)');
  });

  test('delete + create at the limit is fine', () => {
    const s = domain().subs(30).build();
    const r = run(s, [{ op: 'createGroup', group: groupInput('N1') }, { op: 'deleteGroup', id: 'sub-7' }]);
    expect(r.errors).toEqual([]);
    expect(r.next.groups.filter((g) => g.type === 'sub')).toHaveLength(30);
  });

  test('the limit comes from the domain', () => {
    const s = domain().subGroupLimit(2).subs(2).build();
    expect(codes(run(s, [{ op: 'createGroup', group: groupInput('N1') }]).errors)).toEqual(['SUB_GROUP_LIMIT']);
  });

  test('link by billingGroupName to a group created in the same set', () => {
    const r = run(S, [
      { op: 'link', projectId: 'p2', billingGroupName: ' new team ' },
      { op: 'createGroup', group: groupInput('New Team') },
      { op: 'grant', userId: 'u1', billingGroupName: 'NEW TEAM' },
    ]);
    expect(r.errors).toEqual([]);
    const created = r.next.groups.find((g) => g.name === 'New Team')!;
    expect(created).toMatchObject({ type: 'sub', version: 1, projectCount: 1, details: { currency: 'USD' } });
    expect(r.next.projects.find((p) => p.id === 'p2')).toMatchObject({ billingGroupId: created.id, effectiveFrom: NEXT_MONTH });
    expect(r.next.permissions).toContainEqual({ userId: 'u1', billingGroupId: created.id, createdAt: NOW.toISOString() });
  });

  test('a group created in the set gets its id from ctx.newId', () => {
    const r = evaluate(S, [{ op: 'createGroup', group: groupInput('New') }], { now: NOW, newId: (i) => `g-new-${i}` });
    expect(r.next.groups.map((g) => g.id)).toContain('g-new-0');
  });

  test('link by the old name of a group renamed in the same set -> GROUP_NOT_FOUND', () => {
    const r = run(S, [
      { op: 'updateGroup', id: B, group: { name: 'Team Bee' } },
      { op: 'link', projectId: 'p2', billingGroupName: 'Team B' },
    ]);
    expect(codes(r.errors)).toEqual(['GROUP_NOT_FOUND']);
    expect(r.errors[0]).toMatchObject({ index: 1, path: ['billingGroupName'] });
    expect(r.errors[0].detail).toMatch(/named "Team B"/);
  });

  test.each([
    ['link by id', { op: 'link', projectId: 'p2', billingGroupId: B } as Change, ['billingGroupId']],
    ['link by name', { op: 'link', projectId: 'p2', billingGroupName: 'team b' } as Change, ['billingGroupName']],
    ['grant by id', { op: 'grant', userId: 'u1', billingGroupId: B } as Change, ['billingGroupId']],
    ['grant by name', { op: 'grant', userId: 'u1', billingGroupName: 'Team B' } as Change, ['billingGroupName']],
    ['update', { op: 'updateGroup', id: B, group: { name: 'X' } } as Change, ['id']],
  ])('%s to a group deleted in the same set -> GROUP_NOT_FOUND', (_what, change, path) => {
    const r = run(S, [{ op: 'deleteGroup', id: B }, change]);
    expect(codes(r.errors)).toEqual(['GROUP_NOT_FOUND']);
    expect(r.errors[0]).toMatchObject({ index: 1, path });
    expect(r.errors[0].detail).toContain('deleted by this same change set');
  });

  test('revoking a membership of a group deleted in the same set is fine (terraform destroy of both)', () => {
    const r = run(S, [
      { op: 'revoke', userId: 'u1', billingGroupId: A },
      { op: 'unlink', projectId: 'p1' },
      { op: 'deleteGroup', id: A },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.next.permissions).toEqual([]);
    // u1 loses the last membership: warned once.
    expect(find(r, 'USER_LOSES_BILLING_ACCESS')).toHaveLength(1);
  });

  test.each([
    ['link + link', [{ op: 'link', projectId: 'p2', billingGroupId: A }, { op: 'link', projectId: 'p2', billingGroupId: A }]],
    ['link + unlink', [{ op: 'link', projectId: 'p1', billingGroupId: B, allowTransfer: true }, { op: 'unlink', projectId: 'p1' }]],
    ['unlink + link', [{ op: 'unlink', projectId: 'p1' }, { op: 'link', projectId: 'p1', billingGroupId: A }]],
  ] as [string, Change[]][])('PROJECT_MULTI_LINK: %s', (_what, changes) => {
    const r = run(S, [{ op: 'updateGroup', id: B, group: {} }, ...changes]);
    expect(codes(r.errors)).toEqual(['PROJECT_MULTI_LINK']);
    expect(r.errors[0]).toMatchObject({ index: 2, path: ['projectId'] });
    expect(r.errors[0].detail).toMatch(/Changes 1 and 2/);
  });

  test('a second link is PROJECT_MULTI_LINK also when the first one names a missing group', () => {
    const r = run(S, [
      { op: 'link', projectId: 'p2', billingGroupId: 'sub-99' },
      { op: 'link', projectId: 'p2', billingGroupId: A },
    ]);
    expect(r.errors.map((d) => [d.code, d.index])).toEqual([
      ['GROUP_NOT_FOUND', 0],
      ['PROJECT_MULTI_LINK', 1],
    ]);
  });

  test('three links for one project: each extra one is reported against the first', () => {
    const c: Change = { op: 'link', projectId: 'p2', billingGroupId: A };
    const r = run(S, [c, c, c]);
    expect(r.errors.map((d) => [d.code, d.index])).toEqual([
      ['PROJECT_MULTI_LINK', 1],
      ['PROJECT_MULTI_LINK', 2],
    ]);
  });

  test('MAIN_PAYMENT_REQUIRED is lifted by an updateGroup of main in the same set (either order)', () => {
    const s = base().mainPayment(null).build();
    for (const changes of [
      [{ op: 'createGroup', group: groupInput('New') }, { op: 'updateGroup', id: MAIN_ID, group: { paymentMethod: CARD } }],
      [{ op: 'updateGroup', id: MAIN_ID, group: { paymentMethod: CARD } }, { op: 'createGroup', group: groupInput('New') }],
    ] as Change[][]) {
      expect(run(s, changes).errors).toEqual([]);
    }
  });

  test('MAIN_PAYMENT_REQUIRED when the same set removes main\'s payment method', () => {
    const r = run(S, [{ op: 'updateGroup', id: MAIN_ID, group: { paymentMethod: null } }, { op: 'createGroup', group: groupInput('New') }]);
    expect(codes(r.errors)).toEqual(['MAIN_PAYMENT_REQUIRED']);
    expect(r.errors[0].index).toBe(1);
    expect(codes(r.warnings)).toEqual(['NO_PAYMENT_METHOD']);
    expect(r.warnings[0]).toMatchObject({ index: 0, path: ['paymentMethod'] });
  });

  test('a sub group with its own card still needs main to have one', () => {
    const r = run(base().mainPayment(null).build(), [{ op: 'createGroup', group: groupInput('New', { paymentMethod: CARD }) }]);
    expect(codes(r.errors)).toEqual(['MAIN_PAYMENT_REQUIRED']);
  });

  describe('transfers', () => {
    const s = domain().sub('A').sub('B').project('inA', 'A').project('inMain').build();
    test.each([
      ['sub -> sub without allowTransfer', { op: 'link', projectId: 'inA', billingGroupId: 'sub-2' }, ['TRANSFER_NOT_ACKNOWLEDGED'], 'sub-1'],
      ['sub -> sub with allowTransfer: false', { op: 'link', projectId: 'inA', billingGroupId: 'sub-2', allowTransfer: false }, ['TRANSFER_NOT_ACKNOWLEDGED'], 'sub-1'],
      ['sub -> sub with allowTransfer', { op: 'link', projectId: 'inA', billingGroupId: 'sub-2', allowTransfer: true }, [], 'sub-2'],
      ['main -> sub', { op: 'link', projectId: 'inMain', billingGroupId: 'sub-2' }, [], 'sub-2'],
      ['sub -> main by link', { op: 'link', projectId: 'inA', billingGroupId: MAIN_ID }, [], 'main'],
      ['sub -> main by unlink', { op: 'unlink', projectId: 'inA' }, [], 'main'],
      ['link to the sub group it is in', { op: 'link', projectId: 'inA', billingGroupId: 'sub-1' }, [], 'sub-1'],
      ['link to main when in main', { op: 'link', projectId: 'inMain', billingGroupId: MAIN_ID }, ['MAIN_UNLINK_FORBIDDEN'], 'main'],
    ] as [string, Change, string[], string][])('%s', (_what, change, errs, groupAfter) => {
      const r = run(s, [change]);
      expect(codes(r.errors)).toEqual(errs);
      const moved = r.errors.length === 0 && groupAfter !== s.projects.find((p) => p.id === (change as { projectId: string }).projectId)!.billingGroupId;
      // A real move warns when it is billed; a no-op warns about nothing.
      expect(codes(r.warnings)).toEqual(moved ? ['LINK_EFFECTIVE_NEXT_MONTH'] : []);
      const pid = (change as { projectId: string }).projectId;
      expect(r.next.projects.find((p) => p.id === pid)!.billingGroupId).toBe(groupAfter);
    });

    test('a no-op link keeps effectiveFrom and the state', () => {
      const r = run(s, [{ op: 'link', projectId: 'inA', billingGroupId: 'sub-1' }]);
      expect(r.next.projects).toEqual(s.projects);
      expect(r.next.groups).toEqual(s.groups);
    });
  });

  describe('USER_LOSES_BILLING_ACCESS', () => {
    const s = domain()
      .sub('A')
      .sub('B')
      .user('solo')
      .user('multi')
      .user('boss', 'billing_admin')
      .permission('solo', 'A')
      .permission('multi', 'A')
      .permission('multi', 'B')
      .permission('boss', 'A')
      .build();
    const warnedUsers = (r: ReturnType<typeof run>) =>
      find(r, 'USER_LOSES_BILLING_ACCESS').map((d) => [d.summary.match(/"(.*?)@/)![1], d.index, d.path]);

    test('on the last revoke', () => {
      expect(warnedUsers(run(s, [{ op: 'revoke', userId: 'solo', billingGroupId: 'sub-1' }]))).toEqual([['solo', 0, ['userId']]]);
    });
    test('not when another membership remains', () => {
      expect(warnedUsers(run(s, [{ op: 'revoke', userId: 'multi', billingGroupId: 'sub-1' }]))).toEqual([]);
    });
    test('when both memberships go, on the change that removes the last one', () => {
      const r = run(s, [
        { op: 'revoke', userId: 'multi', billingGroupId: 'sub-2' },
        { op: 'revoke', userId: 'multi', billingGroupId: 'sub-1' },
      ]);
      expect(warnedUsers(r)).toEqual([['multi', 1, ['userId']]]);
    });
    test('not for a billing_admin', () => {
      expect(warnedUsers(run(s, [{ op: 'revoke', userId: 'boss', billingGroupId: 'sub-1' }]))).toEqual([]);
    });
    test('on deleting a group that holds the last membership (no attribute path)', () => {
      const r = run(s, [{ op: 'deleteGroup', id: 'sub-1' }]);
      expect(r.errors).toEqual([]);
      expect(warnedUsers(r)).toEqual([['solo', 0, undefined]]);
      expect(find(r, 'USER_LOSES_BILLING_ACCESS')[0].detail).toContain('"A"');
      expect(r.next.permissions.map((p) => `${p.userId}:${p.billingGroupId}`)).toEqual(['multi:sub-2']);
    });
    test('not when the same set grants another membership', () => {
      const r = run(s, [{ op: 'deleteGroup', id: 'sub-1' }, { op: 'grant', userId: 'solo', billingGroupId: 'sub-2' }]);
      expect(warnedUsers(r)).toEqual([]);
    });
    test('not for revoking a membership the user does not have', () => {
      expect(warnedUsers(run(s, [{ op: 'revoke', userId: 'solo', billingGroupId: 'sub-2' }]))).toEqual([]);
    });
  });

  test('a grant and a revoke of one membership apply in list order (replace = revoke, grant)', () => {
    const member = (changes: Change[]) => run(S, changes).next.permissions.some((p) => p.userId === 'u1' && p.billingGroupId === A);
    expect(member([{ op: 'revoke', userId: 'u1', billingGroupId: A }, { op: 'grant', userId: 'u1', billingGroupId: A }])).toBe(true);
    expect(member([{ op: 'grant', userId: 'u1', billingGroupId: A }, { op: 'revoke', userId: 'u1', billingGroupId: A }])).toBe(false);
  });

  test('a grant that already exists keeps its createdAt', () => {
    const r = run(S, [{ op: 'grant', userId: 'u1', billingGroupId: A }]);
    expect(r.next.permissions).toEqual(S.permissions);
  });

  test.each([3, 5])('STALE_VERSION for If-Match %i when the group is at version 4 (older or unknown)', (v) => {
    const s = base().sub('Team C', { version: 4 }).build();
    const r = run(s, [{ op: 'updateGroup', id: 'sub-3', group: {}, expectedVersion: v }]);
    expect(codes(r.errors)).toEqual(['STALE_VERSION']);
    expect(r.errors[0].summary).toContain(`since version ${v}`);
    expect(r.errors[0].detail).toContain('If-Match: "4"');
  });

  test('STALE_VERSION compares with the live version, not with other updates in the set', () => {
    const r = run(S, [
      { op: 'updateGroup', id: B, group: { billingEmails: ['x@example.com'] }, expectedVersion: 1 },
      { op: 'updateGroup', id: B, group: { invoiceEmails: ['y@example.com'] }, expectedVersion: 1 },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.next.groups.find((g) => g.id === B)).toMatchObject({
      version: 3,
      billingEmails: ['x@example.com'],
      invoiceEmails: ['y@example.com'],
      updatedAt: NOW.toISOString(),
    });
  });

  test('an update changes only the writable fields, whatever else its object carries', () => {
    const patch = { name: 'Team Bee', id: MAIN_ID, type: 'main', version: 99, projectCount: 7, createdBy: 'x' } as unknown as Partial<GroupInput>;
    const r = run(S, [{ op: 'updateGroup', id: B, group: patch }]);
    expect(r.errors).toEqual([]);
    const after = r.next.groups.find((g) => g.name === 'Team Bee')!;
    expect(after).toMatchObject({ id: B, type: 'sub', version: 2, projectCount: 0, createdBy: 'u-admin' });
    expect(r.next.groups.filter((g) => g.type === 'main')).toHaveLength(1);
  });

  test('FORBIDDEN for a non-admin actor: every change, nothing else', () => {
    const r = run(S, [{ op: 'deleteGroup', id: MAIN_ID }, { op: 'link', projectId: 'nope', billingGroupId: 'nope' }], {
      now: NOW,
      actor: { id: 'u1', role: null },
    });
    expect(r.errors.map((d) => [d.code, d.index])).toEqual([
      ['FORBIDDEN', 0],
      ['FORBIDDEN', 1],
    ]);
    expect(r.warnings).toEqual([]);
    expect(r.next).toBe(r.input);
  });

  test.each([
    ['no role', { id: 'u1', role: null }],
    ['an unknown role', { id: 'u1', role: 'viewer' }],
    ['role missing', { id: 'u1' }],
  ])('FORBIDDEN for an actor with %s', (_what, actor) => {
    const r = run(S, [{ op: 'updateGroup', id: A, group: {} }], { now: NOW, actor: actor as EvaluateContext['actor'] });
    expect(codes(r.errors)).toEqual(['FORBIDDEN']);
  });

  test('with errors, next is the very same state object', () => {
    const s = frozen(S);
    const r = evaluate(s, [{ op: 'deleteGroup', id: MAIN_ID }], CTX);
    expect(r.next).toBe(s);
  });

  test('an empty change set is valid and changes nothing', () => {
    const r = evaluate(S, [], CTX);
    expect(r).toEqual({ errors: [], warnings: [], next: S });
  });
});

describe('ordering', () => {
  // Within one change the NOT_FOUNDs follow the API path: /billing-groups/{id}/permissions/{userId}.
  test('FORBIDDEN and *_NOT_FOUND come first, then the rest in change order', () => {
    const r = run(S, [
      { op: 'createGroup', group: groupInput('', { billingEmails: [] }) },
      { op: 'deleteGroup', id: MAIN_ID },
      { op: 'link', projectId: 'p9', billingGroupId: B },
      { op: 'grant', userId: 'u9', billingGroupName: 'nope' },
      { op: 'updateGroup', id: 'sub-9', group: {} },
    ]);
    expect(r.errors.map((d) => [d.code, d.index])).toEqual([
      ['PROJECT_NOT_FOUND', 2],
      ['GROUP_NOT_FOUND', 3],
      ['USER_NOT_FOUND', 3],
      ['GROUP_NOT_FOUND', 4],
      ['NAME_INVALID', 0],
      ['BILLING_EMAILS_COUNT', 0],
      ['MAIN_GROUP_UNDELETABLE', 1],
    ]);
  });

  test('a change with a NOT_FOUND error is not checked further', () => {
    const r = run(S, [{ op: 'updateGroup', id: 'sub-9', group: { name: '', billingEmails: [] }, expectedVersion: 7 }]);
    expect(codes(r.errors)).toEqual(['GROUP_NOT_FOUND']);
    expect(r.errors[0].path).toEqual(['id']);
  });

  test('update or delete of a group created in the same set (by its planned id) -> GROUP_NOT_FOUND', () => {
    const r = run(S, [{ op: 'createGroup', group: groupInput('New') }, { op: 'deleteGroup', id: 'planned:0' }]);
    expect(codes(r.errors)).toEqual(['GROUP_NOT_FOUND']);
  });

  test('warnings are in change order', () => {
    const r = run(S, [
      { op: 'deleteGroup', id: B },
      { op: 'revoke', userId: 'u1', billingGroupId: A },
      { op: 'link', projectId: 'p2', billingGroupId: A },
    ]);
    expect(r.warnings.map((d) => [d.code, d.index])).toEqual([
      ['DELETE_IRREVERSIBLE', 0],
      ['USER_LOSES_BILLING_ACCESS', 1],
      ['LINK_EFFECTIVE_NEXT_MONTH', 2],
    ]);
  });

  test('one group deleted twice: its rules once, each confirmName checked', () => {
    const r = run(S, [
      { op: 'deleteGroup', id: A },
      { op: 'deleteGroup', id: A, confirmName: 'Team a' },
    ]);
    expect(r.errors.map((d) => [d.code, d.index])).toEqual([
      ['DELETE_HAS_PROJECTS', 0],
      ['DELETE_CONFIRMATION', 1],
    ]);
    expect(find(r, 'DELETE_IRREVERSIBLE')).toHaveLength(1);
  });

  test('warnings are in change order also when there are errors', () => {
    const r = run(S, [
      { op: 'deleteGroup', id: A }, // DELETE_HAS_PROJECTS, and warnings raised late in the engine
      { op: 'createGroup', group: groupInput('New', { paymentMethod: null }) },
    ]);
    expect(codes(r.errors)).toEqual(['DELETE_HAS_PROJECTS']);
    expect(r.warnings.map((d) => [d.code, d.index])).toEqual([
      ['DELETE_IRREVERSIBLE', 0],
      ['USER_LOSES_BILLING_ACCESS', 0],
      ['NO_PAYMENT_METHOD', 1],
    ]);
  });

  test('all delete errors of one change are reported together', () => {
    const s = base().finance('Team A', { openInvoices: 2, outstandingAmount: 10, unbilledUsage: 1, paidCredits: 5, freeCredits: 3 }).build();
    const r = run(s, [{ op: 'deleteGroup', id: A, confirmName: 'nope' }]);
    expect(codes(r.errors)).toEqual([
      'DELETE_CONFIRMATION',
      'DELETE_HAS_PROJECTS',
      'DELETE_OUTSTANDING_BALANCE',
      'DELETE_UNBILLED_USAGE',
      'DELETE_PAID_CREDITS',
    ]);
    expect(codes(r.warnings)).toEqual(['FREE_CREDITS_FORFEITED', 'DELETE_IRREVERSIBLE', 'USER_LOSES_BILLING_ACCESS']);
  });
});

describe('unknown (undefined) values are skipped, never guessed', () => {
  test('a link with no group ref counts for PROJECT_MULTI_LINK but reports nothing else', () => {
    const alone = run(S, [{ op: 'link', projectId: 'p2' }]);
    expect(all(alone)).toEqual([]);
    const twice = run(S, [{ op: 'link', projectId: 'p2' }, { op: 'unlink', projectId: 'p2' }]);
    expect(codes(all(twice))).toEqual(['PROJECT_MULTI_LINK']);
  });

  test('a link with an unknown target still needs the project to exist', () => {
    expect(codes(run(S, [{ op: 'link', projectId: 'p9' }]).errors)).toEqual(['PROJECT_NOT_FOUND']);
  });

  test('paymentMethod: undefined present -> no NO_PAYMENT_METHOD (create and update)', () => {
    const r = run(S, [
      { op: 'createGroup', group: groupInput('New', { paymentMethod: undefined }) },
      { op: 'updateGroup', id: B, group: { paymentMethod: undefined } },
    ]);
    expect(all(r)).toEqual([]);
  });

  test('an update of a group without payment method: unknown paymentMethod -> no warning, absent -> warning', () => {
    const s = base().sub('Team C', { paymentMethod: null }).build();
    expect(all(run(s, [{ op: 'updateGroup', id: 'sub-3', group: { paymentMethod: undefined } }]))).toEqual([]);
    expect(codes(all(run(s, [{ op: 'updateGroup', id: 'sub-3', group: { name: 'Team C2' } }])))).toEqual(['NO_PAYMENT_METHOD']);
  });

  test('a reference with both an id and a name goes by the id', () => {
    const r = run(S, [{ op: 'link', projectId: 'p2', billingGroupId: B, billingGroupName: 'Team A' }]);
    expect(r.errors).toEqual([]);
    expect(r.next.projects.find((p) => p.id === 'p2')!.billingGroupId).toBe(B);
  });

  test('paymentMethod absent on a create means none -> NO_PAYMENT_METHOD', () => {
    const { paymentMethod: _, ...noPayment } = groupInput('New');
    expect(codes(run(S, [{ op: 'createGroup', group: noPayment }]).warnings)).toEqual(['NO_PAYMENT_METHOD']);
  });

  test('an update keeps the payment method it does not mention', () => {
    const r = run(S, [{ op: 'updateGroup', id: B, group: { name: 'Team Bee' } }]);
    expect(all(r)).toEqual([]);
    expect(r.next.groups.find((g) => g.id === B)!.paymentMethod).toEqual(CARD);
  });

  test("main's payment method unknown in the same set -> MAIN_PAYMENT_REQUIRED skipped", () => {
    const r = run(base().mainPayment(null).build(), [
      { op: 'updateGroup', id: MAIN_ID, group: { paymentMethod: undefined } },
      { op: 'createGroup', group: groupInput('New') },
    ]);
    expect(r.errors).toEqual([]);
  });

  test('unknown name and e-mails of a create: only the known checks run', () => {
    const r = run(S, [
      { op: 'createGroup', group: { name: undefined as unknown as string, billingEmails: undefined as unknown as string[], invoiceEmails: ['bad'], paymentMethod: CARD } },
      { op: 'createGroup', group: groupInput('New', { billingEmails: ['a@example.com', undefined as unknown as string] }) },
    ]);
    expect(r.errors.map((d) => [d.code, d.index, d.path])).toEqual([['EMAIL_INVALID', 0, ['invoiceEmails', 0]]]);
  });

  test('a new group whose name is unknown is called "the new group", never "undefined"', () => {
    const s = domain().sub('A').project('p').project('q', 'A').mainPayment(null).subGroupLimit(1).build();
    const r = run(s, [
      { op: 'createGroup', group: groupInput(undefined as unknown as string, { paymentMethod: null }) },
      { op: 'link', projectId: 'p', billingGroupId: 'planned:0' },
      { op: 'link', projectId: 'q', billingGroupId: 'planned:0' },
    ]);
    expect(codes(all(r)).sort()).toEqual(
      ['LINK_EFFECTIVE_NEXT_MONTH', 'MAIN_PAYMENT_REQUIRED', 'NO_PAYMENT_METHOD', 'SUB_GROUP_LIMIT', 'TRANSFER_NOT_ACKNOWLEDGED'].sort(),
    );
    for (const d of all(r)) {
      expect(messageOf(d)).not.toMatch(/undefined/);
      if (d.code !== 'LINK_EFFECTIVE_NEXT_MONTH') expect(messageOf(d)).toMatch(/the new group/i);
    }
  });

  test('checkGroupInput skips undefined fields', () => {
    expect(checkGroupInput({})).toEqual([]);
    expect(checkGroupInput({ name: undefined, billingEmails: undefined })).toEqual([]);
    expect(codes(checkGroupInput({ name: '' }, { index: 3 }))).toEqual(['NAME_INVALID']);
    expect(checkGroupInput({ name: '' }, { index: 3 })[0]).toMatchObject({ index: 3, path: ['name'] });
  });

  test('moving a project to an unknown group is not DELETE_HAS_PROJECTS for the group it leaves', () => {
    const s = domain().sub('Old').project('a', 'Old').build();
    const r = run(s, [
      { op: 'createGroup', group: groupInput('New') },
      { op: 'link', projectId: 'a', allowTransfer: true }, // target id known only after apply
      { op: 'deleteGroup', id: 'sub-1' },
    ]);
    expect(r.errors).toEqual([]);
  });

  test('a grant to an unknown group keeps the user from losing access', () => {
    const r = run(S, [
      { op: 'revoke', userId: 'u1', billingGroupId: A },
      { op: 'grant', userId: 'u1' },
    ]);
    expect(all(r)).toEqual([]);
  });

  test('a revoke from an unknown group warns about nothing', () => {
    expect(all(run(S, [{ op: 'revoke', userId: 'u1' }]))).toEqual([]);
  });
});

describe('group names', () => {
  const name64 = 'n'.repeat(64);
  test.each([
    ['a', true],
    ['Team A', true],
    [name64, true],
    [name64 + 'n', false],
    ['é'.repeat(64), true], // 64 characters, 128 bytes in UTF-8
    ['é'.repeat(65), false],
    ['😀'.repeat(64), true], // astral characters count once each, not as two UTF-16 units
    ['😀'.repeat(65), false],
    ['', false],
    [' ', false],
    ['   \u3000 ', false], // ideographic space is blank too
    ['a\tb', false],
    ['a\nb', false],
    ['a\u0000', false],
    ['a\u007f', false],
    ['a\u0085', false], // C1 next-line
    ['  padded  ', true], // surrounding spaces are kept; uniqueness compares trimmed
    [' ' + 'n'.repeat(63) + ' ', false], // 65 characters as given
  ])('%j valid=%s', (name, valid) => {
    expect(codes(checkGroupInput({ name }))).toEqual(valid ? [] : ['NAME_INVALID']);
  });

  test('a non-string name is NAME_INVALID, not a crash', () => {
    expect(codes(checkGroupInput({ name: 42 as unknown as string }))).toEqual(['NAME_INVALID']);
    expect(codes(checkGroupInput({ name: null as unknown as string }))).toEqual(['NAME_INVALID']);
  });

  test.each([
    ['Team A', '  team a  '],
    ['ÄRGER', 'ärger'],
    ['Caf\u00e9', 'Cafe\u0301'],
  ])('normalizeName(%j) === normalizeName(%j)', (a, b) => {
    expect(normalizeName(a)).toBe(normalizeName(b));
  });

  test('different inner spacing is a different name', () => {
    expect(normalizeName('Team  A')).not.toBe(normalizeName('Team A'));
  });

  test('the reason names what is wrong', () => {
    expect(checkGroupInput({ name: 'x'.repeat(70) })[0].detail).toContain('70 characters');
    expect(checkGroupInput({ name: ' ' })[0].detail).toContain('blank');
    expect(checkGroupInput({ name: 'a\tb' })[0].detail).toContain('control character');
  });
});

describe('e-mail addresses', () => {
  test.each([
    ['a@example.com', true],
    ['first.last+tag@sub.example.co.uk', true],
    ["o'brien@example.ie", true],
    ['UPPER@EXAMPLE.COM', true],
    ['x@a-b.example.org', true],
    ['user@xn--bcher-kva.example', true],
    ['info@example.xn--p1ai', true], // punycode top-level domain (.рф)
    ['a@example.xn--', false],
    [`${'l'.repeat(64)}@example.com`, true],
    [`${'l'.repeat(65)}@example.com`, false],
    [`a@${'d'.repeat(63)}.com`, true],
    [`a@${'d'.repeat(64)}.com`, false],
    [`a@${Array(4).fill('d'.repeat(61)).join('.')}.abcde`, true], // 253 characters of domain
    [`a@${Array(4).fill('d'.repeat(61)).join('.')}.abcdef`, false], // 254
    ['', false],
    ['plain', false],
    ['@example.com', false],
    ['a@', false],
    ['a@localhost', false],
    ['a@example', false],
    ['a@example.c', false],
    ['a@example.123', false],
    ['a b@example.com', false],
    [' a@example.com', false],
    ['a@example.com ', false],
    ['a@example.com\n', false],
    ['a@@example.com', false],
    ['a@b@example.com', false],
    ['.a@example.com', false],
    ['a.@example.com', false],
    ['a..b@example.com', false],
    ['a@example..com', false],
    ['a@.example.com', false],
    ['a@-example.com', false],
    ['a@example-.com', false],
    ['a@exa_mple.com', false],
    ['"quoted"@example.com', false],
    ['A <a@example.com>', false],
    ['a@[192.168.0.1]', false],
    ['jörg@example.de', false],
    ['a@bücher.de', false],
  ])('%j valid=%s', (email, valid) => {
    expect(isValidEmail(email)).toBe(valid);
  });

  test.each([undefined, null, 42, ['a@example.com'], { email: 'a@example.com' }])('non-string %j is invalid', (v) => {
    expect(isValidEmail(v)).toBe(false);
  });

  test('duplicates compare case-insensitively and are reported on the repeat', () => {
    const ds = checkGroupInput({ billingEmails: ['a@example.com', 'b@example.com', 'A@Example.com'], invoiceEmails: ['t@example.com', 't@example.com'] }, { index: 2 });
    expect(ds.map((d) => [d.code, d.index, d.path])).toEqual([
      ['BILLING_EMAILS_COUNT', 2, ['billingEmails', 2]],
      ['INVOICE_EMAILS_COUNT', 2, ['invoiceEmails', 1]],
    ]);
    expect(ds[0].detail).toContain('"A@Example.com" is listed twice');
  });

  test.each([
    ['billingEmails', 0, 'BILLING_EMAILS_COUNT'],
    ['billingEmails', 11, 'BILLING_EMAILS_COUNT'],
    ['invoiceEmails', 0, 'INVOICE_EMAILS_COUNT'],
    ['invoiceEmails', 3, 'INVOICE_EMAILS_COUNT'],
  ] as const)('%s with %i addresses -> %s at the list', (field, n, code) => {
    const ds = checkGroupInput({ [field]: emails(n) });
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ code, path: [field] });
    expect(ds[0].detail).toContain(`${n} given`);
  });

  test('a list that is not an array is a count error, not a crash', () => {
    expect(codes(checkGroupInput({ billingEmails: 'a@example.com' as unknown as string[] }))).toEqual(['BILLING_EMAILS_COUNT']);
    expect(codes(checkGroupInput({ invoiceEmails: null as unknown as string[] }))).toEqual(['INVOICE_EMAILS_COUNT']);
  });

  test('an invalid address is reported once, not also as a duplicate', () => {
    expect(codes(checkGroupInput({ billingEmails: ['bad', 'bad'] }))).toEqual(['EMAIL_INVALID', 'EMAIL_INVALID']);
  });
});

describe('firstOfNextMonth', () => {
  test.each([
    ['2026-11-22T12:00:00.000Z', '2026-12-01'],
    ['2026-12-31T23:59:59.999Z', '2027-01-01'],
    ['2026-01-31T00:00:00.000Z', '2026-02-01'],
    ['2028-02-29T10:00:00.000Z', '2028-03-01'],
    ['2026-11-30T23:30:00.000-05:00', '2027-01-01'], // already December in UTC
  ])('%s -> %s', (now, expected) => {
    expect(firstOfNextMonth(new Date(now))).toBe(expected);
  });
});

describe('a change the rules cannot read', () => {
  it('is refused with a TypeError naming the change, never a crash inside the rules', () => {
    expect(() => run(S, [{ op: 'link', projectId: 'p1', billingGroupId: A }, { op: 'createGroup' } as unknown as Change])).toThrow(
      new TypeError('changes[1]: a createGroup change needs "group", an object with the group\'s settings'),
    );
    expect(() => run(S, [{ op: 'updateGroup', id: A, group: null } as unknown as Change])).toThrow(/changes\[0\]: a updateGroup change needs "group"/);
    expect(() => run(S, [{ op: 'move' } as unknown as Change])).toThrow(/changes\[0\]: "op" must be one of createGroup, .*, not "move"/);
    expect(() => run(S, [null as unknown as Change])).toThrow(/changes\[0\]: "op" must be one of/);
  });

  it('reads an id of the wrong type as not found', () => {
    expect(codes(run(S, [{ op: 'deleteGroup', id: 7 } as unknown as Change]).errors)).toEqual(['GROUP_NOT_FOUND']);
  });
});
