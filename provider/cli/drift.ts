/** `cloudbilling drift` (placeholder until its issue lands). */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('cloudbilling drift: not available yet\n');
  return 2;
}
