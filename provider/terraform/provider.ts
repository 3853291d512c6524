/**
 * RPC dispatch of the Terraform provider: each tfplugin6 RPC decodes its DynamicValues
 * with the definition's schema (protocol/codec.ts), calls the resource or data source
 * handler from the registry (`resources/index.ts`), and encodes the answer. Handlers see
 * only the framework.ts contract: camelCase values, UNKNOWN, domain diagnostics.
 *
 * - ConfigureProvider builds the API client from `api_url`/`token`, falling back to
 *   `CLOUDBILLING_API_URL`/`CLOUDBILLING_TOKEN`. The token is never logged.
 * - `ctx.snapshot()` is fetched lazily once per process and cached (a failed fetch is
 *   retried by the next call). It is not refetched after applies: the resources fold
 *   their own writes into their view of it (resources/common.ts), so an apply of N
 *   resources costs no N snapshot fetches.
 * - Exceptions never escape an RPC: they become error diagnostics (an `ApiError`'s rule
 *   code first in the summary).
 */
import type { BillingClient, Snapshot } from '../client';
import type { ResourceDefinition } from '../domain/resources';
import type { Diagnostic } from '../domain/types';
import {
  containsUnknown,
  isUnknown,
  type DataSourceHandler,
  type ProviderContext,
  type ResourceHandler,
  type PrivateState,
  type Values,
} from './framework';
import { decodeDynamic, decodeDynamicOrUnknown, decodeJsonState, encodeDynamic, type DynamicValue } from './protocol/codec';
import {
  attributePath,
  errorDiagnostic,
  errorToDiagnostics,
  hasError,
  toProtoDiagnostics,
  type ProtoDiagnostic,
} from './protocol/diagnostics';
import {
  dataSourceDefinitions,
  providerDefinition,
  providerSchemaResponse,
  resourceDefinitions,
  serverCapabilities,
} from './protocol/schema';
import { log } from './protocol/log';
import { applyProblems, planProblems } from './planning';
import { adapterDiagnostic } from '../domain/messages';
import { toSnake } from '../domain/naming';
import { ChangeSession, workspaceOf } from './change-session';
import { applyResource, planResource } from './lifecycle';

export interface Registry {
  resources: Record<string, ResourceHandler>;
  dataSources: Record<string, DataSourceHandler>;
}

export interface ProviderOptions {
  /** Handlers; default: `./resources` (loaded on first use). */
  registry?: Registry;
  /** Builds the API client; default `new BillingClient(options)` from `../client`. */
  createClient?: (options: { apiUrl?: string; token?: string; managedBy?: string }) => BillingClient;
  /** Environment for the fallbacks; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** A decoded tfplugin6 message (protobufjs plain object, snake_case fields; absent = zero value). */
type Req = Record<string, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- requests are typed per method below
type Rpc = (req: any) => Promise<Req>;

// Request shapes of the RPCs this file reads (tfplugin6.proto). Bytes arrive as Buffers.
interface ConfigRequest {
  config?: DynamicValue;
}
interface TypedRequest {
  type_name: string;
}
interface ValidateRequest extends TypedRequest, ConfigRequest {}
interface UpgradeRequest extends TypedRequest {
  version?: number;
  raw_state?: { json?: Buffer; flatmap?: Record<string, string> };
}
interface ReadRequest extends TypedRequest {
  current_state?: DynamicValue;
  private?: Buffer;
}
interface PlanRequestMessage extends TypedRequest, ConfigRequest {
  prior_state?: DynamicValue;
  proposed_new_state?: DynamicValue;
  prior_private?: Buffer;
}
interface ApplyRequest extends TypedRequest, ConfigRequest {
  prior_state?: DynamicValue;
  planned_state?: DynamicValue;
  planned_private?: Buffer;
}
interface ImportRequest extends TypedRequest {
  id?: string;
}

/** Fields of a gRPC answer carrying diagnostics, per RPC. */
const UNSUPPORTED_TEXT = 'The cloudbilling provider declares no such object.';

export class TerraformProvider {
  readonly #options: ProviderOptions;
  #registry: Registry | undefined;
  #client: BillingClient | undefined;
  /** The workspace label sent on every write (X-Cloudbilling-Managed-By). */
  #managedBy: string;
  #snapshot: Promise<Snapshot> | undefined;
  #schema: Req | undefined;
  readonly ctx: ProviderContext;

