/**
 * `cloudbilling export`: code that brings an existing domain under IaC, so that the first
 * plan after import shows no changes.
 *
 * One model, three renderers:
 * - Terraform HCL: a resource and an `import {}` block per object;
 * - CDKTF TypeScript: the generated bindings of `cloudbilling/cdktf`, with `importFrom`;
 * - Pulumi TypeScript: the dynamic resources of `cloudbilling/pulumi` with `adopt: true`
 *   (`pulumi import` does not work for dynamic resources, pulumi/pulumi#16175).
 *
 * Attributes come from the resource definitions (resources.ts): every non-computed
 * attribute whose live value is set is written; defaults are left out. Payment references
 * are sensitive: code refers to a sensitive variable / secret config key, and the values
 * go to one separate file (`secrets.auto.tfvars`, `secrets.env` or `set-secrets.sh`,
 * mode 0600, listed in `.gitignore`) unless `secrets: false`.
 */
import type { Snapshot } from '../client/types';
import type { Group } from '../domain/types';
import { resources, type AttrType } from '../domain/resources';
import { toSnake } from '../domain/naming';
import type { ResourceKind } from './model';

export type ExportFormat = 'terraform' | 'cdktf' | 'pulumi';

/** A value in generated code: a literal, a reference to another object's id, or a secret. */
type Val = { lit: unknown } | { ref: string } | { secret: string } | { obj: Record<string, Val> };

interface ExportObject {
  kind: ResourceKind;
  /** Identifier in code (Terraform resource name, TS variable, Pulumi resource name). */
  name: string;
  importId: string;
  values: Record<string, Val>;
  comment?: string;
}

export interface ExportModel {
  objects: ExportObject[];
  /** Secret name → value (payment references). Never printed. */
  secrets: Map<string, string>;
  domain: string;
}

export interface ExportedFile {
  path: string;
  content: string;
  /** 0600 for files holding secrets. */
  mode?: number;
}

/** A Terraform/TypeScript identifier from a display name, unique within `used`. */
export function identifier(text: string, used: Set<string>, prefix = 'r'): string {
  let base = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 48);
  if (base === '' || /^[0-9]/.test(base)) base = `${prefix}_${base}`.replace(/_+$/, '');
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
  used.add(name);
  return name;
}

const isDefault = (v: unknown, d: unknown) => v === null || v === undefined || (d !== undefined && v === d);

/** The writable attributes of a definition with the live value of each, in definition order. */
function groupValues(kind: 'billingGroup' | 'mainBillingGroup', g: Group, secretName: string, secrets: Map<string, string>): Record<string, Val> {
  const out: Record<string, Val> = {};
  for (const [attr, def] of Object.entries(resources[kind].attributes)) {
    if (def.presence === 'computed') continue;
    const live = (g as unknown as Record<string, unknown>)[attr];
    if (isDefault(live, def.default)) continue;
    const v = valueOf(def.type, live, def.default, secretName, secrets);
    if (v !== null) out[attr] = v;
  }
  return out;
}

function valueOf(type: AttrType, live: unknown, dflt: unknown, secretName: string, secrets: Map<string, string>, sensitive = false): Val | null {
  if (isDefault(live, dflt)) return null;
  if (sensitive) {
    secrets.set(secretName, String(live));
    return { secret: secretName };
  }
  if (type.kind === 'object') {
    const o: Record<string, Val> = {};
    let meaningful = false;
    for (const [k, a] of Object.entries(type.attributes)) {
      const x = (live as Record<string, unknown>)[k];
      // Optional+computed sub-attributes: write them (so config equals state), but an object
      // holding nothing but defaults is left out entirely.
      if (x === null || x === undefined) continue;
      if (a.default === undefined || x !== a.default) meaningful = true;
      const v = valueOf(a.type, x, undefined, secretName, secrets, a.sensitive === true);
      if (v !== null) o[k] = v;
    }
    return meaningful ? { obj: o } : null;
  }
  return { lit: live };
}

