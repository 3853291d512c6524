/**
 * Turns a resource's typed args into the props and options of a dynamic resource, from
 * the definition (STYLE 2): every attribute becomes an output property, sensitive
 * attributes and the token are Pulumi secrets (inputs and outputs), `id` is Pulumi's own.
 * When the resource's parent is a `BillingDomain`, its registration waits for the
 * domain's whole-program check (see billing-domain.ts).
 */
import * as pulumi from '@pulumi/pulumi';
import { resources, type Attribute } from '../domain/resources';
import { BillingDomain } from './billing-domain';
import { ADOPTABLE } from './codegen';
import type { ResourceKind } from './providers';

function isSensitive(a: Attribute): boolean {
  if (a.sensitive) return true;
  if (a.type.kind === 'object') return Object.values(a.type.attributes).some(isSensitive);
  if (a.type.kind === 'list' && a.type.element.kind === 'object') return Object.values(a.type.element.attributes).some(isSensitive);
  return false;
}

/** Top-level attributes stored as secrets (they hold a sensitive attribute). */
export function secretAttributes(kind: ResourceKind): string[] {
  return Object.entries(resources[kind].attributes)
    .filter(([, a]) => isSensitive(a))
    .map(([name]) => name);
}

/** `pulumi:<org>/<project>/<stack>`: what the API records as the manager of this stack's objects (SPEC §9). */
export function stackLabel(): string {
  let org = '';
  try {
    org = pulumi.getOrganization();
  } catch {
    org = '';
  }
  return `pulumi:${[org, pulumi.getProject(), pulumi.getStack()].filter((x) => x).join('/')}`;
}

export interface Prepared {
  props: pulumi.Inputs;
  opts: pulumi.CustomResourceOptions;
  registered(resource: pulumi.CustomResource): void;
}

export function prepareResource(kind: ResourceKind, name: string, args: object, opts: pulumi.CustomResourceOptions = {}): Prepared {
  const a = (args ?? {}) as Record<string, unknown>;
  const secrets = new Set(secretAttributes(kind));
  let props: Record<string, unknown> = {};
  for (const attr of Object.keys(resources[kind].attributes)) {
    if (attr === 'id') continue; // the resource id
    const v = a[attr];
    props[attr] = v === undefined || v === null || !secrets.has(attr) ? v : pulumi.secret(v);
  }
  if (ADOPTABLE[kind]) props.adopt = a.adopt;
  props.apiUrl = a.apiUrl;
  props.token = a.token === undefined ? undefined : pulumi.secret(a.token as pulumi.Input<string>);
  props.__managedBy = stackLabel();

  const outOpts: pulumi.CustomResourceOptions = {
    ...opts,
    additionalSecretOutputs: [...new Set([...(opts.additionalSecretOutputs ?? []), ...secrets, 'token'])],
  };
  // `deletionProtection: true` also sets Pulumi's own `protect`, so the engine refuses the
  // group's delete, removal or replacement itself (the provider's DELETION_PROTECTED runs
  // only when the delete comes). The engine still deletes the unprotected resources of a
  // destroy. Only for a plain `true` (an Output is not known here); an explicit `protect`
  // option wins.
  if (a.deletionProtection === true && opts.protect === undefined) outOpts.protect = true;
  const domain = opts.parent instanceof BillingDomain ? opts.parent : undefined;
  if (!domain) return { props, opts: outOpts, registered: () => undefined };

  const decl = domain.declare(kind, name, args);
  const gated: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) gated[k] = decl.gate.then(() => v);
  gated.__blocked = decl.gate.then(() => decl.blocked());
  props = gated;
  const own = opts.dependsOn;
  outOpts.dependsOn = decl.gate.then(async () => {
    const mine = await resolveDependsOn(own);
    return [...mine, ...decl.dependsOn()];
  }) as unknown as pulumi.Input<pulumi.Resource[]>;
  return { props, opts: outOpts, registered: (res) => decl.registered(res) };
}

async function resolveDependsOn(own: pulumi.CustomResourceOptions['dependsOn']): Promise<pulumi.Resource[]> {
  if (own === undefined) return [];
  const value = pulumi.Output.isInstance(own)
    ? await new Promise<unknown>((resolve) => (own as pulumi.Output<unknown>).apply((v) => resolve(v)))
    : await own;
  const list = Array.isArray(value) ? value : [value];
  return (await Promise.all(list.map((r) => (pulumi.Output.isInstance(r) ? new Promise((res) => r.apply(res)) : r)))) as pulumi.Resource[];
}
