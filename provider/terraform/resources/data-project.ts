/**
 * Data source `cloudbilling_project`: a project by its exact name. No match is
 * PROJECT_NOT_FOUND; several projects with that name is an error too (use the id).
 */
import { dataSources } from '../../domain/resources';
import { adapterDiagnostic } from '../../domain/messages';
import type { DataSourceHandler } from '../framework';
import { liveState } from './common';

export const projectDataSource: DataSourceHandler = {
  definition: dataSources.project,
  async read(config, ctx) {
    const name = config.name as string;
    const live = await liveState(ctx);
    const matches = live.projects.filter((p) => p.name === name);
    const empty = { name, id: null, billingGroupId: null, effectiveFrom: null };
    if (matches.length === 0) {
      return { state: empty, diagnostics: [adapterDiagnostic('PROJECT_NAME_NOT_FOUND', { name }, { path: ['name'] })] };
    }
    if (matches.length > 1) {
      const ids = matches.map((p) => p.id).join(', ');
      return { state: empty, diagnostics: [adapterDiagnostic('PROJECT_NAME_AMBIGUOUS', { name, count: matches.length, ids }, { path: ['name'] })] };
    }
    const p = matches[0];
    return { state: { name, id: p.id, billingGroupId: p.billingGroupId, effectiveFrom: p.effectiveFrom } };
  },
};
