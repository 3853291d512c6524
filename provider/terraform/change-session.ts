/**
 * The change set of one provider process (SPEC §6, docs/adr/0005-whole-change-apply.md).
 *
 * Terraform plans and applies one resource at a time and gives the provider no view of
 * the whole plan. This object is that view, for the process Terraform starts per walk:
 *
 * - Plan walk: every PlanResourceChange adds its resource's §3 changes as an entry under
 *   a key that is stable between plan and apply (the object's id; a new group's name).
 *   `judge` evaluates the entries seen so far as a whole, so the 31st group, a second
 *   group of one name or a second link of one project fail the plan with their code.
 *   When the Terraform process ends the walk (Shutdown), `flush` registers the entries
 *   with the Billing API as one change set of this workspace (superseding older open ones).
 * - Apply walk: the first ApplyResourceChange asks the API to apply the workspace's open
 *   change set whole; every call answers from that one outcome (`outcomeFor`).
 *
 * New groups get their id at plan time (`reservedId`, reused from the open set when the
 * same group is planned again), so links and permissions that name them are known at
 * plan time and belong to the same atomic change.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BillingClient, ChangeResult, ChangeSetView } from '../client';
import { isApiError } from '../client/errors';
import { adapterDiagnostic, refusedAtApply } from '../domain/messages';
import { evaluate } from '../domain/rules';
import type { Change, Diagnostic, DomainState } from '../domain/types';
import { log } from './protocol/log';

/** Whole-plan rules that later resources of the same plan may still resolve: judged after the walk goes quiet. */
const RESOLVABLE_LATER = new Set(['SUB_GROUP_LIMIT', 'NAME_TAKEN', 'MAIN_PAYMENT_REQUIRED', 'DELETE_HAS_PROJECTS']);
/** Of those, the ones a plan cannot be sure of: a warning that says apply decides. */
const DECIDED_AT_APPLY = new Set(['DELETE_HAS_PROJECTS']);
/** How long the plan walk must add nothing before a resolvable rule is decided, and the longest wait. */
const QUIET_MS = 150;
const MAX_WAIT_MS = 3000;
/** The wire key suffix of a delete that shares its key with a create (keys are unique in a change set). */
const DELETE_SUFFIX = '#delete';

export interface SessionEntry {
  key: string;
  /** What Terraform does to the object: the apply must be the same action as the plan. */
  action: 'create' | 'update' | 'delete';
  changes: Change[];
  /** Some value is known only after apply: applied on its own, not as part of the set. */
  pending: boolean;
  /** Planned ahead by the in-place call of a replacement; the successor's own create call takes its place. */
  provisional?: boolean;
  /** Terraform plans no change for it: judged with the set (it declares its object), never registered or applied. */
  noop?: boolean;
}

export type Outcome =
  | { kind: 'applied'; result: ChangeResult }
  | { kind: 'local' }
  | { kind: 'pending' }
  | { kind: 'refused'; diagnostics: Diagnostic[] }
  | { kind: 'missing'; diagnostics: Diagnostic[] };

/** Who is planning: one open change set per workspace. */
export function workspaceOf(env: NodeJS.ProcessEnv, cwd: string): { workspace: string; managedBy: string } {
  const dir = safeRealpath(cwd);
  let name = env.TF_WORKSPACE;
  if (!name) {
    try {
      name = fs.readFileSync(path.join(env.TF_DATA_DIR || path.join(dir, '.terraform'), 'environment'), 'utf8').trim();
    } catch {
      name = 'default';
    }
  }
  const explicit = env.CLOUDBILLING_WORKSPACE;
  return {
    workspace: explicit ? `terraform:${explicit}` : `terraform:${dir}#${name || 'default'}`,
    managedBy: `${engineName()}:${explicit ?? `${path.basename(dir)}/${name || 'default'}`}`,
  };
}