  constructor(options: ProviderOptions = {}) {
    this.#options = options;
    this.#registry = options.registry;
    const self = this;
    const where = workspaceOf(options.env ?? process.env, process.cwd());
    this.#managedBy = where.managedBy;
    const session = new ChangeSession(() => this.client(), where);
    this.ctx = {
      get client() {
        return self.client();
      },
      snapshot: () => this.snapshot(),
      session,
    };
  }

  /** End of the process (GRPCController/Shutdown): a plan walk registers its whole change with the API. */
  shutdown(): Promise<void> {
    return this.ctx.session.flush();
  }

  // ---- services --------------------------------------------------------------------

  registry(): Registry {
    if (!this.#registry) {
      // Loaded on first use: GetProviderSchema and validation of the provider block never need it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require('./resources') as Registry;
      this.#registry = { resources: mod.resources ?? {}, dataSources: mod.dataSources ?? {} };
    }
    return this.#registry;
  }

  /** The configured client (from the environment when ConfigureProvider was not called). */
  client(): BillingClient {
    if (!this.#client) this.#client = this.#makeClient({});
    return this.#client;
  }

  #makeClient(options: { apiUrl?: string; token?: string }): BillingClient {
    const withLabel = { ...options, managedBy: this.#managedBy };
    if (this.#options.createClient) return this.#options.createClient(withLabel);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { BillingClient } = require('../client') as typeof import('../client');
    return new BillingClient(withLabel);
  }

  /** `GET /v1/snapshot`, fetched once and shared by every RPC of this process. */
  snapshot(): Promise<Snapshot> {
    if (!this.#snapshot) {
      const p = this.client().getSnapshot();
      this.#snapshot = p;
      p.catch(() => {
        if (this.#snapshot === p) this.#snapshot = undefined; // let a later call retry
      });
    }
    return this.#snapshot;
  }

  /** Forget the cached snapshot; the next `ctx.snapshot()` fetches again. Not called by the dispatch. */
  invalidateSnapshot(): void {
    this.#snapshot = undefined;
  }

  // ---- the RPCs --------------------------------------------------------------------

  /** RPC name → implementation, as served by the gRPC server. */
  rpcs(): Record<string, Rpc> {
    const wrap = (name: string, diagField: string, fn: Rpc): Rpc => async (req) => {
      const started = log.debugOn ? Date.now() : 0;
      try {
        const res = await fn(req);
        if (log.debugOn) log.debug(`${name}${req.type_name ? ` ${req.type_name}` : ''} ${Date.now() - started} ms`);
        return res;
      } catch (e) {
        if (e instanceof UnsupportedType) return { [diagField]: [unsupported(e.kind, e.typeName)] };
        log.error(`${name}${req.type_name ? ` ${req.type_name}` : ''}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
        return { [diagField]: errorToDiagnostics(e, `${name} ${req.type_name ?? ''}`.trim()) };
      }
    };
    return {
      GetMetadata: wrap('GetMetadata', 'diagnostics', async () => this.getMetadata()),
      GetProviderSchema: wrap('GetProviderSchema', 'diagnostics', async () => this.getProviderSchema()),
      ValidateProviderConfig: wrap('ValidateProviderConfig', 'diagnostics', async (r) => this.validateProviderConfig(r)),
      ConfigureProvider: wrap('ConfigureProvider', 'diagnostics', async (r) => this.probe(this.configureProvider(r))),
      ValidateResourceConfig: wrap('ValidateResourceConfig', 'diagnostics', async (r) => this.validateResourceConfig(r)),
      ValidateDataResourceConfig: wrap('ValidateDataResourceConfig', 'diagnostics', async (r) => this.validateDataResourceConfig(r)),
      UpgradeResourceState: wrap('UpgradeResourceState', 'diagnostics', async (r) => this.upgradeResourceState(r)),
      ReadResource: wrap('ReadResource', 'diagnostics', async (r) => this.readResource(r)),
      PlanResourceChange: wrap('PlanResourceChange', 'diagnostics', async (r) => this.planResourceChange(r)),
      ApplyResourceChange: wrap('ApplyResourceChange', 'diagnostics', async (r) => this.applyResourceChange(r)),
      ImportResourceState: wrap('ImportResourceState', 'diagnostics', async (r) => this.importResourceState(r)),
      ReadDataSource: wrap('ReadDataSource', 'diagnostics', async (r) => this.readDataSource(r)),
      MoveResourceState: wrap('MoveResourceState', 'diagnostics', async (r) => ({
        diagnostics: [
          errorDiagnostic(
            'MOVE_NOT_SUPPORTED',
            `Cannot move ${r.source_type_name ?? 'a resource'} to ${r.target_type_name ?? 'this type'}`,
            'cloudbilling resources cannot be converted from other resource types with `moved` blocks. Remove the old resource from state and import the object instead.',
          ),
        ],
      })),
      ValidateEphemeralResourceConfig: wrap('ValidateEphemeralResourceConfig', 'diagnostics', async (r) => ({ diagnostics: [unsupported('ephemeral resource', r.type_name)] })),
      OpenEphemeralResource: wrap('OpenEphemeralResource', 'diagnostics', async (r) => ({ diagnostics: [unsupported('ephemeral resource', r.type_name)] })),
      RenewEphemeralResource: wrap('RenewEphemeralResource', 'diagnostics', async (r) => ({ diagnostics: [unsupported('ephemeral resource', r.type_name)] })),
      CloseEphemeralResource: wrap('CloseEphemeralResource', 'diagnostics', async (r) => ({ diagnostics: [unsupported('ephemeral resource', r.type_name)] })),
      GetFunctions: wrap('GetFunctions', 'diagnostics', async () => ({ functions: {}, diagnostics: [] })),
      CallFunction: async (r) => ({ error: { text: `The cloudbilling provider defines no function ${JSON.stringify(r.name ?? '')}.` } }),
      StopProvider: async () => ({}),
    };
  }

  getMetadata(): Req {
    return {
      server_capabilities: serverCapabilities(),
      diagnostics: [],
      resources: Object.keys(resourceDefinitions).map((type_name) => ({ type_name })),
      data_sources: Object.keys(dataSourceDefinitions).map((type_name) => ({ type_name })),
    };
  }

  getProviderSchema(): Req {
    this.#schema ??= providerSchemaResponse();
    return this.#schema;
  }

  validateProviderConfig(req: ConfigRequest): Req {
    const config = decodeDynamicOrUnknown(providerDefinition.attributes, req.config, 'provider');
    const diagnostics: ProtoDiagnostic[] = [];
    if (config && !isUnknown(config)) {
      const url = config.apiUrl;
      if (typeof url === 'string' && !isHttpUrl(url)) {
        diagnostics.push({
          severity: 'ERROR',
          summary: 'API_URL_INVALID: api_url is not an http(s) URL',
          detail: `Set api_url to the Billing API's base URL, e.g. "http://127.0.0.1:8787" (got ${JSON.stringify(url)}).`,
          attribute: attributePath(['apiUrl']),
        });
      }
    }
    return { diagnostics };
  }

  /**
   * One `GET /v1/health` after configuring: when the API cannot be reached, Terraform gets one
   * error naming the URL here, instead of one per resource and data source later.
   */
  async probe(res: Req): Promise<Req> {
    const diagnostics = res.diagnostics as ProtoDiagnostic[];
    const client = this.#client as Partial<BillingClient> | undefined;
    if (hasError(diagnostics) || typeof client?.health !== 'function') return res;
    try {
      await client.health();
    } catch (e) {
      if ((e as { isTransport?: boolean }).isTransport) return { diagnostics: [...diagnostics, ...errorToDiagnostics(e, 'ConfigureProvider')] };
    }
    return res;
  }

  configureProvider(req: ConfigRequest): Req {
    const env = this.#options.env ?? process.env;
    const raw = decodeDynamicOrUnknown(providerDefinition.attributes, req.config, 'provider');
    const config: Values = raw && !isUnknown(raw) ? raw : {};
    const diagnostics: ProtoDiagnostic[] = [];
    const pick = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const apiUrl = pick(config.apiUrl) ?? pick(env.CLOUDBILLING_API_URL);
    const token = pick(config.token) ?? pick(env.CLOUDBILLING_TOKEN);
    if (apiUrl !== undefined && !isHttpUrl(apiUrl)) {
      diagnostics.push({
        severity: 'ERROR',
        summary: 'API_URL_INVALID: the Billing API URL is not an http(s) URL',
        detail: `Set api_url in the provider block or CLOUDBILLING_API_URL to the API's base URL, e.g. "http://127.0.0.1:8787".`,
        ...(pick(config.apiUrl) ? { attribute: attributePath(['apiUrl']) } : {}),
      });
    }
    if (token === undefined) {
      const tokenUnknown = isUnknown(raw) || isUnknown(config.token);
      diagnostics.push({
        severity: tokenUnknown ? 'WARNING' : 'ERROR',
        summary: tokenUnknown ? 'TOKEN_UNKNOWN: the API token is not known yet' : 'TOKEN_MISSING: no Billing API token',
        detail: 'Set `token` in the provider "cloudbilling" block (sensitive) or the CLOUDBILLING_TOKEN environment variable.',
      });
    }
    this.#client = this.#makeClient({ apiUrl, token });
    this.#snapshot = undefined;
    log.info(`configured: api ${apiUrl ?? '(default)'}, token ${token ? 'set' : 'missing'}`);
    return { diagnostics };
  }

  #resource(typeName: string): { handler: ResourceHandler; def: ResourceDefinition } {
    const def = resourceDefinitions[typeName];
    const handler = this.registry().resources[typeName];
    if (!def || !handler) throw new UnsupportedType('resource', typeName);
    return { handler, def };
  }

  #dataSource(typeName: string): { handler: DataSourceHandler; def: ResourceDefinition } {
    const def = dataSourceDefinitions[typeName];
    const handler = this.registry().dataSources[typeName];
    if (!def || !handler) throw new UnsupportedType('data source', typeName);
    return { handler, def };
  }

