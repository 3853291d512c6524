/**
 * `cloudbilling_group_permission`: a user's membership of a billing group (SPEC §5).
 * Both arguments replace on change; destroy revokes.
 *
 * Plan: a `grant` change (`revoke` on destroy and for the old membership of a
 * replacement) through the rules engine: USER_NOT_FOUND, GROUP_NOT_FOUND and the
 * USER_LOSES_BILLING_ACCESS warning. A revoked membership reads as gone (plan shows a
 * create). Import id: `GROUP_ID/USER_ID`.
 */
import { isApiError } from '../../client/errors';
import { groupPermission as definition } from '../../domain/resources';
import { adapterDiagnostic, messageOf } from '../../domain/messages';
import type { Change, Diagnostic } from '../../domain/types';
import { UNKNOWN, type ResourceHandler, type Values } from '../framework';
import { basePlan, isDestroy, replaceNeeded } from '../planning';
import { liveState, recordPermission, ruleDiagnostics, str } from './common';

function permissionId(billingGroupId: unknown, userId: unknown) {
  return typeof billingGroupId === 'string' && typeof userId === 'string' ? `${billingGroupId}/${userId}` : UNKNOWN;
}

function grantChange(v: Values): Change | null {
  const userId = str(v.userId);
  return userId === undefined ? null : { op: 'grant', userId, billingGroupId: str(v.billingGroupId) };
}

function state(billingGroupId: string, userId: string, createdAt: string | null): Values {
  return { billingGroupId, userId, id: `${billingGroupId}/${userId}`, createdAt };
}

export const groupPermissionResource: ResourceHandler = {
  definition,

  async plan(req, ctx) {
    const live = await liveState(ctx);
    const prior = req.prior;
    const revoke: Change | null = prior ? { op: 'revoke', userId: prior.userId as string, billingGroupId: prior.billingGroupId as string } : null;
    // A membership that is already gone (its group deleted, say) has nothing to revoke.
    const revocable = revoke !== null && live.permissions.some((p) => p.userId === prior!.userId && p.billingGroupId === prior!.billingGroupId);

    if (isDestroy(req)) {
      return { planned: null, diagnostics: revocable ? ruleDiagnostics(live, revoke!, definition, { destroy: true }) : [] };
    }

    const planned = basePlan(definition, req)!;
    planned.id = permissionId(planned.billingGroupId, planned.userId);
    if (prior === null) {
      const grant = grantChange(planned);
      return { planned, diagnostics: grant ? ruleDiagnostics(live, grant, definition) : [] };
    }
    const requiresReplace = replaceNeeded(definition, prior, req.config);
    if (requiresReplace.length === 0) return { planned, diagnostics: [] };
    planned.createdAt = UNKNOWN;
    // This call stands for revoking the old membership (the new one is planned as a create
    // in a second call); the grant is evaluated with it so that moving a user from one
    // group to another is not reported as losing access.
    let diagnostics: Diagnostic[] = [];
    if (revocable) {
      const grant = grantChange(planned);
      diagnostics = ruleDiagnostics(live, grant ? [revoke!, grant] : [revoke!], definition, { destroy: true, only: 0 });
    }
    return { planned, requiresReplace, diagnostics };
  },

  async create(planned, ctx) {
    const billingGroupId = planned.billingGroupId as string;
    const userId = planned.userId as string;
    const r = await ctx.client.grantPermission(billingGroupId, userId);
    let createdAt = r.createdAt ?? null;
    if (createdAt === null) {
      const p = (await ctx.client.listPermissions(billingGroupId)).find((x) => x.userId === userId);
      createdAt = p?.createdAt ?? null;
    }
    await recordPermission(ctx, userId, billingGroupId, createdAt);
    return { state: state(billingGroupId, userId, createdAt) };
  },

  async read(current, ctx) {
    const live = await liveState(ctx);
    const p = live.permissions.find((x) => x.userId === current.userId && x.billingGroupId === current.billingGroupId);
    return p ? state(p.billingGroupId, p.userId, p.createdAt) : null;
  },

  async update(_prior, planned) {
    // Every argument replaces on change: there is nothing to update in place.
    return { state: { ...planned } };
  },

  async delete(prior, ctx) {
    const billingGroupId = prior.billingGroupId as string;
    const userId = prior.userId as string;
    try {
      await ctx.client.revokePermission(billingGroupId, userId);
    } catch (e) {
      // The group, the user or the membership is gone already: nothing to revoke.
      if (!(isApiError(e) && e.status === 404)) throw e;
    }
    await recordPermission(ctx, userId, billingGroupId, null);
    return {};
  },

  async importState(id) {
    const parts = id.split('/');
    if (parts.length !== 2 || parts.some((p) => p.trim() === '')) {
      const d = adapterDiagnostic('IMPORT_ID_INVALID', { id, type: 'cloudbilling_group_permission', expected: 'GROUP_ID/USER_ID' });
      throw new Error(`${d.code}: ${messageOf(d)}`);
    }
    return state(parts[0], parts[1], null);
  },
};
