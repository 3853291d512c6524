/**
 * The registry of resources and data sources, keyed by full Terraform type name. The
 * protocol layer dispatches RPCs to these handlers; each file reads like a hashicups
 * resource (plain camelCase values, domain diagnostics).
 */
import type { DataSourceHandler, ResourceHandler } from '../framework';
import { billingGroupResource } from './billing-group';
import { mainBillingGroupResource } from './main-billing-group';
import { projectLinkResource } from './project-link';
import { groupPermissionResource } from './group-permission';
import { domainDataSource } from './data-domain';
import { billingGroupDataSource } from './data-billing-group';
import { projectDataSource } from './data-project';
import { invoicesDataSource } from './data-invoices';

const PREFIX = 'cloudbilling_';

function byTypeName<T extends { definition: { tfName: string } }>(handlers: T[]): Record<string, T> {
  return Object.fromEntries(handlers.map((h) => [PREFIX + h.definition.tfName, h]));
}

/** Terraform type name (e.g. `cloudbilling_billing_group`) → handler. */
export const resources: Record<string, ResourceHandler> = byTypeName([
  billingGroupResource,
  mainBillingGroupResource,
  projectLinkResource,
  groupPermissionResource,
]);

/** Terraform type name (e.g. `cloudbilling_domain`) → handler. */
export const dataSources: Record<string, DataSourceHandler> = byTypeName([
  domainDataSource,
  billingGroupDataSource,
  projectDataSource,
  invoicesDataSource,
]);
