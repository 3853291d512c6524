/**
 * `cloudbilling_main_billing_group`: the domain's main group (SPEC §5). It always exists,
 * so create adopts it (and applies the declared e-mails, payment method and details)
 * and destroy only forgets it, with a warning. Its name is the domain's and computed.
 *
 * Plan: the values Terraform shows; the change (an `updateGroup` of the main group: every
 * declared field on adopt, the changed ones on update) and its rules are judged with the
 * whole plan in lifecycle.ts, so a plan that gives main a payment method lets the sub
 * groups of the same plan through (MAIN_PAYMENT_REQUIRED), whatever the order.
 * Import id: anything; there is one main group per domain.
 */
import type { Group } from '../../client';
import { mainBillingGroup as definition } from '../../domain/resources';
import { checkGroupInput } from '../../domain/rules';
import { adapterDiagnostic } from '../../domain/messages';
import type { GroupInput } from '../../domain/types';
import { UNKNOWN, type ResourceHandler, type Values } from '../framework';
import { basePlan, isDestroy } from '../planning';
import {
  changedApiFields,
  definedOnly,
  detailsValue,
  enumDiagnostics,
  groupFields,
  importSkeleton,
  keepPaymentReference,
  liveState,
  paymentMethodValue,
  recordGroup,
} from './common';

const CHANGED_BY_UPDATE = ['version', 'projectCount', 'totalProjectCount'];

function mainState(g: Group): Values {
  return {
    billingEmails: [...g.billingEmails],
    invoiceEmails: [...g.invoiceEmails],
    paymentMethod: paymentMethodValue(g.paymentMethod),
    details: detailsValue(g.details),
    id: g.id,
    name: g.name,
    totalProjectCount: g.totalProjectCount ?? null,
    projectCount: g.projectCount,
    version: g.version,
  };
}

function apiChanges(before: Values, after: Values): (keyof GroupInput)[] {
  return changedApiFields('mainBillingGroup', before, after);
}

function forgotten(name: unknown) {
  return adapterDiagnostic('MAIN_GROUP_FORGOTTEN', { name });
}

export const mainBillingGroupResource: ResourceHandler = {
  definition,
  kind: 'mainBillingGroup',

  validate(config) {
    return [...checkGroupInput(groupFields('mainBillingGroup', config, ['billingEmails', 'invoiceEmails'])), ...enumDiagnostics(definition.attributes, config)];
  },

  async plan(req, ctx) {
    if (isDestroy(req)) return { planned: null, diagnostics: [forgotten(req.prior!.name)] };
    const state = await liveState(ctx);
    const planned = basePlan(definition, req, { knownOnCreate: { id: state.domain.mainGroupId, name: state.domain.name } })!;
    // Adopting main (no prior state) keeps the live main group's reference.
    const keep = req.prior ? (req.prior.paymentMethod as Values | null) : state.groups.find((g) => g.id === state.domain.mainGroupId)?.paymentMethod;
    const diagnostics = keepPaymentReference(planned, keep, state.domain.name);
    if (req.prior !== null && apiChanges(req.prior, planned).length > 0) for (const name of CHANGED_BY_UPDATE) planned[name] = UNKNOWN;
    return { planned, diagnostics };
  },

  async fromResult(result, _planned, ctx) {
    const live = await liveState(ctx);
    const g = result.group ?? live.groups.find((x) => x.id === live.domain.mainGroupId);
    if (!g) throw new Error('the main billing group is not in the live state');
    return mainState(g);
  },

  async create(planned, ctx) {
    const state = await liveState(ctx);
    const mainId = state.domain.mainGroupId;
    const current = await ctx.client.getGroup(mainId);
    if (!current) throw new Error(`The main billing group ${mainId} was not found`);
    const changed = apiChanges(mainState(current), planned);
    const g = changed.length === 0 ? current : await ctx.client.updateGroup(mainId, definedOnly(groupFields('mainBillingGroup', planned, changed)));
    await recordGroup(ctx, g);
    return { state: mainState(g) };
  },

  async read(_state, ctx) {
    const live = await liveState(ctx);
    const g = live.groups.find((x) => x.id === live.domain.mainGroupId);
    return g ? mainState(g) : null;
  },

  async update(prior, planned, ctx) {
    const changed = apiChanges(prior, planned);
    if (changed.length === 0) return { state: { ...planned } };
    const g = await ctx.client.updateGroup(prior.id as string, definedOnly(groupFields('mainBillingGroup', planned, changed)));
    await recordGroup(ctx, g);
    return { state: mainState(g) };
  },

  async delete(prior) {
    return { diagnostics: [forgotten(prior.name)] };
  },

  async importState(_id, ctx) {
    const live = await liveState(ctx);
    return importSkeleton(definition, { id: live.domain.mainGroupId });
  },
};
