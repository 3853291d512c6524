/**
 * Change sets: a whole IaC change, registered at plan time and applied at once (SPEC §6,
 * ADR 0005). Terraform applies one resource at a time in an order the provider does not
 * choose; the provider therefore registers every resource's planned §3 changes here under
 * one id when the plan walk ends, and the first `ApplyResourceChange` asks the API to apply
 * the whole set. The API judges the set as a whole against the live state and writes all
 * of it in one transaction, or nothing; later calls read the stored outcome.
 *
 * - One open set per workspace: registering a new plan supersedes the workspace's older
 *   open set, so an apply can never run a plan other than the one Terraform applies.
 * - Outcomes are stored: `applied` (with each entry's result) or `refused` (with the rule
 *   errors). Asking again answers the same, so parallel or repeated calls agree.
 * - An open set expires after 24 h (`CHANGE_SET_EXPIRED`); a superseded one answers
 *   `CHANGE_SET_SUPERSEDED`. Neither writes anything.
 * - A `createGroup` may carry the id reserved for the new group by the plan, so that other
 *   entries (links, grants) can name it and Terraform can show it at plan time.
 */
import type { Change, Diagnostic } from '../domain/types';
import { messageOf } from '../domain/messages';
import { evaluate } from '../domain/rules';
import { ApiError, badRequest, httpError } from './errors';
import { newId } from './ids';
import type { ChangeResult, ChangeSetDiagnostic, ChangeSetEntry, ChangeSetStatus, ChangeSetView } from '../client/types';
import type { BillingService, WriteResult } from './service';
export type { ChangeSetEntry, ChangeSetStatus, ChangeSetView };
import type { User } from '../domain/types';

export const CHANGE_SET_TTL_MS = 24 * 60 * 60 * 1000;
const GROUP_ID_RE = /^bg-[0-9a-f]{16}$/;

interface Row {
  id: string;
  workspace: string;
  managed_by: string;
  status: ChangeSetStatus;
  entries: string;
  result: string | null;
  created_at: string;
  expires_at: string;
  applied_at: string | null;
}

/** The flat change list of a set, and which entry each change came from. */
function flatten(entries: ChangeSetEntry[]): { changes: Change[]; keyOf: string[] } {
  const changes: Change[] = [];
  const keyOf: string[] = [];
  for (const e of entries) {
    if (e.pending) continue; // applied by its own resource at apply time
    for (const c of e.changes) (changes.push(c), keyOf.push(e.key));
  }
  return { changes, keyOf };
}

function diagnosticsOf(ds: Diagnostic[], keyOf: string[]): ChangeSetDiagnostic[] {
  return ds.map((d) => {
    const out: ChangeSetDiagnostic = { code: d.code, message: messageOf(d) };
    if (d.index !== undefined) out.key = keyOf[d.index];
    if (d.path !== undefined && d.path.length > 0) out.path = d.path;
    return out;
  });
}

export class ChangeSets {
  constructor(private readonly service: BillingService) {}

  private clock(): Date {
    return this.service.clock();
  }

  private get store() {
    return this.service.store;
  }

  private row(id: string): Promise<Row | undefined> {
    return this.store.get<Row>('SELECT * FROM change_sets WHERE id = ?', [id]);
  }

  private view(r: Row): ChangeSetView {
    const result = r.result ? (JSON.parse(r.result) as { errors?: ChangeSetDiagnostic[]; warnings?: ChangeSetDiagnostic[]; results?: Record<string, ChangeResult> }) : {};
    const out: ChangeSetView = {
      id: r.id,
      workspace: r.workspace,
      managedBy: r.managed_by,
      status: r.status,
      entries: JSON.parse(r.entries),
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      appliedAt: r.applied_at,
      errors: result.errors ?? [],
      warnings: result.warnings ?? [],
    };
    if (result.results) out.results = result.results;
    return out;
  }

  private async found(actor: User, id: string): Promise<Row> {
    this.service.requireAdmin(actor);
    const r = await this.row(id);
    if (!r) throw new ApiError(404, 'CHANGE_SET_NOT_FOUND', `Change set ${JSON.stringify(id)} does not exist. Run the plan again (terraform plan / apply).`);
    return r;
  }

  async get(actor: User, id: string): Promise<ChangeSetView> {
    return this.view(await this.found(actor, id));
  }

  /** The workspace's sets, newest first (at most 20). */
  async list(actor: User, workspace: string, status?: ChangeSetStatus): Promise<ChangeSetView[]> {
    this.service.requireAdmin(actor);
    const seq = this.store.seq;
    const rows = status
      ? await this.store.all<Row>(`SELECT * FROM change_sets WHERE workspace = ? AND status = ? ORDER BY ${seq} DESC LIMIT 20`, [workspace, status])
      : await this.store.all<Row>(`SELECT * FROM change_sets WHERE workspace = ? ORDER BY ${seq} DESC LIMIT 20`, [workspace]);
    return rows.map((r) => this.view(r));
  }

