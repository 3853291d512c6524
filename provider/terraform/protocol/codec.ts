/**
 * DynamicValue codec: msgpack (and the `json` form of raw state) ⇄ the plain camelCase
 * values resources see (framework.ts), typed by the resource definition.
 *
 * Contract, both ways:
 * - Every attribute of the definition is present in an object; unset is `null`.
 *   Terraform rejects an object missing a key ("an object with N attributes is required").
 * - Any msgpack extension decodes as `UNKNOWN`: ext 0 is Terraform's unknown, ext 12 a
 *   *refined* unknown (payload: refinements such as not-null or a string prefix).
 *   `UNKNOWN` encodes as ext 0 with a one-byte payload, as go-cty does.
 * - Numbers may arrive as msgpack ints, floats or (for big values) strings.
 * - snake_case ⇄ camelCase happens here, with the one converter of `domain/naming.ts`.
 */
import { Decoder, Encoder, ExtData } from '@msgpack/msgpack';
import type { ExtensionCodecType } from '@msgpack/msgpack';
import type { AttrType, Attribute } from '../../domain/resources';
import { toSnake } from '../../domain/naming';
import { UNKNOWN, type TfValue, type Values } from '../framework';

export type Attributes = Record<string, Attribute>;

/** Marks a decoded extension; replaced by UNKNOWN while typing the value. */
const EXT = Symbol('msgpack-ext');

/** Any extension decodes to the marker; UNKNOWN encodes as ext 0. */
const extensionCodec: ExtensionCodecType<undefined> = {
  tryToEncode(object: unknown) {
    if (object === UNKNOWN) return new ExtData(0, Uint8Array.of(0));
    if (object instanceof ExtData) return object;
    return null;
  },
  decode() {
    return EXT;
  },
} as unknown as ExtensionCodecType<undefined>;

const decoder = new Decoder({ extensionCodec, useBigInt64: false });
const encoder = new Encoder({ extensionCodec, ignoreUndefined: false });

/** Thrown when a value does not fit the schema (a protocol or provider bug, not a user error). */
export class CodecError extends Error {
  override readonly name = 'CodecError';
}

/**
 * An object type's attributes as a table of (camelCase name, snake_case key, type), made
 * once per attributes object: decoding and encoding run for every attribute of every
 * resource of every RPC, and `toSnake` + `Object.entries` per call showed in profiles.
 */
interface Field {
  name: string;
  key: string;
  type: AttrType;
}
const fieldTables = new WeakMap<Attributes, Field[]>();
function fieldsOf(attributes: Attributes): Field[] {
  let fields = fieldTables.get(attributes);
  if (!fields) {
    fields = Object.entries(attributes).map(([name, attr]) => ({ name, key: toSnake(name), type: attr.type }));
    fieldTables.set(attributes, fields);
  }
  return fields;
}

/**
 * Where a value sits, for error messages only: built lazily (a string per attribute per
 * call was measurable), e.g. `value.payment_method.type` or `value.billing_emails[1]`.
 */
type Where = string | (() => string);
const whereText = (w: Where): string => (typeof w === 'string' ? w : w());
const child = (w: Where, key: string): Where => () => `${whereText(w)}.${key}`;
const item = (w: Where, i: number): Where => () => `${whereText(w)}[${i}]`;

/** Type one raw (snake_case, msgpack-decoded) value. */
export function typeValue(type: AttrType, raw: unknown, where: Where): TfValue {
  if (raw === EXT || raw instanceof ExtData) return UNKNOWN;
  if (raw === null || raw === undefined) return null;
  switch (type.kind) {
    case 'string':
      if (typeof raw !== 'string') throw new CodecError(`${whereText(where)}: expected a string, got ${typeof raw}`);
      return raw;
    case 'number':
      if (typeof raw === 'number') return raw;
      if (typeof raw === 'bigint') return Number(raw);
      if (typeof raw === 'string' && raw.trim() !== '' && !Number.isNaN(Number(raw))) return Number(raw);
      throw new CodecError(`${whereText(where)}: expected a number, got ${typeof raw}`);
    case 'bool':
      if (typeof raw !== 'boolean') throw new CodecError(`${whereText(where)}: expected a bool, got ${typeof raw}`);
      return raw;
    case 'list':
      if (!Array.isArray(raw)) throw new CodecError(`${whereText(where)}: expected a list`);
      return raw.map((e, i) => typeValue(type.element, e, item(where, i)));
    case 'object':
      return typeObject(type.attributes, raw, where);
  }
}