  validateResourceConfig(req: ValidateRequest): Req {
    const def = resourceDefinitions[req.type_name];
    if (!def) return { diagnostics: [unsupported('resource', req.type_name)] };
    const config = decodeDynamic(def.attributes, req.config, req.type_name);
    const handler = this.registry().resources[req.type_name];
    const diags: Diagnostic[] = config && handler?.validate ? handler.validate(config) : [];
    // Terraform itself accepts a value for a computed-only attribute (the main group's `name`)
    // and would keep it in state only: refuse it here, at validate and plan.
    if (config) diags.push(...readOnlyDiagnostics(def, config));
    return { diagnostics: toProtoDiagnostics(diags) };
  }

  validateDataResourceConfig(req: ValidateRequest): Req {
    const def = dataSourceDefinitions[req.type_name];
    if (!def) return { diagnostics: [unsupported('data source', req.type_name)] };
    decodeDynamic(def.attributes, req.config, req.type_name); // shape check
    return { diagnostics: [] };
  }

  upgradeResourceState(req: UpgradeRequest): Req {
    const def = resourceDefinitions[req.type_name];
    if (!def) return { diagnostics: [unsupported('resource', req.type_name)] };
    const json = req.raw_state?.json as Buffer | undefined;
    if (!json || json.length === 0) {
      if (req.raw_state?.flatmap && Object.keys(req.raw_state.flatmap).length > 0) {
        return {
          diagnostics: [errorDiagnostic('STATE_UNSUPPORTED', 'Legacy flatmap state cannot be read', 'Remove the resource from state and import it again.')],
        };
      }
      return { upgraded_state: encodeDynamic(def.attributes, null), diagnostics: [] };
    }
    // Schema version 0 is the only one so far: upgrading is decoding JSON (missing
    // attributes become null, unknown ones are dropped) and answering msgpack.
    const state = decodeJsonState(def.attributes, json, req.type_name);
    return { upgraded_state: encodeDynamic(def.attributes, state, req.type_name), diagnostics: [] };
  }

