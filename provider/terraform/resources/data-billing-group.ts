/**
 * Data source `cloudbilling_billing_group`: a group by name (trimmed, case-insensitive,
 * as the uniqueness rule compares names), main or sub. No match is GROUP_NOT_FOUND.
 */
import { dataSources } from '../../domain/resources';
import { diagnostic } from '../../domain/messages';
import { normalizeName } from '../../domain/rules';
import type { DataSourceHandler } from '../framework';
import { liveState } from './common';

const definition = dataSources.billingGroup;

export const billingGroupDataSource: DataSourceHandler = {
  definition,
  async read(config, ctx) {
    const name = config.name as string;
    const live = await liveState(ctx);
    const g = live.groups.find((x) => normalizeName(x.name) === normalizeName(name));
    if (!g) {
      return {
        state: { name, id: null, type: null, billingEmails: null, invoiceEmails: null, projectCount: null, version: null },
        diagnostics: [diagnostic('GROUP_NOT_FOUND', { ref: name, byName: true }, { path: ['name'] })],
      };
    }
    return {
      state: {
        name,
        id: g.id,
        type: g.type,
        billingEmails: [...g.billingEmails],
        invoiceEmails: [...g.invoiceEmails],
        projectCount: g.projectCount,
        version: g.version,
      },
    };
  },
};