/** Type a raw object: camelCase keys, every attribute present (null when absent). */
export function typeObject(attributes: Attributes, raw: unknown, where: Where = 'value'): Values {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CodecError(`${whereText(where)}: expected an object`);
  }
  const src = raw as Record<string, unknown>;
  const out: Values = {};
  for (const f of fieldsOf(attributes)) out[f.name] = typeValue(f.type, src[f.key], child(where, f.key));
  return out;
}

/** Turn one typed value back into its wire form (snake_case keys, UNKNOWN kept for the encoder). */
export function untypeValue(type: AttrType, v: unknown, where: Where): unknown {
  if (v === UNKNOWN) return UNKNOWN;
  if (v === null || v === undefined) return null;
  switch (type.kind) {
    case 'string':
      if (typeof v !== 'string') throw new CodecError(`${whereText(where)}: expected a string, got ${typeof v}`);
      return v;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new CodecError(`${whereText(where)}: expected a finite number`);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw new CodecError(`${whereText(where)}: expected a bool, got ${typeof v}`);
      return v;
    case 'list':
      if (!Array.isArray(v)) throw new CodecError(`${whereText(where)}: expected a list`);
      return v.map((e, i) => untypeValue(type.element, e, item(where, i)));
    case 'object':
      return untypeObject(type.attributes, v, where);
  }
}

/**
 * Every attribute of the definition, snake_case, null when unset. Keys the definition
 * does not declare are dropped (Terraform's object type has exactly the declared ones).
 */
export function untypeObject(attributes: Attributes, v: unknown, where: Where = 'value'): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CodecError(`${whereText(where)}: expected an object`);
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of fieldsOf(attributes)) out[f.key] = untypeValue(f.type, src[f.name], child(where, f.key));
  return out;
}

/** The wire shape of a DynamicValue (tfplugin6). */
export interface DynamicValue {
  msgpack?: Uint8Array | null;
  json?: Uint8Array | null;
}

/** Raw msgpack bytes → untyped JS (extensions become a private marker). */
export function decodeMsgpack(bytes: Uint8Array): unknown {
  return decoder.decode(bytes);
}

/** Untyped JS (UNKNOWN allowed anywhere) → msgpack bytes. */
export function encodeMsgpack(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/**
 * Decode a DynamicValue of an object type. Returns null for a null value or when the
 * DynamicValue is absent or empty (Terraform sends nothing for "no state").
 */
export function decodeDynamic(attributes: Attributes, dv: DynamicValue | null | undefined, where = 'value'): Values | null {
  if (!dv) return null;
  let raw: unknown;
  if (dv.msgpack && dv.msgpack.length > 0) raw = decodeMsgpack(dv.msgpack);
  else if (dv.json && dv.json.length > 0) raw = JSON.parse(Buffer.from(dv.json).toString('utf8'));
  else return null;
  if (raw === null) return null;
  if (raw === EXT) throw new CodecError(`${where}: the whole object is unknown`);
  return typeObject(attributes, raw, where);
}

/** Like decodeDynamic, but a wholly unknown object decodes as UNKNOWN (provider config may be unknown). */
export function decodeDynamicOrUnknown(attributes: Attributes, dv: DynamicValue | null | undefined, where = 'value'): Values | null | typeof UNKNOWN {
  if (dv?.msgpack && dv.msgpack.length > 0) {
    const raw = decodeMsgpack(dv.msgpack);
    if (raw === EXT) return UNKNOWN;
  }
  return decodeDynamic(attributes, dv, where);
}

/** Decode raw state stored as JSON (UpgradeResourceState `raw_state.json`). */
export function decodeJsonState(attributes: Attributes, json: Uint8Array | string, where = 'raw_state'): Values | null {
  const text = typeof json === 'string' ? json : Buffer.from(json).toString('utf8');
  const raw = JSON.parse(text) as unknown;
  if (raw === null) return null;
  return typeObject(attributes, raw, where);
}

/** Encode values of an object type (or null) as a msgpack DynamicValue. */
export function encodeDynamic(attributes: Attributes, values: Values | null, where = 'value'): { msgpack: Uint8Array } {
  if (values === null) return { msgpack: encodeMsgpack(null) };
  return { msgpack: encodeMsgpack(untypeObject(attributes, values, where)) };
}