  async readResource(req: ReadRequest): Promise<Req> {
    const { handler, def } = this.#resource(req.type_name);
    const current = decodeDynamic(def.attributes, req.current_state, req.type_name);
    if (current === null) return { new_state: encodeDynamic(def.attributes, null), diagnostics: [], private: req.private };
    try {
      const state = await handler.read(current, this.ctx);
      return { new_state: encodeDynamic(def.attributes, state, req.type_name), diagnostics: [], private: req.private };
    } catch (e) {
      // Keep the state Terraform has: an API outage must not look like "deleted outside Terraform".
      return {
        new_state: encodeDynamic(def.attributes, current, req.type_name),
        diagnostics: errorToDiagnostics(e, `reading ${req.type_name}`),
        private: req.private,
      };
    }
  }

  async planResourceChange(req: PlanRequestMessage): Promise<Req> {
    const { handler, def } = this.#resource(req.type_name);
    const attrs = def.attributes;
    const prior = decodeDynamic(attrs, req.prior_state, `${req.type_name} prior`);
    const proposed = decodeDynamic(attrs, req.proposed_new_state, `${req.type_name} proposed`);
    const config = decodeDynamic(attrs, req.config, `${req.type_name} config`);
    const priorPrivate = privateOf(req.prior_private);
    let result;
    try {
      result = await planResource(handler, { prior, proposed, config, priorPrivate }, this.ctx);
    } catch (e) {
      this.ctx.session.planFailed();
      return { planned_state: req.proposed_new_state, diagnostics: errorToDiagnostics(e, `planning ${req.type_name}`) };
    }
    const diagnostics = toProtoDiagnostics(result.diagnostics);
    const planned = result.planned === undefined ? proposed : result.planned;
    // Terraform rejects such a plan with a terse "invalid plan"; name the attributes in the log.
    for (const problem of planProblems(def, config, planned)) log.warn(`${req.type_name}: plan breaks Terraform's rules: ${problem}`);
    return {
      planned_state: encodeDynamic(attrs, planned, `${req.type_name} planned`),
      requires_replace: (result.requiresReplace ?? []).map((name) => attributePath([name])),
      planned_private: encodePrivate(result.private ?? priorPrivate),
      diagnostics,
    };
  }

