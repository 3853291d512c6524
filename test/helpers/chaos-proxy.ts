/**
 * A loopback HTTP proxy in front of the real Billing API that injects faults, for
 * testing the client's retries and idempotency. Each incoming request takes the next
 * fault from the queue (none = pass through):
 *   - `drop-before`: close the connection without forwarding (the server never sees it);
 *   - `drop-after`: forward, let the server do the work, then close without answering;
 *   - `status:N[:retryAfter]`: answer N (e.g. 503, 429) without forwarding;
 *   - `delay:MS`: wait, then forward (for timeouts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'drop-before' | 'drop-after' | `status:${number}` | `status:${number}:${number}` | `delay:${number}`;

export interface ChaosProxy {
  url: string;
  /** Faults for the next requests, in order. */
  faults: Fault[];
  /** Requests seen by the proxy: `METHOD path`, with the Idempotency-Key when present. */
  seen: { method: string; path: string; idempotencyKey?: string }[];
  close(): Promise<void>;
}

export async function startChaosProxy(target: string): Promise<ChaosProxy> {
  const upstream = new URL(target);
  const proxy: ChaosProxy = { url: '', faults: [], seen: [], close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const key = req.headers['idempotency-key'];
      proxy.seen.push({ method: req.method!, path: req.url!, idempotencyKey: typeof key === 'string' ? key : undefined });
      const fault = proxy.faults.shift();
      if (fault === 'drop-before') return req.socket.destroy();
      if (fault?.startsWith('status:')) {
        const [, status, retryAfter] = fault.split(':');
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
        res.writeHead(Number(status), headers);
        return res.end(JSON.stringify({ error: { code: Number(status) === 429 ? 'TOO_MANY_REQUESTS' : 'SERVER_ERROR', message: 'injected' } }));
      }
      const forward = () => {
        const up = http.request(
          { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
          (upRes) => {
            const upChunks: Buffer[] = [];
            upRes.on('data', (c: Buffer) => upChunks.push(c));
            upRes.on('end', () => {
              if (fault === 'drop-after') return req.socket.destroy();
              res.writeHead(upRes.statusCode ?? 502, upRes.headers);
              res.end(Buffer.concat(upChunks));
            });
          },
        );
        up.on('error', () => req.socket.destroy());
        up.end(body);
      };
      if (fault?.startsWith('delay:')) setTimeout(forward, Number(fault.split(':')[1]));
      else forward();
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
