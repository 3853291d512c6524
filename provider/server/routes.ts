/**
 * The routes of SPEC §3. Each one validates with its schema, calls one `BillingService`
 * method and renders the result; writes go through `ctx.write` (one transaction with the
 * Idempotency-Key record). No rule is checked here.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Change, GroupInput } from '../domain/types';
import type { AppContext } from './app';
import { ChangeSets, type ChangeSetEntry, type ChangeSetStatus } from './change-sets';
import { badRequest } from './errors';
import * as S from './schemas';
import { etagOf, EVENTS_DEFAULT_LIMIT, EVENTS_MAX_LIMIT, type Invoice } from './service';

type IdParams = { id: string };

/** Parse `If-Match`: `"3"`, `W/"3"` or `3`; `*` (or absent) means no check. */
export function parseIfMatch(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(value);
  if (!m) throw badRequest(`If-Match must be a version ETag such as "3" (got ${JSON.stringify(value)}).`);
  return Number(m[1]);
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** An invoice as CSV: `project_id,service,amount`, one line per line, then the total. */
export function invoiceCsv(inv: Invoice): string {
  const rows = ['project_id,service,amount', ...inv.lines.map((l) => `${csvField(l.projectId)},${csvField(l.service)},${l.amount}`), `total,,${inv.total}`];
  return rows.join('\r\n') + '\r\n';
}

export function registerRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { service, write } = ctx;
  const R = S.responses;
  const doc = (tag: string, summary: string) => ({ tags: [tag], summary });

  // ---- public
  app.get('/v1/health', { config: { public: true }, schema: { ...doc('meta', 'Liveness check (no token)'), security: [], response: S.replies(200, { type: 'object', properties: { status: { type: 'string' } } }) } }, async () => ({
    status: 'ok',
  }));
  app.get('/v1/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  // ---- domain and snapshot
  app.get('/v1/domain', { schema: { ...doc('domain', 'The domain'), response: S.replies(200, R.any) } }, async () => service.domain());
  app.get('/v1/snapshot', { schema: { ...doc('domain', "The caller's whole view (plan and drift tools)"), response: S.replies(200, R.any) } }, async (req) => service.snapshot(req.actor));

  // ---- billing groups
  app.get('/v1/billing-groups', { schema: { ...doc('groups', 'Billing groups visible to the caller'), response: S.replies(200, R.groups) } }, async (req) => ({ items: service.listGroups(req.actor) }));

  app.post('/v1/billing-groups', { schema: { ...doc('groups', 'Create a sub billing group'), body: S.groupCreateBody, response: S.replies(201, R.groupWritten, 'Created') } }, async (req, reply) =>
    write(req, reply, () => service.createGroup(req.actor, req.body as GroupInput)),
  );

  app.get('/v1/billing-groups/:id', { schema: { ...doc('groups', 'One billing group (ETag)'), params: S.idParams, response: S.replies(200, R.group) } }, async (req, reply) => {
    const g = await service.getGroup(req.actor, (req.params as IdParams).id);
    reply.header('etag', etagOf(g));
    return g;
  });

  app.patch(
    '/v1/billing-groups/:id',
    { schema: { ...doc('groups', 'Change a billing group (If-Match)'), params: S.idParams, headers: S.ifMatchHeaders, body: S.groupPatchBody, response: S.replies(200, R.groupWritten) } },
    async (req, reply) => {
      const { id } = req.params as IdParams;
      const expected = parseIfMatch(req.headers['if-match']);
      return write(req, reply, () => service.updateGroup(req.actor, id, (req.body ?? {}) as Partial<GroupInput>, expected));
    },
  );

  app.delete(
    '/v1/billing-groups/:id',
    { schema: { ...doc('groups', 'Delete a sub billing group (confirmName)'), params: S.idParams, querystring: S.deleteQuery, response: { 204: { description: 'Deleted', type: 'null' }, '4xx': { $ref: 'Error#' } } } },
    async (req, reply) => {
      const { id } = req.params as IdParams;
      const { confirmName } = req.query as { confirmName?: string };
      return write(req, reply, () => service.deleteGroup(req.actor, id, confirmName));
    },
  );

  app.get('/v1/billing-groups/:id/projects', { schema: { ...doc('groups', 'Projects linked to a group'), params: S.idParams, response: S.replies(200, R.projects) } }, async (req) => ({
    items: await service.groupProjects(req.actor, (req.params as IdParams).id),
  }));

  // ---- projects and links
  app.get('/v1/projects', { schema: { ...doc('projects', 'Projects visible to the caller'), response: S.replies(200, R.projects) } }, async (req) => ({ items: service.listProjects(req.actor) }));
  app.get('/v1/projects/:id', { schema: { ...doc('projects', 'One project'), params: S.idParams, response: S.replies(200, R.project) } }, async (req) =>
    service.getProject(req.actor, (req.params as IdParams).id),
  );
  app.post('/v1/projects', { schema: { ...doc('projects', 'Create a project (lands in main)'), body: S.projectCreateBody, response: S.replies(201, R.projectWritten, 'Created') } }, async (req, reply) =>
    write(req, reply, () => service.createProject(req.actor, (req.body as { name: string }).name)),
  );
  app.put(
    '/v1/projects/:id/billing-group',
    { schema: { ...doc('projects', 'Link a project to a group'), params: S.idParams, body: S.linkBody, response: S.replies(200, R.link) } },
    async (req, reply) => {
      const { id } = req.params as IdParams;
      return write(req, reply, () => service.link(req.actor, id, req.body as { billingGroupId: string; allowTransfer?: boolean }));
    },
  );
  app.delete('/v1/projects/:id/billing-group', { schema: { ...doc('projects', 'Unlink a project (back to main)'), params: S.idParams, response: S.replies(200, R.link) } }, async (req, reply) => {
    const { id } = req.params as IdParams;
    return write(req, reply, () => service.unlink(req.actor, id));
  });

  // ---- users and permissions
  app.get('/v1/users', { schema: { ...doc('users', 'Users'), response: S.replies(200, R.list) } }, async (req) => ({ items: service.listUsers(req.actor) }));
  app.get('/v1/users/:id', { schema: { ...doc('users', 'One user'), params: S.idParams, response: S.replies(200, R.any) } }, async (req) =>
    service.getUser(req.actor, (req.params as IdParams).id),
  );
  app.post('/v1/users', { schema: { ...doc('users', 'Create a user (token shown once)'), body: S.userCreateBody, response: S.replies(201, R.written, 'Created') } }, async (req, reply) =>
    write(req, reply, () => service.createUser(req.actor, req.body as { email: string; name: string; role?: 'billing_admin' | null })),
  );
  app.get('/v1/billing-groups/:id/permissions', { schema: { ...doc('permissions', "A group's members"), params: S.idParams, response: S.replies(200, R.list) } }, async (req) => ({
    items: await service.groupPermissions(req.actor, (req.params as IdParams).id),
  }));
  app.put(
    '/v1/billing-groups/:id/permissions/:userId',
    { schema: { ...doc('permissions', 'Grant a membership (idempotent)'), params: S.groupUserParams, response: S.replies(200, R.written) } },
    async (req, reply) => {
      const { id, userId } = req.params as { id: string; userId: string };
      return write(req, reply, () => service.grant(req.actor, id, userId));
    },
  );
  app.delete(
    '/v1/billing-groups/:id/permissions/:userId',
    { schema: { ...doc('permissions', 'Revoke a membership'), params: S.groupUserParams, response: S.replies(200, R.written) } },
    async (req, reply) => {
      const { id, userId } = req.params as { id: string; userId: string };
      return write(req, reply, () => service.revoke(req.actor, id, userId));
    },
  );

  // ---- credits
  app.get('/v1/billing-groups/:id/credits', { schema: { ...doc('credits', "A group's credits"), params: S.idParams, response: S.replies(200, R.list) } }, async (req) => ({
    items: await service.groupCredits(req.actor, (req.params as IdParams).id),
  }));
  app.post(
    '/v1/billing-groups/:id/credits',
    { schema: { ...doc('credits', 'Claim a credit code'), params: S.idParams, body: S.creditBody, response: S.replies(201, R.written, 'Created') } },
    async (req, reply) => {
      const { id } = req.params as IdParams;
      return write(req, reply, () => service.claimCredit(req.actor, id, (req.body as { code: string }).code));
    },
  );
  app.post(
    '/v1/billing-groups/:id/credits/:creditId/refund',
    { schema: { ...doc('credits', 'Refund a paid credit'), params: S.groupCreditParams, response: S.replies(200, R.written) } },
    async (req, reply) => {
      const { id, creditId } = req.params as { id: string; creditId: string };
      return write(req, reply, () => service.refundCredit(req.actor, id, creditId));
    },
  );

  // ---- usage, periods, invoices
  app.post('/v1/usage', { schema: { ...doc('usage', 'Record usage'), body: S.usageBody, response: S.replies(201, R.written, 'Created') } }, async (req, reply) =>
    write(req, reply, () => service.recordUsage(req.actor, req.body as { projectId: string; service: string; amount: number; at?: string })),
  );
  app.post(
    '/v1/billing-periods/:period/close',
    { schema: { ...doc('invoices', "Invoice a month's unbilled usage"), params: S.periodParams, response: S.replies(200, R.written) } },
    async (req, reply) => {
      const { period } = req.params as { period: string };
      return write(req, reply, () => service.closePeriod(req.actor, period));
    },
  );
  app.get('/v1/billing-groups/:id/invoices', { schema: { ...doc('invoices', "A group's invoices"), params: S.idParams, response: S.replies(200, R.list) } }, async (req) => ({
    items: await service.groupInvoices(req.actor, (req.params as IdParams).id),
  }));
  app.get(
    '/v1/invoices/:id',
    {
      schema: {
        ...doc('invoices', 'One invoice (JSON or CSV)'),
        params: S.idParams,
        querystring: S.invoiceQuery,
        response: { 200: { description: 'The invoice (JSON, or text/csv with ?format=csv)', ...R.any }, '4xx': { $ref: 'Error#' } },
      },
    },
    async (req, reply) => {
      const inv = await service.getInvoice(req.actor, (req.params as IdParams).id);
      if ((req.query as { format?: string }).format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${inv.id}.csv"`)
          .send(invoiceCsv(inv));
      }
      return inv;
    },
  );
  app.post('/v1/invoices/:id/pay', { schema: { ...doc('invoices', 'Mark an invoice paid'), params: S.idParams, response: S.replies(200, R.written) } }, async (req, reply) => {
    const { id } = req.params as IdParams;
    return write(req, reply, () => service.payInvoice(req.actor, id));
  });

  // ---- events
  app.get(
    '/v1/billing-groups/:id/events',
    { schema: { ...doc('events', "A group's event log, newest first"), params: S.idParams, querystring: S.eventsQuery, response: S.replies(200, R.list) } },
    async (req: FastifyRequest) => {
      const q = req.query as { limit?: string; cursor?: string };
      const limit = q.limit === undefined ? EVENTS_DEFAULT_LIMIT : Number(q.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > EVENTS_MAX_LIMIT) {
        throw badRequest(`limit must be an integer from 1 to ${EVENTS_MAX_LIMIT} (got ${JSON.stringify(q.limit)}).`, { path: ['limit'] });
      }
      return service.groupEvents(req.actor, (req.params as IdParams).id, limit, q.cursor);
    },
  );

  // ---- change sets (whole-change apply, SPEC §6)
  const changeSets = new ChangeSets(service);
  app.post('/v1/change-sets', { schema: { ...doc('plan', "Register a plan's whole change"), body: S.changeSetBody, response: S.replies(201, R.any, 'Created') } }, async (req, reply) =>
    write(req, reply, () => changeSets.register(req.actor, req.body as { workspace: string; managedBy?: string; entries: ChangeSetEntry[] })),
  );
  app.get('/v1/change-sets', { schema: { ...doc('plan', "A workspace's change sets, newest first"), querystring: S.changeSetQuery, response: S.replies(200, R.list) } }, async (req) => {
    const q = req.query as { workspace: string; status?: ChangeSetStatus };
    return { items: await changeSets.list(req.actor, q.workspace, q.status) };
  });
  app.get('/v1/change-sets/:id', { schema: { ...doc('plan', 'One change set'), params: S.idParams, response: S.replies(200, R.any) } }, async (req) =>
    changeSets.get(req.actor, (req.params as IdParams).id),
  );
  app.post('/v1/change-sets/:id/apply', { schema: { ...doc('plan', 'Apply a change set whole, or nothing'), params: S.idParams, response: { 200: { description: 'Applied', ...R.any }, '4xx': { $ref: 'Error#' } } } }, async (req, reply) =>
    write(req, reply, () => changeSets.apply(req.actor, (req.params as IdParams).id)),
  );

  // ---- plan
  app.post('/v1/plan', { schema: { ...doc('plan', 'Dry-run a change list against the rules'), body: S.planBody, response: S.replies(200, R.plan) } }, async (req) =>
    // confirmName is accepted on planned deletes but not checked (SPEC §3).
    service.plan(req.actor, (req.body as { changes: Change[] }).changes.map((c) => (c.op === 'deleteGroup' ? { op: c.op, id: c.id } : c))),
  );
}
