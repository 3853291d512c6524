/**
 * The four dynamic providers. Pulumi closure-serializes each provider object into the
 * state of every resource that uses it, and the dynamic-provider host later runs that
 * text. So each object is tiny: its methods capture one string (the resource kind) and
 * load the real implementation (`engine.ts`, through the package entry point) with
 * `require` at call time. They capture no client, no module object and never a token:
 * credentials come from `configure` (stack config), resource args or the environment.
 *
 * `require('cloudbilling/pulumi')` resolves from the Pulumi project's working directory
 * (where the host runs), i.e. the `cloudbilling` package the program depends on: the host
 * loads the serialized text with `require-from-string`, a module with no file, so Node's
 * package self-reference does not apply and the project needs `node_modules/cloudbilling`
 * (checked under the real engine: from this repository's root it is not found; the
 * engine tests link it, test/helpers/pulumi.ts). In the program process jest maps the
 * name to the sources.
 */
import type * as pulumi from '@pulumi/pulumi';

export type ResourceKind = 'billingGroup' | 'mainBillingGroup' | 'projectLink' | 'groupPermission';

function makeProvider(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  return {
    async configure(req) {
      return require('cloudbilling/pulumi').engine.configure(req);
    },
    async check(olds, news) {
      return require('cloudbilling/pulumi').engine.check(kind, olds, news);
    },
    async diff(id, olds, news) {
      return require('cloudbilling/pulumi').engine.diff(kind, id, olds, news);
    },
    async create(inputs) {
      return require('cloudbilling/pulumi').engine.create(kind, inputs);
    },
    async read(id, props) {
      return require('cloudbilling/pulumi').engine.read(kind, id, props);
    },
    async update(id, olds, news) {
      return require('cloudbilling/pulumi').engine.update(kind, id, olds, news);
    },
    async delete(id, props) {
      return require('cloudbilling/pulumi').engine.delete(kind, id, props);
    },
  };
}

/** One shared instance per resource type (one serialization, one cache entry in the host). */
export const providers: Record<ResourceKind, pulumi.dynamic.ResourceProvider> = {
  billingGroup: makeProvider('billingGroup'),
  mainBillingGroup: makeProvider('mainBillingGroup'),
  projectLink: makeProvider('projectLink'),
  groupPermission: makeProvider('groupPermission'),
};
