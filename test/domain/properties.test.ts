/**
 * Property tests of the rules engine: random valid states and random change lists (every
 * op, with valid and invalid ids, names and e-mails) must keep the invariants of SPEC §1-2.
 */
import fc from 'fast-check';
import { messageOf, RULES } from '../../provider/domain/messages';
import { checkGroupInput, evaluate, isValidEmail, stateReadBy } from '../../provider/domain/rules';
import type { Change, Diagnostic, DomainState, GroupInput } from '../../provider/domain/types';
import { CARD, CTX, domain, essence, frozen, invariantViolations } from './fixtures';

const RUNS = { numRuns: 300 };

// ---------------------------------------------------------------------------------------
// States

const arbState: fc.Arbitrary<DomainState> = fc
  .record({
    limit: fc.integer({ min: 1, max: 6 }),
    subs: fc.integer({ min: 0, max: 5 }),
    mainPayment: fc.constantFrom(true, true, true, false),
    subPayment: fc.array(fc.boolean(), { maxLength: 5 }),
    versions: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 5 }),
    finance: fc.array(
      fc.option(
        fc.record({
          openInvoices: fc.constantFrom(0, 0, 1),
          outstandingAmount: fc.constantFrom(0, 12),
          unbilledUsage: fc.constantFrom(0, 0, 2.5),
          paidCredits: fc.constantFrom(0, 0, 10),
          freeCredits: fc.constantFrom(0, 5),
        }),
        { freq: 2 },
      ),
      { maxLength: 5 },
    ),
    projects: fc.array(fc.nat(), { minLength: 1, maxLength: 7 }),
    users: fc.array(fc.boolean(), { maxLength: 4 }),
    permissions: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 8 }),
  })
  .map((p) => {
    const b = domain('Acme').subGroupLimit(p.limit).mainPayment(p.mainPayment ? CARD : null);
    const subs = Math.min(p.subs, p.limit);
    const groupNames = ['Acme'];
    for (let i = 1; i <= subs; i++) {
      b.sub(`Team ${i}`, { version: p.versions[i - 1] ?? 1, paymentMethod: p.subPayment[i - 1] === false ? null : CARD });
      groupNames.push(`Team ${i}`);
      const f = p.finance[i - 1];
      if (f) b.finance(`Team ${i}`, f);
    }
    p.projects.forEach((g, k) => b.project(`p${k}`, groupNames[g % groupNames.length]));
    const userIds = p.users.map((admin, k) => {
      b.user(`u${k}`, admin ? 'billing_admin' : null);
      return `u${k}`;
    });
    if (userIds.length > 0) {
      const seen = new Set<string>();
      for (const [u, g] of p.permissions) {
        const key = `${u % userIds.length}/${g % groupNames.length}`;
        if (seen.has(key)) continue;
        seen.add(key);
        b.permission(userIds[u % userIds.length], groupNames[g % groupNames.length]);
      }
    }
    return b.build();
  });

// ---------------------------------------------------------------------------------------
// Change lists

interface ChangeOptions {
  /** Include createGroup changes. */
  creates: boolean;
  /** Include unknown (`undefined`) values. */
  unknowns: boolean;
  /** Include values of the wrong type (a JSON body that slipped past a schema). */
  odd: boolean;
  /** Weight of invalid values against 20 for valid ones: low to get many valid sets. */
  bad: number;
}

const VALID_NAMES = ['New A', 'New B', 'Team 1', 'Team 4'];
const BAD_NAMES = ['', '   ', 'tab\there', 'x'.repeat(65), ' team 2 ', 'ACME', 'new a'];
const BILLING = [['b1@example.com'], ['b1@example.com', 'b2@example.com']];
const BAD_BILLING = [[], ['not-an-email'], ['b1@example.com', 'B1@example.com'], Array.from({ length: 11 }, (_, i) => `b${i}@example.com`)];
const INVOICE = [['t1@example.com'], ['t1@example.com', 't2@example.com']];
const BAD_INVOICE = [[], ['t1@example.com', 't2@example.com', 't3@example.com'], ['t1@example', 'x@example.com']];
const ODD: unknown[] = [42, null, { a: 1 }, 'a@example.com'];

