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
  changeSet: 'cs-',
} as const;

// Random bytes are drawn in blocks: one syscall per 512 ids instead of one per id.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

export function newId(kind: keyof typeof ID_PREFIX): string {
  if (offset + 8 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + 8);
  offset += 8;
  return ID_PREFIX[kind] + hex;
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
