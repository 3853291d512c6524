/**
 * Projects (SPEC §9): the group's projects with Unlink, and a search over the projects the
 * caller sees, each with its current group, to link here. Every link is first planned
 * (POST /v1/plan); when the rules answer TRANSFER_NOT_ACKNOWLEDGED (a move between sub
 * groups) the console asks for the admins' agreement and links with allowTransfer.
 */
import { useState } from 'preact/hooks';
import type { LinkResult, List } from '../../../../provider/client/types';
import type { Group, Project } from '../../../../provider/domain/types';
import { call, enc, get, plan, type Violation } from '../../api';
import { useManagedGuard } from '../../managed';
import { Failure, Loading, ManagedMark, Rules, useLoad } from '../../ui';
import type { TabProps } from '../group-page';

type ManagedProject = Project; // managedBy: the API's record (SPEC §9)

interface Pending {
  project: ManagedProject;
  errors: Violation[];
  needsAgreement: boolean;
}

export function ProjectsTab(props: TabProps) {
  const g = props.group;
  const data = useLoad(async () => {
    const [own, all, groups] = await Promise.all([
      get<List<ManagedProject>>(`/v1/billing-groups/${enc(g.id)}/projects`),
      get<List<ManagedProject>>('/v1/projects'),
      get<List<Group>>('/v1/billing-groups'),
    ]);
    return { own: own.items, all: all.items, groups: new Map(groups.items.map((x) => [x.id, x.name])) };
  }, [g.id, g.version]);
  const [query, setQuery] = useState('');
  const [pending, setPending] = useState<Pending | null>(null);
  const [agreed, setAgreed] = useState(false);
  const [result, setResult] = useState<{ text: string; warnings: Violation[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const managed = useManagedGuard();

  const done = (text: string, r: LinkResult) => {
    setResult({ text, warnings: r.warnings });
    setPending(null);
    setAgreed(false);
    data.reload();
    props.changed();
  };
  const write = async (p: ManagedProject, allowTransfer: boolean) => {
    setError(null);
    try {
      const r = await call<LinkResult>('PUT', `/v1/projects/${enc(p.id)}/billing-group`, { body: allowTransfer ? { billingGroupId: g.id, allowTransfer: true } : { billingGroupId: g.id } });
      done(`Project "${p.name}" is now billed to "${g.name}".`, r);
    } catch (e) {
      setError(e);
    }
  };
  const link = async (p: ManagedProject) => {
    setResult(null);
    setError(null);
    setAgreed(false);
    try {
      const verdict = await plan([{ op: 'link', projectId: p.id, billingGroupId: g.id }]);
      if (verdict.errors.length === 0) {
        managed.guard({ managedBy: p.managedBy, what: `move project "${p.name}"`, resource: 'projectLink', label: p.name, values: { projectId: p.id, billingGroupId: g.id } }, () => write(p, false));
        return;
      }
      const needsAgreement = verdict.errors.every((e) => e.code === 'TRANSFER_NOT_ACKNOWLEDGED');
      setPending({ project: p, errors: verdict.errors, needsAgreement });
    } catch (e) {
      setError(e);
    }
  };
  const unlink = (p: ManagedProject) => {
    setResult(null);
    setError(null);
    managed.guard({ managedBy: p.managedBy, what: `unlink project "${p.name}"`, resource: 'projectLink', label: p.name, values: { projectId: p.id, billingGroupId: p.billingGroupId }, removal: true }, async () => {
      try {
        const r = await call<LinkResult>('DELETE', `/v1/projects/${enc(p.id)}/billing-group`);
        done(`Project "${p.name}" is back in the main group.`, r);
      } catch (e) {
        setError(e);
      }
    });
  };

  if (data.error) return <Failure error={data.error} />;
  if (!data.data) return <Loading what="projects" />;
  const { own, all, groups } = data.data;
  const q = query.trim().toLowerCase();
  const found = q === '' ? [] : all.filter((p) => p.name.toLowerCase().includes(q) && p.billingGroupId !== g.id).slice(0, 20);
  return (
    <div>
      <h2>Projects billed to this group</h2>
      {result && (
        <div class="notice" role="status">
          <p>{result.text}</p>
          <Rules rules={result.warnings} kind="warning" />
        </div>
      )}
      <Failure error={error} title="Nothing was changed:" />
      {own.length === 0 ? (
        <p>No projects are linked to this group.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Project</th>
              <th scope="col">Billed here from</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {own.map((p) => (
              <tr key={p.id}>
                <th scope="row">
                  {p.name} <ManagedMark by={p.managedBy} />
                </th>
                <td>{p.effectiveFrom}</td>
                <td>
                  {g.type === 'sub' && (
                    <button type="button" onClick={() => unlink(p)} aria-label={`Unlink ${p.name}`}>
                      Unlink
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Link a project</h2>
      <div class="field">
        <label for="project-search">Search projects by name</label>
        <input id="project-search" type="search" value={query} onInput={(e) => setQuery((e.target as HTMLInputElement).value)} aria-describedby="search-help" />
        <p id="search-help" class="help">
          Linking moves the project here from its current group.
        </p>
      </div>
      {q !== '' && (
        <ul class="results" aria-label="Matching projects">
          {found.length === 0 && <li>No other project matches "{query}".</li>}
          {found.map((p) => (
            <li key={p.id}>
              <span>
                <strong>{p.name}</strong> — now in <em>{groups.get(p.billingGroupId) ?? p.billingGroupId}</em> <ManagedMark by={p.managedBy} />
              </span>
              <button type="button" onClick={() => link(p)} aria-label={`Link ${p.name} to ${g.name}`}>
                Link here
              </button>
            </li>
          ))}
        </ul>
      )}
      {pending && (
        <div class="pending" aria-live="polite">
          <Rules rules={pending.errors} kind="error" title={`Project "${pending.project.name}" was not moved:`} />
          {pending.needsAgreement && (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                const p = pending.project;
                managed.guard(
                  { managedBy: p.managedBy, what: `move project "${p.name}"`, resource: 'projectLink', label: p.name, values: { projectId: p.id, billingGroupId: g.id, allowTransfer: true } },
                  () => write(p, true),
                );
              }}
            >
              <label class="check">
                <input type="checkbox" checked={agreed} onChange={(e) => setAgreed((e.target as HTMLInputElement).checked)} /> The admins of both groups agreed to
                this transfer
              </label>
              <div class="actions">
                <button type="button" onClick={() => setPending(null)}>
                  Cancel
                </button>
                <button type="submit" class="primary" disabled={!agreed}>
                  Transfer "{pending.project.name}"
                </button>
              </div>
            </form>
          )}
        </div>
      )}
      {managed.element}
    </div>
  );
}
