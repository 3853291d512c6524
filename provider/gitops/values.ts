/**
 * Turns a tool's raw attribute object (snake_case for Terraform, camelCase for Pulumi)
 * into camelCase values of a resource definition, applying the tool's unknown and
 * sensitive masks. Only attributes of the definition are kept: anything else a tool
 * stores (Pulumi's serialized `__provider`, timeouts) never reaches output.
 *
 * - unknown → `undefined` (rules skip it);
 * - sensitive by definition (payment references) → `REDACTED`, never the value;
 * - sensitive only because the user marked it so (e.g. a sensitive variable used as an
 *   e-mail) → `undefined`: we may not print it and will not guess rules on it.
 */
import type { AttrType, Attribute, ResourceDefinition } from '../domain/resources';
import { createHash } from 'node:crypto';
import { toSnake } from '../domain/naming';
import { REDACTED, type Values } from './model';

export interface ValueMasks {
  /** Mirror of the value: `true` where unknown. */
  unknown?: unknown;
  /** Mirror of the value: `true` where sensitive. */
  sensitive?: unknown;
  /** Predicate for tool-specific unknown markers inside values (Pulumi's sentinel string). */
  isUnknown?: (v: unknown) => boolean;
  /** Predicate for tool-specific secret markers inside values (`[secret]`, encrypted secrets). */
  isSecret?: (v: unknown) => boolean;
  /**
   * Keep a SHA-256 digest (`sha256:...`) of definition-sensitive values instead of
   * `REDACTED`, so drift can tell that a secret changed without ever holding or printing it.
   */
  digestSecrets?: boolean;
  /**
   * Terraform JSON writes every attribute (null when unset), so a missing key means "not
   * recorded" and is treated as unknown; Pulumi omits unset inputs, so there it is null.
   */
  absentIsUnknown?: boolean;
}

/** Digest of a sensitive value, comparable but not reversible. Never printed. */
export function secretDigest(v: unknown): string {
  return 'sha256:' + createHash('sha256').update(String(v)).digest('hex');
}

export function isSecretDigest(v: unknown): boolean {
  return typeof v === 'string' && v.startsWith('sha256:');
}

const at = (mask: unknown, key: string | number): unknown =>
  mask && typeof mask === 'object' ? (mask as Record<string | number, unknown>)[key] : mask === true ? true : undefined;

type Field = { name: string; snake: string; attr: Attribute };
const FIELDS = new WeakMap<Record<string, Attribute>, Field[]>();

/** The attributes of a definition or object type with their snake_case keys, computed once. */
function fields(attributes: Record<string, Attribute>): Field[] {
  let f = FIELDS.get(attributes);
  if (!f) {
    f = Object.entries(attributes).map(([name, attr]) => ({ name, snake: toSnake(name), attr }));
    FIELDS.set(attributes, f);
  }
  return f;
}

export function normalizeValues(
  def: ResourceDefinition,
  raw: Record<string, unknown> | null | undefined,
  masks: ValueMasks = {},
  naming: 'snake' | 'camel' = 'snake',
): Values | null {
  if (raw === null || raw === undefined) return null;
  const out: Values = {};
  for (const { name, snake, attr } of fields(def.attributes)) {
    const key = naming === 'snake' ? snake : name;
    out[name] = convert(attr.type, raw[key], at(masks.unknown, key), at(masks.sensitive, key), attr.sensitive === true, masks, naming);
  }
  return out;
}

function convert(
  type: AttrType,
  v: unknown,
  unknown: unknown,
  sensitive: unknown,
  defSensitive: boolean,
  masks: ValueMasks,
  naming: 'snake' | 'camel',
): unknown {
  if (unknown === true || (masks.isUnknown && masks.isUnknown(v))) return undefined;
  if (defSensitive) {
    if (v === null || v === undefined) return null;
    if (masks.isSecret && masks.isSecret(v)) return undefined;
    return masks.digestSecrets ? secretDigest(v) : REDACTED;
  }
  if (sensitive === true || (masks.isSecret && masks.isSecret(v))) {
    // A hidden object is still known to be present (Pulumi stores the whole payment
    // method as a secret): keep its presence, with every field unknown.
    if (type.kind === 'object' && v !== null && v !== undefined) {
      return Object.fromEntries(Object.keys(type.attributes).map((k) => [k, undefined]));
    }
    return undefined;
  }
  if (v === undefined) return masks.absentIsUnknown ? undefined : null;
  if (v === null) return null;
  switch (type.kind) {
    case 'object': {
      // A nested block renders as a one-element list in Terraform JSON; an attribute as an object.
      let obj = v;
      let u = unknown;
      let s = sensitive;
      if (Array.isArray(v)) {
        obj = v[0] ?? null;
        u = at(unknown, 0);
        s = at(sensitive, 0);
      }
      if (obj === null || typeof obj !== 'object') return null;
      const out: Values = {};
      for (const { name, snake, attr } of fields(type.attributes)) {
        const key = naming === 'snake' ? snake : name;
        out[name] = convert(attr.type, (obj as Values)[key], at(u, key), at(s, key), attr.sensitive === true, masks, naming);
      }
      return out;
    }
    case 'list':
      if (!Array.isArray(v)) return undefined;
      return v.map((e, i) => convert(type.element, e, at(unknown, i), at(sensitive, i), false, masks, naming));
    default:
      return v;
  }
}

/** Deep equality of plain JSON values (for drift and no-op detection). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => sameValue(x, bb[i]));
  }
  const ka = Object.keys(a as object).filter((k) => (a as Values)[k] !== null && (a as Values)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Values)[k] !== null && (b as Values)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameValue((a as Values)[k], (b as Values)[k]));
}