  async applyResourceChange(req: ApplyRequest): Promise<Req> {
    const { handler, def } = this.#resource(req.type_name);
    const attrs = def.attributes;
    const prior = decodeDynamic(attrs, req.prior_state, `${req.type_name} prior`);
    const planned = decodeDynamic(attrs, req.planned_state, `${req.type_name} planned`);
    const action = planned === null ? 'deleting' : prior === null ? 'creating' : 'updating';
    let state: Values | null;
    let diags: Diagnostic[] = [];
    try {
      // The whole change of this apply is written by the first resource's call, or nothing is
      // (lifecycle.ts); an error keeps what Terraform had.
      ({ state, diagnostics: diags } = await applyResource(handler, prior, planned, this.ctx));
    } catch (e) {
      // Nothing was written (or we cannot tell): keep what Terraform had.
      return {
        new_state: encodeDynamic(attrs, prior, req.type_name),
        private: req.planned_private,
        diagnostics: errorToDiagnostics(e, `${action} ${req.type_name}`),
      };
    }
    const diagnostics = toProtoDiagnostics(diags);
    if (state && planned && !hasError(diagnostics)) {
      const bad = applyProblems(def, planned, state).filter((k) => !containsUnknown(state![k]));
      if (bad.length > 0) log.warn(`${req.type_name}: apply result differs from the plan in ${bad.join(', ')} (Terraform reports "inconsistent result after apply")`);
    }
    if (state && containsUnknown(state)) {
      const names = Object.keys(state).filter((k) => containsUnknown(state![k]));
      diagnostics.push(
        errorDiagnostic('PROVIDER_ERROR', `The provider left ${names.join(', ')} unknown after ${action} ${req.type_name}`, 'This is a bug in the cloudbilling provider.'),
      );
      for (const k of names) state[k] = null;
    }
    // Private state keeps what was applied (keepApplied), never a plan's replacement token.
    const applied = state && !hasError(diagnostics) && handler.keepApplied ? Object.fromEntries(handler.keepApplied.map((k) => [k, state![k] ?? null])) as Values : privateOf(req.planned_private).applied;
    return { new_state: encodeDynamic(attrs, state, req.type_name), private: encodePrivate(applied ? { applied } : {}), diagnostics };
  }

