/**
 * `cloudbilling/cdktn`: the CDK Terrain (`cdktn` 0.24, the maintained fork of CDKTF)
 * bindings of the cloudbilling provider and the whole-stack billing rules checked at synth.
 *
 * The same API as `cloudbilling/cdktf`, over `cdktn`'s construct tree: the binding classes
 * are generated from the same provider schema by `@cdktn/provider-generator` into `gen/`
 * (`npm run generate`; never edit them), and the rules are the shared
 * provider/cdk/billing-rules.ts. `CloudbillingProvider` enables the rules for its stack and
 * seeds the stack's provider lock, so `cdktn diff/deploy` work offline.
 */
export * from './gen/flat';
// Declared here, it takes the place of the generated class of the same name in `gen/flat`.
export { CloudbillingProvider } from './provider';
export * as bindings from './gen';
export { enableBillingRules, checkBillingStack, billingChanges, BillingRules } from './rules';
export { formatStackDiagnostic, BILLING_RESOURCE_TYPES, DEFAULT_SUB_GROUP_LIMIT, SYNTH_RULES, SYNTH_WARNINGS } from '../cdk/billing-rules';
export type { BillingRulesOptions, StackCheckResult, StackDiagnostic } from '../cdk/billing-rules';
