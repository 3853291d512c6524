/** Data source `cloudbilling_domain`: the domain the token belongs to (from the live view). */
import { dataSources } from '../../domain/resources';
import type { DataSourceHandler } from '../framework';
import { liveState } from './common';

export const domainDataSource: DataSourceHandler = {
  definition: dataSources.domain,
  async read(_config, ctx) {
    const { domain } = await liveState(ctx);
    return { state: { id: domain.id, name: domain.name, mainGroupId: domain.mainGroupId, subGroupLimit: domain.subGroupLimit } };
  },
};