function arbChanges(s: DomainState, o: ChangeOptions): fc.Arbitrary<Change[]> {
  const pick = <T,>(good: readonly T[], bad: readonly T[], odd: readonly unknown[] = []) =>
    fc.oneof(
      { arbitrary: fc.constantFrom(...good), weight: 20 },
      { arbitrary: fc.constantFrom(...bad), weight: o.bad },
      ...(o.odd && odd.length ? [{ arbitrary: fc.constantFrom(...(odd as T[])), weight: o.bad }] : []),
      ...(o.unknowns ? [{ arbitrary: fc.constant(undefined as unknown as T), weight: o.bad }] : []),
    );
  const groupIds = s.groups.map((g) => g.id);
  const subIds = s.groups.filter((g) => g.type === 'sub').map((g) => g.id);
  const groupId = pick(groupIds, ['sub-99', 'planned:0', 'planned:1'], [7]);
  const name = pick(VALID_NAMES, BAD_NAMES, ODD);
  const refName = pick(s.groups.map((g) => g.name), ['New A', 'new b', 'Nope'], [3]);
  // Update and delete mostly sub groups; the main group and unknown ids now and then.
  const subId = subIds.length ? pick(subIds, [...groupIds, 'sub-99', 'planned:0'], [7]) : groupId;
  const projectId = pick(s.projects.length ? s.projects.map((p) => p.id) : ['p-none'], ['p-none'], [null]);
  const userId = pick(s.users.map((u) => u.id), ['u-none'], [undefined]);
  const payment = fc.constantFrom<{ paymentMethod?: GroupInput['paymentMethod'] }>(
    { paymentMethod: CARD },
    { paymentMethod: null },
    {},
    ...(o.unknowns ? [{ paymentMethod: undefined }] : []),
  );
  const ref = fc.oneof(
    { arbitrary: groupId.map((billingGroupId) => ({ billingGroupId })), weight: 3 },
    { arbitrary: refName.map((billingGroupName) => ({ billingGroupName })), weight: 2 },
    ...(o.unknowns ? [{ arbitrary: fc.constant({}), weight: 1 }] : []),
  );
  const billing = pick(BILLING, BAD_BILLING, ODD);
  const invoice = pick(INVOICE, BAD_INVOICE, ODD);

  const create: fc.Arbitrary<Change> = fc
    .record({ name, billingEmails: billing, invoiceEmails: invoice, payment })
    .map(({ payment: pm, ...g }) => ({ op: 'createGroup', group: { ...g, ...pm } as GroupInput }));
  const update: fc.Arbitrary<Change> = fc
    .record(
      {
        id: subId,
        name,
        billingEmails: billing,
        invoiceEmails: invoice,
        payment,
        // The version the caller last saw: usually the live one.
        expectedVersion: fc.oneof({ arbitrary: fc.constant(0), weight: 20 }, { arbitrary: fc.integer({ min: 1, max: 4 }), weight: o.bad }),
      },
      { requiredKeys: ['id', 'payment'] },
    )
    .map(({ id, expectedVersion, payment: pm, ...g }) => {
      const c: Change = { op: 'updateGroup', id: id as string, group: { ...g, ...pm } };
      if (expectedVersion !== undefined) c.expectedVersion = expectedVersion || (s.groups.find((x) => x.id === id)?.version ?? 1);
      return c;
    });
  const del: fc.Arbitrary<Change> = fc
    .record({ id: subId, confirm: fc.oneof({ arbitrary: fc.constantFrom('none', 'right'), weight: 20 }, { arbitrary: fc.constant('wrong'), weight: o.bad }) })
    .map(({ id, confirm }) => {
      const c: Change = { op: 'deleteGroup', id };
      if (confirm !== 'none') c.confirmName = confirm === 'right' ? s.groups.find((g) => g.id === id)?.name ?? 'x' : 'wrong';
      return c;
    });
  const link: fc.Arbitrary<Change> = fc
    .record({ projectId, ref, allowTransfer: fc.constantFrom(true, true, true, false, undefined) })
    .map(({ projectId: p, ref: r, allowTransfer }) => {
      const c: Change = { op: 'link', projectId: p, ...r };
      if (allowTransfer !== undefined) c.allowTransfer = allowTransfer;
      return c;
    });
  // Unlink mostly projects that are in a sub group (unlinking from main is an error).
  const inSubs = s.projects.filter((p) => p.billingGroupId !== s.domain.mainGroupId).map((p) => p.id);
  const unlink: fc.Arbitrary<Change> = (inSubs.length ? pick(inSubs, s.projects.map((p) => p.id).concat('p-none'), [null]) : projectId).map((p) => ({ op: 'unlink', projectId: p }));
  const perm: fc.Arbitrary<Change> = fc
    .record({ op: fc.constantFrom('grant' as const, 'revoke' as const), userId, ref })
    .map(({ op, userId: u, ref: r }) => ({ op, userId: u, ...r }));

  const ops = fc.oneof(
    ...(o.creates ? [{ arbitrary: create, weight: 2 }] : []),
    { arbitrary: update, weight: 2 },
    { arbitrary: del, weight: 2 },
    { arbitrary: link, weight: 3 },
    { arbitrary: unlink, weight: 1 },
    { arbitrary: perm, weight: 2 },
  );
  return fc.array(ops, { maxLength: 5 });
}

