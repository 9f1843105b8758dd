/** Named errors of the failover engine. Each keeps the underlying error as `cause`. */

export class TapError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A required environment variable is missing or malformed. */
export class ConfigurationError extends TapError {}

/** An incoming event does not have an accepted shape or source; nothing was done. */
export class InvalidEventError extends TapError {}

/** A control-plane call (RDS, EC2) failed. */
export class ControlPlaneError extends TapError {}

/** A DNS change failed or did not reach INSYNC in time. */
export class DnsChangeError extends TapError {}

/** Sending a notification failed. */
export class NotificationError extends TapError {}

/** Writing or reading a report failed. */
export class ReportStoreError extends TapError {}

/** Something did not reach the expected state within its deadline. */
export class WaitTimeoutError extends TapError {}

/** The alert ledger could not be read or written (the alert is then sent anyway). */
export class AlertLedgerError extends TapError {}
