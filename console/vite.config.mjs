// Vite build of the web console (SPEC §9, docs/adr/0008-console.md): console/ -> dist/console/,
// served by `cloudbilling serve` at /console/. Called from scripts/bundle.js.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/console/',
  logLevel: 'warn',
  // Preact's JSX runtime; no React compatibility layer is needed.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: path.join(here, '..', 'dist', 'console'),
    emptyOutDir: true,
    target: 'es2022',
    // Everything is a file under /console/assets/: nothing inline, so the CSP can say default-src 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
});