const scenario = (o: ChangeOptions) => arbState.chain((s) => arbChanges(s, o).map((changes) => ({ s, changes })));
const KNOWN = { creates: true, unknowns: false, odd: false, bad: 1 };
const ANYTHING = { creates: true, unknowns: true, odd: true, bad: 5 };
const NO_CREATES = { creates: false, unknowns: false, odd: false, bad: 1 };

const hasCreate = (changes: Change[]) => changes.some((c) => c.op === 'createGroup');

// ---------------------------------------------------------------------------------------

/** Throws with `message` unless `ok` (cheaper than expect() in a loop of hundreds of runs). */
function check(ok: boolean, message: string, d?: Diagnostic): void {
  if (!ok) throw new Error(`${message}${d ? `: ${JSON.stringify(d)}` : ''}`);
}

function checkDiagnostics(changes: Change[], errors: Diagnostic[], warnings: Diagnostic[]) {
  for (const [list, kind] of [[errors, 'error'], [warnings, 'warning']] as const) {
    for (const d of list) {
      check(Object.prototype.hasOwnProperty.call(RULES, d.code), 'unknown code', d);
      check(RULES[d.code as keyof typeof RULES].kind === kind && d.severity === kind, `not a ${kind}`, d);
      check(Number.isInteger(d.index) && d.index! >= 0 && d.index! < changes.length, 'index out of range', d);
      check(d.summary.length > 0 && d.detail.length > 0, 'empty text', d);
      check(d.path === undefined || (d.path.length > 0 && typeof d.path[0] === 'string'), 'bad path', d);
    }
  }
  // FORBIDDEN and *_NOT_FOUND first, then by change index.
  const first = (d: Diagnostic) => d.code === 'FORBIDDEN' || d.code.endsWith('_NOT_FOUND');
  const firstCount = errors.filter(first).length;
  check(errors.slice(0, firstCount).every(first), 'NOT_FOUND/FORBIDDEN not first');
  for (const part of [errors.slice(0, firstCount), errors.slice(firstCount), warnings]) {
    for (let i = 1; i < part.length; i++) check(part[i].index! >= part[i - 1].index!, 'not in change order', part[i]);
  }
}

