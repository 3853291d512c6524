/** jest globalSetup: pg-global.ts. */
export { setup as default } from './pg-global';
