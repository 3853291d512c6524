/**
 * The console's HCL snippets are configuration the real engines accept: for every resource,
 * a snippet setting each attribute a user may set passes `terraform validate` (and `tofu
 * validate`) against the built provider's schema, and is already `fmt`-canonical.
 */
import { snippetsFor } from '../../console/src/snippets';
import { resources, type Attribute } from '../../provider/domain/resources';
import { prepareTerraform, REQUIRED_PROVIDERS, runTerraform, terraformWorkdir, tfEngines, type PreparedTerraform } from '../helpers/terraform';

jest.setTimeout(180_000);

const sample = (name: string, a: Attribute): unknown => {
  switch (a.type.kind) {
    case 'list':
      return ['ap@example.com'];
    case 'bool':
      return true;
    case 'number':
      return 1;
    case 'object':
      return Object.fromEntries(Object.entries(a.type.attributes).map(([k, inner]) => [k, sample(k, inner)]));
    default:
      return a.type.enum ? a.type.enum[0] : name === 'countryCode' ? 'US' : name === 'currency' ? 'EUR' : `${name}-value`;
  }
};

/** One module per resource snippet (each may declare the same variable), called from the root. */
function configuration(): Record<string, string> {
  const files: Record<string, string> = {};
  const calls: string[] = [];
  for (const [key, def] of Object.entries(resources)) {
    const values = Object.fromEntries(
      Object.entries(def.attributes)
        .filter(([, a]) => a.presence !== 'computed' && !a.iacOnly)
        .map(([name, a]) => [name, sample(name, a)]),
    );
    const hcl = snippetsFor(key as keyof typeof resources, `console ${key}`, values).hcl;
    files[`${key}/versions.tf`] = REQUIRED_PROVIDERS;
    files[`${key}/snippet.tf`] = hcl;
    const vars = [...hcl.matchAll(/^variable "(\w+)"/gm)].map((m) => `  ${m[1]} = "pm_snippet_test"\n`).join('');
    calls.push(`module "${key}" {\n  source = "./${key}"\n${vars}}\n`);
  }
  files['main.tf'] = [REQUIRED_PROVIDERS, 'provider "cloudbilling" {}\n', ...calls].join('\n');
  return files;
}

describe.each(tfEngines())('HCL snippets under %s', (engine) => {
  let tf: PreparedTerraform;
  beforeAll(() => {
    tf = prepareTerraform(engine);
  });
  afterAll(() => tf?.cleanup());

  test('validate and fmt accept every resource snippet', async () => {
    const dir = terraformWorkdir(configuration(), tf.root);
    const init = await runTerraform(tf, dir, ['init', '-no-color', '-input=false', '-backend=false']);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const validate = await runTerraform(tf, dir, ['validate', '-no-color']);
    expect(validate.stdout + validate.stderr).toContain('The configuration is valid');
    expect(validate.code).toBe(0);
    // The snippets only (the helper's required_providers block is not ours to format).
    const fmt = await runTerraform(tf, dir, ['fmt', '-check', '-diff', '-no-color', ...Object.keys(resources).map((k) => `${k}/snippet.tf`)]);
    expect(fmt.stdout).toBe('');
    expect(fmt.code).toBe(0);
  });
});