export function buildExportModel(snapshot: Snapshot): ExportModel {
  const used = new Set<string>();
  const secrets = new Map<string, string>();
  const objects: ExportObject[] = [];
  const mainId = snapshot.domain.mainGroupId;
  const groupVar = new Map<string, string>();
  const main = snapshot.groups.find((g) => g.id === mainId);
  if (main) {
    const name = identifier('main', used);
    groupVar.set(main.id, name);
    objects.push({ kind: 'mainBillingGroup', name, importId: main.id, values: groupValues('mainBillingGroup', main, `payment_reference_${name}`, secrets), comment: `main billing group "${main.name}"` });
  }
  const subs = snapshot.groups.filter((g) => g.type === 'sub').sort((a, b) => a.name.localeCompare(b.name));
  for (const g of subs) {
    const name = identifier(g.name, used, 'group');
    groupVar.set(g.id, name);
    objects.push({ kind: 'billingGroup', name, importId: g.id, values: groupValues('billingGroup', g, `payment_reference_${name}`, secrets), comment: `billing group "${g.name}" (${g.id})` });
  }
  const projects = snapshot.projects.filter((p) => p.billingGroupId !== mainId).sort((a, b) => a.name.localeCompare(b.name));
  for (const p of projects) {
    const name = identifier(`link_${p.name}`, used);
    const ref = groupVar.get(p.billingGroupId);
    objects.push({
      kind: 'projectLink',
      name,
      importId: p.id,
      values: { projectId: { lit: p.id }, billingGroupId: ref ? { ref } : { lit: p.billingGroupId } },
      comment: `project "${p.name}"`,
    });
  }
  const users = new Map(snapshot.users.map((u) => [u.id, u]));
  const perms = [...snapshot.permissions].sort((a, b) => (groupVar.get(a.billingGroupId) ?? '').localeCompare(groupVar.get(b.billingGroupId) ?? '') || a.userId.localeCompare(b.userId));
  for (const p of perms) {
    const u = users.get(p.userId);
    const g = groupVar.get(p.billingGroupId) ?? 'group';
    const name = identifier(`member_${g}_${u ? u.email.split('@')[0] : p.userId}`, used);
    const ref = groupVar.get(p.billingGroupId);
    objects.push({
      kind: 'groupPermission',
      name,
      importId: `${p.billingGroupId}/${p.userId}`,
      values: { billingGroupId: ref ? { ref } : { lit: p.billingGroupId }, userId: { lit: p.userId } },
      comment: u ? `membership of ${u.email}` : undefined,
    });
  }
  return { objects, secrets, domain: snapshot.domain.name };
}

// ---- Terraform HCL ------------------------------------------------------------------

