/**
 * generated.ts is derived from the resource definitions by codegen.ts; this fails when
 * the committed file is stale. `CLOUDBILLING_REGEN=1 npx jest test/pulumi/generated`
 * rewrites it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderDocsReference, renderGenerated } from '../../provider/pulumi/codegen';
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

test('docs/pulumi.md reference section matches the definitions', () => {
  const docs = join(__dirname, '../../docs/pulumi.md');
  const begin = '<!-- BEGIN GENERATED REFERENCE -->\n';
  const end = '<!-- END GENERATED REFERENCE -->';
  const text = readFileSync(docs, 'utf8');
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  expect(i).toBeGreaterThan(0);
  expect(j).toBeGreaterThan(i);
  const want = text.slice(0, i + begin.length) + renderDocsReference() + text.slice(j);
  if (process.env.CLOUDBILLING_REGEN === '1') writeFileSync(docs, want);
  expect(readFileSync(docs, 'utf8')).toBe(want);
});
