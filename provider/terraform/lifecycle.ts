/**
 * Plan and apply of one resource instance, the way every resource goes through them
 * (SPEC §6; docs/adr/0005-whole-change-apply.md):
 *
 * - `planResource`: the handler plans the values Terraform shows (planning.ts rules) and
 *   says what it means in the one change model; that becomes §3 changes
 *   (domain/change-model.ts), an entry of the process's change session, and the rules of
 *   the whole change seen so far. A new billing group gets its id here, at plan time.
 * - `applyResource`: the first resource applied asks the Billing API to apply the whole
 *   registered change; each resource then takes its own result from that one outcome.
 *   Nothing is written when the API refuses it. A resource whose change held a value
 *   known only at apply is applied on its own by the handler (documented limitation).
 *
 * Keys name the object an entry changes and are the same in the plan and the apply
 * process: the group id (a new group's normalised name), `main`, the project id, the
 * membership.
 */
import { randomBytes } from 'node:crypto';
import type { ChangeResult } from '../client';
import { hasUnknown, resourceChanges, type ResourceAction } from '../domain/change-model';
import { diagnostic } from '../domain/messages';
import { valuesEqual } from './planning';
import { normalizeName } from '../domain/rules';
import type { Diagnostic } from '../domain/types';
import { isUnknown, type PlanRequest, type PlanResult, type ProviderContext, type ResourceHandler, type TfValue, type Values } from './framework';
import type { SessionEntry } from './change-session';
import { findProject, liveState, modelValues, recordGroup, recordGroupDeleted, recordLink, recordPermission } from './resources/common';

