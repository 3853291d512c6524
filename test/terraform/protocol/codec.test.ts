import { encode, decode, ExtData } from '@msgpack/msgpack';
import { UNKNOWN } from '../../../provider/terraform/framework';
import {
  CodecError,
  decodeDynamic,
  decodeDynamicOrUnknown,
  decodeJsonState,
  encodeDynamic,
} from '../../../provider/terraform/protocol/codec';
import { billingGroup, dataSources, providerConfig } from '../../../provider/domain/resources';

const attrs = billingGroup.attributes;
const snakeKeys = Object.keys(attrs).map((k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));

/** go-cty's wire form of an unknown value: fixext1, type 0, one zero byte. */
const CTY_UNKNOWN = new ExtData(0, Uint8Array.of(0));

function wire(obj: Record<string, unknown>): { msgpack: Uint8Array } {
  return { msgpack: encode(obj) };
}

describe('msgpack decoding', () => {
  test('every attribute is present, camelCase, null when absent', () => {
    const v = decodeDynamic(attrs, wire({ name: 'Team A', billing_emails: ['a@example.com'] }))!;
    expect(Object.keys(v).sort()).toEqual(Object.keys(attrs).sort());
    expect(v.name).toBe('Team A');
    expect(v.billingEmails).toEqual(['a@example.com']);
    expect(v.paymentMethod).toBeNull();
    expect(v.createdAt).toBeNull();
  });

  test('ext 0 decodes as UNKNOWN, at top level and nested', () => {
    const v = decodeDynamic(
      attrs,
      wire({ id: CTY_UNKNOWN, billing_emails: ['a@example.com', CTY_UNKNOWN], payment_method: { type: 'card', reference: CTY_UNKNOWN } }),
    )!;
    expect(v.id).toBe(UNKNOWN);
    expect(v.billingEmails).toEqual(['a@example.com', UNKNOWN]);
    expect(v.paymentMethod).toEqual({ type: 'card', reference: UNKNOWN });
  });

  test('a refined unknown (ext 12 with a refinements payload) decodes as UNKNOWN', () => {
    // Terraform 1.11: refinements map, e.g. {1: not-null, 2: string prefix "bg-"}.
    const refinements = encode(new Map<number, unknown>([[1, true], [2, 'bg-']]));
    const v = decodeDynamic(attrs, wire({ id: new ExtData(12, refinements), name: new ExtData(12, encode(new Map([[1, true]]))) }))!;
    expect(v.id).toBe(UNKNOWN);
    expect(v.name).toBe(UNKNOWN);
  });

  test('nested objects get every attribute too (details.currency null when unset)', () => {
    const v = decodeDynamic(attrs, wire({ details: { company: 'ACME', address_lines: ['1 Main St', 'Springfield'] } }))!;
    expect(v.details).toEqual({ company: 'ACME', addressLines: ['1 Main St', 'Springfield'], countryCode: null, vatId: null, currency: null });
  });

  test('lists of objects with nested lists (data source invoices)', () => {
    const inv = dataSources.invoices.attributes;
    const v = decodeDynamic(
      inv,
      wire({
        billing_group_id: 'bg-1',
        invoices: [{ id: 'inv-1', period: '2026-10', total: 12.5, status: 'open', lines: [{ project_id: 'p-1', service: 'compute', amount: 12.5 }] }],
      }),
    )!;
    expect(v.invoices).toEqual([
      { id: 'inv-1', period: '2026-10', total: 12.5, status: 'open', lines: [{ projectId: 'p-1', service: 'compute', amount: 12.5 }] },
    ]);
    expect(v.id).toBeNull();
  });

  test('numbers: ints, floats, and big numbers sent as strings', () => {
    expect(decodeDynamic(attrs, wire({ version: 3 }))!.version).toBe(3);
    expect(decodeDynamic(attrs, wire({ version: 2.5 }))!.version).toBe(2.5);
    expect(decodeDynamic(attrs, wire({ version: '12345678901' }))!.version).toBe(12345678901);
    expect(() => decodeDynamic(attrs, wire({ version: 'abc' }))).toThrow(CodecError);
  });

  test('a null value, an empty DynamicValue and an absent one mean "no object"', () => {
    expect(decodeDynamic(attrs, { msgpack: encode(null) })).toBeNull();
    expect(decodeDynamic(attrs, { msgpack: new Uint8Array(0) })).toBeNull();
    expect(decodeDynamic(attrs, undefined)).toBeNull();
  });

  test('type mismatches are refused with the attribute path', () => {
    expect(() => decodeDynamic(attrs, wire({ name: 5 }))).toThrow(/\.name: expected a string/);
    expect(() => decodeDynamic(attrs, wire({ billing_emails: 'x' }))).toThrow(/billing_emails: expected a list/);
  });

  test('a wholly unknown provider config', () => {
    expect(decodeDynamicOrUnknown(providerConfig.attributes, { msgpack: encode(CTY_UNKNOWN) })).toBe(UNKNOWN);
    expect(decodeDynamicOrUnknown(providerConfig.attributes, wire({ api_url: 'http://x' }))).toEqual({ apiUrl: 'http://x', token: null });
  });
});

