/**
 * generated.ts is derived from the resource definitions by codegen.ts; this fails when
 * the committed file is stale. `CLOUDBILLING_REGEN=1 npx jest test/pulumi/generated`
 * rewrites it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderGenerated } from '../../provider/pulumi/codegen';
import { resources } from '../../provider/domain/resources';

const file = join(__dirname, '../../provider/pulumi/generated.ts');

test('generated.ts matches the definitions', () => {
  const text = renderGenerated();
  if (process.env.CLOUDBILLING_REGEN === '1') writeFileSync(file, text);
  expect(readFileSync(file, 'utf8')).toBe(text);
});

test('every attribute of every definition appears in the generated types', () => {
  const text = renderGenerated();
  for (const def of Object.values(resources)) {
    expect(text).toContain(`export interface ${def.className}Inputs`);
    expect(text).toContain(`export class ${def.className} extends pulumi.dynamic.Resource`);
    for (const [name, a] of Object.entries(def.attributes)) {
      if (name !== 'id') expect(text).toContain(`declare readonly ${name}: pulumi.Output<`);
      if (a.presence !== 'computed') expect(text).toMatch(new RegExp(`\\n  ${name}\\??: pulumi\\.Input<`));
    }
  }
});