  /** `POST /v1/change-sets`: register a plan's whole change; supersedes the workspace's open set. */
  async register(actor: User, body: { workspace: string; managedBy?: string; entries: ChangeSetEntry[] }): Promise<WriteResult> {
    this.service.requireAdmin(actor);
    const keys = new Set<string>();
    const reserved = new Set<string>();
    for (const [i, e] of body.entries.entries()) {
      if (keys.has(e.key)) throw badRequest(`entries[${i}]: the key ${JSON.stringify(e.key)} is used twice. Each entry needs its own key.`, { path: ['entries', i, 'key'] });
      keys.add(e.key);
      for (const [j, c] of e.changes.entries()) {
        if (c.op !== 'createGroup' || c.id === undefined) continue;
        const path = ['entries', i, 'changes', j, 'id'];
        if (!GROUP_ID_RE.test(c.id)) throw badRequest(`A reserved group id looks like bg- and 16 hex digits (got ${JSON.stringify(c.id)}).`, { path });
        const taken = reserved.has(c.id) || (await this.store.get('SELECT 1 AS one FROM billing_groups WHERE id = ?', [c.id])) !== undefined;
        if (taken) throw httpError(409, `The reserved group id ${c.id} is already used. Run the plan again for new ids.`, { path });
        reserved.add(c.id);
      }
    }
    const now = this.clock();
    const { changes, keyOf } = flatten(body.entries);
    const verdict = evaluate(await this.store.stateWithFinance(), changes, { actor: { id: actor.id, role: actor.role }, now });
    const at = now.toISOString();
    await this.store.run("UPDATE change_sets SET status = 'superseded' WHERE workspace = ? AND status = 'open'", [body.workspace]);
    const id = newId('changeSet');
    const result = { errors: diagnosticsOf(verdict.errors, keyOf), warnings: diagnosticsOf(verdict.warnings, keyOf) };
    await this.store.run(
      "INSERT INTO change_sets (id, workspace, managed_by, status, entries, result, created_by, created_at, expires_at) VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?)",
      [id, body.workspace, body.managedBy ?? body.workspace, JSON.stringify(body.entries), JSON.stringify(result), actor.id, at, new Date(now.getTime() + CHANGE_SET_TTL_MS).toISOString()],
    );
    return { status: 201, body: { ...this.view((await this.row(id))!), warnings: result.warnings }, headers: { location: `/v1/change-sets/${id}` } };
  }

  /**
   * `POST /v1/change-sets/{id}/apply`: the whole set or nothing. The first call decides and
   * stores the outcome; every later call answers it again.
   */
  async apply(actor: User, id: string): Promise<WriteResult> {
    const r = await this.found(actor, id);
    const now = this.clock();
    if (r.status === 'applied') return { status: 200, body: this.view(r) };
    if (r.status === 'refused') return refusal(this.view(r));
    if (r.status === 'superseded') {
      throw new ApiError(409, 'CHANGE_SET_SUPERSEDED', `Change set ${id} was replaced by a newer plan of the same workspace (${r.workspace}); nothing was applied. Run terraform plan (or apply) again.`);
    }
    if (Date.parse(r.expires_at) < now.getTime()) {
      throw new ApiError(409, 'CHANGE_SET_EXPIRED', `Change set ${id} was planned at ${r.created_at} and expired after 24 h; nothing was applied. Run terraform plan (or apply) again.`);
    }
    const entries = JSON.parse(r.entries) as ChangeSetEntry[];
    const { changes, keyOf } = flatten(entries);
    // Every object the set writes is marked as managed by the workspace that planned it.
    const outcome = await this.service.applyChanges({ ...actor, managedBy: r.managed_by }, changes);
    const warnings = diagnosticsOf(outcome.warnings, keyOf);
    if (outcome.errors.length > 0) {
      const result = { errors: diagnosticsOf(outcome.errors, keyOf), warnings };
      await this.store.run("UPDATE change_sets SET status = 'refused', result = ? WHERE id = ?", [JSON.stringify(result), id]);
      return refusal(this.view((await this.row(id))!));
    }
    const results: Record<string, ChangeResult> = {};
    outcome.results.forEach((res, i) => (results[keyOf[i]] = { ...results[keyOf[i]], ...res }));
    await this.store.run("UPDATE change_sets SET status = 'applied', result = ?, applied_at = ? WHERE id = ?", [JSON.stringify({ errors: [], warnings, results }), now.toISOString(), id]);
    return { status: 200, body: this.view((await this.row(id))!) };
  }
}

/** A refused set: 409 in the API's error shape, the first rule as the code, every error in `violations`. */
function refusal(v: ChangeSetView): WriteResult {
  const first = v.errors[0];
  return {
    status: 409,
    body: {
      error: {
        code: first?.code ?? 'CHANGE_SET_REFUSED',
        message: `The whole change was refused; nothing was applied. ${first?.message ?? ''}`.trim(),
        details: { changeSet: v.id, violations: v.errors },
      },
    },
  };
}
