/**
 * The console's TypeScript snippets type-check against the real bindings: each resource's
 * CDKTF snippet inside a TerraformStack against `cloudbilling/cdktf`, and its Pulumi snippet
 * against `cloudbilling/pulumi` (the TypeScript compiler, no emit).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { snippetsFor } from '../../console/src/snippets';
import { resources, type Attribute } from '../../provider/domain/resources';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');

const sample = (a: Attribute): unknown =>
  a.type.kind === 'list' ? ['ap@example.com'] : a.type.kind === 'bool' ? true : a.type.kind === 'number' ? 1 : a.type.kind === 'object' ? Object.fromEntries(Object.entries(a.type.attributes).map(([k, x]) => [k, sample(x)])) : a.type.enum ? a.type.enum[0] : 'value';

/** Hoist the snippet's imports; put the rest where it runs (a stack's constructor, or a Pulumi program). */
function split(snippet: string): { imports: string; body: string } {
  const lines = snippet.split('\n');
  return { imports: lines.filter((l) => l.startsWith('import ')).join('\n'), body: lines.filter((l) => !l.startsWith('import ')).join('\n') };
}

test('every CDKTF and Pulumi snippet type-checks against the bindings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snippets-ts-'));
  try {
    const files: string[] = [];
    for (const [key, def] of Object.entries(resources)) {
      const values = Object.fromEntries(
        Object.entries(def.attributes)
          .filter(([, a]) => a.presence !== 'computed' && !a.iacOnly)
          .map(([n, a]) => [n, sample(a)]),
      );
      const s = snippetsFor(key as keyof typeof resources, `console ${key}`, values);
      const c = split(s.cdktf);
      const cdktfFile = path.join(dir, `${key}-cdktf.ts`);
      fs.writeFileSync(
        cdktfFile,
        `${c.imports}\nimport { TerraformStack } from 'cdktf';\nimport type { Construct } from 'constructs';\n\nexport class Stack extends TerraformStack {\n  constructor(scope: Construct) {\n    super(scope, 'stack');\n${c.body}\n  }\n}\n`,
      );
      const p = split(s.pulumi);
      const pulumiFile = path.join(dir, `${key}-pulumi.ts`);
      fs.writeFileSync(pulumiFile, `${p.imports}\n\nexport function program(): void {\n${p.body}\n}\n`);
      files.push(cdktfFile, pulumiFile);
    }
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      esModuleInterop: true,
      types: ['node'],
      typeRoots: [path.join(ROOT, 'node_modules/@types')],
      baseUrl: ROOT,
      paths: { 'cloudbilling/*': ['provider/*'], '*': ['node_modules/*'] },
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? path.basename(d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
