/**
 * Drift comparison without a server: Terraform state (`terraform show -json`, raw
 * tfstate) and Pulumi stack exports (with encrypted and plaintext secrets) against a
 * snapshot; attribution from an event log.
 */
import { parseStateText } from '../../provider/gitops/input';
import { attributeDrift, compareDrift } from '../../provider/gitops/drift';
import { renderDriftJson, renderDriftMarkdown, renderDriftText } from '../../provider/gitops/drift-format';
import type { Snapshot, BillingEvent } from '../../provider/client/types';
import { domain } from '../domain/fixtures';

const SIG = '4dabf18193072939515e22adb298388d';

function snap(): Snapshot {
  const s = domain('Acme').sub('Team').sub('Console').project('p1', 'Team').project('p2', 'Console').user('u1').permission('u1', 'Team').build();
  s.groups[1].details = { company: 'Team Inc', currency: 'USD' };
  return { ...s, links: [], at: '2026-11-22T12:00:00.000Z' };
}

const tfState = (resources: object[]) => JSON.stringify({ format_version: '1.0', terraform_version: '1.11.4', values: { root_module: { resources } } });
const tfGroup = (values: object) => ({ address: 'cloudbilling_billing_group.team', mode: 'managed', type: 'cloudbilling_billing_group', name: 'team', values, sensitive_values: { payment_method: { reference: true } } });
const teamValues = {
  id: 'sub-1',
  name: 'Team',
  billing_emails: ['billing@example.com'],
  invoice_emails: ['tax@example.com'],
  payment_method: { type: 'card', reference: 'tok_visa_0001' },
  details: { company: 'Team Inc', address_lines: null, country_code: null, vat_id: null, currency: 'USD' },
  deletion_protection: false,
};

describe('drift against Terraform state', () => {
  test('no drift when state matches; changed fields, a changed secret by digest, missing and unmanaged objects', () => {
    const clean = parseStateText(
      tfState([
        tfGroup(teamValues),
        { address: 'cloudbilling_project_link.p1', mode: 'managed', type: 'cloudbilling_project_link', name: 'p1', values: { id: 'p1', project_id: 'p1', billing_group_id: 'sub-1', allow_transfer: false } },
        { address: 'cloudbilling_group_permission.u1', mode: 'managed', type: 'cloudbilling_group_permission', name: 'u1', values: { id: 'sub-1/u1', billing_group_id: 'sub-1', user_id: 'u1' } },
      ]),
    );
    expect(compareDrift(clean, snap(), { ignoreUnmanaged: true }).items).toEqual([]);
    const withUnmanaged = compareDrift(clean, snap());
    expect(withUnmanaged.items.map((i) => `${i.status}:${i.kind}:${i.id}`)).toEqual(['unmanaged:billingGroup:sub-2', 'unmanaged:projectLink:p2']);
    expect(withUnmanaged.exitCode).toBe(2);

    const live = snap();
    live.groups[1] = { ...live.groups[1], name: 'Team (renamed)', paymentMethod: { type: 'card', reference: 'tok_NEW_SECRET' }, details: { company: 'Other', currency: 'USD' } };
    live.projects[0] = { ...live.projects[0], billingGroupId: 'main' };
    live.permissions = [];
    const r = compareDrift(clean, live, { ignoreUnmanaged: true });
    expect(r.items.map((i) => [i.status, i.id, i.fields.map((f) => f.field)])).toEqual([
      ['changed', 'sub-1', ['name', 'paymentMethod.reference', 'details.company']],
      ['changed', 'p1', ['billingGroupId']],
      ['missing', 'sub-1/u1', []],
    ]);
    for (const out of [renderDriftJson(r), renderDriftMarkdown(r), renderDriftText(r, false)]) {
      expect(out).not.toContain('tok_NEW_SECRET');
      expect(out).not.toContain('tok_visa_0001');
      expect(out).not.toContain('sha256:');
    }
    live.groups.splice(1, 1);
    expect(compareDrift(clean, live, { ignoreUnmanaged: true }).items[0]).toEqual(expect.objectContaining({ status: 'missing', id: 'sub-1' }));
  });

  test('a raw terraform.tfstate works too', () => {
    const raw = JSON.stringify({
      version: 4,
      terraform_version: '1.11.4',
      resources: [{ mode: 'managed', type: 'cloudbilling_billing_group', name: 'team', instances: [{ attributes: { ...teamValues, name: 'Old name' } }] }],
    });
    const r = compareDrift(parseStateText(raw, 'terraform'), snap(), { ignoreUnmanaged: true });
    expect(r.items).toEqual([expect.objectContaining({ status: 'changed', address: 'cloudbilling_billing_group.team', fields: [{ field: 'name', desired: 'Old name', actual: 'Team' }] })]);
  });

  test('attribution picks the newest matching event and names the actor', async () => {
    const live = snap();
    live.groups[1] = { ...live.groups[1], name: 'Renamed' };
    const r = compareDrift(parseStateText(tfState([tfGroup(teamValues)])), live);
    const events: Record<string, BillingEvent[]> = {
      'sub-1': [
        { id: 'e3', billingGroupId: 'sub-1', at: '2026-11-22T10:00:00Z', actor: 'u-admin', action: 'group.updated', target: 'sub-1', before: null, after: null },
        { id: 'e2', billingGroupId: 'sub-1', at: '2026-11-21T10:00:00Z', actor: 'u1', action: 'group.updated', target: 'sub-1', before: null, after: null },
      ],
      'sub-2': [{ id: 'e1', billingGroupId: 'sub-2', at: '2026-11-20T09:00:00Z', actor: 'u1', action: 'group.created', target: 'sub-2', before: null, after: null }],
    };
    const asked: string[] = [];
    await attributeDrift(r, async (id) => (asked.push(id), events[id] ?? []), live.users);
    expect(asked.sort()).toEqual(['sub-1', 'sub-2']); // each log read once (p2 lives in sub-2 too)
    const team = r.items.find((i) => i.id === 'sub-1')!;
    expect([team.changedBy, team.changedAt, team.event]).toEqual(['u-admin@example.com (u-admin)', '2026-11-22T10:00:00Z', 'group.updated']);
    expect(r.items.find((i) => i.id === 'sub-2')!.changedBy).toBe('u1@example.com (u1)');
    expect(r.items.find((i) => i.id === 'p2')!.changedBy).toBeUndefined(); // no project.linked event in the log
  });
});

