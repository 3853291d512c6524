import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { derInteger, generateServerCertificate, handshakeCertificate } from '../../../provider/terraform/protocol/cert';

/** Minimal DER reader: [tag, content, rest]. */
function readTlv(b: Buffer): [number, Buffer, Buffer] {
  const tag = b[0];
  let len = b[1];
  let off = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[2 + i];
    off = 2 + n;
  }
  return [tag, b.subarray(off, off + len), b.subarray(off + len)];
}

function serialBytes(der: Buffer): Buffer {
  const [, cert] = readTlv(der);
  const [, tbs] = readTlv(cert);
  const [versionTag, , afterVersion] = readTlv(tbs);
  expect(versionTag).toBe(0xa0);
  const [tag, serial] = readTlv(afterVersion);
  expect(tag).toBe(0x02);
  return serial;
}

describe('AutoMTLS server certificate', () => {
  test('500 fresh certificates all parse, verify, and have what Terraform requires', () => {
    for (let i = 0; i < 500; i++) {
      const c = generateServerCertificate();
      const x = new X509Certificate(c.der);
      expect(x.ca).toBe(true);
      expect(x.subjectAltName).toContain('DNS:localhost');
      expect(x.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
      expect(x.verify(x.publicKey)).toBe(true);
      expect(x.checkHost('localhost')).toBe('localhost');
      expect(new Date(x.validFrom).getTime()).toBeLessThanOrEqual(Date.now());
      expect(new Date(x.validTo).getTime()).toBeGreaterThan(Date.now() + 86_400_000);
      // Positive and minimally encoded (a leading 0x00/0xFF byte is refused by Go: "illegal padding").
      const s = serialBytes(c.der);
      expect(s[0] & 0x80).toBe(0);
      expect(s[0]).not.toBe(0);
      expect(s.length).toBeLessThanOrEqual(20);
      // The handshake form: base64 of the DER, no padding.
      const h = handshakeCertificate(c.der);
      expect(h).not.toMatch(/=/);
      expect(Buffer.from(h, 'base64').equals(c.der)).toBe(true);
    }
  });

  test('derInteger is minimal and positive', () => {
    expect(derInteger(Buffer.of(0, 0, 5))).toEqual(Buffer.of(2, 1, 5));
    expect(derInteger(Buffer.of(0x80))).toEqual(Buffer.of(2, 2, 0, 0x80));
    expect(derInteger(Buffer.of(0))).toEqual(Buffer.of(2, 1, 0));
  });

  test('40 real mutual-TLS handshakes over a unix socket (server and client certificates verified)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cert-test-'));
    try {
      for (let i = 0; i < 40; i++) {
        const server = generateServerCertificate();
        const client = generateServerCertificate();
        const sock = path.join(dir, `s${i}.sock`);
        const srv = tls.createServer({ key: server.keyPem, cert: server.certPem, ca: client.certPem, requestCert: true, rejectUnauthorized: true }, (s) => {
          s.end(s.authorized ? 'ok' : 'unauthorized');
        });
        await new Promise<void>((r) => srv.listen(sock, r));
        const reply = await new Promise<string>((resolve, reject) => {
          const c = tls.connect({ path: sock, servername: 'localhost', ca: server.certPem, cert: client.certPem, key: client.keyPem }, () => {
            expect(c.authorized).toBe(true);
          });
          let data = '';
          c.on('data', (d) => (data += d));
          c.on('end', () => resolve(data));
          c.on('error', reject);
        });
        expect(reply).toBe('ok');
        await new Promise<void>((r) => srv.close(() => r()));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a client with the wrong certificate is refused', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cert-test-'));
    const server = generateServerCertificate();
    const expected = generateServerCertificate();
    const intruder = generateServerCertificate();
    const sock = path.join(dir, 's.sock');
    const srv = tls.createServer({ key: server.keyPem, cert: server.certPem, ca: expected.certPem, requestCert: true, rejectUnauthorized: true }, (s) => s.end('ok'));
    await new Promise<void>((r) => srv.listen(sock, r));
    try {
      const outcome = await new Promise<string>((resolve) => {
        const c = tls.connect({ path: sock, servername: 'localhost', ca: server.certPem, cert: intruder.certPem, key: intruder.keyPem });
        let data = '';
        c.on('data', (d) => (data += d));
        c.on('end', () => resolve(data || 'closed'));
        c.on('error', (e) => resolve(`error: ${e.message}`));
      });
      expect(outcome).not.toBe('ok');
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
