/** The Billing API client used by every front end. */
export * from './client';
export * from './errors';
export * from './types';
