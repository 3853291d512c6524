/**
 * Renders `generated.ts`: the Pulumi input/output types and the four resource classes,
 * derived from the declarative definitions in `domain/resources.ts` (STYLE 2: one
 * definition per resource). Pure: returns text. `test/pulumi/generated.test.ts` fails
 * when the committed file differs from what this renders, and rewrites it when run with
 * `CLOUDBILLING_REGEN=1`.
 *
 * Pulumi-only arguments (not resource attributes): the connection (`apiUrl`, `token`,
 * from the provider-config definition) and `adopt` (see docs/pulumi.md).
 */
import { providerConfig, resources, type Attribute, type AttrType, type ResourceDefinition } from '../domain/resources';

export type ResourceKind = keyof typeof resources;

/** Resources that accept `adopt` (the main group always exists: creating it adopts it). */
export const ADOPTABLE: Record<ResourceKind, boolean> = {
  billingGroup: true,
  mainBillingGroup: false,
  projectLink: true,
  groupPermission: true,
};

export const ADOPT_DESCRIPTION: Record<Exclude<ResourceKind, 'mainBillingGroup'>, string> = {
  billingGroup: 'Take over the existing group with this name (trimmed, case-insensitive) instead of creating one. Default false.',
  projectLink: 'Take over the project\'s current link when it is already in this group (no write, no event). Default false.',
  groupPermission: 'Take over the membership when the user already has it (no write, no event). Default false.',
};

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function jsdoc(text: string, indent: string): string {
  return `${indent}/** ${text.replace(/\*\//g, '*\\/')} */\n`;
}

interface Named {
  /** Interface name of a nested object type. */
  input: string;
  output: string;
  type: AttrType & { kind: 'object' };
}

/** Collects nested object types by attribute name (same name, same type: shared). */
class TypeRegistry {
  readonly named = new Map<string, Named>();

  nameFor(attrName: string, type: AttrType & { kind: 'object' }): Named {
    const base = pascal(attrName);
    const existing = this.named.get(base);
    if (existing) {
      if (JSON.stringify(existing.type) !== JSON.stringify(type)) throw new Error(`codegen: two different object types named ${attrName}`);
      return existing;
    }
    const n: Named = { input: `${base}Input`, output: base, type };
    this.named.set(base, n);
    return n;
  }

  tsInput(attrName: string, t: AttrType): string {
    switch (t.kind) {
      case 'string':
      case 'number':
      case 'bool':
        return tsScalar(t);
      case 'list':
        return `pulumi.Input<${this.tsInput(attrName, t.element)}>[]`;
      case 'object':
        return this.nameFor(attrName, t).input;
    }
  }

  tsOutput(attrName: string, t: AttrType): string {
    switch (t.kind) {
      case 'string':
      case 'number':
      case 'bool':
        return tsScalar(t);
      case 'list': {
        const el = this.tsOutput(attrName, t.element);
        return el.includes('|') ? `(${el})[]` : `${el}[]`;
      }
      case 'object':
        return this.nameFor(attrName, t).output;
    }
  }
}

/** The TypeScript type of a scalar attribute, the same in inputs and outputs. */
function tsScalar(t: Extract<AttrType, { kind: 'string' | 'number' | 'bool' }>): string {
  if (t.kind === 'string') return t.enum ? t.enum.map((v) => JSON.stringify(v)).join(' | ') : 'string';
  return t.kind === 'number' ? 'number' : 'boolean';
}

const isInput = (a: Attribute) => a.presence !== 'computed';
const optionalMark = (a: Attribute) => (a.presence === 'required' ? '' : '?');

function inputField(reg: TypeRegistry, name: string, a: Attribute, indent: string): string {
  const nullable = a.presence === 'required' ? '' : ' | null';
  return `${jsdoc(a.description, indent)}${indent}${name}${optionalMark(a)}: pulumi.Input<${reg.tsInput(name, a.type)}${nullable}>;\n`;
}

function outputField(reg: TypeRegistry, name: string, a: Attribute, indent: string): string {
  const nullable = a.presence === 'optional' ? ' | null' : '';
  return `${jsdoc(a.description, indent)}${indent}${name}${a.presence === 'optional' ? '?' : ''}: ${reg.tsOutput(name, a.type)}${nullable};\n`;
}

function renderResource(reg: TypeRegistry, kind: ResourceKind, def: ResourceDefinition): string {
  const cls = def.className;
  let out = '';
  // Inputs.
  out += `/** Arguments of {@link ${cls}}: ${def.description} */\n`;
  out += `export interface ${cls}Inputs extends ConnectionInputs {\n`;
  for (const [name, a] of Object.entries(def.attributes)) if (isInput(a)) out += inputField(reg, name, a, '  ');
  if (ADOPTABLE[kind]) {
    out += jsdoc(ADOPT_DESCRIPTION[kind as Exclude<ResourceKind, 'mainBillingGroup'>], '  ');
    out += `  adopt?: pulumi.Input<boolean>;\n`;
  }
  out += `}\n\n`;
  // Outputs (plain: what the provider stores).
  out += `/** State of a {@link ${cls}} as its provider stores it (the id is the resource id). */\n`;
  out += `export interface ${cls}Outputs {\n`;
  for (const [name, a] of Object.entries(def.attributes)) if (name !== 'id') out += outputField(reg, name, a, '  ');
  if (ADOPTABLE[kind]) out += `  adopt?: boolean;\n`;
  out += `  apiUrl?: string;\n`;
  out += `}\n\n`;
  // Class.
  out += `/**\n * ${def.description}\n *\n * Destroying it ${def.destroy}.\n */\n`;
  out += `export class ${cls} extends pulumi.dynamic.Resource {\n`;
  for (const [name, a] of Object.entries(def.attributes)) {
    if (name === 'id') continue; // pulumi.CustomResource#id
    const t = reg.tsOutput(name, a.type);
    const nullable = a.presence === 'optional' ? ' | null' : '';
    out += jsdoc(a.description, '  ');
    out += `  declare readonly ${name}: pulumi.Output<${t}${nullable}>;\n`;
  }
  out += `\n  constructor(name: string, args: ${cls}Inputs, opts?: pulumi.CustomResourceOptions) {\n`;
  out += `    const prepared = prepareResource('${kind}', name, args, opts);\n`;
  out += `    super(providers.${kind}, name, prepared.props, prepared.opts, 'cloudbilling', '${cls}');\n`;
  out += `    prepared.registered(this);\n`;
  out += `  }\n}\n\n`;
  return out;
}

