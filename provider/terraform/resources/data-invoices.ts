/**
 * Data source `cloudbilling_invoices`: the invoices of a billing group, oldest period
 * first (`GET /v1/billing-groups/{id}/invoices`, one call per data source). An unknown
 * group is GROUP_NOT_FOUND.
 */
import { isApiError } from '../../client/errors';
import { dataSources } from '../../domain/resources';
import { diagnostic } from '../../domain/messages';
import type { DataSourceHandler } from '../framework';

export const invoicesDataSource: DataSourceHandler = {
  definition: dataSources.invoices,
  async read(config, ctx) {
    const billingGroupId = config.billingGroupId as string;
    try {
      const invoices = await ctx.client.listInvoices(billingGroupId);
      const sorted = [...invoices].sort((a, b) => a.period.localeCompare(b.period) || a.id.localeCompare(b.id));
      return {
        state: {
          billingGroupId,
          id: billingGroupId,
          invoices: sorted.map((i) => ({
            id: i.id,
            period: i.period,
            total: i.total,
            status: i.status,
            lines: i.lines.map((l) => ({ projectId: l.projectId, service: l.service, amount: l.amount })),
          })),
        },
      };
    } catch (e) {
      if (!(isApiError(e) && e.status === 404)) throw e;
      return {
        state: { billingGroupId, id: null, invoices: null },
        diagnostics: [diagnostic('GROUP_NOT_FOUND', { ref: billingGroupId }, { path: ['billingGroupId'] })],
      };
    }
  },
};