describe('drift against a Pulumi stack export', () => {
  const resource = (type: string, name: string, id: string, inputs: object, outputs: object = inputs) => ({
    urn: `urn:pulumi:prod::billing::${type}::${name}`,
    custom: true,
    id,
    type,
    inputs: { __provider: 'exports.handler = __f0; /* token=abc */', ...inputs },
    outputs: { ...outputs, __provider: 'x' },
  });
  const exportDoc = (payment: unknown) =>
    JSON.stringify({
      version: 3,
      deployment: {
        manifest: { time: '2026-11-22T00:00:00Z', magic: 'x', version: 'v3.210.0' },
        secrets_providers: { type: 'passphrase', state: { salt: 'v1:abc' } },
        resources: [
          { urn: 'urn:pulumi:prod::billing::pulumi:pulumi:Stack::billing-prod', custom: false, type: 'pulumi:pulumi:Stack' },
          { urn: 'urn:pulumi:prod::billing::pulumi:providers:pulumi-nodejs::default', custom: true, id: 'x', type: 'pulumi:providers:pulumi-nodejs' },
          resource('pulumi-nodejs:dynamic/cloudbilling:BillingGroup', 'team', 'sub-1', {
            name: 'Team',
            billingEmails: ['billing@example.com'],
            invoiceEmails: ['tax@example.com'],
            paymentMethod: payment,
          }),
          resource('pulumi-nodejs:dynamic:Resource', 'p1-link', 'p1', { projectId: 'p1', billingGroupId: 'sub-1', allowTransfer: false }),
        ],
      },
    });

  test('encrypted secrets are not compared; everything else is', () => {
    const encrypted = { [SIG]: '1b47061264138c4ac30d75fd1eb44270', ciphertext: 'v1:AAAA' };
    const state = parseStateText(exportDoc(encrypted), 'pulumi');
    expect(state.objects.map((o) => [o.label, o.kind])).toEqual([
      ['BillingGroup "team"', 'billingGroup'],
      ['ProjectLink "p1-link"', 'projectLink'],
    ]);
    expect(compareDrift(state, snap(), { ignoreUnmanaged: true }).items).toEqual([]);
    const live = snap();
    live.groups[1] = { ...live.groups[1], paymentMethod: null };
    expect(compareDrift(state, live, { ignoreUnmanaged: true }).items[0].fields).toEqual([
      { field: 'paymentMethod', desired: { type: null, reference: '(sensitive)' }, actual: null },
    ]);
  });

  test('plaintext secrets (stack export --show-secrets) are compared by digest and never shown', () => {
    const plain = { [SIG]: '1b47061264138c4ac30d75fd1eb44270', plaintext: JSON.stringify({ type: 'card', reference: 'tok_OLD_SECRET' }) };
    const r = compareDrift(parseStateText(exportDoc(plain), 'pulumi'), snap(), { ignoreUnmanaged: true });
    expect(r.items.map((i) => i.fields.map((f) => f.field))).toEqual([['paymentMethod.reference']]);
    expect(renderDriftJson(r)).not.toMatch(/tok_OLD_SECRET|tok_visa_0001|token=abc/);
  });
});
