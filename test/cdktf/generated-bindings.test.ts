/**
 * The committed bindings in provider/cdktf/gen/ and provider/cdktn/gen/ are exactly what
 * `npm run generate` produces from the provider's schema (STYLE point 8), and they are the
 * bindings of that schema: every resource and data source has its class, with the
 * schema's attributes, and every one pins the package's version as the provider version.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { providersSchemaJson } from '../../provider/terraform/protocol/schema';
import { TerraformDataSource, TerraformProvider, TerraformResource } from 'cdktf';
import * as cdktfExports from 'cloudbilling/cdktf';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { generateBindings, compareDirs, packageVersion, FLAVORS, GEN_DIR } = require('../../scripts/generate-cdktf.js') as {
  generateBindings(schema: unknown, outDir: string, flavor?: 'cdktf' | 'cdktn', version?: string): Promise<string[]>;
  compareDirs(expected: string, actual: string): string[];
  packageVersion(): string;
  FLAVORS: Record<'cdktf' | 'cdktn', { genDir: string; library: string }>;
  GEN_DIR: string;
};

describe('generated CDKTF bindings', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-fresh-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('are up to date with the provider schema (run `npm run generate` when this fails)', async () => {
    await generateBindings(providersSchemaJson(), tmp);
    expect(compareDirs(GEN_DIR, tmp)).toEqual([]);
  });

  it('for CDK Terrain are up to date too, and import cdktn, never cdktf', async () => {
    const out = path.join(tmp, 'cdktn');
    await generateBindings(providersSchemaJson(), out, 'cdktn');
    expect(compareDirs(FLAVORS.cdktn.genDir, out)).toEqual([]);
    const provider = fs.readFileSync(path.join(FLAVORS.cdktn.genDir, 'provider', 'index.ts'), 'utf8');
    expect(provider).toContain("import * as cdktn from 'cdktn';");
    expect(provider).not.toMatch(/from 'cdktf'/);
  });

  it('pin the provider version of package.json, and follow it when it changes', async () => {
    for (const { genDir } of Object.values(FLAVORS)) {
      expect(fs.readFileSync(path.join(genDir, 'provider', 'index.ts'), 'utf8')).toContain(`providerVersion: '${packageVersion()}'`);
    }
    const bumped = path.join(tmp, 'bumped');
    await generateBindings(providersSchemaJson(), bumped, 'cdktf', '9.9.9');
    expect(compareDirs(GEN_DIR, bumped)).toContain('~ provider/index.ts');
    expect(fs.readFileSync(path.join(bumped, 'provider', 'index.ts'), 'utf8')).toContain("providerVersion: '9.9.9'");
  });

  it('detect a schema change', async () => {
    const schema = providersSchemaJson() as { provider_schemas: Record<string, any> };
    const provider = Object.values(schema.provider_schemas)[0];
    provider.resource_schemas.cloudbilling_billing_group.block.attributes.cost_center = {
      type: 'string',
      optional: true,
      description: 'A new attribute',
      description_kind: 'markdown',
    };
    const changed = path.join(tmp, 'changed');
    await generateBindings(schema, changed);
    expect(compareDirs(GEN_DIR, changed)).toEqual(['~ billing-group/index.ts']);
  });

  it('export a class for the provider and for every resource and data source of the schema', () => {
    const provider = Object.values(providersSchemaJson().provider_schemas)[0]!;
    const classes = Object.entries(cdktfExports as unknown as Record<string, unknown>).filter(
      (e): e is [string, { tfResourceType: string; prototype: object }] => typeof e[1] === 'function' && typeof (e[1] as { tfResourceType?: unknown }).tfResourceType === 'string',
    );
    const of = (base: abstract new (...args: never[]) => object) =>
      Object.fromEntries(classes.filter(([, c]) => c.prototype instanceof base).map(([name, c]) => [c.tfResourceType, name]));
    expect(of(TerraformProvider)).toEqual({ cloudbilling: 'CloudbillingProvider' });
    expect(of(TerraformResource)).toEqual({
      cloudbilling_billing_group: 'BillingGroup',
      cloudbilling_main_billing_group: 'MainBillingGroup',
      cloudbilling_project_link: 'ProjectLink',
      cloudbilling_group_permission: 'GroupPermission',
    });
    expect(Object.keys(of(TerraformResource)).sort()).toEqual(Object.keys(provider.resource_schemas).sort());
    expect(of(TerraformDataSource)).toEqual({
      cloudbilling_domain: 'DataCloudbillingDomain',
      cloudbilling_billing_group: 'DataCloudbillingBillingGroup',
      cloudbilling_project: 'DataCloudbillingProject',
      cloudbilling_invoices: 'DataCloudbillingInvoices',
    });
    expect(Object.keys(of(TerraformDataSource)).sort()).toEqual(Object.keys(provider.data_source_schemas).sort());
  });

  it('are plain generator output plus a header, flat.ts and `override` keywords', () => {
    const file = fs.readFileSync(path.join(GEN_DIR, 'billing-group', 'index.ts'), 'utf8');
    expect(file.startsWith('// Generated by scripts/generate-cdktf.js')).toBe(true);
    expect(file).toContain('// generated from terraform resource schema');
    expect(file).toContain('protected override synthesizeAttributes()');
    expect(file).not.toContain('@ts-nocheck');
  });
});
