/** The pure domain: types, rules engine, messages and resource definitions. No I/O. */
export * from './types';
export * from './messages';
export * from './rules';
export * from './naming';
export * from './resources';
