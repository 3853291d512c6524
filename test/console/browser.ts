/**
 * Headless Chromium for the console's end-to-end tests: Debian's `chromium` package driven
 * by playwright-core (no browser download). A missing browser fails the suite with the
 * command that installs it; it is never skipped. Screenshots go to .tmp/screenshots/, or to
 * docs/screenshots/ (committed) with UPDATE_SCREENSHOTS=1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CLOUDBILLING_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = path.resolve(__dirname, '../..');

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `The console tests need Chromium at ${CHROMIUM}. Install it with \`apt-get install -y chromium\` (Debian; .ci/run does this), or point CLOUDBILLING_CHROMIUM at a Chromium binary.`,
    );
  }
  if (!fs.existsSync(path.join(ROOT, 'dist/console/index.html'))) {
    throw new Error('The console is not built (dist/console/index.html is missing). Run `npm run build` first; `npm test` does.');
  }
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs/screenshots') : path.join(ROOT, '.tmp/screenshots');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Collects what the page reports as broken: CSP violations, script errors, and any request leaving `origin` (the console works offline). */
export function watchProblems(page: Page, origin: string): string[] {
  const problems: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(`${origin}/`) && !r.url().startsWith('blob:')) problems.push(`request off the server: ${r.url()}`);
  });
  page.on('console', (m) => {
    // A 4xx is an API answer the console shows (a refused rule); CSP refusals and script errors are problems.
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}
