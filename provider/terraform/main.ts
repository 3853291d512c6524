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
import { messageCodec, serviceDefinition } from './protocol/grpc';

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
  await serve(provider.rpcs(), { beforeExit: () => provider.shutdown() });
}

/**
 * Build time only (scripts/bundle.js, via the loader): run the code paths of the first
 * RPCs once so that the V8 code cache written afterwards covers them too.
 */
export async function warmUp(): Promise<void> {
  const provider = new TerraformProvider({ registry: { resources: {}, dataSources: {} }, createClient: () => ({}) as never });
  const rpcs = provider.rpcs();
  const service = serviceDefinition('tfplugin6.Provider');
  const schema = await rpcs.GetProviderSchema({});
  service.GetProviderSchema.responseDeserialize(service.GetProviderSchema.responseSerialize(schema));
  const config = { msgpack: Buffer.from([0x82, 0xa7, ...Buffer.from('api_url'), 0xc0, 0xa5, ...Buffer.from('token'), 0xc0]) };
  const req = service.ValidateProviderConfig.requestSerialize({ config });
  await rpcs.ValidateProviderConfig(service.ValidateProviderConfig.requestDeserialize(req));
  messageCodec('tfplugin6.PlanResourceChange.Request');
  messageCodec('tfplugin6.PlanResourceChange.Response');
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`[ERROR] cloudbilling: provider failed to start: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  });
}
