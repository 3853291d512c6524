import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataSources, providerConfig, resources } from '../../../provider/domain/resources';
import {
  PROVIDER_SOURCE,
  ctyType,
  jsonSchema,
  protoSchema,
  providerSchemaResponse,
  providersSchemaJson,
} from '../../../provider/terraform/protocol/schema';
import { messageCodec } from '../../../provider/terraform/protocol/grpc';
import { descriptorText } from '../../../provider/terraform/protocol/compile-proto';

const PROTO_DIR = path.resolve(__dirname, '../../../provider/terraform/protocol');

describe('schema derived from the definitions', () => {
  const doc = providersSchemaJson();
  const p = doc.provider_schemas[PROVIDER_SOURCE];

  test('every resource and data source, prefixed cloudbilling_', () => {
    expect(Object.keys(p.resource_schemas).sort()).toEqual(Object.values(resources).map((d) => `cloudbilling_${d.tfName}`).sort());
    expect(Object.keys(p.data_source_schemas).sort()).toEqual(Object.values(dataSources).map((d) => `cloudbilling_${d.tfName}`).sort());
    expect(doc.format_version).toBe('1.0');
  });

  test('presence: required, optional, computed, optionalComputed → optional+computed', () => {
    const bg = p.resource_schemas.cloudbilling_billing_group.block.attributes;
    expect(bg.name).toMatchObject({ required: true, type: 'string' });
    expect(bg.name.optional).toBeUndefined();
    expect(bg.id).toMatchObject({ computed: true });
    expect(bg.id.optional).toBeUndefined();
    expect(bg.payment_method.optional).toBe(true);
    expect(bg.payment_method.computed).toBeUndefined();
    expect(bg.details).toMatchObject({ optional: true, computed: true });
  });

  test('an optional attribute with a default is optional+computed (the default is planned)', () => {
    const bg = p.resource_schemas.cloudbilling_billing_group.block.attributes;
    expect(bg.deletion_protection).toMatchObject({ optional: true, computed: true, type: 'bool' });
    expect(p.resource_schemas.cloudbilling_project_link.block.attributes.allow_transfer).toMatchObject({ optional: true, computed: true });
  });

  test('objects are nested attributes (single), lists of objects nested (list), primitive lists typed', () => {
    const bg = p.resource_schemas.cloudbilling_billing_group.block.attributes;
    expect(bg.payment_method.type).toBeUndefined();
    expect(bg.payment_method.nested_type!.nesting_mode).toBe('single');
    expect(bg.payment_method.nested_type!.attributes.reference).toMatchObject({ type: 'string', optional: true, computed: true, sensitive: true });
    expect(bg.details.nested_type!.attributes.address_lines.type).toEqual(['list', 'string']);
    expect(bg.billing_emails.type).toEqual(['list', 'string']);
    const inv = p.data_source_schemas.cloudbilling_invoices.block.attributes.invoices;
    expect(inv.nested_type!.nesting_mode).toBe('list');
    expect(inv.nested_type!.attributes.lines.nested_type!.nesting_mode).toBe('list');
    expect(inv.nested_type!.attributes.lines.nested_type!.attributes.project_id).toMatchObject({ type: 'string', computed: true });
  });

  test('provider block: api_url, token (sensitive); markdown descriptions', () => {
    expect(p.provider.block.attributes.token).toMatchObject({ optional: true, sensitive: true, description_kind: 'markdown' });
    expect(p.provider.block.attributes.api_url.description).toMatch(/CLOUDBILLING_API_URL/);
    expect(p.provider.block.description_kind).toBe('markdown');
  });

  test('cty types', () => {
    expect(ctyType({ kind: 'list', element: { kind: 'object', attributes: { a: { type: { kind: 'number' }, presence: 'computed', description: '' } } } })).toEqual([
      'list',
      ['object', { a: 'number' }],
    ]);
  });

  test('the protobuf schema says the same as the JSON schema', () => {
    for (const def of [...Object.values(resources), ...Object.values(dataSources), providerConfig]) {
      const proto = protoSchema(def);
      const json = jsonSchema(def);
      expect(proto.block.attributes.map((a) => a.name).sort()).toEqual(Object.keys(json.block.attributes).sort());
      for (const a of proto.block.attributes) {
        const j = json.block.attributes[a.name];
        expect({ r: a.required, o: a.optional, c: a.computed, s: a.sensitive }).toEqual({ r: !!j.required, o: !!j.optional, c: !!j.computed, s: !!j.sensitive });
        if (a.type) expect(JSON.parse(a.type.toString())).toEqual(j.type);
        else expect(a.nested_type!.nesting.toLowerCase()).toBe(j.nested_type!.nesting_mode);
      }
    }
  });

  test('GetProviderSchema.Response encodes and decodes through the descriptor, with the optional-schema capability', () => {
    const codec = messageCodec('tfplugin6.GetProviderSchema.Response');
    const back = codec.decode(codec.encode(providerSchemaResponse()));
    expect(back.server_capabilities).toEqual({ plan_destroy: true, get_provider_schema_optional: true });
    const bg = back.resource_schemas.cloudbilling_billing_group.block;
    const details = bg.attributes.find((a: any) => a.name === 'details');
    expect(details).toMatchObject({ optional: true, computed: true, description_kind: 'MARKDOWN', nested_type: { nesting: 'SINGLE' } });
    expect(JSON.parse(Buffer.from(bg.attributes.find((a: any) => a.name === 'billing_emails').type).toString())).toEqual(['list', 'string']);
  });
});

describe('protocol descriptor', () => {
  test('the committed tfplugin6.descriptor.json is the compiled .proto files (run `npm run build` after editing them)', () => {
    expect(fs.readFileSync(path.join(PROTO_DIR, 'tfplugin6.descriptor.json'), 'utf8')).toBe(descriptorText(PROTO_DIR));
  });

  test('field numbers of the messages Terraform exchanges most', () => {
    const d = JSON.parse(fs.readFileSync(path.join(PROTO_DIR, 'tfplugin6.descriptor.json'), 'utf8')).nested.tfplugin6.nested;
    expect(d.PlanResourceChange.nested.Request.fields).toMatchObject({
      type_name: { id: 1 },
      prior_state: { id: 2 },
      proposed_new_state: { id: 3 },
      config: { id: 4 },
      prior_private: { id: 5 },
    });
    expect(d.PlanResourceChange.nested.Response.fields).toMatchObject({ planned_state: { id: 1 }, requires_replace: { id: 2 }, planned_private: { id: 3 }, diagnostics: { id: 4 } });
    expect(d.Schema.nested.Attribute.fields).toMatchObject({ nested_type: { id: 10 }, sensitive: { id: 7 }, description_kind: { id: 8 } });
    expect(d.GetProviderSchema.nested.Response.fields.server_capabilities.id).toBe(6);
    expect(d.ValidateProviderConfig.nested.Response.fields.diagnostics.id).toBe(2);
  });
});
