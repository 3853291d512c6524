/**
 * Entry point of the Terraform provider bundle (dist/terraform-provider/provider.bundle.js,
 * run by the `provider.js` loader with a V8 code cache; see scripts/bundle.js), started
 * by Terraform through the `terraform-provider-cloudbilling_vX.Y.Z` launcher.
 * stdout carries only the handshake line; console output is redirected to stderr so a
 * stray `console.log` can never break the protocol.
 */
import { checkMagicCookie, serve } from './protocol/server';
import { TerraformProvider } from './provider';
import { log } from './protocol/log';

export async function main(): Promise<void> {
  const refusal = checkMagicCookie(process.env);
  if (refusal) {
    process.stderr.write(`${refusal}\n`);
    process.exit(1);
  }
  // Terraform may close our pipes before we exit: a failed log write must not crash the provider.
  process.stderr.on('error', () => undefined);
  process.stdout.on('error', () => undefined);
  console.log = (...args: unknown[]) => log.info(args.map(String).join(' '));
  console.info = console.log;
  console.warn = (...args: unknown[]) => log.warn(args.map(String).join(' '));
  console.error = (...args: unknown[]) => log.error(args.map(String).join(' '));
  process.on('unhandledRejection', (e) => log.error(`unhandled rejection: ${e instanceof Error ? e.stack ?? e.message : String(e)}`));
  const provider = new TerraformProvider();
  await serve(provider.rpcs());
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`[ERROR] cloudbilling: provider failed to start: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  });
}