describe('rules engine properties', () => {
  test('generated states are sound (the generator itself)', () => {
    fc.assert(fc.property(arbState, (s) => expect(invariantViolations(s)).toEqual([])), RUNS);
  });

  test('never throws, never mutates its input, and is deterministic (any input)', () => {
    fc.assert(
      fc.property(scenario(ANYTHING), ({ s, changes }) => {
        const input = frozen(s);
        const cs = frozen(changes);
        const r1 = evaluate(input, cs, CTX);
        const r2 = evaluate(input, cs, CTX);
        expect(r2).toEqual(r1);
        expect(input).toEqual(s);
        checkDiagnostics(changes, r1.errors, r1.warnings);
        if (r1.errors.length > 0) expect(r1.next).toBe(input);
      }),
      { numRuns: 400 },
    );
  });

  test('a non-admin actor gets FORBIDDEN for every change and nothing else', () => {
    fc.assert(
      fc.property(scenario(ANYTHING), ({ s, changes }) => {
        const r = evaluate(s, changes, { ...CTX, actor: { id: 'u0', role: null } });
        expect(r.errors.map((d) => [d.code, d.index])).toEqual(changes.map((_, i) => ['FORBIDDEN', i]));
        expect(r.warnings).toEqual([]);
        expect(r.next).toBe(s);
      }),
      { numRuns: 100 },
    );
  });

  test('with no errors, next keeps every invariant (all values known)', () => {
    let valid = 0;
    fc.assert(
      fc.property(scenario(KNOWN), ({ s, changes }) => {
        const r = evaluate(s, changes, CTX);
        checkDiagnostics(changes, r.errors, r.warnings);
        // With every value known, no sentence shows a placeholder.
        for (const d of [...r.errors, ...r.warnings]) check(!/undefined|\[object Object\]|NaN/.test(messageOf(d)), 'placeholder in text', d);
        if (r.errors.length > 0) {
          expect(r.next).toBe(s);
          return;
        }
        if (changes.length >= 2) valid += 1;
        expect(invariantViolations(r.next)).toEqual([]);
        // Users and the domain are never changed by a change set.
        expect(r.next.users).toEqual(s.users);
        expect(r.next.domain).toEqual(s.domain);
        // One LINK_EFFECTIVE_NEXT_MONTH per project that actually moved, one DELETE_IRREVERSIBLE per deleted group.
        const moved = r.next.projects.filter((p) => s.projects.find((q) => q.id === p.id)!.billingGroupId !== p.billingGroupId);
        expect(r.warnings.filter((d) => d.code === 'LINK_EFFECTIVE_NEXT_MONTH')).toHaveLength(moved.length);
        const gone = s.groups.filter((g) => !r.next.groups.some((n) => n.id === g.id));
        expect(r.warnings.filter((d) => d.code === 'DELETE_IRREVERSIBLE')).toHaveLength(gone.length);
        const creates = changes.filter((c) => c.op === 'createGroup').length;
        expect(r.next.groups).toHaveLength(s.groups.length + creates - gone.length);
        // Every user who was a member somewhere and no longer is (and is not an admin) was warned.
        const member = (st: DomainState, u: string) => st.permissions.some((p) => p.userId === u);
        const cutOff = s.users.filter((u) => u.role !== 'billing_admin' && member(s, u.id) && !member(r.next, u.id));
        expect(r.warnings.filter((d) => d.code === 'USER_LOSES_BILLING_ACCESS')).toHaveLength(cutOff.length);
      }),
      { numRuns: 400 },
    );
    // The property is not vacuous: enough generated sets of 2+ changes are valid.
    // About 37 of 400 runs (28-45 seen) are valid sets of two or more changes; the bound
    // sits far below that so that a random seed never makes it flaky.
    expect(valid).toBeGreaterThan(10);
  });

  test('unknown values: with no errors, next keeps the invariants that do not depend on them', () => {
    fc.assert(
      fc.property(scenario({ creates: false, unknowns: true, odd: false, bad: 2 }), ({ s, changes }) => {
        const r = evaluate(s, changes, CTX);
        if (r.errors.length > 0) return;
        // An unknown link target leaves the project where it is (best guess), which may be a
        // group this set deletes; every other invariant holds.
        const unknownLinks = new Set(changes.filter((c) => c.op === 'link' && c.billingGroupId === undefined && c.billingGroupName === undefined).map((c) => (c as { projectId: string }).projectId));
        const v = invariantViolations(r.next).filter((m) => !(/^project \S+ in missing group/.test(m) && unknownLinks.has(m.split(' ')[1])));
        expect(v).toEqual([]);
      }),
      RUNS,
    );
  });

  /*
   * One step at a time vs. all at once. The set describes a desired result, so the two can
   * legitimately differ, but only where the set allows what a sequence would refuse
   * (deleting a group whose projects move later in the list, swapping names, two updates
   * with the same If-Match), which the "every step valid" filter excludes, and in one case
   * that filter does not exclude: a billingGroupName refers to the name a group has in the
   * desired result, so `link by name "X"` before `rename Y -> X` (with the old X renamed
   * away) targets Y as a set and the old X as a sequence. So the property is asserted for
   * change sets without by-name references; with them, only when no group is renamed.
   * Sets with creates are compared too: ctx.newId gives step i the id the set gives change i.
   */
  test.each([
    ['without creates', NO_CREATES],
    // A created group gets its id from ctx.newId; step i gets the id the whole set gives change i.
    ['with creates', KNOWN],
  ])('applying a valid set step by step (each step valid) ends where applying it at once does (%s)', (_what, options) => {
    let compared = 0;
    const newId = (i: number) => `new:${i}`;
    fc.assert(
      fc.property(scenario(options), ({ s, changes }) => {
        if (options === KNOWN) fc.pre(hasCreate(changes));
        const atOnce = evaluate(s, changes, { ...CTX, newId });
        if (atOnce.errors.length > 0) return;
        let cur = s;
        for (const [i, c] of changes.entries()) {
          const step = evaluate(cur, [c], { ...CTX, newId: () => newId(i) });
          if (step.errors.length > 0) return; // not a valid sequence
          cur = step.next;
        }
        const byName = changes.some((c) => 'billingGroupName' in c && c.billingGroupName !== undefined);
        const renames = changes.some((c) => c.op === 'updateGroup' && c.group.name !== undefined && c.group.name !== s.groups.find((g) => g.id === c.id)?.name);
        if (byName && renames) return;
        if (changes.length >= 2) compared += 1;
        expect(essence(cur)).toEqual(essence(atOnce.next));
      }),
      { numRuns: 600 },
    );
    // About 50 (28 with creates; 32 and 20 the lowest seen) of 600 runs; a bound far below.
    expect(compared).toBeGreaterThan(8);
  });

  test('the by-name exception above is real: a set resolves names in its desired result', () => {
    const s = domain().sub('X').sub('Y').project('p').build();
    const changes: Change[] = [
      { op: 'link', projectId: 'p', billingGroupName: 'X' },
      { op: 'updateGroup', id: 'sub-1', group: { name: 'X old' } },
      { op: 'updateGroup', id: 'sub-2', group: { name: 'X' } },
    ];
    const atOnce = evaluate(s, changes, CTX);
    expect(atOnce.errors).toEqual([]);
    expect(atOnce.next.projects[0].billingGroupId).toBe('sub-2');
    let cur = s;
    for (const c of changes) cur = evaluate(cur, [c], CTX).next;
    expect(cur.projects[0].billingGroupId).toBe('sub-1');
  });

  test('order of a valid set does not matter for its result (no creates, no by-name refs)', () => {
    fc.assert(
      fc.property(
        scenario(NO_CREATES).chain(({ s, changes }) =>
          fc.shuffledSubarray(changes, { minLength: changes.length, maxLength: changes.length }).map((shuffled) => ({ s, changes, shuffled })),
        ),
        ({ s, changes, shuffled }) => {
          fc.pre(!changes.some((c) => 'billingGroupName' in c));
          // Where list order does decide: two updates of one group merge in list order (last
          // name wins), and a grant and a revoke of one membership apply in list order
          // (Terraform's replace of a permission is revoke then grant).
          const updated = changes.filter((c) => c.op === 'updateGroup').map((c) => (c as { id: string }).id);
          const perms = changes.filter((c) => c.op === 'grant' || c.op === 'revoke').map((c) => JSON.stringify([(c as { userId: string }).userId, (c as { billingGroupId: string }).billingGroupId]));
          fc.pre(new Set(updated).size === updated.length && new Set(perms).size === perms.length);
          const a = evaluate(s, changes, CTX);
          const b = evaluate(s, shuffled, CTX);
          expect(b.errors.length === 0).toBe(a.errors.length === 0);
          // Which of two links for one project is checked further depends on which comes first.
          if (!a.errors.some((d) => d.code === 'PROJECT_MULTI_LINK')) {
            expect(new Set(b.errors.map((d) => d.code))).toEqual(new Set(a.errors.map((d) => d.code)));
          }
          if (a.errors.length === 0) expect(essence(b.next)).toEqual(essence(a.next));
        },
      ),
      RUNS,
    );
  });
});

