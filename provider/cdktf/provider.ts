/**
 * The provider construct users create: the generated `CloudbillingProvider` binding, which
 * also turns the whole-stack billing rules on for its stack, so that `app.synth()` checks
 * them without a separate call (every stack with billing resources has a provider).
 * Nothing else is added; the binding itself stays generated (gen/provider).
 */
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { enableBillingRules } from './billing-rules';
import { CloudbillingProvider as GeneratedProvider } from './gen/provider';
import type { CloudbillingProviderConfig } from './gen/provider';

export class CloudbillingProvider extends GeneratedProvider {
  /**
   * @param scope the stack, or a construct inside it
   * @param id the construct id
   * @param config `api_url`, `token` (sensitive), `alias`; the environment is the fallback
   */
  constructor(scope: Construct, id: string, config: CloudbillingProviderConfig = {}) {
    super(scope, id, config);
    enableBillingRules(TerraformStack.of(this));
  }
}
