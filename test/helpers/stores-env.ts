/** The environment variable naming the jest run's shared PostgreSQL directory (pg-global.ts, stores.ts). */
export const SHARED_DIR_ENV = 'CLOUDBILLING_PG_SHARED_DIR';