describe('field syntax properties', () => {
  test('every address fast-check generates (RFC 5322 dot-atom, RFC 1123 domain) is valid', () => {
    fc.assert(fc.property(fc.emailAddress(), (e) => isValidEmail(e)), { numRuns: 500 });
  });

  test('an address with white space, a control character or no single @ is invalid', () => {
    const spoiled = fc.tuple(fc.emailAddress(), fc.nat(), fc.constantFrom(' ', '\t', '\n', '\u0000', '@', '\u00a0')).map(([e, at, ch]) => {
      const i = at % (e.length + 1);
      return e.slice(0, i) + ch + e.slice(i);
    });
    fc.assert(fc.property(spoiled, (e) => !isValidEmail(e)), { numRuns: 500 });
    fc.assert(fc.property(fc.string(), (e) => e.includes('@') || !isValidEmail(e)), { numRuns: 300 });
  });

  test('a name is valid exactly when it has 1-64 code points, is not blank or invisible and has no control or bidi character', () => {
    const char = fc.oneof(
      { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), weight: 4 },
      { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 2 },
      { arbitrary: fc.constantFrom(' ', '\t', '\u0085', '\u3000', '😀', 'é'), weight: 1 },
    );
    const name = fc.array(char, { maxLength: 70 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(name, (n) => {
        // SPEC §10 (ADR 0004): blank or only default-ignorable characters (e.g. U+E0000) is no name.
        const invisible = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}]*$/u.test(n);
        const bidi = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(n);
        const expected = [...n].length >= 1 && [...n].length <= 64 && !invisible && !bidi && !/[\u0000-\u001f\u007f-\u009f]/.test(n);
        expect(checkGroupInput({ name: n }).length === 0).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('stateReadBy', () => {
  test('evaluating the slice a change set reads gives the same errors and warnings as the whole state', () => {
    const linksOnly = (cs: Change[]) => cs.filter((c) => c.op === 'link' || c.op === 'unlink');
    const permsOnly = (cs: Change[]) => cs.filter((c) => c.op === 'grant' || c.op === 'revoke');
    let sliced = 0;
    fc.assert(
      fc.property(scenario(ANYTHING), ({ s, changes }) => {
        for (const cs of [linksOnly(changes), permsOnly(changes), changes]) {
          const part = stateReadBy(s, cs);
          if (part !== s) sliced += 1;
          const whole = evaluate(s, cs, CTX);
          const slice = evaluate(part, cs, CTX);
          expect({ errors: slice.errors, warnings: slice.warnings }).toEqual({ errors: whole.errors, warnings: whole.warnings });
        }
      }),
      RUNS,
    );
    expect(sliced).toBeGreaterThan(RUNS.numRuns); // the slicing branches were exercised
  });
});
