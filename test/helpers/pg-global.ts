/**
 * jest globalSetup / globalTeardown for the PostgreSQL cluster the server suites share
 * (stores.ts): setup only makes the run's directory (no cluster is started unless a test
 * needs one); teardown stops the cluster if a test started one, and deletes it all.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attach } from './postgres';
import { SHARED_DIR_ENV } from './stores-env';

export async function setup(): Promise<void> {
  process.env[SHARED_DIR_ENV] = mkdtempSync(join(tmpdir(), 'cloudbilling-pg-run-'));
}

export async function teardown(): Promise<void> {
  const dir = process.env[SHARED_DIR_ENV];
  if (!dir) return;
  const info = join(dir, 'cluster.json');
  if (existsSync(info)) await attach(JSON.parse(readFileSync(info, 'utf8'))).stop();
  rmSync(dir, { recursive: true, force: true });
}
