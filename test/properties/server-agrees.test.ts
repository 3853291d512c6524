/**
 * Property: for any sequence of operations sent to the real API, the rules engine's
 * prediction (evaluate on the live snapshot) agrees with what the server does — it
 * accepts exactly what evaluate accepts, rejects with evaluate's first code otherwise —
 * and every invariant of SPEC §1 holds after every step.
 */
import fc from 'fast-check';
import { BillingClient, isApiError, type Snapshot } from '../../provider/client';
import { evaluate, normalizeName } from '../../provider/domain';
import type { Change } from '../../provider/domain';
import { startTestServer } from '../helpers/server';

const TOKEN = 'cbt_property_admin_token';
const card = { type: 'card' as const, reference: 'tok_prop' };
const NAMES = ['alpha', 'Alpha ', 'beta', 'gamma', 'delta', '', 'x'.repeat(65), 'ops\tteam'];
const EMAILS = [['a@acme.test'], ['a@acme.test', 'b@acme.test'], [], ['not-an-email'], ['a@acme.test', 'A@acme.test']];

type Op =
  | { op: 'create'; name: number; billing: number; invoice: number; pay: boolean }
  | { op: 'rename'; group: number; name: number }
  | { op: 'delete'; group: number; confirm: boolean }
  | { op: 'link'; project: number; group: number; allowTransfer: boolean }
  | { op: 'unlink'; project: number }
  | { op: 'grant' | 'revoke'; user: number; group: number };

const pick = fc.nat({ max: 40 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('create' as const), name: pick, billing: pick, invoice: pick, pay: fc.boolean() }),
  fc.record({ op: fc.constant('rename' as const), group: pick, name: pick }),
  fc.record({ op: fc.constant('delete' as const), group: pick, confirm: fc.boolean() }),
  fc.record({ op: fc.constant('link' as const), project: pick, group: pick, allowTransfer: fc.boolean() }),
  fc.record({ op: fc.constant('unlink' as const), project: pick }),
  fc.record({ op: fc.constantFrom('grant' as const, 'revoke' as const), user: pick, group: pick }),
);

let server: Awaited<ReturnType<typeof startTestServer>>;
let admin: BillingClient;

beforeAll(async () => {
  server = await startTestServer({ adminToken: TOKEN });
  admin = new BillingClient({ apiUrl: server.url, token: TOKEN, retries: 0 });
  const domain = await admin.getDomain();
  await admin.updateGroup(domain.mainGroupId, { paymentMethod: card });
  for (let i = 0; i < 8; i++) await admin.createProject({ name: `p${i}` });
  for (let i = 0; i < 3; i++) await admin.createUser({ email: `u${i}@acme.test`, name: `User ${i}` });
});

afterAll(async () => server?.close());

/** Turn a generated op into a change on the current snapshot (ids picked modulo the pools, with one unknown id). */
function toChange(op: Op, s: Snapshot): Change {
  const group = (i: number) => (i % (s.groups.length + 1) === s.groups.length ? 'bg-ffffffffffff' : s.groups[i % (s.groups.length + 1)].id);
  const project = (i: number) => (i % (s.projects.length + 1) === s.projects.length ? 'prj-ffffffffffff' : s.projects[i % (s.projects.length + 1)].id);
  const user = (i: number) => (i % (s.users.length + 1) === s.users.length ? 'usr-ffffffffffff' : s.users[i % (s.users.length + 1)].id);
  switch (op.op) {
    case 'create':
      return {
        op: 'createGroup',
        group: {
          name: NAMES[op.name % NAMES.length],
          billingEmails: EMAILS[op.billing % EMAILS.length],
          invoiceEmails: EMAILS[op.invoice % EMAILS.length],
          paymentMethod: op.pay ? card : null,
        },
      };
    case 'rename':
      return { op: 'updateGroup', id: group(op.group), group: { name: NAMES[op.name % NAMES.length] } };
    case 'delete': {
      const id = group(op.group);
      const name = s.groups.find((g) => g.id === id)?.name ?? 'none';
      return { op: 'deleteGroup', id, confirmName: op.confirm ? name : `${name}-wrong` };
    }
    case 'link':
      return { op: 'link', projectId: project(op.project), billingGroupId: group(op.group), allowTransfer: op.allowTransfer };
    case 'unlink':
      return { op: 'unlink', projectId: project(op.project) };
    default:
      return { op: op.op, userId: user(op.user), billingGroupId: group(op.group) };
  }
}

async function send(c: Change): Promise<void> {
  switch (c.op) {
    case 'createGroup':
      await admin.createGroup(c.group);
      return;
    case 'updateGroup':
      await admin.updateGroup(c.id, c.group);
      return;
    case 'deleteGroup':
      await admin.deleteGroup(c.id, c.confirmName!);
      return;
    case 'link':
      await admin.linkProject(c.projectId, c.billingGroupId!, c.allowTransfer);
      return;
    case 'unlink':
      await admin.unlinkProject(c.projectId);
      return;
    case 'grant':
      await admin.grantPermission(c.billingGroupId!, c.userId);
      return;
    case 'revoke':
      await admin.revokePermission(c.billingGroupId!, c.userId);
  }
}

function checkInvariants(s: Snapshot): void {
  const mains = s.groups.filter((g) => g.type === 'main');
  expect(mains).toHaveLength(1);
  expect(mains[0].id).toBe(s.domain.mainGroupId);
  expect(mains[0].name).toBe(s.domain.name);
  expect(s.groups.length - 1).toBeLessThanOrEqual(s.domain.subGroupLimit);
  const names = s.groups.map((g) => normalizeName(g.name));
  expect(new Set(names).size).toBe(names.length);
  const ids = new Set(s.groups.map((g) => g.id));
  for (const p of s.projects) expect(ids.has(p.billingGroupId)).toBe(true);
  for (const g of s.groups) {
    expect(g.projectCount).toBe(s.projects.filter((p) => p.billingGroupId === g.id).length);
    expect(g.billingEmails.length).toBeGreaterThanOrEqual(1);
    expect(g.invoiceEmails.length).toBeGreaterThanOrEqual(1);
  }
  expect(mains[0].totalProjectCount).toBe(s.projects.length);
  for (const perm of s.permissions) expect(ids.has(perm.billingGroupId)).toBe(true);
  expect(s.links).toHaveLength(s.projects.length);
}

test('the server does what evaluate predicts, and invariants always hold', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 20 }), async (ops) => {
      for (const op of ops) {
        const before = await admin.getSnapshot();
        const change = toChange(op, before);
        const predicted = evaluate(before, [change]);
        let actual: string | null = null;
        try {
          await send(change);
        } catch (e) {
          if (!isApiError(e)) throw e;
          actual = e.code;
        }
        expect({ change, code: actual }).toEqual({ change, code: predicted.errors[0]?.code ?? null });
        checkInvariants(await admin.getSnapshot());
      }
    }),
    { numRuns: 30 },
  );
});