/** `opentofu` when the process that started the provider is OpenTofu, else `terraform` (CDKTF runs Terraform). */
function engineName(): 'terraform' | 'opentofu' {
  try {
    return /tofu/i.test(path.basename(fs.readlinkSync(`/proc/${process.ppid}/exe`))) ? 'opentofu' : 'terraform';
  } catch {
    return 'terraform';
  }
}

function safeRealpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

export class ChangeSession {
  readonly #client: () => BillingClient;
  readonly workspace: string;
  readonly managedBy: string;
  /** key -> entries; two entries under one key are two resources for one object. */
  readonly #entries = new Map<string, SessionEntry[]>();
  readonly #reported = new Set<string>();
  #recent: Promise<ChangeSetView[]> | undefined;
  #outcome: Promise<ChangeSetView | ApplyRefusal> | undefined;
  #refusalShown = false;
  /** An ApplyResourceChange ran in this process: it is an apply walk, nothing to register. */
  #applying = false;
  #failed = false;
  #lastAdd = Date.now();
  /** The ids handed out per key, in call order. */
  #ids = new Map<string, string[]>();
  readonly #inPlace = new Map<string, { entry: SessionEntry; prior: Record<string, unknown> }>();

  readonly #quietMs: number;

  /** `options.quietMs`: how long the walk must be quiet before a resolvable rule is decided (default 150 ms; in-process tests that add every entry at once use less). */
  constructor(client: () => BillingClient, where: { workspace: string; managedBy: string }, options: { quietMs?: number } = {}) {
    this.#client = client;
    this.workspace = where.workspace;
    this.managedBy = where.managedBy;
    this.#quietMs = options.quietMs ?? QUIET_MS;
  }

