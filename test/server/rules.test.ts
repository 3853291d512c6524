/**
 * Every rule code of SPEC §2 through the HTTP API, with its status (errors) or in the
 * `warnings` of the response / of POST /v1/plan (warnings). Each case builds its own
 * situation on a fresh server, so one case cannot make another pass.
 */
import { RULES } from '../../provider/domain/messages';
import { expectError, expectOk, Fixture, groupBody, thisPeriod, type Res } from './client';
import { STORES } from '../helpers/stores';

describe.each(STORES)('%s store', (store) => {
  interface Case {
    code: string;
    /** Returns the response that must carry the code. */
    run(f: Fixture): Promise<Res>;
    /** Where the code shows: the error (default), the write's warnings, or the plan's errors/warnings. */
    in?: 'error' | 'warnings' | 'planErrors' | 'planWarnings';
  }

  const cases: Case[] = [
    { code: 'MAIN_GROUP_IMMUTABLE_NAME', run: (f) => f.admin.patch(`/v1/billing-groups/${f.mainId}`, { name: 'renamed' }) },
    { code: 'MAIN_GROUP_UNDELETABLE', run: (f) => f.admin.del(`/v1/billing-groups/${f.mainId}?confirmName=example`) },
    {
      code: 'SUB_GROUP_LIMIT',
      run: async (f) => {
        for (let i = 0; i < 30; i++) await f.group(`team-${i}`);
        return f.admin.post('/v1/billing-groups', groupBody('one-too-many'));
      },
    },
    {
      code: 'MAIN_PAYMENT_REQUIRED',
      run: async (f) => {
        expectOk(await f.admin.patch(`/v1/billing-groups/${f.mainId}`, { paymentMethod: null }));
        return f.admin.post('/v1/billing-groups', groupBody('needs-main-pm'));
      },
    },
    {
      code: 'NAME_TAKEN',
      run: async (f) => {
        await f.group('Finance');
        return f.admin.post('/v1/billing-groups', groupBody('  finance '));
      },
    },
    { code: 'NAME_INVALID', run: (f) => f.admin.post('/v1/billing-groups', groupBody('x'.repeat(65))) },
    { code: 'BILLING_EMAILS_COUNT', run: (f) => f.admin.post('/v1/billing-groups', groupBody('g', { billingEmails: [] })) },
    { code: 'INVOICE_EMAILS_COUNT', run: (f) => f.admin.post('/v1/billing-groups', groupBody('g', { invoiceEmails: ['a@x.com', 'b@x.com', 'c@x.com'] })) },
    { code: 'EMAIL_INVALID', run: (f) => f.admin.post('/v1/billing-groups', groupBody('g', { billingEmails: ['not an email'] })) },
    {
      code: 'GROUP_NOT_FOUND',
      run: async (f) => {
        const p = await f.project();
        return f.admin.put(`/v1/projects/${p.id}/billing-group`, { billingGroupId: 'bg-0000000000000000' });
      },
    },
    { code: 'PROJECT_NOT_FOUND', run: (f) => f.admin.put('/v1/projects/prj-0000000000000000/billing-group', { billingGroupId: f.mainId }) },
    {
      code: 'PROJECT_MULTI_LINK',
      in: 'planErrors',
      run: async (f) => {
        const p = await f.project();
        const g = await f.group('a');
        return f.admin.post('/v1/plan', {
          changes: [
            { op: 'link', projectId: p.id, billingGroupId: g.id },
            { op: 'unlink', projectId: p.id },
          ],
        });
      },
    },
    {
      code: 'MAIN_UNLINK_FORBIDDEN',
      run: async (f) => {
        const p = await f.project();
        return f.admin.del(`/v1/projects/${p.id}/billing-group`);
      },
    },
    {
      code: 'TRANSFER_NOT_ACKNOWLEDGED',
      run: async (f) => {
        const p = await f.project();
        const a = await f.group('a');
        const b = await f.group('b');
        await f.link(p.id, a.id);
        return f.admin.put(`/v1/projects/${p.id}/billing-group`, { billingGroupId: b.id });
      },
    },
    {
      code: 'DELETE_HAS_PROJECTS',
      run: async (f) => {
        const p = await f.project();
        const a = await f.group('a');
        await f.link(p.id, a.id);
        return f.admin.del(`/v1/billing-groups/${a.id}?confirmName=a`);
      },
    },
    {
      code: 'DELETE_OUTSTANDING_BALANCE',
      run: async (f) => {
        const p = await f.project();
        const a = await f.group('a');
        await f.link(p.id, a.id);
        await f.usage(p.id, 10);
        expectOk(await f.admin.post(`/v1/billing-periods/${thisPeriod()}/close`));
        expectOk(await f.admin.del(`/v1/projects/${p.id}/billing-group`));
        return f.admin.del(`/v1/billing-groups/${a.id}?confirmName=a`);
      },
    },
    {
      code: 'DELETE_UNBILLED_USAGE',
      run: async (f) => {
        const p = await f.project();
        const a = await f.group('a');
        await f.link(p.id, a.id);
        await f.usage(p.id, 10);
        expectOk(await f.admin.del(`/v1/projects/${p.id}/billing-group`));
        return f.admin.del(`/v1/billing-groups/${a.id}?confirmName=a`);
      },
    },
    {
      code: 'DELETE_PAID_CREDITS',
      run: async (f) => {
        const a = await f.group('a');
        expectOk(await f.admin.post(`/v1/billing-groups/${a.id}/credits`, { code: 'PAID-ACME-100' }), 201);
        return f.admin.del(`/v1/billing-groups/${a.id}?confirmName=a`);
      },
    },
    {
      code: 'DELETE_CONFIRMATION',
      run: async (f) => {
        const a = await f.group('a');
        return f.admin.del(`/v1/billing-groups/${a.id}?confirmName=b`);
      },
    },
    { code: 'USER_NOT_FOUND', run: (f) => f.admin.put(`/v1/billing-groups/${f.mainId}/permissions/usr-0000000000000000`) },
    {
      code: 'FORBIDDEN',
      run: async (f) => {
        const u = await f.user('viewer@example.com');
        return f.as(u.token).post('/v1/projects', { name: 'x' });
      },
    },
    {
      code: 'STALE_VERSION',
      run: async (f) => {
        const a = await f.group('a');
        expectOk(await f.admin.patch(`/v1/billing-groups/${a.id}`, { billingEmails: ['new@example.com'] }));
        return f.admin.patch(`/v1/billing-groups/${a.id}`, { billingEmails: ['x@example.com'] }, { 'if-match': `"${a.version}"` });
      },
    },
    {
      code: 'LINK_EFFECTIVE_NEXT_MONTH',
      in: 'warnings',
      run: async (f) => {
        const p = await f.project();
        const a = await f.group('a');
        return f.admin.put(`/v1/projects/${p.id}/billing-group`, { billingGroupId: a.id });
      },
    },
    {
      code: 'FREE_CREDITS_FORFEITED',
      in: 'planWarnings',
      run: async (f) => {
        const a = await f.group('a');
        expectOk(await f.admin.post(`/v1/billing-groups/${a.id}/credits`, { code: 'WELCOME-50' }), 201);
        return f.admin.post('/v1/plan', { changes: [{ op: 'deleteGroup', id: a.id }] });
      },
    },
    {
      code: 'DELETE_IRREVERSIBLE',
      in: 'planWarnings',
      run: async (f) => {
        const a = await f.group('a');
        return f.admin.post('/v1/plan', { changes: [{ op: 'deleteGroup', id: a.id }] });
      },
    },
    { code: 'NO_PAYMENT_METHOD', in: 'warnings', run: (f) => f.admin.post('/v1/billing-groups', groupBody('no-pm', { paymentMethod: undefined })) },
    {
      code: 'USER_LOSES_BILLING_ACCESS',
      in: 'warnings',
      run: async (f) => {
        const u = await f.user('member@example.com');
        expectOk(await f.admin.put(`/v1/billing-groups/${f.mainId}/permissions/${u.id}`));
        return f.admin.del(`/v1/billing-groups/${f.mainId}/permissions/${u.id}`);
      },
    },
  ];

  test('the table covers every rule code of SPEC §2', () => {
    const covered = new Set(cases.map((c) => c.code));
    const missing = Object.keys(RULES).filter((c) => c !== 'DELETION_PROTECTED' && !covered.has(c));
    expect(missing).toEqual([]);
  });

  describe.each(cases)('$code', (c) => {
    let f: Fixture;
    beforeEach(async () => {
      f = await Fixture.start({ store });
      await f.enableSubGroups();
    });
    afterEach(() => f.close());

    test(`is reported through the API (${c.in ?? 'error'})`, async () => {
      const res = await c.run(f);
      const status = RULES[c.code as keyof typeof RULES].status;
      switch (c.in ?? 'error') {
        case 'error':
          expectError(res, status, c.code);
          expect(res.data.error.details.violations[0].code).toBe(c.code);
          expect(res.data.error.details.violations.every((v: { message: string }) => v.message.length > 10)).toBe(true);
          break;
        case 'warnings': {
          expect(res.status).toBeLessThan(300);
          expect(res.data.warnings.map((w: { code: string }) => w.code)).toContain(c.code);
          const w = res.data.warnings.find((x: { code: string }) => x.code === c.code);
          expect(w.message.length).toBeGreaterThan(10);
          break;
        }
        case 'planErrors':
          expect(res.status).toBe(200);
          expect(res.data.errors.map((e: { code: string }) => e.code)).toContain(c.code);
          break;
        case 'planWarnings':
          expect(res.status).toBe(200);
          expect(res.data.errors).toEqual([]);
          expect(res.data.warnings.map((e: { code: string }) => e.code)).toContain(c.code);
          break;
      }
    });
  });

  test('all applicable errors are reported, the first one is error.code', async () => {
    const f = await Fixture.start({ store });
    try {
      await f.enableSubGroups();
      const res = await f.admin.post('/v1/billing-groups', groupBody('', { billingEmails: ['bad', 'bad2'], invoiceEmails: [] }));
      expectError(res, 422, 'NAME_INVALID');
      const codes = res.data.error.details.violations.map((v: { code: string }) => v.code);
      expect(codes).toEqual(expect.arrayContaining(['NAME_INVALID', 'EMAIL_INVALID', 'INVOICE_EMAILS_COUNT']));
      expect(res.data.error.details.violations.find((v: { code: string }) => v.code === 'EMAIL_INVALID').path).toEqual(['billingEmails', 0]);
    } finally {
      await f.close();
    }
  });
});
