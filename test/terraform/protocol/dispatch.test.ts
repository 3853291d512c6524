/**
 * RPC dispatch (provider.ts) with a fake registry and client, in process: the
 * conversion between tfplugin6 requests and the framework contract, and how handler
 * results and exceptions come back.
 */
import { decode, encode, ExtData } from '@msgpack/msgpack';
import { ApiError } from '../../../provider/client/errors';
import { projectLink } from '../../../provider/domain/resources';
import { UNKNOWN, type ResourceHandler, type Values, type DataSourceHandler } from '../../../provider/terraform/framework';
import { basePlan, replaceNeeded } from '../../../provider/terraform/planning';
import { TerraformProvider } from '../../../provider/terraform/provider';

const TYPE = 'cloudbilling_project_link';
const CTY_UNKNOWN = new ExtData(0, Uint8Array.of(0));
const mp = (v: unknown) => ({ msgpack: Buffer.from(encode(v)) });
const unmp = (dv: { msgpack: Uint8Array }) => decode(dv.msgpack) as Record<string, unknown>;

function linkState(over: Record<string, unknown> = {}) {
  return { project_id: 'p-1', billing_group_id: 'bg-1', allow_transfer: false, id: 'p-1', previous_billing_group_id: 'bg-main', effective_from: '2026-12-01', ...over };
}

function setup(handler: Partial<ResourceHandler>, dataSource?: Partial<DataSourceHandler>) {
  const calls: string[] = [];
  const full: ResourceHandler = {
    definition: projectLink,
    kind: 'projectLink',
    fromResult: async (_r, planned) => planned,
    plan: async (req) => ({ planned: basePlan(projectLink, req), requiresReplace: replaceNeeded(projectLink, req.prior, req.config) }),
    create: async (planned) => ({ state: { ...planned, id: planned.projectId, previousBillingGroupId: 'bg-main', effectiveFrom: '2026-12-01' } }),
    read: async (state) => state,
    update: async (_prior, planned) => ({ state: planned }),
    delete: async () => ({}),
    importState: async (id) => ({ ...Object.fromEntries(Object.keys(projectLink.attributes).map((k) => [k, null])), id, projectId: id }),
    ...handler,
  };
  let snapshots = 0;
  const created: { apiUrl?: string; token?: string }[] = [];
  const provider = new TerraformProvider({
    registry: {
      resources: { [TYPE]: full },
      dataSources: dataSource ? { cloudbilling_domain: { definition: { tfName: 'domain', className: 'X', description: '', attributes: {} }, read: async () => ({ state: {} }), ...dataSource } as DataSourceHandler } : {},
    },
    createClient: (o) => {
      created.push(o);
      // A minimal live state; the open change set holds the links of these tests as applied on
      // their own (pending), so apply reaches the handler's create/update/delete.
      const snapshot = () => ({ n: ++snapshots, domain: { id: 'd', name: 'd', mainGroupId: 'bg-main', subGroupLimit: 30 }, groups: [], projects: [], users: [], permissions: [], links: [] });
      const pending = ['p-1', 'p-2'].map((id) => ({ key: `link:${id}`, changes: [], pending: true }));
      return { getSnapshot: async () => snapshot(), listChangeSets: async () => [{ id: 'cs-1', status: 'open', entries: pending }] } as never;
    },
    env: { CLOUDBILLING_API_URL: 'http://127.0.0.1:9', CLOUDBILLING_TOKEN: 'env-token' },
  });
  return { rpcs: provider.rpcs(), provider, calls, created, snapshotCount: () => snapshots };
}

describe('ConfigureProvider', () => {
  test('provider block wins over the environment; the environment fills the rest', async () => {
    const { rpcs, created } = setup({});
    const r = await rpcs.ConfigureProvider({ config: mp({ api_url: 'http://127.0.0.1:8787', token: null }) });
    expect(r.diagnostics).toEqual([]);
    expect(created.at(-1)).toEqual({ apiUrl: 'http://127.0.0.1:8787', token: 'env-token', managedBy: expect.stringMatching(/^(terraform|opentofu):/) });
  });

  test('an invalid api_url is an error diagnostic on the attribute; a missing token an error', async () => {
    const provider = new TerraformProvider({ registry: { resources: {}, dataSources: {} }, createClient: () => ({}) as never, env: {} });
    const rpcs = provider.rpcs();
    const r = await rpcs.ConfigureProvider({ config: mp({ api_url: 'ftp://x', token: null }) });
    expect(r.diagnostics.map((d: { summary: string }) => d.summary.split(':')[0]).sort()).toEqual(['API_URL_INVALID', 'TOKEN_MISSING']);
    expect(r.diagnostics.find((d: any) => d.summary.startsWith('API_URL_INVALID')).attribute).toEqual({ steps: [{ attribute_name: 'api_url' }] });
    const v = await rpcs.ValidateProviderConfig({ config: mp({ api_url: 'not a url', token: 'secret-token-value' }) });
    expect(v.diagnostics[0].summary).toMatch(/^API_URL_INVALID/);
    expect(JSON.stringify(v)).not.toContain('secret-token-value');
  });

  test('the token is never logged', async () => {
    const writes: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((s: any) => (writes.push(String(s)), true));
    try {
      const { rpcs } = setup({});
      await rpcs.ConfigureProvider({ config: mp({ api_url: null, token: 'tok-SECRET-123' }) });
    } finally {
      spy.mockRestore();
    }
    expect(writes.join('')).not.toContain('tok-SECRET-123');
  });
});

