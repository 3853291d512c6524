/**
 * A seed `.terraform.lock.hcl` for each synthesized stack that uses the cloudbilling
 * provider (SPEC §7: "`cdktf deploy` works offline with the provider installed by
 * `cloudbilling terraform-setup`").
 *
 * Why: before `terraform init`, cdktf-cli (and cdktn-cli) run `terraform providers lock
 * -platform=linux_amd64` whenever the stack directory has no lock file naming every
 * required provider at a matching version. That command ignores local mirrors and asks the
 * public registry, where this provider is not, so `cdktf diff/deploy` fail offline. With a
 * lock file that pins our provider's version and has no hashes, the CLIs skip that step
 * and `terraform init` installs the provider from the mirror, adding its `h1:` hash.
 *
 * Contract: written at synth into the stack's working directory only when no lock file is
 * there (a lock Terraform wrote, or the user's, is never touched); the version is the one
 * the generated provider binding pins in `required_providers` (package.json's).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IConstruct } from 'constructs';

export const LOCK_FILE = '.terraform.lock.hcl';
/** Marks a stack synthesizer that already seeds the lock (one per stack, whatever its providers). */
const SEEDED = Symbol.for('cloudbilling/seeded-provider-lock');

/** A synthesis session of either library, as far as the seed reads it. */
interface Session {
  readonly outdir: string;
  readonly manifest: { forStack(stack: any): { workingDirectory: string } };
}

/** A `TerraformStack`'s public `synthesizer` slot (`IStackSynthesizer`), the same in cdktf and cdktn. */
interface SynthesizingStack extends IConstruct {
  synthesizer: { synthesize(session: Session): void };
}

/** What the seed needs of a construct library (`cdktf` and `cdktn` alike). */
export interface SynthesisHooks {
  TerraformStack: { of(construct: IConstruct): SynthesizingStack };
}

/** The provider construct, as far as the seed reads it. */
export interface LockedProvider extends IConstruct {
  readonly terraformProviderSource?: string;
  readonly terraformGeneratorMetadata?: { readonly providerVersion?: string };
}

/** The lock file text that pins `source` (e.g. `cloudbilling/cloudbilling`) at `version`. */
export function seedLockText(source: string, version: string): string {
  const address = source.split('/').length === 2 ? `registry.terraform.io/${source}` : source;
  return [
    `provider ${JSON.stringify(address)} {`,
    `  version     = ${JSON.stringify(version)}`,
    `  constraints = ${JSON.stringify(version)}`,
    '}',
    '',
  ].join('\n');
}

/**
 * Register the seed for `provider`'s stack (see the module header): the stack's
 * synthesizer is wrapped (the public `synthesizer` slot; the libraries' custom-synthesis
 * hook is internal), so the seed is written after the stack synthesized without error.
 */
export function seedProviderLock(lib: SynthesisHooks, provider: LockedProvider): void {
  const source = provider.terraformProviderSource;
  const version = provider.terraformGeneratorMetadata?.providerVersion;
  if (!source || !version) return; // an unpinned binding: nothing to seed
  const stack = lib.TerraformStack.of(provider);
  const inner = stack.synthesizer;
  if ((inner as { [SEEDED]?: boolean })[SEEDED]) return; // a second provider (alias) in the stack
  stack.synthesizer = {
    [SEEDED]: true,
    synthesize(session: Session) {
      inner.synthesize(session);
      const file = path.join(session.outdir, session.manifest.forStack(stack).workingDirectory, LOCK_FILE);
      if (!fs.existsSync(file)) fs.writeFileSync(file, seedLockText(source, version));
    },
  } as SynthesizingStack['synthesizer'];
}
