/**
 * The code that makes a console change in IaC instead (SPEC §9, managed objects): an HCL
 * block for Terraform/OpenTofu and the TypeScript of CDKTF and Pulumi. Attribute names,
 * resource types and class names come from the one definition per resource
 * (provider/domain/resources.ts) and the one camel/snake converter (naming.ts); a value for
 * an attribute the definition does not let a user set is a bug here and throws. Sensitive
 * attributes are never printed: the snippet names a variable or secret instead.
 */
import { toSnake } from '../../provider/domain/naming';
import { resources, type Attribute, type ResourceDefinition } from '../../provider/domain/resources';

export type ResourceKey = keyof typeof resources;

export interface Snippets {
  hcl: string;
  cdktf: string;
  pulumi: string;
}

/** A Terraform/TypeScript identifier for the resource's local name: `Data & Analytics` -> `data_analytics`. */
export function localName(label: string): string {
  const s = label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
  return /^[a-z]/.test(s) ? s : `r_${s || 'resource'}`;
}

const camel = (snake: string) => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function settable(def: ResourceDefinition, name: string): Attribute {
  const a = def.attributes[name];
  if (!a || a.presence === 'computed' || a.iacOnly) throw new Error(`snippets: ${def.tfName} has no settable attribute ${name}`);
  return a;
}

function nested(a: Attribute, name: string): Attribute {
  if (a.type.kind !== 'object') throw new Error(`snippets: ${name} is not an object`);
  const inner = a.type.attributes[name];
  if (!inner) throw new Error(`snippets: no nested attribute ${name}`);
  return inner;
}

type Lang = 'hcl' | 'ts';

function literal(v: unknown, a: Attribute, lang: Lang, secretName: string, depth: number): string {
  if (a.sensitive) return lang === 'hcl' ? `var.${toSnake(secretName)}` : `${camel(toSnake(secretName))}`;
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) {
    const element: Attribute = { type: a.type.kind === 'list' ? a.type.element : { kind: 'string' }, presence: 'optional', description: '' };
    return `[${v.map((x) => literal(x, element, lang, secretName, depth)).join(', ')}]`;
  }
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    const pad = '  '.repeat(depth + 1);
    const pairs = entries.map(([k, x]): [string, string] => [lang === 'hcl' ? toSnake(k) : k, literal(x, nested(a, k), lang, `${secretName}_${k}`, depth + 1)]);
    const lines = lang === 'hcl' ? hclAttributes(pairs, pad) : pairs.map(([k, x]) => `${pad}${k}: ${x},`);
    return `{\n${lines.join('\n')}\n${'  '.repeat(depth)}}`;
  }
  return JSON.stringify(v);
}

/**
 * `key = value` lines aligned as `terraform fmt` aligns them: the `=` of consecutive
 * attributes line up, and an attribute whose value spans lines ends the run.
 */
function hclAttributes(pairs: [string, string][], pad: string): string[] {
  const out: string[] = [];
  let run: [string, string][] = [];
  const flush = () => {
    const width = Math.max(0, ...run.map(([k]) => k.length));
    for (const [k, v] of run) out.push(`${pad}${k.padEnd(width)} = ${v}`);
    run = [];
  };
  for (const pair of pairs) {
    run.push(pair);
    if (pair[1].includes('\n')) flush();
  }
  flush();
  return out;
}

/**
 * The snippets that set `values` (camelCase, as the API names them) on resource `key`
 * named `label` (for a link or a permission, include the attributes that name the object).
 */
export function snippetsFor(key: ResourceKey, label: string, values: Record<string, unknown>): Snippets {
  const def = resources[key];
  const name = localName(label);
  const entries = Object.entries(values).filter(([, v]) => v !== undefined);
  for (const [k] of entries) settable(def, k);
  const hclBody = hclAttributes(
    entries.map(([k, v]) => [toSnake(k), literal(v, def.attributes[k], 'hcl', k, 1)]),
    '  ',
  ).join('\n');
  const tsBody = entries.map(([k, v]) => `  ${k}: ${literal(v, def.attributes[k], 'ts', k, 1)},`).join('\n');
  const secrets = collectSecrets(def, values);
  const hclVars = secrets.map((s) => `variable "${toSnake(s)}" {\n  type      = string\n  sensitive = true\n}\n\n`).join('');
  const cdktfVars = secrets.map((s) => `const ${camel(toSnake(s))} = new TerraformVariable(this, '${toSnake(s)}', { type: 'string', sensitive: true }).stringValue;\n`).join('');
  const pulumiVars = secrets.map((s) => `const ${camel(toSnake(s))} = config.requireSecret('${camel(toSnake(s))}');\n`).join('');
  return {
    hcl: `${hclVars}resource "cloudbilling_${def.tfName}" "${name}" {\n${hclBody}\n}\n`,
    cdktf: `${cdktfVars ? "import { TerraformVariable } from 'cdktf';\n" : ''}import { ${def.className} } from 'cloudbilling/cdktf';\n\n${cdktfVars}new ${def.className}(this, '${name}', {\n${tsBody}\n});\n`,
    pulumi: `import * as pulumi from '@pulumi/pulumi';\nimport { ${def.className} } from 'cloudbilling/pulumi';\n\n${pulumiVars ? `const config = new pulumi.Config();\n${pulumiVars}` : ''}new ${def.className}('${name}', {\n${tsBody}\n});\n`,
  };
}

function collectSecrets(def: ResourceDefinition, values: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (a: Attribute, v: unknown, name: string) => {
    if (v === null || v === undefined) return;
    if (a.sensitive) out.push(name);
    else if (a.type.kind === 'object' && typeof v === 'object') for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(nested(a, k), x, `${name}_${k}`);
  };
  for (const [k, v] of Object.entries(values)) walk(def.attributes[k], v, k);
  return out;
}
