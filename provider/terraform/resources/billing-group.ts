/**
 * `cloudbilling_billing_group`: a sub billing group (SPEC §5).
 *
 * Plan: validate = name and e-mail checks from config alone; plan = the values Terraform
 * shows. What the change means (createGroup, updateGroup of the changed fields,
 * deleteGroup; a replacement is a delete and a create) and its rules are decided for
 * every resource alike in lifecycle.ts with the whole plan. `deletion_protection` is a
 * Terraform setting (`iacOnly`), not an API field: destroying or replacing a protected
 * group fails at plan and at apply. Import id: the group id; import sets
 * `deletion_protection` to its default (false).
 */
import type { Group } from '../../client';
import { isApiError } from '../../client/errors';
import { billingGroup as definition } from '../../domain/resources';
import { checkGroupInput } from '../../domain/rules';
import { apiFields } from '../../domain/change-model';
import { diagnostic } from '../../domain/messages';
import type { GroupInput } from '../../domain/types';
import { UNKNOWN, type ResourceHandler, type TfValue, type Values } from '../framework';
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
  recordGroupDeleted,
  str,
} from './common';

/** Computed attributes an update may change. */
const CHANGED_BY_UPDATE = ['version', 'updatedAt', 'projectCount'];

function apiChanges(before: Values, after: Values): (keyof GroupInput)[] {
  return changedApiFields('billingGroup', before, after);
}

/** A group as the API returns it → state. */
export function groupState(g: Group, deletionProtection: TfValue | undefined): Values {
  return {
    name: g.name,
    billingEmails: [...g.billingEmails],
    invoiceEmails: [...g.invoiceEmails],
    paymentMethod: paymentMethodValue(g.paymentMethod),
    details: detailsValue(g.details),
    deletionProtection: deletionProtection === true,
    id: g.id,
    type: g.type,
    projectCount: g.projectCount,
    version: g.version,
    createdAt: g.createdAt,
    updatedAt: g.updatedAt,
    createdBy: g.createdBy,
  };
}

export const billingGroupResource: ResourceHandler = {
  definition,
  kind: 'billingGroup',

  validate(config) {
    return [...checkGroupInput(groupFields('billingGroup', config, ['name', 'billingEmails', 'invoiceEmails'])), ...enumDiagnostics(definition.attributes, config)];
  },

  async plan(req) {
    if (isDestroy(req)) {
      return { planned: null, diagnostics: req.prior!.deletionProtection === true ? [diagnostic('DELETION_PROTECTED', { name: req.prior!.name })] : [] };
    }
    // A new group's id is reserved by lifecycle.ts at plan time (so links to it are known).
    const planned = basePlan(definition, req, { knownOnCreate: { type: 'sub' } })!;
    const diagnostics = keepPaymentReference(planned, req.prior?.paymentMethod as Values | null, planned.name);
    if (req.prior !== null && apiChanges(req.prior, planned).length > 0) for (const name of CHANGED_BY_UPDATE) planned[name] = UNKNOWN;
    return { planned, diagnostics };
  },

  async fromResult(result, planned, ctx) {
    const g = result.group ?? (await liveState(ctx)).groups.find((x) => x.id === planned.id);
    if (!g) throw new Error(`billing group ${String(planned.id)} is not in the applied change`);
    return groupState(g, planned.deletionProtection);
  },

  async create(planned, ctx) {
    const input = definedOnly(groupFields('billingGroup', planned, apiFields('billingGroup'))) as GroupInput;
    const g = await ctx.client.createGroup(input);
    await recordGroup(ctx, g);
    return { state: groupState(g, planned.deletionProtection) };
  },

  async read(state, ctx) {
    const live = await liveState(ctx);
    const g = live.groups.find((x) => x.id === state.id);
    return g ? groupState(g, state.deletionProtection) : null;
  },

  async update(prior, planned, ctx) {
    const changed = apiChanges(prior, planned);
    if (changed.length === 0) return { state: { ...planned } };
    const g = await ctx.client.updateGroup(str(prior.id)!, definedOnly(groupFields('billingGroup', planned, changed)));
    await recordGroup(ctx, g);
    return { state: groupState(g, planned.deletionProtection) };
  },

  async delete(prior, ctx) {
    if (prior.deletionProtection === true) return { diagnostics: [diagnostic('DELETION_PROTECTED', { name: prior.name })] };
    const id = str(prior.id)!;
    // Confirm with the live name: the state's may be stale (e.g. `destroy -refresh=false`).
    const live = await ctx.client.getGroup(id);
    if (live) {
      try {
        await ctx.client.deleteGroup(id, live.name);
      } catch (e) {
        if (!(isApiError(e) && e.status === 404)) throw e;
      }
    }
    await recordGroupDeleted(ctx, id);
    return {};
  },

  async importState(id) {
    return importSkeleton(definition, { id, deletionProtection: false });
  },
};
