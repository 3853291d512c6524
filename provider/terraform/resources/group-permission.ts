/**
 * `cloudbilling_group_permission`: a user's membership of a billing group (SPEC §5).
 * Both arguments replace on change; destroy revokes.
 *
 * Plan: the values Terraform shows; the `grant`/`revoke` changes and their rules
 * (USER_NOT_FOUND, GROUP_NOT_FOUND, USER_LOSES_BILLING_ACCESS) are judged with the whole
 * plan in lifecycle.ts. A revoked membership reads as gone (plan shows a create). Import id: `GROUP_ID/USER_ID`.
 */
import { isApiError } from '../../client/errors';
import { groupPermission as definition } from '../../domain/resources';
import { adapterDiagnostic, messageOf } from '../../domain/messages';
import { UNKNOWN, type ResourceHandler, type Values } from '../framework';
import { basePlan, isDestroy, replaceNeeded } from '../planning';
import { liveState, recordPermission } from './common';

function permissionId(billingGroupId: unknown, userId: unknown) {
  return typeof billingGroupId === 'string' && typeof userId === 'string' ? `${billingGroupId}/${userId}` : UNKNOWN;
}

function state(billingGroupId: string, userId: string, createdAt: string | null): Values {
  return { billingGroupId, userId, id: `${billingGroupId}/${userId}`, createdAt };
}

export const groupPermissionResource: ResourceHandler = {
  definition,
  kind: 'groupPermission',

  async plan(req) {
    if (isDestroy(req)) return { planned: null };
    const planned = basePlan(definition, req)!;
    planned.id = permissionId(planned.billingGroupId, planned.userId);
    if (req.prior === null) return { planned };
    // Both arguments replace: this call stands for revoking the old membership; the new one
    // is planned as a create in a second call.
    const requiresReplace = replaceNeeded(definition, req.prior, req.config);
    if (requiresReplace.length === 0) return { planned };
    planned.createdAt = UNKNOWN;
    return { planned, requiresReplace };
  },

  async fromResult(result, planned, ctx) {
    const p = result.permission ?? (await liveState(ctx)).permissions.find((x) => x.userId === planned.userId && x.billingGroupId === planned.billingGroupId);
    return state(planned.billingGroupId as string, planned.userId as string, p?.createdAt ?? null);
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
