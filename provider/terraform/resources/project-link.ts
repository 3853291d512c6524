/**
 * `cloudbilling_project_link`: the billing group a project is in (SPEC §5). A project is
 * always in exactly one group, so the "link" is the project's `billingGroupId`: refresh
 * reads it live (a project moved outside Terraform shows as `~ billing_group_id`), and
 * destroying the link returns the project to the main group (a project that is already
 * there is left alone: nothing to undo).
 *
 * Plan: a `link` change (`unlink` on destroy) through the rules engine against the live
 * view: PROJECT_NOT_FOUND, GROUP_NOT_FOUND, TRANSFER_NOT_ACKNOWLEDGED, MAIN_UNLINK_FORBIDDEN
 * and the LINK_EFFECTIVE_NEXT_MONTH warning. A `billing_group_id` not known until apply
 * (a group created in the same plan) is skipped, never guessed.
 * Import id: the project id; import sets `allow_transfer` to its default (false).
 */
import { isApiError } from '../../client/errors';
import { projectLink as definition } from '../../domain/resources';
import type { Change, Diagnostic } from '../../domain/types';
import { UNKNOWN, type ProviderContext, type ResourceHandler, type Values } from '../framework';
import { basePlan, isDestroy, replaceNeeded, valuesEqual } from '../planning';
import { findProject, importSkeleton, liveState, recordLink, ruleDiagnostics, str } from './common';

/** The API's answers that mean "nothing to undo" when returning a project to main. */
const ALREADY_UNLINKED = new Set(['MAIN_UNLINK_FORBIDDEN', 'PROJECT_NOT_FOUND']);

function linkChange(v: Values): Change | null {
  const projectId = str(v.projectId);
  if (projectId === undefined) return null;
  return { op: 'link', projectId, billingGroupId: str(v.billingGroupId), allowTransfer: v.allowTransfer === true };
}

export const projectLinkResource: ResourceHandler = {
  definition,

  async plan(req, ctx) {
    const state = await liveState(ctx);
    if (isDestroy(req)) {
      const project = findProject(state, req.prior!.projectId);
      // Already in main (or gone): destroying the link changes nothing.
      if (!project || project.billingGroupId === state.domain.mainGroupId) return { planned: null, diagnostics: [] };
      return { planned: null, diagnostics: ruleDiagnostics(state, { op: 'unlink', projectId: project.id }, definition, { destroy: true }) };
    }

    const planned = basePlan(definition, req)!;
    const prior = req.prior;
    if (prior === null) {
      planned.id = planned.projectId;
      const change = linkChange(planned);
      return { planned, diagnostics: change ? ruleDiagnostics(state, change, definition) : [] };
    }

    const requiresReplace = replaceNeeded(definition, prior, req.config);
    if (requiresReplace.length > 0) {
      // Replaced: this call stands for returning the old project to main; Terraform plans
      // the new link in a second call (as a create), which reports its own rules.
      const old = findProject(state, prior.projectId);
      const diagnostics: Diagnostic[] =
        old && old.billingGroupId !== state.domain.mainGroupId
          ? ruleDiagnostics(state, { op: 'unlink', projectId: old.id }, definition, { destroy: true })
          : [];
      planned.id = planned.projectId;
      for (const name of ['previousBillingGroupId', 'effectiveFrom']) planned[name] = UNKNOWN;
      return { planned, requiresReplace, diagnostics };
    }

    if (valuesEqual(prior.billingGroupId, planned.billingGroupId)) return { planned, diagnostics: [] };
    for (const name of ['previousBillingGroupId', 'effectiveFrom']) planned[name] = UNKNOWN;
    const change = linkChange(planned);
    return { planned, diagnostics: change ? ruleDiagnostics(state, change, definition) : [] };
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
  return {
    projectId: r.projectId,
    billingGroupId: r.billingGroupId,
    allowTransfer: planned.allowTransfer === true,
    id: r.projectId,
    previousBillingGroupId: r.previousBillingGroupId ?? null,
    effectiveFrom: r.effectiveFrom,
  };
}
