/** PostgreSQL adapters: the `DatabaseProbe` over `pg`, the heartbeat and the monitor bootstrap. */
export {
  bootstrapMonitorRole,
  bootstrapStatements,
  MonitorBootstrapError,
  validateMonitorUser,
} from "./bootstrap";
export type { BootstrapOptions, BootstrapResult, SqlClient } from "./bootstrap";
export { classifyProbeError } from "./classify";
export type { ClassifiedError } from "./classify";
export * from "./heartbeat";
export { PgDatabaseProbe } from "./probe";
export type { PgEndpoint, PgProbeConfig, PgSsl } from "./probe";