  async importResourceState(req: ImportRequest): Promise<Req> {
    const { handler, def } = this.#resource(req.type_name);
    const state = await handler.importState(String(req.id ?? ''), this.ctx);
    return {
      imported_resources: [{ type_name: req.type_name, state: encodeDynamic(def.attributes, state, req.type_name) }],
      diagnostics: [],
    };
  }

  async readDataSource(req: ValidateRequest): Promise<Req> {
    const { handler, def } = this.#dataSource(req.type_name);
    const config = decodeDynamic(def.attributes, req.config, req.type_name);
    if (config === null) throw new Error(`${req.type_name}: no configuration`);
    const r = await handler.read(config, this.ctx);
    const diagnostics = toProtoDiagnostics(r.diagnostics);
    if (hasError(diagnostics)) return { diagnostics };
    return { state: encodeDynamic(def.attributes, r.state, req.type_name), diagnostics };
  }
}

class UnsupportedType extends Error {
  override readonly name = 'UnsupportedType';
  constructor(readonly kind: string, readonly typeName: string) {
    super(`${kind} type ${JSON.stringify(typeName)} is not supported by the cloudbilling provider`);
  }
}

function unsupported(kind: string, typeName: string | undefined): ProtoDiagnostic {
  return errorDiagnostic('UNSUPPORTED_TYPE', `Unknown ${kind} type ${JSON.stringify(typeName ?? '')}`, UNSUPPORTED_TEXT);
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A configured value for an attribute the API decides (presence `computed`) is an error on that attribute. */
function readOnlyDiagnostics(def: ResourceDefinition, config: Values): Diagnostic[] {
  return Object.entries(def.attributes)
    .filter(([name, a]) => a.presence === 'computed' && config[name] !== null && config[name] !== undefined && !isUnknown(config[name]))
    .map(([name, a]) => adapterDiagnostic('READ_ONLY_ATTRIBUTE', { attribute: toSnake(name), why: a.description.replace(/\.$/, '') }, { path: [name] }));
}

/** The private state this provider wrote for an instance (anything else, or nothing: empty). */
function privateOf(bytes: Buffer | undefined): PrivateState {
  if (!bytes || bytes.length === 0) return {};
  try {
    const v = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    const out: PrivateState = {};
    if (v.applied && typeof v.applied === 'object' && !Array.isArray(v.applied)) out.applied = v.applied as Values;
    if (typeof v.inPlace === 'string') out.inPlace = v.inPlace;
    return out;
  } catch {
    return {};
  }
}

function encodePrivate(p: PrivateState): Buffer | undefined {
  return Object.keys(p).length === 0 ? undefined : Buffer.from(JSON.stringify(p));
}
