/**
 * `--demo`: seed a new database with a realistic domain so a newcomer sees something at
 * once. Everything goes through `BillingService`, so the rules apply as for any caller.
 */
import type { User } from '../domain/types';
import type { BillingService } from './service';

export async function seedDemo(service: BillingService): Promise<void> {
  const store = service.store;
  const admin = store.user(store.adminUserId) as User;
  const run = <T>(fn: () => Promise<T>): Promise<T> => store.tx(fn);
  const body = <T>(r: { body?: unknown }) => r.body as T;
  const mainId = service.state.domain.mainGroupId;
  const domain = service.state.domain.name;
  const mail = (local: string) => `${local}@${domain.replace(/[^a-z0-9-]/gi, '').toLowerCase() || 'example'}.com`;

  await run(() =>
    service.updateGroup(admin, mainId, {
      paymentMethod: { type: 'account', reference: 'pm_demo_main_account' },
      details: { company: `${domain} Inc.`, addressLines: ['1 Market Street', 'San Francisco, CA 94105'], countryCode: 'US', currency: 'USD' },
    }),
  );

  const teams = [
    { name: 'Platform', card: 'pm_demo_card_platform' },
    { name: 'Data & Analytics', card: 'pm_demo_card_data' },
    { name: 'Marketing', card: null },
    { name: 'Research', card: 'pm_demo_card_research' },
    { name: 'Customer Success', card: 'pm_demo_card_cs' },
  ];
  const groups: { id: string; name: string }[] = [];
  for (const t of teams) {
    const created = await run(() =>
      service.createGroup(admin, {
        name: t.name,
        billingEmails: [mail(`billing+${t.name.split(' ')[0].toLowerCase()}`)],
        invoiceEmails: [mail('ap')],
        paymentMethod: t.card ? { type: 'card', reference: t.card } : null,
        details: { company: `${domain} Inc. (${t.name})`, currency: 'USD' },
      }),
    );
    groups.push(body<{ id: string; name: string }>(created));
  }

  const projectNames = [
    'api-gateway', 'auth-service', 'billing-worker', 'k8s-prod', 'k8s-staging', 'warehouse', 'etl-nightly', 'ml-training',
    'dashboards', 'website', 'campaigns', 'newsletter', 'genomics-lab', 'simulation', 'support-portal', 'crm-sync',
    'chatbot', 'sandbox', 'legacy-erp', 'shared-vpc',
  ];
  const projects: string[] = [];
  for (const name of projectNames) projects.push(body<{ id: string }>(await run(() => service.createProject(admin, name))).id);
  // 16 projects spread over the sub groups, 4 stay in main.
  for (const [i, pid] of projects.slice(0, 16).entries()) await run(() => service.link(admin, pid, { billingGroupId: groups[i % groups.length].id }));

  const people = [
    { email: mail('finance.lead'), name: 'Fatima Finance', role: 'billing_admin' as const, groups: [] as string[] },
    { email: mail('cto'), name: 'Chris CTO', role: null, groups: [mainId] },
    { email: mail('platform.lead'), name: 'Pat Platform', role: null, groups: [groups[0].id] },
    { email: mail('data.lead'), name: 'Dana Data', role: null, groups: [groups[1].id, groups[3].id] },
  ];
  for (const p of people) {
    const u = body<{ id: string }>(await run(() => service.createUser(admin, { email: p.email, name: p.name, role: p.role })));
    for (const g of p.groups) await run(() => service.grant(admin, g, u.id));
  }

  const now = new Date();
  const prev = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 10, 12));
  const cur = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1, 8));
  const services = ['compute', 'storage', 'network'];
  let seed = 7;
  const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  for (const [i, pid] of projects.entries()) {
    for (const s of services) {
      if (rand() < 0.25) continue;
      const amount = Math.round((20 + rand() * 480) * 100) / 100;
      await run(() => service.recordUsage(admin, { projectId: pid, service: s, amount, at: prev.toISOString() }));
      if (i % 3 !== 2) await run(() => service.recordUsage(admin, { projectId: pid, service: s, amount: Math.round(amount * 40) / 100, at: cur.toISOString() }));
    }
  }
  const closed = body<{ invoices: { id: string }[] }>(await run(() => service.closePeriod(admin, prev.toISOString().slice(0, 7))));
  for (const inv of closed.invoices) await run(() => service.payInvoice(admin, inv.id));

  const year = now.getUTCFullYear();
  await run(() => service.claimCredit(admin, groups[0].id, `FREE-${year}-250`));
  await run(() => service.claimCredit(admin, groups[1].id, `PAID-${domain.toUpperCase().replace(/[^A-Z0-9]/g, '')}-${year}-1000`));
}
