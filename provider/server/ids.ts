/** Ids, tokens and hashes. Ids are a type prefix plus 16 random hex digits. */
import { createHash, randomBytes } from 'node:crypto';

export const ID_PREFIX = {
  group: 'bg-',
  project: 'prj-',
  user: 'usr-',
  invoice: 'inv-',
  credit: 'cr-',
  event: 'evt-',
  usage: 'usg-',
  domain: 'dom-',
} as const;

export function newId(kind: keyof typeof ID_PREFIX): string {
  return ID_PREFIX[kind] + randomBytes(8).toString('hex');
}

/** A fresh API token: 32 random bytes, hex, with a recognisable prefix. */
export function newToken(): string {
  return 'cbt_' + randomBytes(32).toString('hex');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Money travels as JSON numbers and is stored as integer micro-units (1e-6), so sums are exact. */
export const MICROS = 1_000_000;
export const toMicros = (amount: number): number => Math.round(amount * MICROS);
export const fromMicros = (micros: number): number => micros / MICROS;
