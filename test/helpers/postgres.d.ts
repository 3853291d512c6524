/** Types of postgres.js (a throwaway PostgreSQL 15 cluster for tests and benchmarks). */
export declare const PG_BIN: string;

export interface PostgresCluster {
  port: number;
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  adminUrl: string;
  /** A new, empty database; returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** `pg_ctl restart -m fast` (connections are cut, acknowledged commits stay). */
  restart(): Promise<void>;
  /** Stop the server (fast) without deleting it; `start()` brings it back. */
  stopServer(): Promise<void>;
  start(): Promise<void>;
  /** Stop the server and delete the cluster. */
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** fsync and synchronous commit as in production (benchmarks). Default false: tests skip fsync. */
  durable?: boolean;
}

/** The path of a PostgreSQL server binary; throws how to install it when missing. */
export declare function pgBinary(name: 'initdb' | 'pg_ctl' | 'postgres'): string;
export declare function freePort(): Promise<number>;
export declare function startPostgres(options?: PostgresOptions): Promise<PostgresCluster>;
