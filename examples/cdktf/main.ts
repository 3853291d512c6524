/**
 * A CDKTF app that manages a domain's billing as code: the main billing group, two sub
 * groups for teams, the projects each team pays for and who may see their bills.
 *
 * Copy it into your CDKTF project (`cdktf init --template=typescript`), install
 * `cloudbilling` and run `cdktf deploy` (or synth it with `node` and drive `terraform`
 * yourself: see docs/cdktf.md). The provider reads the API URL and token from
 * CLOUDBILLING_API_URL / CLOUDBILLING_TOKEN; set TF_VAR_finance_user_id to the id of the
 * user who should see both teams' bills.
 *
 * `CloudbillingProvider` turns on the whole-stack billing rules: when the stack is
 * synthesized, a project linked twice, two groups with one name, more sub groups than the
 * domain allows, bad e-mail lists... fail `cdktf synth` with the rule code and the
 * construct path, before Terraform runs.
 */
import { App, Fn, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import {
  BillingGroup,
  CloudbillingProvider,
  DataCloudbillingDomain,
  DataCloudbillingInvoices,
  DataCloudbillingProject,
  GroupPermission,
  MainBillingGroup,
  ProjectLink,
} from 'cloudbilling/cdktf';

export class BillingStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);

    // api_url and token default to CLOUDBILLING_API_URL and CLOUDBILLING_TOKEN. The provider
    // also enables the billing rules at synth for this stack.
    new CloudbillingProvider(this, 'cloudbilling');

    const financeUserId = new TerraformVariable(this, 'finance_user_id', {
      type: 'string',
      description: 'User who sees the bills of both teams (GET /v1/users).',
    });

    const domain = new DataCloudbillingDomain(this, 'domain');

    // The main group always exists: this adopts it. Sub groups need its payment method.
    const main = new MainBillingGroup(this, 'main', {
      billingEmails: ['billing@example.com'],
      invoiceEmails: ['accounts-payable@example.com'],
      paymentMethod: { type: 'account', reference: 'pm_example_main_account' },
      details: { company: 'Example Inc.', addressLines: ['1 Market Street', 'San Francisco, CA 94105'], countryCode: 'US' },
    });

    const platform = new BillingGroup(this, 'platform', {
      name: 'Platform',
      billingEmails: ['platform-billing@example.com', 'platform-lead@example.com'],
      invoiceEmails: ['accounts-payable@example.com'],
      paymentMethod: { type: 'card', reference: 'pm_example_card_platform' },
      details: { company: 'Example Inc. (Platform)' },
      dependsOn: [main],
    });

    const data = new BillingGroup(this, 'data', {
      name: 'Data & Analytics',
      billingEmails: ['data-billing@example.com'],
      invoiceEmails: ['accounts-payable@example.com'],
      paymentMethod: { type: 'card', reference: 'pm_example_card_data' },
      dependsOn: [main],
    });

    // Projects are looked up by name; each is linked to the group that pays for it.
    const teams = [
      { group: platform, projects: ['web-frontend', 'api-gateway'] },
      { group: data, projects: ['etl-nightly'] },
    ];
    for (const { group, projects } of teams) {
      for (const name of projects) {
        const project = new DataCloudbillingProject(this, `project-${name}`, { name });
        new ProjectLink(this, `link-${name}`, { projectId: project.id, billingGroupId: group.id });
      }
    }

    for (const group of [platform, data]) {
      new GroupPermission(this, `finance-${group.node.id}`, { billingGroupId: group.id, userId: financeUserId.stringValue });
    }

    const platformInvoices = new DataCloudbillingInvoices(this, 'platform-invoices', { billingGroupId: platform.id });

    new TerraformOutput(this, 'domain_name', { value: domain.name });
    new TerraformOutput(this, 'main_group_id', { value: main.id });
    new TerraformOutput(this, 'platform_group_id', { value: platform.id });
    new TerraformOutput(this, 'data_group_id', { value: data.id });
    new TerraformOutput(this, 'platform_invoice_count', { value: Fn.lengthOf(platformInvoices.invoices) });
  }
}

const app = new App();
new BillingStack(app, 'billing');
app.synth();
