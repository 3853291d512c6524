/**
 * `cloudbilling_billing_group`: a sub billing group (SPEC §5).
 *
 * Plan: validate = name and e-mail checks from config alone; plan = the SPEC §3 change
 * (`createGroup`, `updateGroup` with the changed fields, `deleteGroup`) evaluated against
 * the live view, so NAME_TAKEN, MAIN_PAYMENT_REQUIRED, MAIN_GROUP_IMMUTABLE_NAME (the
 * main group imported into this resource), MAIN_GROUP_UNDELETABLE, the DELETE_* rules and
 * their warnings show before anything is applied. `deletion_protection` is a Terraform
 * setting, not an API field: destroying or replacing a protected group fails at plan
 * and at apply. A replacement (`-replace`, taint) is planned by Terraform as an in-place
 * plan followed by a create with the same config; the create recognises it (see
 * `noteInPlacePlan` in common.ts) and checks the delete rules of the group it replaces.
 * Import id: the group id; import sets `deletion_protection` to its default (false).
 */
import type { Group } from '../../client';
import { isApiError } from '../../client/errors';
import { billingGroup as definition } from '../../domain/resources';
import { checkGroupInput } from '../../domain/rules';
import { diagnostic } from '../../domain/messages';
import type { Change, Diagnostic, GroupInput } from '../../domain/types';
import { UNKNOWN, type ResourceHandler, type TfValue, type Values } from '../framework';
import { basePlan, isDestroy } from '../planning';
import {
  changedApiFields,
  definedOnly,
  detailsValue,
  enumDiagnostics,
  groupFields,
  importSkeleton,
  liveState,
  mainPaymentPlanned,
  noteInPlacePlan,
  paymentMethodValue,
  recordGroup,
  recordGroupDeleted,
  replacedBy,
  ruleDiagnostics,
  str,
} from './common';

/** The attributes the API stores (everything else is computed or Terraform-only). */
const API_FIELDS = ['name', 'billingEmails', 'invoiceEmails', 'paymentMethod', 'details'] as const satisfies readonly (keyof GroupInput)[];
/** Computed attributes an update may change. */
const CHANGED_BY_UPDATE = ['version', 'updatedAt', 'projectCount'];

function apiChanges(before: Values, after: Values): (keyof GroupInput)[] {
  return changedApiFields(definition, API_FIELDS, before, after);
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

  validate(config) {
    return [...checkGroupInput(groupFields(config, ['name', 'billingEmails', 'invoiceEmails'])), ...enumDiagnostics(definition.attributes, config)];
  },

  async plan(req, ctx) {
    const state = await liveState(ctx);
    if (isDestroy(req)) {
      const prior = req.prior!;
      const diagnostics: Diagnostic[] = [];
      if (prior.deletionProtection === true) diagnostics.push(diagnostic('DELETION_PROTECTED', { name: prior.name }));
      const id = str(prior.id);
      if (id && state.groups.some((g) => g.id === id)) {
        diagnostics.push(...ruleDiagnostics(state, { op: 'deleteGroup', id }, definition, { destroy: true }));
      }
      return { planned: null, diagnostics };
    }

    const planned = basePlan(definition, req, { knownOnCreate: { type: 'sub' } })!;
    if (req.prior === null) {
      const create: Change = { op: 'createGroup', group: groupFields(planned, API_FIELDS) as GroupInput };
      const rulesState = await mainPaymentPlanned(ctx, state);
      const replaced = await replacedBy(ctx, req.config);
      const replacedId = replaced && str(replaced.id);
      if (!replacedId || !state.groups.some((g) => g.id === replacedId)) {
        return { planned, diagnostics: ruleDiagnostics(rulesState, create, definition).map(withDependsOnHint) };
      }
      // Replacing an existing group: it is deleted first, so its delete rules apply and its name is free.
      const changes: Change[] = [{ op: 'deleteGroup', id: replacedId }, create];
      const diagnostics: Diagnostic[] = [];
      if (replaced!.deletionProtection === true) diagnostics.push(diagnostic('DELETION_PROTECTED', { name: replaced!.name }));
      diagnostics.push(...ruleDiagnostics(rulesState, changes, definition, { destroy: true, only: 0 }));
      diagnostics.push(...ruleDiagnostics(rulesState, changes, definition, { only: 1 }));
      return { planned, diagnostics };
    }
    await noteInPlacePlan(ctx, req.config, req.prior);

    const changed = apiChanges(req.prior, planned);
    if (changed.length === 0) return { planned, diagnostics: [] };
    for (const name of CHANGED_BY_UPDATE) planned[name] = UNKNOWN;
    const id = str(req.prior.id)!;
    const diagnostics = ruleDiagnostics(state, { op: 'updateGroup', id, group: groupFields(planned, changed) }, definition);
    return { planned, diagnostics };
  },

  async create(planned, ctx) {
    const input = definedOnly(groupFields(planned, API_FIELDS)) as GroupInput;
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
    const g = await ctx.client.updateGroup(str(prior.id)!, definedOnly(groupFields(planned, changed)));
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

/**
 * MAIN_PAYMENT_REQUIRED in Terraform: a payment method this configuration sets on
 * `cloudbilling_main_billing_group` counts only when Terraform plans the main group first,
 * which `depends_on` makes sure of. Say so, since that is the usual fix in one configuration.
 */
function withDependsOnHint(d: Diagnostic): Diagnostic {
  if (d.code !== 'MAIN_PAYMENT_REQUIRED') return d;
  return {
    ...d,
    detail: `${d.detail} If this configuration sets it on cloudbilling_main_billing_group, add depends_on = [cloudbilling_main_billing_group.<name>] to this group so that Terraform sets it first.`,
  };
}
