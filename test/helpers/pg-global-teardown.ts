/** jest globalTeardown: pg-global.ts. */
export { teardown as default } from './pg-global';