const known = (v: TfValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** The change-set key of the object `values` describe (prior state, or the planned state of a create). */
export function entryKey(h: ResourceHandler, values: Values, creating: boolean): string | undefined {
  switch (h.kind) {
    case 'billingGroup': {
      if (!creating) return known(values.id) && `group:${String(values.id)}`;
      const name = known(values.name);
      return name === undefined ? undefined : `group:new:${normalizeName(name)}`;
    }
    case 'mainBillingGroup':
      return 'main';
    case 'projectLink':
      return known(values.projectId) && `link:${String(values.projectId)}`;
    case 'groupPermission': {
      const g = known(values.billingGroupId);
      const u = known(values.userId);
      return g && u ? `perm:${g}/${u}` : undefined;
    }
  }
}

export async function planResource(h: ResourceHandler, req: PlanRequest, ctx: ProviderContext): Promise<PlanResult> {
  const result = await h.plan(req, ctx);
  const diagnostics: Diagnostic[] = [...(result.diagnostics ?? [])];
  const removing = req.proposed === null || (req.prior !== null && (result.requiresReplace ?? []).length > 0);
  const action: ResourceAction = removing ? 'delete' : req.prior === null ? 'create' : 'update';
  const planned = result.planned;
  const session = ctx.session;
  // This call stands for the removal of a replaced object; Terraform plans its successor in a second call.
  const keyValues = action === 'create' ? planned! : req.prior!;
  const key = entryKey(h, keyValues, action === 'create');
  if (action === 'create' && h.kind === 'billingGroup' && planned && isUnknown(planned.id) && key) planned.id = await session.reservedId(key);

  const live = await liveState(ctx);
  const view = { domain: live.domain, groups: live.groups, permissions: live.permissions, findProject: (id: string) => findProject(live, id) };
  const priv = req.priorPrivate ?? {};
  // A destroy undoes what this configuration applied, not what a refresh found (keepApplied).
  const before = action === 'delete' && req.prior && priv.applied ? ({ ...req.prior, ...priv.applied } as Values) : req.prior;
  const { changes, notes } = resourceChanges({ kind: h.kind, action, before: modelValues(before), after: modelValues(action === 'delete' ? null : planned) }, view);
  diagnostics.push(...notes);
  const act = action === 'delete' ? 'delete' : action === 'create' ? 'create' : 'update';
  // Terraform shows no change for it (and will not apply it): it only declares its object.
  const noop = action === 'update' && planned !== null && valuesEqual(req.prior, planned);
  const entry: SessionEntry = { key: key ?? `unknown:${Math.random()}`, action: act, changes, pending: key === undefined || hasUnknown(changes), noop };
  const inPlace = action === 'update' ? randomBytes(8).toString('hex') : undefined;
  if (inPlace) session.noteInPlace(inPlace, entry, req.prior!);
  const replaced = action === 'create' && priv.inPlace ? session.inPlaceFor(priv.inPlace) : undefined;
  let removal: SessionEntry | undefined;
  if (replaced) {
    // The create is the successor of an object Terraform replaces (`-replace`): the object is
    // removed (a group deleted; a link or membership is the same object and simply stays).
    if (replaced.prior.deletionProtection === true) diagnostics.push(diagnostic('DELETION_PROTECTED', { name: replaced.prior.name }));
    if (replaced.entry.key === entry.key) session.remove(replaced.entry);
    else {
      removal = { key: replaced.entry.key, action: 'delete', changes: resourceChanges({ kind: h.kind, action: 'delete', before: modelValues(replaced.prior as Values), after: null }, view).changes, pending: false };
      session.add(removal, replaced.entry);
    }
  }
  session.add(entry);
  if (removing && req.proposed !== null && planned) {
    // A replacement's in-place call: its successor is planned by Terraform in a second call;
    // judge the removal with it already (a membership moved, not lost), that call takes its place.
    const next = resourceChanges({ kind: h.kind, action: 'create', before: null, after: modelValues(planned) }, view).changes;
    const nextKey = entryKey(h, planned, true);
    if (nextKey) session.add({ key: nextKey, action: 'create', changes: next, pending: hasUnknown(next), provisional: true });
  }
  const judged = async (e: SessionEntry, destroy: boolean) =>
    e.changes.length > 0 && !(await session.alreadyApplied(e)) ? (await session.judge(e, live)).map((d) => pathIn(h, d, destroy)) : [];
  if (removal) diagnostics.push(...(await judged(removal, true)));
  diagnostics.push(...(await judged(entry, action === 'delete')));
  if (diagnostics.some((d) => d.severity === 'error')) session.planFailed();
  return { ...result, diagnostics, private: { ...(priv.applied ? { applied: priv.applied } : {}), ...(inPlace ? { inPlace } : {}) } };
}

/** A diagnostic's path is kept only when it names an attribute of this resource (and never on destroy). */
function pathIn(h: ResourceHandler, d: Diagnostic, destroy: boolean): Diagnostic {
  if (!d.path) return d;
  const ok = !destroy && typeof d.path[0] === 'string' && d.path[0] in h.definition.attributes;
  if (ok) return d;
  const { path: _p, ...rest } = d;
  return rest;
}

export interface ApplyOutcome {
  state: Values | null;
  diagnostics: Diagnostic[];
}

export async function applyResource(h: ResourceHandler, prior: Values | null, planned: Values | null, ctx: ProviderContext): Promise<ApplyOutcome> {
  const creating = prior === null;
  const key = entryKey(h, creating ? planned! : prior!, creating);
  const act = planned === null ? 'delete' : creating ? 'create' : 'update';
  const outcome = key === undefined ? { kind: 'pending' as const } : await ctx.session.outcomeFor(key, act);
  switch (outcome.kind) {
    case 'pending':
      return classic(h, prior, planned, ctx);
    case 'missing':
    case 'refused':
      return { state: prior, diagnostics: outcome.diagnostics };
    case 'local':
    case 'applied': {
      const result: ChangeResult = outcome.kind === 'applied' ? outcome.result : {};
      if (outcome.kind === 'applied') await fold(h, result, prior, planned, ctx);
      if (planned === null) return { state: null, diagnostics: [] };
      return { state: await h.fromResult(result, planned, ctx), diagnostics: [] };
    }
  }
}

/** Fold what the applied change did to this resource's object into the process's live view (later reads see it). */
async function fold(h: ResourceHandler, result: ChangeResult, prior: Values | null, planned: Values | null, ctx: ProviderContext): Promise<void> {
  if (result.group) await recordGroup(ctx, result.group);
  if (result.link) await recordLink(ctx, result.link);
  if (result.permission) await recordPermission(ctx, result.permission.userId, result.permission.billingGroupId, result.permission.createdAt);
  if (planned === null && prior !== null) {
    if (h.kind === 'billingGroup' && typeof prior.id === 'string') await recordGroupDeleted(ctx, prior.id);
    if (h.kind === 'groupPermission') await recordPermission(ctx, prior.userId as string, prior.billingGroupId as string, null);
  }
}

/** The handler's own create/update/delete: for a change the set could not hold. */
async function classic(h: ResourceHandler, prior: Values | null, planned: Values | null, ctx: ProviderContext): Promise<ApplyOutcome> {
  if (planned === null) {
    const r = await h.delete(prior!, ctx);
    const diagnostics = r.diagnostics ?? [];
    return { state: diagnostics.some((d) => d.severity === 'error') ? prior : null, diagnostics };
  }
  const r = prior === null ? await h.create(planned, ctx) : await h.update(prior, planned, ctx);
  return { state: r.state, diagnostics: r.diagnostics ?? [] };
}