function renderNested(reg: TypeRegistry): string {
  let out = '';
  // Nested types can register further nested types while rendering: loop until stable.
  const done = new Set<string>();
  let pending = [...reg.named.values()].filter((n) => !done.has(n.output));
  while (pending.length > 0) {
    for (const n of pending) {
      done.add(n.output);
      out += `export interface ${n.input} {\n`;
      for (const [name, a] of Object.entries(n.type.attributes)) out += inputField(reg, name, a, '  ');
      out += `}\n\n`;
      out += `export interface ${n.output} {\n`;
      for (const [name, a] of Object.entries(n.type.attributes)) out += outputField(reg, name, a, '  ');
      out += `}\n\n`;
    }
    pending = [...reg.named.values()].filter((n) => !done.has(n.output));
  }
  return out;
}

/** The full text of `provider/pulumi/generated.ts`. */
export function renderGenerated(): string {
  const reg = new TypeRegistry();
  let body = '';
  for (const [kind, def] of Object.entries(resources) as [ResourceKind, ResourceDefinition][]) body += renderResource(reg, kind, def);
  let conn = `/** Connection to the Billing API; each falls back to stack config \`cloudbilling:*\`, then the environment. */\n`;
  conn += `export interface ConnectionInputs {\n`;
  for (const [name, a] of Object.entries(providerConfig.attributes)) {
    const extra = a.sensitive ? ' Stored as a Pulumi secret.' : '';
    conn += `${jsdoc(a.description + extra, '  ')}  ${name}?: pulumi.Input<${reg.tsInput(name, a.type)}>;\n`;
  }
  conn += `}\n\n`;
  const header =
    '// GENERATED by provider/pulumi/codegen.ts from provider/domain/resources.ts. Do not edit:\n' +
    '// change the definitions and run `CLOUDBILLING_REGEN=1 npx jest test/pulumi/generated`.\n' +
    "import * as pulumi from '@pulumi/pulumi';\n" +
    "import { providers } from './providers';\n" +
    "import { prepareResource } from './prepare';\n\n";
  return header + conn + renderNested(reg) + body.replace(/\n+$/, '\n');
}

// ---- docs ---------------------------------------------------------------------------

function docType(t: AttrType): string {
  switch (t.kind) {
    case 'string':
      return t.enum ? t.enum.map((v) => `\`"${v}"\``).join(' \\| ') : 'string';
    case 'number':
      return 'number';
    case 'bool':
      return 'boolean';
    case 'list':
      return `${docType(t.element)}[]`;
    case 'object':
      return `{ ${Object.entries(t.attributes)
        .map(([k, a]) => `${k}${a.presence === 'required' ? '' : '?'}: ${docType(a.type)}`)
        .join(', ')} }`;
  }
}

const PRESENCE_DOC: Record<Attribute['presence'], string> = {
  required: 'required',
  optional: 'optional',
  optionalComputed: 'optional (API value kept when unset)',
  computed: 'output',
};

/** The reference section of docs/pulumi.md (between the GENERATED markers). */
export function renderDocsReference(): string {
  let out = '';
  for (const [kind, def] of Object.entries(resources) as [ResourceKind, ResourceDefinition][]) {
    out += `### \`${def.className}\`\n\n${def.description} Destroying it ${def.destroy}.\n\n`;
    out += `| property | type | | notes |\n|---|---|---|---|\n`;
    for (const [name, a] of Object.entries(def.attributes)) {
      const notes = [a.description.replace(/\|/g, '\\|')];
      if (a.replace) notes.push('**Replaces** the resource when changed.');
      if (a.sensitive || (a.type.kind === 'object' && Object.values(a.type.attributes).some((x) => x.sensitive))) notes.push('Stored as a secret.');
      out += `| \`${name}\` | ${docType(a.type)} | ${name === 'id' ? 'output (the resource id)' : PRESENCE_DOC[a.presence]} | ${notes.join(' ')} |\n`;
    }
    if (ADOPTABLE[kind]) out += `| \`adopt\` | boolean | optional | ${ADOPT_DESCRIPTION[kind as Exclude<ResourceKind, 'mainBillingGroup'>]} |\n`;
    for (const [name, a] of Object.entries(providerConfig.attributes)) {
      const what = a.description.split(' Default:')[0];
      const env = /CLOUDBILLING_[A-Z_]+/.exec(a.description)?.[0];
      const fallback = `Unset: stack config \`cloudbilling:${name}\`${env ? `, then \`${env}\`` : ''}.`;
      out += `| \`${name}\` | ${docType(a.type)} | optional | ${what} ${fallback}${a.sensitive ? ' Stored as a secret.' : ''} |\n`;
    }
    out += '\n';
  }
  return out;
}
