/**
 * Terraform schema derived from the declarative definitions of `domain/resources.ts`
 * (provider config, resources, data sources). Nothing here lists attributes by hand.
 *
 * Mapping decisions (kept consistent everywhere):
 * - presence `required` → required; `optional` → optional; `computed` → computed;
 *   `optionalComputed` → optional + computed. An `optional` attribute with a `default`
 *   is optional + computed too: the provider plans the default when the config leaves
 *   it null, and Terraform only accepts a planned value that differs from the config
 *   for computed attributes.
 * - An object-typed attribute (`paymentMethod`, `details`) is a *nested attribute*
 *   (`nested_type`, nesting SINGLE), so it can be optional + computed. A list of objects
 *   is a nested attribute with nesting LIST. Lists of primitives are `["list", T]` types.
 * - Descriptions are markdown.
 *
 * Two outputs: the tfplugin6 `GetProviderSchema.Response` (as plain data for protobufjs,
 * snake_case field names) and the JSON of `terraform providers schema -json`, which the
 * CDKTF binding generator reads.
 */
import type { AttrType, Attribute, ResourceDefinition } from '../../domain/resources';
import { resources as resourceDefs, dataSources as dataSourceDefs, providerConfig } from '../../domain/resources';
import { toSnake } from '../../domain/naming';

/** Provider address in the registry namespace (`terraform init` resolves it offline from a mirror). */
export const PROVIDER_SOURCE = 'registry.terraform.io/cloudbilling/cloudbilling';
/** Terraform type-name prefix of every resource and data source. */
export const TYPE_PREFIX = 'cloudbilling_';

/** `cloudbilling_<tfName>` → definition, for managed resources. */
export const resourceDefinitions: Record<string, ResourceDefinition> = Object.fromEntries(
  Object.values(resourceDefs).map((d) => [TYPE_PREFIX + d.tfName, d]),
);
/** `cloudbilling_<tfName>` → definition, for data sources. */
export const dataSourceDefinitions: Record<string, ResourceDefinition> = Object.fromEntries(
  Object.values(dataSourceDefs).map((d) => [TYPE_PREFIX + d.tfName, d as ResourceDefinition]),
);
export { providerConfig as providerDefinition };

/** How an attribute is declared to Terraform. */
export function presenceFlags(attr: Attribute): { required: boolean; optional: boolean; computed: boolean } {
  switch (attr.presence) {
    case 'required':
      return { required: true, optional: false, computed: false };
    case 'optional':
      return { required: false, optional: true, computed: attr.default !== undefined };
    case 'computed':
      return { required: false, optional: false, computed: true };
    case 'optionalComputed':
      return { required: false, optional: true, computed: true };
  }
}

/** The cty JSON type constraint of a type, e.g. `"string"`, `["list","string"]`, `["object",{...}]`. */
export function ctyType(type: AttrType): unknown {
  switch (type.kind) {
    case 'string':
    case 'number':
    case 'bool':
      return type.kind;
    case 'list':
      return ['list', ctyType(type.element)];
    case 'object':
      return [
        'object',
        Object.fromEntries(Object.entries(type.attributes).map(([n, a]) => [toSnake(n), ctyType(a.type)])),
      ];
  }
}

/** Nested-attribute shape of a type, or null when it is a plain typed attribute. */
function nesting(type: AttrType): { mode: 'single' | 'list'; attributes: Record<string, Attribute> } | null {
  if (type.kind === 'object') return { mode: 'single', attributes: type.attributes };
  if (type.kind === 'list' && type.element.kind === 'object') return { mode: 'list', attributes: type.element.attributes };
  return null;
}

// ---- tfplugin6 (protobuf) form --------------------------------------------------

const NESTING_PROTO = { single: 'SINGLE', list: 'LIST' } as const;

export interface ProtoAttribute {
  name: string;
  type?: Buffer;
  nested_type?: { attributes: ProtoAttribute[]; nesting: 'SINGLE' | 'LIST' };
  description: string;
  description_kind: 'MARKDOWN';
  required: boolean;
  optional: boolean;
  computed: boolean;
  sensitive: boolean;
}

export interface ProtoSchema {
  version: number;
  block: { version: number; attributes: ProtoAttribute[]; block_types: never[]; description: string; description_kind: 'MARKDOWN' };
}