describe('msgpack encoding', () => {
  test('every attribute is written, snake_case, null when unset', () => {
    const bytes = encodeDynamic(attrs, { name: 'Team A', billingEmails: ['a@example.com'] }).msgpack;
    const raw = decode(bytes) as Record<string, unknown>;
    expect(Object.keys(raw).sort()).toEqual([...snakeKeys].sort());
    expect(raw.billing_emails).toEqual(['a@example.com']);
    expect(raw.payment_method).toBeNull();
    expect(raw.deletion_protection).toBeNull();
  });

  test('UNKNOWN encodes as ext 0 exactly like go-cty (d4 00 00)', () => {
    const bytes = encodeDynamic(providerConfig.attributes, { apiUrl: UNKNOWN, token: null }).msgpack;
    expect(Buffer.from(bytes).includes(Buffer.from([0xd4, 0x00, 0x00]))).toBe(true);
    const raw = decode(bytes) as Record<string, unknown>;
    expect(raw.api_url).toBeInstanceOf(ExtData);
    expect((raw.api_url as ExtData).type).toBe(0);
  });

  test('nested objects are completed with nulls; undeclared keys are dropped', () => {
    const raw = decode(
      encodeDynamic(attrs, { details: { company: 'ACME' }, paymentMethod: { type: 'card', reference: 'tok' }, extra: 'x' } as never).msgpack,
    ) as Record<string, any>;
    expect(raw.details).toEqual({ company: 'ACME', address_lines: null, country_code: null, vat_id: null, currency: null });
    expect(raw.payment_method).toEqual({ type: 'card', reference: 'tok' });
    expect('extra' in raw).toBe(false);
  });

  test('round trip keeps values, unknowns and nulls', () => {
    const values = decodeDynamic(
      attrs,
      wire({ name: 'x', billing_emails: ['a@b.c', CTY_UNKNOWN], details: { currency: CTY_UNKNOWN }, version: 7, id: CTY_UNKNOWN }),
    )!;
    expect(decodeDynamic(attrs, encodeDynamic(attrs, values))).toEqual(values);
  });

  test('wrong JS types are refused (a provider bug, reported, never sent)', () => {
    expect(() => encodeDynamic(attrs, { version: '3' } as never)).toThrow(CodecError);
    expect(() => encodeDynamic(attrs, { billingEmails: 'a@b.c' } as never)).toThrow(CodecError);
    expect(() => encodeDynamic(attrs, { version: NaN })).toThrow(CodecError);
  });

  test('null encodes as msgpack nil', () => {
    expect(Array.from(encodeDynamic(attrs, null).msgpack)).toEqual([0xc0]);
  });
});

describe('raw state JSON (UpgradeResourceState)', () => {
  test('decodes snake_case JSON into complete camelCase values', () => {
    const json = Buffer.from(JSON.stringify({ id: 'bg-1', name: 'A', billing_emails: ['a@b.c'], details: { currency: 'EUR' }, version: 2, legacy: 1 }));
    const v = decodeJsonState(attrs, json)!;
    expect(v.id).toBe('bg-1');
    expect(v.details).toEqual({ company: null, addressLines: null, countryCode: null, vatId: null, currency: 'EUR' });
    expect(v.paymentMethod).toBeNull();
    expect('legacy' in v).toBe(false);
    // and answers msgpack
    const raw = decode(encodeDynamic(attrs, v).msgpack) as Record<string, unknown>;
    expect(raw.version).toBe(2);
  });
});
