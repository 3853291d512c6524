/**
 * `cloudbilling_project_link`: the billing group a project is in (SPEC §5). A project is
 * always in exactly one group, so the "link" is the project's `billingGroupId`: refresh
 * reads it live (a project moved outside Terraform shows as `~ billing_group_id`), and
 * destroying the link returns the project to the main group (a project that is already
 * there is left alone: nothing to undo).
 *
 * Plan: the values Terraform shows; the `link` (or `unlink`) change and its rules
 * (PROJECT_NOT_FOUND, GROUP_NOT_FOUND, TRANSFER_NOT_ACKNOWLEDGED, MAIN_UNLINK_FORBIDDEN,
 * LINK_EFFECTIVE_NEXT_MONTH) are judged with the whole plan in lifecycle.ts. Destroying a
 * link whose project was moved elsewhere outside Terraform leaves that move alone and
 * warns (LINK_MOVED_OUTSIDE): the group the link put it in is kept in Terraform's private
 * state (`keepApplied`), since refresh overwrites `billing_group_id` with the live group.
 * Import id: the project id; import sets `allow_transfer` to its default (false).
 */
import { isApiError } from '../../client/errors';
import { projectLink as definition } from '../../domain/resources';
import { UNKNOWN, type ProviderContext, type ResourceHandler, type Values } from '../framework';
import { basePlan, isDestroy, replaceNeeded, valuesEqual } from '../planning';
import { findProject, importSkeleton, liveState, recordLink } from './common';

/** The API's answers that mean "nothing to undo" when returning a project to main. */
const ALREADY_UNLINKED = new Set(['MAIN_UNLINK_FORBIDDEN', 'PROJECT_NOT_FOUND']);

export const projectLinkResource: ResourceHandler = {
  definition,
  kind: 'projectLink',
  keepApplied: ['billingGroupId'],

  async plan(req) {
    if (isDestroy(req)) return { planned: null };
    const planned = basePlan(definition, req)!;
    planned.id = planned.projectId;
    const prior = req.prior;
    if (prior === null) return { planned };
    // A new project_id replaces the link: this call stands for returning the old project
    // to main; Terraform plans the new link in a second call (as a create).
    const requiresReplace = replaceNeeded(definition, prior, req.config);
    if (requiresReplace.length > 0 || !valuesEqual(prior.billingGroupId, planned.billingGroupId)) {
      for (const name of ['previousBillingGroupId', 'effectiveFrom']) planned[name] = UNKNOWN;
    }
    return requiresReplace.length > 0 ? { planned, requiresReplace } : { planned };
  },

  async fromResult(result, planned, ctx) {
    // A link that did not move the project (allow_transfer alone changed) keeps what it had.
    if (result.link && result.link.billingGroupId !== result.link.previousBillingGroupId) return linkState(result.link, planned);
    const p = findProject(await liveState(ctx), planned.projectId);
    if (!p) throw new Error(`project ${String(planned.projectId)} is not in the live state`);
    return { ...planned, billingGroupId: p.billingGroupId, effectiveFrom: p.effectiveFrom, previousBillingGroupId: planned.previousBillingGroupId ?? null };
  },

  async create(planned, ctx) {
    return { state: await link(planned, ctx) };
  },

  async read(state, ctx) {
    const live = await liveState(ctx);
    const p = findProject(live, state.projectId);
    if (!p) return null;
    return {
      projectId: p.id,
      billingGroupId: p.billingGroupId,
      allowTransfer: state.allowTransfer === true,
      id: p.id,
      previousBillingGroupId: state.previousBillingGroupId ?? null,
      effectiveFrom: p.effectiveFrom,
    };
  },

  async update(prior, planned, ctx) {
    if (valuesEqual(prior.billingGroupId, planned.billingGroupId)) return { state: { ...planned } };
    return { state: await link(planned, ctx) };
  },

  async delete(prior, ctx) {
    try {
      const r = await ctx.client.unlinkProject(prior.projectId as string);
      await recordLink(ctx, r);
    } catch (e) {
      if (!(isApiError(e) && ALREADY_UNLINKED.has(e.code))) throw e;
    }
    return {};
  },

  async importState(id) {
    return importSkeleton(definition, { id, projectId: id, allowTransfer: false });
  },
};

async function link(planned: Values, ctx: ProviderContext): Promise<Values> {
  const r = await ctx.client.linkProject(planned.projectId as string, planned.billingGroupId as string, planned.allowTransfer === true);
  await recordLink(ctx, r);
  return linkState(r, planned);
}

function linkState(r: { projectId: string; billingGroupId: string; previousBillingGroupId?: string | null; effectiveFrom: string }, planned: Values): Values {
  return {
    projectId: r.projectId,
    billingGroupId: r.billingGroupId,
    allowTransfer: planned.allowTransfer === true,
    id: r.projectId,
    previousBillingGroupId: r.previousBillingGroupId ?? null,
    effectiveFrom: r.effectiveFrom,
  };
}
