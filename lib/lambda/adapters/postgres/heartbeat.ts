/**
 * The heartbeat: one row per writer in `tap_dr.heartbeat`, upserted on the primary by every
 * primary probe and read on the replica to measure replication lag.
 *
 * Why a heartbeat and not `pg_last_xact_replay_timestamp()` or RDS `ReplicaLag`: both report
 * the age of the last *replayed* transaction, so on an idle primary they grow without bound
 * (RDS documents up to 5 minutes) although nothing is missing. A row the monitor writes just
 * before it reads makes "seconds of commits the replica has not replayed" measurable on an
 * idle database too.
 */

/** Schema that holds the monitor's objects; owned by the bootstrap's (master) user. */
export const HEARTBEAT_SCHEMA = "tap_dr";
/** Table name inside {@link HEARTBEAT_SCHEMA}. */
export const HEARTBEAT_TABLE = "heartbeat";
/** Schema-qualified table name, safe to splice into SQL (both parts are plain identifiers). */
export const HEARTBEAT_RELATION = `${HEARTBEAT_SCHEMA}.${HEARTBEAT_TABLE}`;
/** The `source` the health monitor writes under unless configured otherwise. */
export const DEFAULT_HEARTBEAT_SOURCE = "health-monitor";

/**
 * One row per `source`, so the Lambda monitor and a drill or an operator's check can write
 * side by side without fighting over one row; updating a fixed row keeps the table at a few
 * tuples (HOT updates), however long the system runs.
 */
export const CREATE_HEARTBEAT_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${HEARTBEAT_RELATION} (
  source text PRIMARY KEY CHECK (length(source) BETWEEN 1 AND 64),
  beat_at timestamptz NOT NULL
)`;

/**
 * Upserts the caller's row with the primary's clock. `clock_timestamp()` rather than `now()`:
 * `now()` is the transaction start, which a slow connection or a queued lock would make old.
 * Parameter `$1` is the source.
 */
export const UPSERT_HEARTBEAT_SQL = `INSERT INTO ${HEARTBEAT_RELATION} (source, beat_at)
VALUES ($1, clock_timestamp())
ON CONFLICT (source) DO UPDATE SET beat_at = EXCLUDED.beat_at`;

/**
 * Lag on the replica: the replica's clock now minus the newest heartbeat it has replayed, in
 * seconds (float8, so `pg` returns a JS number). `NULL` when no heartbeat has been replayed yet.
 *
 * Semantics: on a healthy system the monitor writes a heartbeat on the primary just before it
 * reads the replica, so the value is the replay delay plus the gap between the two calls. It
 * over-estimates (never under-estimates) the window of commits the replica is missing: the
 * heartbeat is at least as old as anything the replica has not seen. Primary and replica
 * clocks are NTP-synchronised on RDS; a small negative value (clock skew smaller than the
 * replay delay) is clamped to 0 by the caller.
 */
export const READ_LAG_SQL = `SELECT EXTRACT(EPOCH FROM (clock_timestamp() - max(beat_at)))::float8 AS lag_seconds
FROM ${HEARTBEAT_RELATION}`;

/**
 * The restore test's check on a restored instance, as the monitor's role: how many heartbeat rows
 * the backup brought and the newest one's time (epoch ms as float8, `NULL` for an empty table).
 * The table comes with the backup, so a missing one (SQLSTATE 42P01) means the backup is not the
 * monitored database's.
 */
export const READ_RESTORE_CHECK_SQL = `SELECT count(*)::int AS row_count,
  (EXTRACT(EPOCH FROM max(beat_at)) * 1000)::float8 AS newest_ms
FROM ${HEARTBEAT_RELATION}`;
