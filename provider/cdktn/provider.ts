/**
 * The provider construct users create: the generated `CloudbillingProvider` binding plus
 * two steps, so that a stack needs nothing else (issue 13):
 *  - it turns the whole-stack billing rules on for its stack, so `app.synth()` checks them;
 *  - it seeds the stack's `.terraform.lock.hcl` at synth (provider/cdk/provider-lock.ts),
 *    so that `cdktn diff/deploy` do not ask the public registry for a lock.
 * The binding itself stays generated (gen/provider); it pins the provider version.
 */
import * as cdktn from 'cdktn';
import type { Construct } from 'constructs';
import { seedProviderLock } from '../cdk/provider-lock';
import { CloudbillingProvider as GeneratedProvider } from './gen/provider';
import type { CloudbillingProviderConfig } from './gen/provider';
import { enableBillingRules } from './rules';

export class CloudbillingProvider extends GeneratedProvider {
  /**
   * @param scope the stack, or a construct inside it
   * @param id the construct id
   * @param config `api_url`, `token` (sensitive), `alias`; the environment is the fallback
   */
  constructor(scope: Construct, id: string, config: CloudbillingProviderConfig = {}) {
    super(scope, id, config);
    enableBillingRules(this);
    seedProviderLock(cdktn, this);
  }
}
