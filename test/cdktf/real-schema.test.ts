/**
 * The bindings are those of the provider the engines actually run: `terraform providers
 * schema -json` (and `tofu providers schema -json`) from the built provider (installed offline by `cloudbilling
 * terraform-setup`) generates exactly the committed provider/cdktf/gen/. Needs
 * `npm run build`. (generated-bindings.test.ts checks the same from the schema function
 * without a build.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepareTerraform, tfEngines, REQUIRED_PROVIDERS, runTerraform, terraformWorkdir, type PreparedTerraform } from '../helpers/terraform';
import { providersSchemaJson, PROVIDER_SOURCE } from '../../provider/terraform/protocol/schema';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { generateBindings, compareDirs, GEN_DIR } = require('../../scripts/generate-cdktf.js') as {
  generateBindings(schema: unknown, outDir: string): Promise<string[]>;
  compareDirs(expected: string, actual: string): string[];
  GEN_DIR: string;
};

jest.setTimeout(300_000);

describe.each(tfEngines())('%s', (engine) => {
  let tf: PreparedTerraform;
  let dir: string;
  let out: string;

  beforeAll(() => {
    tf = prepareTerraform(engine);
    dir = terraformWorkdir({ 'main.tf': REQUIRED_PROVIDERS });
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-real-schema-'));
  });

  afterAll(() => {
    tf?.cleanup();
    for (const d of [dir, out]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it('providers schema -json of the installed provider generates the committed bindings', async () => {
    const init = await runTerraform(tf, dir, ['init', '-input=false', '-no-color']);
    if (init.code !== 0) throw new Error(`${engine} init failed:\n${init.stdout}\n${init.stderr}`);
    const r = await runTerraform(tf, dir, ['providers', 'schema', '-json']);
    if (r.code !== 0) throw new Error(`${engine} providers schema failed:\n${r.stderr}`);
    const real = JSON.parse(r.stdout) as { provider_schemas: Record<string, unknown> };
    // Each engine names the provider by its own default host (registry.opentofu.org for tofu).
    expect(Object.keys(real.provider_schemas)).toEqual([tf.providerAddress]);

    // @cdktf/provider-generator looks a bare `cloudbilling/cloudbilling` up under
    // registry.terraform.io only, so OpenTofu's schema is handed to it under that key.
    await generateBindings({ ...real, provider_schemas: { [PROVIDER_SOURCE]: real.provider_schemas[tf.providerAddress] } }, out);
    expect(compareDirs(GEN_DIR, out)).toEqual([]);
    // And the schema function describes the same provider, attribute for attribute.
    expect(real.provider_schemas[tf.providerAddress]).toEqual(providersSchemaJson().provider_schemas[PROVIDER_SOURCE]);
  });
});
