/**
 * Shared setup of the Pulumi provider tests: a real Billing API server (in-memory
 * SQLite), an admin client for out-of-band changes, and short-hands that call the
 * exported dynamic providers exactly as the dynamic-provider host does.
 */
import * as pulumi from '@pulumi/pulumi';
import { BillingClient } from '../../provider/client';
import { engine, providers, type ResourceKind } from '../../provider/pulumi';
import { startTestServer, type TestServer } from '../helpers/server';

export const CARD = { type: 'card' as const, reference: 'tok_visa_4242' };

export interface World {
  server: TestServer;
  admin: BillingClient;
  mainId: string;
}

/** Start a server, point the environment at it and forget the engine's cached state. */
export async function startWorld(): Promise<World> {
  const server = await startTestServer();
  process.env.CLOUDBILLING_API_URL = server.url;
  process.env.CLOUDBILLING_TOKEN = server.adminToken;
  engine.reset();
  const admin = new BillingClient({ apiUrl: server.url, token: server.adminToken });
  const domain = await admin.getDomain();
  return { server, admin, mainId: domain.mainGroupId };
}

/** The engine reuses one snapshot per process; after an out-of-band change, start afresh. */
export function outOfBand(): void {
  engine.reset();
}

type Props = Record<string, any>;

export const check = (kind: ResourceKind, olds: Props, news: Props) => providers[kind].check!(olds, news);
export const diff = (kind: ResourceKind, id: string, olds: Props, news: Props) => providers[kind].diff!(id, olds, news);
export const create = (kind: ResourceKind, inputs: Props) => providers[kind].create(inputs);
export const read = (kind: ResourceKind, id: string, props: Props) => providers[kind].read!(id, props);
export const update = (kind: ResourceKind, id: string, olds: Props, news: Props) => providers[kind].update!(id, olds, news);
export const remove = (kind: ResourceKind, id: string, props: Props) => providers[kind].delete!(id, props);

/** Check, then create with the checked inputs (as `pulumi up` does). Fails on check failures. */
export async function checkAndCreate(kind: ResourceKind, news: Props) {
  const c = await check(kind, {}, news);
  if (c.failures && c.failures.length > 0) throw new Error(`check failed: ${JSON.stringify(c.failures)}`);
  return create(kind, c.inputs);
}

/** Codes of the check failures, in order. */
export function codes(failures: { reason: string }[] | undefined): string[] {
  return (failures ?? []).map((f) => f.reason.split(':')[0]);
}

/** Capture what the providers log with `pulumi.log.warn`. */
export function captureWarnings(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const spy = jest.spyOn(pulumi.log, 'warn').mockImplementation(async (msg: string) => {
    lines.push(msg);
  });
  return { lines, restore: () => spy.mockRestore() };
}

export const groupArgs = (name: string, over: Props = {}): Props => ({
  name,
  billingEmails: ['billing@example.com'],
  invoiceEmails: ['tax@example.com'],
  paymentMethod: CARD,
  ...over,
});
