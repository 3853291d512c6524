/**
 * The whole-stack billing rules (provider/cdk/billing-rules.ts) bound to `cdktn`'s (CDK Terrain)
 * construct tree. The rules themselves are shared with `cloudbilling/cdktf`.
 */
import * as cdktn from 'cdktn';
import { billingRulesFor } from '../cdk/billing-rules';
import type { BillingRulesAspect } from '../cdk/billing-rules';

export const { checkBillingStack, billingChanges, enableBillingRules, BillingRules } = billingRulesFor(cdktn);
export type BillingRules = BillingRulesAspect;
