/**
 * `cloudbilling/cdktf`: the CDKTF bindings of the cloudbilling provider and the
 * whole-stack billing rules checked at synth.
 *
 * The binding classes (`CloudbillingProvider`, `BillingGroup`, `MainBillingGroup`,
 * `ProjectLink`, `GroupPermission`, `DataCloudbillingDomain`, `DataCloudbillingBillingGroup`,
 * `DataCloudbillingProject`, `DataCloudbillingInvoices` and their config structs) are
 * generated from the provider's schema by `npm run generate` into `gen/`; never edit them.
 */
export * from './gen/flat';
export * as bindings from './gen';
export {
  enableBillingRules,
  checkBillingStack,
  billingChanges,
  formatStackDiagnostic,
  BillingRules,
  BILLING_RESOURCE_TYPES,
  DEFAULT_SUB_GROUP_LIMIT,
  SYNTH_RULES,
  SYNTH_WARNINGS,
} from './billing-rules';
export type { BillingRulesOptions, StackCheckResult, StackDiagnostic } from './billing-rules';
