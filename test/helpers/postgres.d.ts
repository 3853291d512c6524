/** Types of postgres.js (a throwaway PostgreSQL 15 cluster for tests and benchmarks). */
export declare const PG_BIN: string;

/** What another process needs to reach (and stop) a cluster: `attach(info)`. */
export interface ClusterInfo {
  dir: string;
  data: string;
  port: number;
  settings: string;
  user: { uid: number; gid: number } | null;
}

export interface PostgresCluster {
  info: ClusterInfo;
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
/** A handle on a cluster another process started. */
export declare function attach(info: ClusterInfo): PostgresCluster;
