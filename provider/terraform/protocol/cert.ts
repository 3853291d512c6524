/**
 * go-plugin AutoMTLS server certificate, built with `node:crypto` only (no x509 library:
 * loading one costs ~160 ms of start-up on every provider launch).
 *
 * What Terraform's client requires, measured: a SAN `localhost` (a CN alone is refused),
 * CA:TRUE (the certificate is its own trust root), serverAuth + clientAuth, and a
 * positive, minimally encoded serial (a leading 0x00/0xFF byte fails with "illegal
 * padding"). Key: ECDSA P-256, signature ecdsa-with-SHA256. DER is written by hand below.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

// ---- minimal DER writer -----------------------------------------------------------

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.of(tag), len(body.length), body]);
}
const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const set = (...c: Buffer[]) => tlv(0x31, ...c);
const octets = (b: Buffer) => tlv(0x04, b);
const bool = (v: boolean) => tlv(0x01, Buffer.of(v ? 0xff : 0));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const explicit = (n: number, c: Buffer) => tlv(0xa0 | n, c);
/** BIT STRING with the given leading unused-bit count. */
const bits = (unused: number, b: Buffer) => tlv(0x03, Buffer.of(unused), b);

/** DER INTEGER of an unsigned big-endian byte string, minimally encoded and positive. */
export function derInteger(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length - 1 && unsigned[i] === 0) i++;
  let b = unsigned.subarray(i);
  if (b[0] & 0x80) b = Buffer.concat([Buffer.of(0), b]);
  return tlv(0x02, b);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [parts[0] * 40 + parts[1]];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5). */
function time(d: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, '0');
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  const y = d.getUTCFullYear();
  if (y >= 1950 && y < 2050) return tlv(0x17, Buffer.from(`${p(y % 100)}${rest}`, 'ascii'));
  return tlv(0x18, Buffer.from(`${y}${rest}`, 'ascii'));
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyId: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

/** A positive serial of 16 bytes whose first byte is 0x01–0x7f (so DER needs no padding byte). */
export function randomSerial(): Buffer {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x01;
  return b;
}

export interface ServerCertificate {
  /** DER of the certificate: base64 (unpadded) goes on the handshake line. */
  der: Buffer;
  certPem: string;
  keyPem: string;
}

/**
 * A fresh self-signed ECDSA P-256 certificate for `localhost` (and 127.0.0.1), valid
 * from a minute ago for `validDays` (default 30) days.
 */
export function generateServerCertificate(validDays = 30, now = new Date()): ServerCertificate {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // The SubjectPublicKeyInfo ends with the BIT STRING of the EC point (65 bytes, uncompressed).
  const point = spki.subarray(spki.length - 65);
  const name = seq(
    set(seq(oid(OID.organization), utf8('cloudbilling'))),
    set(seq(oid(OID.commonName), utf8('localhost'))),
  );
  const sigAlg = seq(oid(OID.ecdsaWithSha256));
  const ext = (id: string, critical: boolean, value: Buffer) =>
    critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
  const extensions = seq(
    ext(OID.basicConstraints, true, seq(bool(true))),
    // digitalSignature (bit 0), keyEncipherment (bit 2), keyCertSign (bit 5): 1010 0100, 2 unused bits.
    ext(OID.keyUsage, true, bits(2, Buffer.of(0xa4))),
    ext(OID.extKeyUsage, false, seq(oid(OID.serverAuth), oid(OID.clientAuth))),
    ext(OID.subjectAltName, false, seq(tlv(0x82, Buffer.from('localhost', 'ascii')), tlv(0x87, Buffer.of(127, 0, 0, 1)))),
    ext(OID.subjectKeyId, false, octets(createHash('sha1').update(point).digest())),
  );
  const tbs = seq(
    explicit(0, derInteger(Buffer.of(2))), // v3
    derInteger(randomSerial()),
    sigAlg,
    name,
    seq(time(new Date(now.getTime() - 60_000)), time(new Date(now.getTime() + validDays * 86_400_000))),
    name,
    spki,
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value
  const der = seq(tbs, sigAlg, bits(0, signature));
  const b64 = der.toString('base64');
  const certPem = `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return { der, certPem, keyPem };
}

/** The handshake's certificate field: base64 of the DER with no `=` padding. */
export function handshakeCertificate(der: Buffer): string {
  return der.toString('base64').replace(/=+$/, '');
}
