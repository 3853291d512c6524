/**
 * Serves the web console (SPEC §9) at /console/: the files `npm run build` puts in
 * dist/console/ (console/, Vite + Preact; docs/adr/0008-console.md), through
 * `@fastify/static`. The console is a client of /v1 like any other, so nothing here knows
 * about billing: the routes are public (the files hold no data; the token is sent by the
 * page to /v1), and every response carries a strict Content-Security-Policy, in this
 * plugin's scope only: /v1's headers are unchanged.
 */
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { API_TEXT } from '../domain/messages';
import { httpError } from './errors';

/** No inline script or style, nothing from another origin, no framing, no plugins. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** dist/console next to the compiled server (dist/provider/server -> dist/console), or from the sources (provider/server -> dist/console). */
export function consoleRoot(): string | undefined {
  const candidates = [path.resolve(__dirname, '../../console'), path.resolve(__dirname, '../../dist/console')];
  // A built console has assets/ (the sources in console/ have an index.html too, but no assets).
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html')) && fs.existsSync(path.join(dir, 'assets')));
}

export async function registerConsole(app: FastifyInstance, root: string | undefined = consoleRoot()): Promise<void> {
  await app.register(async (scope) => {
    // Every route of this scope is public: the page signs in against /v1 itself.
    scope.addHook('onRoute', (route) => {
      route.config = { ...(route.config as object), public: true };
    });
    scope.addHook('onSend', async (_req, reply) => {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    });
    if (!root) {
      const missing = async () => {
        throw httpError(404, API_TEXT.consoleNotBuilt);
      };
      scope.get('/console', { schema: { hide: true } }, missing);
      scope.get('/console/*', { schema: { hide: true } }, missing);
      return;
    }
    await scope.register(fastifyStatic, {
      root,
      prefix: '/console/',
      index: 'index.html',
      wildcard: true,
      schemaHide: true,
      dotfiles: 'deny',
      // Hashed asset names change with their content: cache them for good; the page itself never.
      cacheControl: false,
      setHeaders: (res, file) => {
        res.setHeader('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    // The router ignores trailing slashes, so /console/ arrives as /console: the page itself.
    scope.get('/console', { schema: { hide: true } }, (_req, reply) => reply.sendFile('index.html'));
  });
}
