/**
 * `cloudbilling/pulumi`: Pulumi dynamic resources for billing groups (SPEC §5).
 *
 * - `BillingGroup`, `MainBillingGroup`, `ProjectLink`, `GroupPermission`: typed
 *   `XxxInputs` / output properties generated from the definitions (generated.ts).
 * - `providers.*`: the shared dynamic providers, to drive directly (tests, tools).
 * - `BillingDomain`: whole-program rules at preview.
 * - `engine`, `inventory`: what the serialized providers call in the dynamic-provider host. Internal.
 */
export * from './generated';
export { providers, type ResourceKind } from './providers';
export { BillingDomain, type BillingDomainArgs, type DomainDiagnostic, type DomainVerdict } from './billing-domain';
export { engine, UNKNOWN, reasonOf } from './engine';
export { inventory } from './inventory';
