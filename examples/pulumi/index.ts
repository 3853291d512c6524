/**
 * Billing groups as code with Pulumi: the main group gets the company card, two sub
 * groups pay for one project each, and a finance viewer may read Engineering's billing.
 *
 * Everything is declared under one `BillingDomain`, so `pulumi preview` checks the whole
 * program against the live domain before anything is created (two links for one project,
 * too many sub groups, two new groups with one name, ...). See docs/pulumi.md.
 *
 *   npm install && pulumi stack init dev
 *   pulumi config set cloudbilling:apiUrl http://127.0.0.1:8787
 *   pulumi config set --secret cloudbilling:token <billing_admin token>
 *   pulumi config set webProjectId <id> && pulumi config set apiProjectId <id>
 *   pulumi up
 */
import * as pulumi from '@pulumi/pulumi';
import { BillingDomain, BillingGroup, GroupPermission, MainBillingGroup, ProjectLink } from 'cloudbilling/pulumi';

const config = new pulumi.Config();
const card = { type: 'card' as const, reference: config.get('cardReference') || 'tok_example_company_card' };

const domain = new BillingDomain('billing');

// The main group always exists: declaring it adopts it; destroying it only forgets it.
// Sub groups can be created only once it has a payment method (the domain orders them).
const main = new MainBillingGroup(
  'main',
  { billingEmails: ['finance@example.com'], invoiceEmails: ['ap@example.com'], paymentMethod: card },
  { parent: domain },
);

const engineering = new BillingGroup(
  'engineering',
  {
    name: 'Engineering',
    billingEmails: ['eng-billing@example.com', 'cto@example.com'],
    invoiceEmails: ['ap@example.com'],
    paymentMethod: card,
    details: { company: 'Example Corp', countryCode: 'DE', currency: 'EUR' },
    deletionProtection: true,
  },
  { parent: domain },
);

// `adopt: true`: if the domain already has a group named "Marketing" (made in the console
// or by a script), the first `pulumi up` takes it over instead of failing with NAME_TAKEN.
const marketing = new BillingGroup(
  'marketing',
  { name: 'Marketing', billingEmails: ['mkt-billing@example.com'], invoiceEmails: ['ap@example.com'], paymentMethod: card, adopt: true },
  { parent: domain },
);

const web = new ProjectLink('web', { projectId: config.require('webProjectId'), billingGroupId: engineering.id }, { parent: domain });
const api = new ProjectLink('api', { projectId: config.require('apiProjectId'), billingGroupId: marketing.id }, { parent: domain });

const viewer = config.get('financeViewerId');
if (viewer) new GroupPermission('finance-viewer', { billingGroupId: engineering.id, userId: viewer }, { parent: domain });

export const mainGroup = main.name;
export const engineeringId = engineering.id;
export const marketingId = marketing.id;
export const webEffectiveFrom = web.effectiveFrom;
export const apiEffectiveFrom = api.effectiveFrom;
