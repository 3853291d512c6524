/**
 * The whole-stack billing rules (provider/cdk/billing-rules.ts) bound to `cdktf`'s
 * construct tree. The rules themselves are shared with `cloudbilling/cdktn`.
 */
import * as cdktf from 'cdktf';
import { billingRulesFor } from '../cdk/billing-rules';
import type { BillingRulesAspect } from '../cdk/billing-rules';

export const { checkBillingStack, billingChanges, enableBillingRules, BillingRules } = billingRulesFor(cdktf);
export type BillingRules = BillingRulesAspect;