function protoAttribute(name: string, attr: Attribute): ProtoAttribute {
  const n = nesting(attr.type);
  const out: ProtoAttribute = {
    name: toSnake(name),
    description: attr.description,
    description_kind: 'MARKDOWN',
    ...presenceFlags(attr),
    sensitive: attr.sensitive === true,
  };
  if (n) {
    out.nested_type = {
      attributes: Object.entries(n.attributes).map(([k, a]) => protoAttribute(k, a)),
      nesting: NESTING_PROTO[n.mode],
    };
  } else {
    out.type = Buffer.from(JSON.stringify(ctyType(attr.type)));
  }
  return out;
}

/** The tfplugin6 `Schema` of one definition. */
export function protoSchema(def: ResourceDefinition): ProtoSchema {
  return {
    version: 0,
    block: {
      version: 0,
      attributes: Object.entries(def.attributes).map(([k, a]) => protoAttribute(k, a)),
      block_types: [],
      description: def.description,
      description_kind: 'MARKDOWN',
    },
  };
}

/** `GetProviderSchema.Response` as plain data (protobufjs `fromObject` input, snake_case fields). */
export function providerSchemaResponse() {
  return {
    provider: protoSchema(providerConfig),
    resource_schemas: Object.fromEntries(Object.entries(resourceDefinitions).map(([t, d]) => [t, protoSchema(d)])),
    data_source_schemas: Object.fromEntries(Object.entries(dataSourceDefinitions).map(([t, d]) => [t, protoSchema(d)])),
    diagnostics: [],
    server_capabilities: serverCapabilities(),
  };
}

export function serverCapabilities() {
  // plan_destroy: resources report delete rules (MAIN_GROUP_UNDELETABLE, DELETE_*,
  // deletion_protection) at plan time, so Terraform must call PlanResourceChange for destroys.
  return { plan_destroy: true, get_provider_schema_optional: true, move_resource_state: false };
}

// ---- `terraform providers schema -json` form ------------------------------------

export interface JsonAttribute {
  type?: unknown;
  nested_type?: { attributes: Record<string, JsonAttribute>; nesting_mode: 'single' | 'list' };
  description: string;
  description_kind: 'markdown';
  required?: true;
  optional?: true;
  computed?: true;
  sensitive?: true;
}

export interface JsonSchema {
  version: number;
  block: { attributes: Record<string, JsonAttribute>; description: string; description_kind: 'markdown' };
}

function jsonAttribute(attr: Attribute): JsonAttribute {
  const n = nesting(attr.type);
  const out: JsonAttribute = n
    ? {
        nested_type: {
          attributes: Object.fromEntries(Object.entries(n.attributes).map(([k, a]) => [toSnake(k), jsonAttribute(a)])),
          nesting_mode: n.mode,
        },
        description: attr.description,
        description_kind: 'markdown',
      }
    : { type: ctyType(attr.type), description: attr.description, description_kind: 'markdown' };
  const f = presenceFlags(attr);
  if (f.required) out.required = true;
  if (f.optional) out.optional = true;
  if (f.computed) out.computed = true;
  if (attr.sensitive) out.sensitive = true;
  return out;
}

/** One definition in the JSON form of `terraform providers schema -json`. */
export function jsonSchema(def: ResourceDefinition): JsonSchema {
  return {
    version: 0,
    block: {
      attributes: Object.fromEntries(Object.entries(def.attributes).map(([k, a]) => [toSnake(k), jsonAttribute(a)])),
      description: def.description,
      description_kind: 'markdown',
    },
  };
}

/**
 * The provider's schema as data: `{provider, resource_schemas, data_source_schemas}`
 * in the JSON form (what `terraform providers schema -json` prints under the provider).
 */
export function providerSchema() {
  return {
    provider: jsonSchema(providerConfig),
    resource_schemas: Object.fromEntries(Object.entries(resourceDefinitions).map(([t, d]) => [t, jsonSchema(d)])),
    data_source_schemas: Object.fromEntries(Object.entries(dataSourceDefinitions).map(([t, d]) => [t, jsonSchema(d)])),
  };
}

/**
 * The whole document `terraform providers schema -json` prints for a configuration that
 * uses only this provider (input of `@cdktf/provider-generator`).
 */
export function providersSchemaJson() {
  return { format_version: '1.0', provider_schemas: { [PROVIDER_SOURCE]: providerSchema() } };
}