describe('resource RPCs', () => {
  test('PlanResourceChange create: computed unknown, default planned, every attribute present', async () => {
    const { rpcs } = setup({});
    const config = { project_id: 'p-1', billing_group_id: 'bg-1', allow_transfer: null, id: null, previous_billing_group_id: null, effective_from: null };
    const r = await rpcs.PlanResourceChange({ type_name: TYPE, prior_state: mp(null), proposed_new_state: mp(config), config: mp(config) });
    const planned = unmp(r.planned_state);
    expect(Object.keys(planned).sort()).toEqual(Object.keys(config).sort());
    expect(planned.allow_transfer).toBe(false);
    expect(planned.id).toBeInstanceOf(ExtData);
    expect(r.requires_replace).toEqual([]);
  });

  test('PlanResourceChange: requires_replace as attribute paths; unknown config flows to the handler', async () => {
    let seen: Values | null = null;
    const { rpcs } = setup({
      plan: async (req) => {
        seen = req.config;
        return { planned: basePlan(projectLink, req), requiresReplace: replaceNeeded(projectLink, req.prior, req.config) };
      },
    });
    const prior = linkState();
    const config = { ...linkState({ project_id: CTY_UNKNOWN }), id: null, previous_billing_group_id: null, effective_from: null };
    const r = await rpcs.PlanResourceChange({ type_name: TYPE, prior_state: mp(prior), proposed_new_state: mp({ ...prior, project_id: CTY_UNKNOWN }), config: mp(config) });
    expect(seen!.projectId).toBe(UNKNOWN);
    expect(r.requires_replace).toEqual([{ steps: [{ attribute_name: 'project_id' }] }]);
  });

  test('plan diagnostics keep their code and path; destroy plans null', async () => {
    const { rpcs } = setup({
      plan: async (req) => ({
        planned: req.proposed === null ? null : basePlan(projectLink, req),
        diagnostics: [{ severity: 'error', code: 'TRANSFER_NOT_ACKNOWLEDGED', summary: 'Moving p-1 needs allow_transfer', detail: 'Set allow_transfer = true.', path: ['allowTransfer'] }],
      }),
    });
    const r = await rpcs.PlanResourceChange({ type_name: TYPE, prior_state: mp(linkState()), proposed_new_state: mp(null), config: mp(null) });
    expect(unmp(r.planned_state)).toBeNull();
    expect(r.diagnostics).toEqual([
      { severity: 'ERROR', summary: 'TRANSFER_NOT_ACKNOWLEDGED: Moving p-1 needs allow_transfer', detail: 'Set allow_transfer = true.', attribute: { steps: [{ attribute_name: 'allow_transfer' }] } },
    ]);
  });

  test('a handler exception becomes diagnostics, never a crash; an ApiError code leads the summary', async () => {
    const { rpcs } = setup({
      plan: async () => {
        throw new TypeError('bug here');
      },
      update: async () => {
        throw new ApiError(409, 'TRANSFER_NOT_ACKNOWLEDGED', 'Moving p-1 from bg-1 needs allow_transfer');
      },
    });
    const p = await rpcs.PlanResourceChange({ type_name: TYPE, prior_state: mp(null), proposed_new_state: mp(linkState()), config: mp(linkState()) });
    expect(p.diagnostics[0].summary).toBe('PROVIDER_ERROR: bug here');
    const prior = linkState();
    const a = await rpcs.ApplyResourceChange({ type_name: TYPE, prior_state: mp(prior), planned_state: mp({ ...prior, billing_group_id: 'bg-2' }), config: mp(prior) });
    expect(a.diagnostics[0].summary).toBe('TRANSFER_NOT_ACKNOWLEDGED: Moving p-1 from bg-1 needs allow_transfer');
    // The prior state is kept: nothing changed.
    expect(unmp(a.new_state)).toEqual(prior);
  });

  test('ApplyResourceChange: create, update, delete (null state), and unknowns left by a handler are reported', async () => {
    const { rpcs } = setup({ update: async (_p, planned) => ({ state: { ...planned, effectiveFrom: UNKNOWN } }) });
    const planned = { ...linkState(), id: CTY_UNKNOWN, previous_billing_group_id: CTY_UNKNOWN, effective_from: CTY_UNKNOWN };
    const c = await rpcs.ApplyResourceChange({ type_name: TYPE, prior_state: mp(null), planned_state: mp(planned), config: mp(linkState()) });
    expect(c.diagnostics).toEqual([]);
    expect(unmp(c.new_state)).toEqual(linkState());
    const d = await rpcs.ApplyResourceChange({ type_name: TYPE, prior_state: mp(linkState()), planned_state: mp(null), config: mp(null) });
    expect(unmp(d.new_state)).toBeNull();
    const u = await rpcs.ApplyResourceChange({ type_name: TYPE, prior_state: mp(linkState()), planned_state: mp(linkState({ billing_group_id: 'bg-2' })), config: mp(linkState()) });
    expect(u.diagnostics[0].summary).toMatch(/^PROVIDER_ERROR: .*effectiveFrom/);
    expect(unmp(u.new_state).effective_from).toBeNull();
  });

  test('ReadResource: null = gone; an API failure keeps the state with an error', async () => {
    let mode: 'gone' | 'fail' = 'gone';
    const { rpcs } = setup({
      read: async () => {
        if (mode === 'gone') return null;
        throw new ApiError(0, 'NETWORK_ERROR', 'connect ECONNREFUSED');
      },
    });
    const gone = await rpcs.ReadResource({ type_name: TYPE, current_state: mp(linkState()) });
    expect(unmp(gone.new_state)).toBeNull();
    mode = 'fail';
    const failed = await rpcs.ReadResource({ type_name: TYPE, current_state: mp(linkState()) });
    expect(unmp(failed.new_state)).toEqual(linkState());
    expect(failed.diagnostics[0].summary).toMatch(/^NETWORK_ERROR/);
  });

  test('UpgradeResourceState answers msgpack from raw_state.json, completing missing attributes', async () => {
    const { rpcs } = setup({});
    const r = await rpcs.UpgradeResourceState({ type_name: TYPE, version: 0, raw_state: { json: Buffer.from(JSON.stringify({ project_id: 'p-1', id: 'p-1' })) } });
    expect(unmp(r.upgraded_state)).toEqual({ project_id: 'p-1', billing_group_id: null, allow_transfer: null, id: 'p-1', previous_billing_group_id: null, effective_from: null });
  });

  test('ImportResourceState returns the skeleton as an imported resource', async () => {
    const { rpcs } = setup({});
    const r = await rpcs.ImportResourceState({ type_name: TYPE, id: 'p-9' });
    expect(r.imported_resources).toHaveLength(1);
    expect(r.imported_resources[0].type_name).toBe(TYPE);
    expect(unmp(r.imported_resources[0].state)).toMatchObject({ id: 'p-9', project_id: 'p-9' });
  });

  test('ValidateResourceConfig passes domain diagnostics through with paths', async () => {
    const { rpcs } = setup({
      validate: (config) => (config.projectId === '' ? [{ severity: 'error', code: 'PROJECT_NOT_FOUND', summary: 'empty', detail: 'd', path: ['projectId'] }] : []),
    });
    const config = linkState({ project_id: '', id: null, previous_billing_group_id: null, effective_from: null });
    const r = await rpcs.ValidateResourceConfig({ type_name: TYPE, config: mp(config) });
    expect(r.diagnostics).toEqual([{ severity: 'ERROR', summary: 'PROJECT_NOT_FOUND: empty', detail: 'd', attribute: { steps: [{ attribute_name: 'project_id' }] } }]);
    // A value for an attribute the API decides is refused on that attribute (Terraform would keep it in state only).
    const ro = await rpcs.ValidateResourceConfig({ type_name: TYPE, config: mp({ ...config, project_id: 'p-1', effective_from: '2027-01-01' }) });
    expect(ro.diagnostics).toEqual([expect.objectContaining({ severity: 'ERROR', summary: 'READ_ONLY_ATTRIBUTE: effective_from cannot be set', attribute: { steps: [{ attribute_name: 'effective_from' }] } })]);
  });

  test('the snapshot is fetched once per process and shared', async () => {
    const { provider, snapshotCount } = setup({});
    const [a, b] = await Promise.all([provider.ctx.snapshot(), provider.ctx.snapshot()]);
    await provider.ctx.snapshot();
    expect(a).toBe(b);
    expect(snapshotCount()).toBe(1);
  });

  test('unknown types and unsupported RPCs answer with diagnostics', async () => {
    const { rpcs } = setup({});
    expect((await rpcs.ReadResource({ type_name: 'cloudbilling_nope', current_state: mp({}) })).diagnostics[0].summary).toMatch(/^UNSUPPORTED_TYPE: /);
    expect((await rpcs.MoveResourceState({ source_type_name: 'x', target_type_name: TYPE })).diagnostics[0].summary).toMatch(/^MOVE_NOT_SUPPORTED/);
    expect((await rpcs.OpenEphemeralResource({ type_name: 'x' })).diagnostics[0].summary).toMatch(/^UNSUPPORTED_TYPE/);
    expect((await rpcs.CallFunction({ name: 'f' })).error.text).toMatch(/no function/);
  });
});