function hclString(s: string): string {
  // `${` and `%{` start template sequences in HCL strings; `$${` and `%%{` are literal.
  return JSON.stringify(s).replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

function hcl(v: Val, objects: Map<string, ExportObject>, indent: string): string {
  if ('ref' in v) return `cloudbilling_${resources[objects.get(v.ref)!.kind].tfName}.${v.ref}.id`;
  if ('secret' in v) return `var.${v.secret}`;
  if ('obj' in v) {
    const inner = Object.entries(v.obj).map(([k, x]) => `${indent}  ${toSnake(k)} = ${hcl(x, objects, indent + '  ')}`);
    return `{\n${inner.join('\n')}\n${indent}}`;
  }
  return hclLiteral(v.lit);
}

function hclLiteral(x: unknown): string {
  if (typeof x === 'string') return hclString(x);
  if (Array.isArray(x)) return `[${x.map(hclLiteral).join(', ')}]`;
  if (x === null) return 'null';
  return JSON.stringify(x);
}

export function renderTerraform(model: ExportModel, opts: { secrets?: boolean } = {}): ExportedFile[] {
  const byName = new Map(model.objects.map((o) => [o.name, o]));
  const out: string[] = [
    `# Generated by \`cloudbilling export --format terraform\` from the live domain "${model.domain}".`,
    '# `terraform plan` imports every object below and should show no other change.',
    '',
    'terraform {',
    '  required_providers {',
    '    cloudbilling = {',
    '      source = "cloudbilling/cloudbilling"',
    '    }',
    '  }',
    '}',
    '',
    '# api_url and token come from CLOUDBILLING_API_URL and CLOUDBILLING_TOKEN.',
    'provider "cloudbilling" {}',
  ];
  for (const o of model.objects) {
    const type = `cloudbilling_${resources[o.kind].tfName}`;
    out.push('');
    if (o.comment) out.push(`# ${o.comment.replace(/\n/g, ' ')}`);
    out.push('import {', `  to = ${type}.${o.name}`, `  id = ${hclString(o.importId)}`, '}', '');
    out.push(`resource "${type}" "${o.name}" {`);
    for (const [k, v] of Object.entries(o.values)) out.push(`  ${toSnake(k)} = ${hcl(v, byName, '  ')}`);
    out.push('}');
  }
  const files: ExportedFile[] = [{ path: 'main.tf', content: out.join('\n') + '\n' }];
  if (model.secrets.size > 0) {
    const vars = [...model.secrets.keys()].map((k) => `variable "${k}" {\n  description = "Payment method reference (opaque processor token)."\n  type        = string\n  sensitive   = true\n}\n`);
    files.push({ path: 'variables.tf', content: vars.join('\n') });
    if (opts.secrets !== false) {
      const vals = [...model.secrets].map(([k, v]) => `${k} = ${hclString(v)}`);
      files.push({ path: 'secrets.auto.tfvars', content: `# Payment references. Keep this file out of version control.\n${vals.join('\n')}\n`, mode: 0o600 });
    }
  }
  files.push({ path: '.gitignore', content: 'secrets.auto.tfvars\n.terraform/\n*.tfstate\n*.tfstate.backup\n*.tfplan\n' });
  return files;
}

// ---- TypeScript (CDKTF and Pulumi) ------------------------------------------------

/**
 * A value as TypeScript. `terraformStrings`: CDKTF writes strings into Terraform JSON,
 * where `${` and `%{` start templates, so literal ones are escaped (`$${`, `%%{`).
 */
function ts(v: Val, secret: (name: string) => string, indent: string, terraformStrings = false): string {
  if ('ref' in v) return `${camel(v.ref)}.id`;
  if ('secret' in v) return secret(v.secret);
  if ('obj' in v) {
    const inner = Object.entries(v.obj).map(([k, x]) => `${indent}  ${k}: ${ts(x, secret, indent + '  ', terraformStrings)},`);
    return `{\n${inner.join('\n')}\n${indent}}`;
  }
  if (!terraformStrings) return JSON.stringify(v.lit);
  return JSON.stringify(v.lit, (_k, x) => (typeof x === 'string' ? x.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{') : x));
}

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function renderCdktf(model: ExportModel, opts: { secrets?: boolean } = {}): ExportedFile[] {
  const classes = [...new Set(model.objects.map((o) => resources[o.kind].className))].sort();
  const out = [
    `// Generated by \`cloudbilling export --format cdktf\` from the live domain ${JSON.stringify(model.domain)}.`,
    '// The first plan imports every object (importFrom) and should show no other change.',
    "import { App, TerraformStack, TerraformVariable } from 'cdktf';",
    "import { Construct } from 'constructs';",
    `import { CloudbillingProvider, ${classes.join(', ')} } from 'cloudbilling/cdktf';`,
    '',
    'export class BillingStack extends TerraformStack {',
    '  constructor(scope: Construct, id: string) {',
    '    super(scope, id);',
    '    // api_url and token come from CLOUDBILLING_API_URL and CLOUDBILLING_TOKEN.',
    "    new CloudbillingProvider(this, 'cloudbilling', {});",
  ];
  for (const k of model.secrets.keys()) {
    out.push(`    const ${camel(k)} = new TerraformVariable(this, '${k}', { type: 'string', sensitive: true, description: 'Payment method reference' });`);
  }
  for (const o of model.objects) {
    const cls = resources[o.kind].className;
    if (o.comment) out.push(`    // ${o.comment.replace(/\n/g, ' ')}`);
    out.push(`    const ${camel(o.name)} = new ${cls}(this, '${o.name}', {`);
    for (const [k, v] of Object.entries(o.values)) out.push(`      ${k}: ${ts(v, (s) => `${camel(s)}.stringValue`, '      ', true)},`);
    out.push('    });', `    ${camel(o.name)}.importFrom(${JSON.stringify(o.importId)});`);
  }
  out.push('  }', '}', '', 'const app = new App();', "new BillingStack(app, 'billing');", 'app.synth();', '');
  const files: ExportedFile[] = [
    { path: 'main.ts', content: out.join('\n') },
    { path: 'cdktf.json', content: JSON.stringify({ language: 'typescript', app: 'npx ts-node main.ts', output: 'cdktf.out', terraformProviders: [], context: {} }, null, 2) + '\n' },
  ];
  if (model.secrets.size > 0 && opts.secrets !== false) {
    const lines = [...model.secrets].map(([k, v]) => `export TF_VAR_${k}=${shellQuote(v)}`);
    files.push({ path: 'secrets.env', content: `# Payment references: \`. ./secrets.env\` before terraform plan in cdktf.out/stacks/billing. Keep out of version control.\n${lines.join('\n')}\n`, mode: 0o600 });
  }
  files.push({ path: '.gitignore', content: 'secrets.env\ncdktf.out/\nnode_modules/\n' });
  return files;
}

export function renderPulumi(model: ExportModel, opts: { secrets?: boolean } = {}): ExportedFile[] {
  const classes = [...new Set(model.objects.map((o) => resources[o.kind].className))].sort();
  const out = [
    `// Generated by \`cloudbilling export --format pulumi\` from the live domain ${JSON.stringify(model.domain)}.`,
    '// Every object is adopted (`adopt: true`): the first `pulumi up` takes it over without writing',
    '// to the API (`pulumi import` does not work for dynamic resources, pulumi/pulumi#16175).',
    "import * as pulumi from '@pulumi/pulumi';",
    `import { ${classes.join(', ')} } from 'cloudbilling/pulumi';`,
    '',
    'const config = new pulumi.Config();',
    '',
  ];
  for (const o of model.objects) {
    const cls = resources[o.kind].className;
    if (o.comment) out.push(`// ${o.comment.replace(/\n/g, ' ')}`);
    out.push(`export const ${camel(o.name)} = new ${cls}(${JSON.stringify(o.name)}, {`);
    for (const [k, v] of Object.entries(o.values)) out.push(`  ${k}: ${ts(v, (s) => `config.requireSecret(${JSON.stringify(camel(s))})`, '  ')},`);
    if (o.kind !== 'mainBillingGroup') out.push('  adopt: true,');
    out.push('});', '');
  }
  const files: ExportedFile[] = [
    { path: 'index.ts', content: out.join('\n') },
    { path: 'Pulumi.yaml', content: `name: ${identifier(model.domain, new Set(), 'billing').replace(/_/g, '-')}-billing\nruntime: nodejs\ndescription: Billing groups of ${JSON.stringify(model.domain)}, exported by cloudbilling export.\n` },
  ];
  if (model.secrets.size > 0 && opts.secrets !== false) {
    const lines = [...model.secrets].map(([k, v]) => `pulumi config set --secret ${camel(k)} ${shellQuote(v)}`);
    files.push({ path: 'set-secrets.sh', content: `#!/bin/sh\n# Stores the payment references as stack secrets. Run once per stack, then delete this file.\nset -e\n${lines.join('\n')}\n`, mode: 0o600 });
  }
  files.push({ path: '.gitignore', content: 'set-secrets.sh\nnode_modules/\n' });
  return files;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function renderExport(snapshot: Snapshot, format: ExportFormat, opts: { secrets?: boolean } = {}): { files: ExportedFile[]; model: ExportModel } {
  const model = buildExportModel(snapshot);
  const files = format === 'terraform' ? renderTerraform(model, opts) : format === 'cdktf' ? renderCdktf(model, opts) : renderPulumi(model, opts);
  return { files, model };
}