  /** The workspace's recent change sets, newest first (fetched once per process; empty when unreachable). */
  #recentSets(): Promise<ChangeSetView[]> {
    this.#recent ??= this.#client()
      .listChangeSets(this.workspace)
      .catch((e) => {
        log.warn(`could not read the change sets of ${this.workspace}: ${e instanceof Error ? e.message : String(e)}`);
        this.#recent = undefined;
        return [];
      });
    return this.#recent;
  }

  /** The workspace's open change set, or null. */
  async openSet(): Promise<ChangeSetView | null> {
    return (await this.#recentSets()).find((cs) => cs.status === 'open') ?? null;
  }

  /**
   * The id of the group a create plans: the one a recent unapplied plan of this workspace
   * reserved for that key (so that the re-plan of a saved plan, even a superseded one, plans
   * the same id), else a new one. Terraform plans each resource once per process, so a
   * second call with the same key is a second resource (two new groups whose names differ
   * only by case or spaces): it gets an id of its own and the rules see both (NAME_TAKEN).
   */
  async reservedId(key: string): Promise<string> {
    const given = this.#ids.get(key) ?? [];
    this.#ids.set(key, given);
    const sets = (await this.#recentSets()).filter((cs) => cs.status !== 'applied');
    const reserved = sets.map((cs) => cs.entries.find((e) => e.key === key)?.changes.find((c) => c.op === 'createGroup')?.id).find((x) => x !== undefined);
    const id = given.length === 0 && reserved !== undefined ? reserved : `bg-${randomBytes(8).toString('hex')}`;
    given.push(id);
    return id;
  }

  /** Record one resource's planned changes (a later plan of the same resource replaces its entry). */
  add(entry: SessionEntry, replacing?: SessionEntry): void {
    const list = (this.#entries.get(entry.key) ?? []).filter((e) => e !== replacing && !(e.provisional && !entry.provisional));
    list.push(entry);
    this.#entries.set(entry.key, list);
    this.#lastAdd = Date.now();
  }

  /**
   * Replacements. For `-replace` Terraform plans the object in place (prior state + config)
   * and then plans its successor as a create, handing it the in-place call's planned private
   * state; the create finds the in-place entry here under that token and takes its place.
   */
  noteInPlace(token: string, entry: SessionEntry, prior: Record<string, unknown>): void {
    this.#inPlace.set(token, { entry, prior });
  }

  inPlaceFor(token: string): { entry: SessionEntry; prior: Record<string, unknown> } | undefined {
    const found = this.#inPlace.get(token);
    if (found) this.#inPlace.delete(token);
    return found;
  }

  remove(entry: SessionEntry): void {
    const list = (this.#entries.get(entry.key) ?? []).filter((e) => e !== entry);
    if (list.length > 0) this.#entries.set(entry.key, list);
    else this.#entries.delete(entry.key);
  }

  /** The entries as one change: a superseded delete (see `#superseded`) adds no change of its own. */
  #all(): SessionEntry[] {
    return [...this.#entries.values()].flat().map((e) => (this.#superseded(e) ? { ...e, changes: [] } : e));
  }

  /**
   * A revoke and a grant of one membership: a permission resource renamed without a
   * \`moved\` block (Terraform destroys the old address and creates the new one, in either
   * order). The grant says the membership stays; the revoke adds nothing, so it is never
   * revoked in between. (A link resource renamed that way is PROJECT_MULTI_LINK, as in
   * every front end: SPEC §3 reads two changes of one project as a contradiction.)
   */
  #superseded(e: SessionEntry): boolean {
    return e.action === 'delete' && e.key.startsWith('perm:') && (this.#entries.get(e.key) ?? []).some((o) => o !== e && o.action === 'create' && !o.provisional);
  }

  /** Two resources declare one object (two main groups, two of one membership): the second is refused. */
  #duplicate(entry: SessionEntry): Diagnostic[] {
    const what = entry.key === 'main' ? { what: 'the main billing group', type: 'cloudbilling_main_billing_group' } : entry.key.startsWith('perm:') ? { what: `the membership ${entry.key.slice(5)}`, type: 'cloudbilling_group_permission' } : undefined;
    if (!what || entry.action === 'delete') return [];
    const declaring = (this.#entries.get(entry.key) ?? []).filter((e) => e.action !== 'delete' && !e.provisional);
    return declaring.length > 1 && declaring[0] !== entry ? [adapterDiagnostic('DUPLICATE_RESOURCE', what)] : [];
  }

  /**
   * The rules of the whole change seen so far, for one resource's entry: its own errors
   * and warnings, and errors of the set that no earlier call reported. A rule that later
   * resources may still resolve is decided once the plan walk has gone quiet.
   */
  async judge(entry: SessionEntry, live: DomainState): Promise<Diagnostic[]> {
    if (this.#superseded(entry)) return [];
    const twin = this.#duplicate(entry);
    if (twin.length > 0) return twin;
    let out = this.#evaluate(entry, live);
    if (out.some((d) => d.severity === 'error' && RESOLVABLE_LATER.has(d.code))) {
      await this.#quiet();
      out = this.#evaluate(entry, live);
    }
    return out.map((d) => (d.severity === 'error' && DECIDED_AT_APPLY.has(d.code) ? decidedAtApply(d) : d));
  }

  #evaluate(entry: SessionEntry, live: DomainState): Diagnostic[] {
    // A link or permission is judged with the group changes of the set and the other
    // entries for the same object (O(groups) per resource); a group change with all of it.
    const groupsOnly = entry.changes.every((c) => c.op === 'link' || c.op === 'unlink' || c.op === 'grant' || c.op === 'revoke');
    const touches = new Set(entry.changes.map(subjectOf));
    const context = groupsOnly
      ? this.#all().filter((e) => e === entry || e.changes.some((c) => c.op === 'createGroup' || c.op === 'updateGroup' || c.op === 'deleteGroup' || touches.has(subjectOf(c))))
      : this.#all();
    const changes: Change[] = [];
    const own = new Set<number>();
    for (const e of context) {
      for (const c of e.changes) {
        if (e === entry) own.add(changes.length);
        changes.push(c);
      }
    }
    // A link's or permission's rules read only its own projects (the big part of the state).
    const state = groupsOnly ? { ...live, projects: projectsOf(entry, live) } : live;
    const r = evaluate(state, changes);
    const out: Diagnostic[] = [];
    for (const d of [...r.errors, ...r.warnings]) {
      const mine = d.index !== undefined && own.has(d.index);
      // Errors the set causes elsewhere (a grant on a group this delete removes) are reported
      // once, on the call that completes the picture; warnings only on their own resource.
      if (!mine && (groupsOnly || d.severity !== 'error')) continue;
      const id = `${d.code}\u0000${d.summary}\u0000${d.detail}`;
      if (!mine && this.#reported.has(id)) continue;
      if (d.severity === 'error') this.#reported.add(id);
      const { index: _i, path, ...rest } = d;
      out.push(mine && path ? { ...rest, path } : rest);
    }
    return out;
  }

  /** A plan call failed (an error diagnostic): Terraform will not apply this plan, nothing to register. */
  planFailed(): void {
    this.#failed = true;
  }

  /** Resolves when no resource was added for `quietMs` (at most MAX_WAIT_MS). */
  async #quiet(): Promise<void> {
    const started = Date.now();
    for (;;) {
      const idle = Date.now() - this.#lastAdd;
      if (idle >= this.#quietMs || Date.now() - started >= MAX_WAIT_MS) return;
      await new Promise((r) => setTimeout(r, this.#quietMs - idle));
    }
  }

  /**
   * End of the walk (Shutdown): register the plan's entries as the workspace's change set,
   * unless this was an apply walk, the plan has errors (Terraform will not apply it), or
   * the open set already holds exactly these entries (a saved plan of the same change).
   */
  async flush(): Promise<void> {
    if (this.#applying) return;
    const entries = this.#all().filter((e) => !e.noop);
    if (entries.length === 0) return;
    // Two entries of one key (the rules found nothing wrong with them) are registered only as
    // the delete of an old resource and the create of a new one: a renamed membership, or a
    // removed link that leaves its project alone (LINK_MOVED_OUTSIDE) next to a new link.
    const twins = [...this.#entries.values()].some((l) => l.length > 1 && (l.length > 2 || l.filter((e) => e.action === 'delete').length !== 1));
    if (this.#failed || twins) return;
    // Only updates of Terraform-only settings, or none (the refresh walk before a destroy):
    // nothing to register; their apply needs no change set (`outcomeFor` answers `local`).
    if (entries.every((e) => e.action === 'update' && !writes(e) && !e.pending)) return;
    if (entries.some((e) => e.provisional)) return; // a replacement whose successor was never planned: not a whole plan
    const wire = entries.map((e) => {
      const key = e.action === 'delete' && (this.#entries.get(e.key) ?? []).length > 1 ? `${e.key}${DELETE_SUFFIX}` : e.key;
      return e.pending ? { key, action: e.action, changes: [], pending: true } : { key, action: e.action, changes: e.changes };
    });
    const open = await this.openSet();
    if (open && sameEntries(open.entries, wire)) return;
    try {
      const cs = await this.#client().registerChangeSet({ workspace: this.workspace, managedBy: this.managedBy, entries: wire });
      log.info(`registered change set ${cs.id} (${entries.length} resources) for ${this.workspace}`);
    } catch (e) {
      log.error(`could not register the plan with the Billing API: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * True when this process applied the change set and `entry` is one of its entries as
   * registered: Terraform re-plans each resource just before applying it, and the rules of
   * the set were judged (at plan, and by the API at apply) against the state before it.
   */
  async alreadyApplied(entry: SessionEntry): Promise<boolean> {
    if (!this.#outcome) return false;
    const done = await this.#outcome.catch(() => undefined);
    if (!done || 'refused' in done) return false;
    const registered = done.entries.find((e) => e.key === entry.key);
    return registered !== undefined && sameChanges(registered.changes, entry.changes);
  }

  /** The apply outcome for one resource: the whole open set is applied by the first call. */
  async outcomeFor(key: string, action: SessionEntry['action']): Promise<Outcome> {
    this.#applying = true;
    const replanned = this.#entries.get(key)?.find((e) => e.action === action);
    // Terraform re-planned it in this process and it writes nothing the API stores.
    if (replanned && action === 'update' && !replanned.pending && !writes(replanned)) return { kind: 'local' };
    const open = await this.openSet();
    // The registered plan must be this one: same object, same action, and (when Terraform
    // re-planned the resource in this process) the same changes.
    const entry = open?.entries.find((e) => (e.key === key || (action === 'delete' && e.key === `${key}${DELETE_SUFFIX}`)) && (e.action === undefined || e.action === action));
    const matches = entry && (entry.pending || !replanned || replanned.pending || sameChanges(replanned.changes, entry.changes));
    if (!open || !entry || !matches) return { kind: 'missing', diagnostics: [adapterDiagnostic('NOT_IN_CHANGE_SET', { workspace: this.managedBy })] };
    if (entry.pending) return { kind: 'pending' };
    if (!writes(entry)) return { kind: 'local' };
    const done = await this.#apply(open.id);
    if ('refused' in done) {
      const first = !this.#refusalShown;
      this.#refusalShown = true;
      return { kind: 'refused', diagnostics: first ? done.refused : [adapterDiagnostic('CHANGE_REFUSED_ELSEWHERE', {})] };
    }
    return { kind: 'applied', result: done.results?.[key] ?? {} };
  }

  #apply(id: string): Promise<ChangeSetView | ApplyRefusal> {
    this.#outcome ??= this.#client()
      .applyChangeSet(id)
      .catch((e): ApplyRefusal => {
        if (isApiError(e) && e.status === 409) return { refused: refusalDiagnostics(e) };
        this.#outcome = undefined; // a transport failure: the next call asks again (the API answers the stored outcome)
        throw e;
      });
    return this.#outcome;
  }
}

interface ApplyRefusal {
  refused: Diagnostic[];
}

function refusalDiagnostics(e: { code: string; message: string; details: Record<string, unknown> }): Diagnostic[] {
  const violations = (e.details.violations as { code: string; message: string }[] | undefined) ?? [];
  const list = violations.length > 0 ? violations : [{ code: e.code, message: e.message }];
  return list.map((v) => refusedAtApply(v.code, v.message));
}

function decidedAtApply(d: Diagnostic): Diagnostic {
  return { ...d, severity: 'warning', detail: `${d.detail} No other resource of this plan resolved it; if it still holds at apply, the Billing API refuses the whole change and nothing is written (\`cloudbilling review\` of the saved plan reports it as an error).` };
}

/** The same §3 changes, as registered and as re-planned (both come from the one change model, so key order agrees). */
function sameChanges(a: Change[], b: Change[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

type WireEntry = { key: string; action?: string; changes: Change[]; pending?: boolean };
function sameEntries(a: WireEntry[], b: WireEntry[]): boolean {
  if (a.length !== b.length) return false;
  const canon = (l: WireEntry[]) => JSON.stringify([...l].sort((x, y) => (x.key < y.key ? -1 : 1)).map((e) => [e.key, e.action, e.pending === true, e.changes]));
  return canon(a) === canon(b);
}

/** Whether an entry writes anything the API stores (a declared link only says where a project is). */
function writes(e: { changes: Change[] }): boolean {
  return e.changes.some((c) => !(c.op === 'link' && c.declared === true));
}

function projectsOf(entry: SessionEntry, live: DomainState): DomainState['projects'] {
  const ids = new Set(entry.changes.flatMap((c) => (c.op === 'link' || c.op === 'unlink' ? [c.projectId] : [])));
  return ids.size === 0 ? [] : live.projects.filter((p) => ids.has(p.id));
}

/** The object a link or a membership change is about: the project, or the user. */
function subjectOf(c: Change): string {
  return c.op === 'link' || c.op === 'unlink' ? `p:${c.projectId}` : c.op === 'grant' || c.op === 'revoke' ? `u:${c.userId}` : '';
}
