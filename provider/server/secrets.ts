/**
 * Secrets at rest (SPEC §10): no token is stored anywhere in clear.
 *
 * - The server secret: 32 random bytes, generated on first start and kept in the store
 *   (`server_secrets`), so token hashes stay valid across restarts and between processes on
 *   one file. It keys every token hash: `tokenHash = HMAC-SHA256(secret, token)`; a copy of
 *   the database alone does not allow testing guessed tokens offline against a plain hash.
 * - The idempotency cache stores each response sealed (AES-256-GCM) under a key derived
 *   from the secret AND the caller's token (`cacheKey`). The token is never stored, so the
 *   database alone cannot open a cached `POST /v1/users` answer (which holds the new user's
 *   token); a replay by the same caller, who presents the token again, can.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

const SECRET_NAME = 'token-key';

/** The server secret of this database, created on first use (safe with two processes). */
export function loadServerSecret(db: Database.Database): Buffer {
  db.prepare('INSERT OR IGNORE INTO server_secrets (name, value, created_at) VALUES (?, ?, ?)').run(SECRET_NAME, randomBytes(32), new Date().toISOString());
  return db.prepare('SELECT value FROM server_secrets WHERE name = ?').pluck().get(SECRET_NAME) as Buffer;
}

/** The stored form of a token: HMAC-SHA256 keyed with the server secret, hex. */
export function keyedTokenHash(secret: Buffer, token: string): string {
  return createHmac('sha256', secret).update(token, 'utf8').digest('hex');
}

/** The key that seals this caller's idempotency entries (never stored). */
export function cacheKey(secret: Buffer, token: string): Buffer {
  return createHmac('sha256', secret).update('idempotency-cache\0', 'utf8').update(token, 'utf8').digest();
}

/** `text` sealed with AES-256-GCM: `v1.<iv>.<tag>.<ciphertext>`, base64url. */
export function seal(key: Buffer, text: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([c.update(text, 'utf8'), c.final()]);
  return ['v1', iv.toString('base64url'), c.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

/** The text `seal` sealed, or undefined when the key does not open it. */
export function unseal(key: Buffer, sealed: string): string | undefined {
  const [v, iv, tag, ct] = sealed.split('.');
  if (v !== 'v1' || iv === undefined || tag === undefined || ct === undefined) return undefined;
  try {
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
