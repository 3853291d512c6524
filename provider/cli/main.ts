/**
 * `cloudbilling` command dispatcher. Each subcommand lives in its own module, loaded
 * only when used (start-up stays fast), and exports `run(argv): Promise<number>`
 * returning the process exit code.
 */
import { missingPackagesText, SERVER_PACKAGES } from '../domain/messages';

const COMMANDS: Record<string, { load: () => Promise<{ run(argv: string[]): Promise<number> }>; help: string }> = {
  serve: { load: () => import('./serve'), help: 'start the Billing API on 127.0.0.1 (SQLite, or PostgreSQL with --db postgres://...)' },
  migrate: { load: () => import('./migrate'), help: 'apply the schema migrations to a store (SQLite file or postgres:// URL)' },
  backup: { load: () => import('./backup'), help: 'online copy of an SQLite store (serve may keep running; docs/operations.md)' },
  'terraform-setup': { load: () => import('./terraform-setup'), help: 'install the provider for offline `terraform init` / `tofu init` (OpenTofu)' },
  review: { load: () => import('./review'), help: 'check a Terraform plan or Pulumi preview against the domain rules' },
  drift: { load: () => import('./drift'), help: 'compare IaC state with the live domain' },
  export: { load: () => import('./export'), help: 'write Terraform/CDKTF/Pulumi code for an existing domain' },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'usage: cloudbilling <command> [options]',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.help}`),
    '',
    'Run `cloudbilling <command> --help` for its options.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version') {
    process.stdout.write(require('../../../package.json').version + '\n');
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`cloudbilling: unknown command ${JSON.stringify(name)}\n\n${usage()}\n`);
    return 2;
  }
  const mod = await command.load().catch((e: unknown) => {
    const missing = missingServerPackage(e);
    if (!missing) throw e;
    process.stderr.write(missingPackagesText(name, [missing]) + '\n');
    return null;
  });
  if (!mod) return 2;
  // A store's driver is loaded when the store is opened (better-sqlite3, or pg for postgres://).
  return mod.run(rest).catch((e: unknown) => {
    const missing = missingServerPackage(e);
    if (!missing) throw e;
    process.stderr.write(missingPackagesText(name, [missing]) + '\n');
    return 2;
  });
}

/** The server package a failed `require` was looking for, if it is one (optional peers). */
function missingServerPackage(e: unknown): string | undefined {
  if (!e || typeof e !== 'object' || (e as { code?: string }).code !== 'MODULE_NOT_FOUND') return undefined;
  const message = String((e as Error).message);
  return SERVER_PACKAGES.find((p) => message.includes(`'${p}'`));
}
