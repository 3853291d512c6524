/** `cloudbilling serve` (placeholder until its issue lands). */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('cloudbilling serve: not available yet\n');
  return 2;
}
