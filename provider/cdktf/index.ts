/**
 * `cloudbilling/cdktf`: the CDKTF bindings of the cloudbilling provider and the
 * whole-stack billing rules checked at synth.
 *
 * The binding classes (`CloudbillingProvider`, `BillingGroup`, `MainBillingGroup`,
 * `ProjectLink`, `GroupPermission`, `DataCloudbillingDomain`, `DataCloudbillingBillingGroup`,
 * `DataCloudbillingProject`, `DataCloudbillingInvoices` and their config structs) are
 * generated from the provider's schema by `npm run generate` into `gen/`; never edit them.
 * `CloudbillingProvider` is exported as the generated class plus two things: creating it
 * enables the whole-stack billing rules for its stack (`enableBillingRules`), so
 * `app.synth()` fails on a violation with no extra call, and seeds the stack's provider
 * lock so that `cdktf diff/deploy` work offline (provider/cdk/provider-lock.ts).
 * The rules are shared with `cloudbilling/cdktn` (provider/cdk/billing-rules.ts).
 */
export * from './gen/flat';
// Declared here, it takes the place of the generated class of the same name in `gen/flat`.
export { CloudbillingProvider } from './provider';
export * as bindings from './gen';
export { enableBillingRules, checkBillingStack, billingChanges, BillingRules } from './rules';
export { formatStackDiagnostic, BILLING_RESOURCE_TYPES, DEFAULT_SUB_GROUP_LIMIT, SYNTH_RULES, SYNTH_WARNINGS } from '../cdk/billing-rules';
export type { BillingRulesOptions, StackCheckResult, StackDiagnostic } from '../cdk/billing-rules';
