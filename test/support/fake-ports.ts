/**
 * In-memory ports for the failover engine: a fake two-instance cluster, DNS, notifier, report
 * store, lag history and clock. Every call is recorded in order in `calls`, so tests can
 * assert the exact sequence of port calls a decision causes.
 */
import {
  MemoryAlertLedger,
  type AlertLedger,
  type AlertLedgerEntry,
  type AlertRecord,
} from "../../lib/lambda/core/alerts";
import { ControlPlaneError, DnsChangeError } from "../../lib/lambda/core/errors";
import type {
  Clock,
  DatabaseControl,
  DatabaseProbe,
  Dns,
  FailoverReport,
  FenceResult,
  LagHistory,
  UnfenceResult,
  Notification,
  Notifier,
  Ports,
  PrimaryHealthSignals,
  RegionalRecovery,
  ReportStore,
} from "../../lib/lambda/core/ports";
import type {
  ApiReachabilityHistory,
  BackupsView,
  DbRole,
  DnsView,
  InstanceView,
  LagEvidence,
  LagReading,
  ProbeOutcome,
  ProbeResult,
  RdsMetricsObservation,
  ReplicationPositions,
} from "../../lib/lambda/core/types";

/** 2024-05-01T10:00:00.000Z: every fake starts here. */
export const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);

export const PRIMARY_ENDPOINT = "tap-primary-dev.abc123.ap-southeast-2.rds.amazonaws.com";
export const REPLICA_ENDPOINT = "tap-replica-dev.abc123.ap-southeast-2.rds.amazonaws.com";
export const RESTORED_ENDPOINT = "tap-restored-dev.def456.ap-southeast-1.rds.amazonaws.com";
export const RESTORED_ID = "tap-restored-dev";
/** The replicated backups of a healthy cluster: restorable to 2 minutes before T0, kept 7 days. */
export const DR_BACKUPS: BackupsView = {
  kind: "available",
  arn: "arn:aws:rds:ap-southeast-1:123456789012:auto-backup:ab-tapprimarydev0001",
  latestRestorableTimeMs: Date.UTC(2024, 4, 1, 10, 0, 0) - 120_000,
  earliestRestorableTimeMs: Date.UTC(2024, 4, 1, 10, 0, 0) - 7 * 86_400_000,
  retentionDays: 7,
};

/** The restored instance before any restore: not found. */
export function restoredView(overrides: Partial<InstanceView> = {}): InstanceView {
  return {
    id: RESTORED_ID,
    role: "primary",
    status: "not-found",
    isReplica: false,
    apiReachable: true,
    ...overrides,
  };
}
export const REPLICA_CREATED_AT_MS = Date.UTC(2024, 3, 1, 0, 0, 0);

/** A clock that only moves when told to; `sleep` moves it and resolves at once. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public now = T0) {}
  nowMs(): number {
    return this.now;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.now += ms;
  }
  advance(ms: number): void {
    this.now += ms;
  }
  /** Time a fake operation takes (a DNS change reaching INSYNC, a wait): here it moves the clock at once. */
  async pass(ms: number): Promise<void> {
    this.advance(ms);
  }
}

/**
 * The simulator's virtual clock seen as a `FakeClock`, for running the workflow engine over the
 * fake cluster: time moves only when the scheduler runs (the engine's Wait states and retry
 * intervals, and the fake operations' `pass`). `advance` does nothing, so the fake's
 * `callLatencyMs` does not apply, and `now` is not the time: read `nowMs()`.
 */
export class ScheduledClock extends FakeClock {
  constructor(private readonly scheduler: Clock) {
    super(scheduler.nowMs());
  }
  override nowMs(): number {
    return this.scheduler.nowMs();
  }
  override async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    await this.scheduler.sleep(ms);
  }
  override advance(_ms: number): void {
    // Virtual time moves with the scheduler only.
  }
  override async pass(ms: number): Promise<void> {
    await this.scheduler.sleep(ms);
  }
}

export function primaryView(overrides: Partial<InstanceView> = {}): InstanceView {
  return {
    id: "tap-primary-dev",
    role: "primary",
    status: "available",
    rawStatus: "available",
    endpoint: PRIMARY_ENDPOINT,
    isReplica: false,
    apiReachable: true,
    fenced: false,
    ...overrides,
  };
}

export function replicaView(overrides: Partial<InstanceView> = {}): InstanceView {
  return {
    id: "tap-replica-dev",
    role: "replica",
    status: "available",
    rawStatus: "available",
    endpoint: REPLICA_ENDPOINT,
    isReplica: true,
    apiReachable: true,
    createdAtMs: REPLICA_CREATED_AT_MS,
    ...overrides,
  };
}

/** Behaviour knobs of the fake cluster; each test changes only what its situation needs. */
export interface FakeBehaviour {
  /**
   * How long a promotion takes: `describe("replica")` shows a writable standalone instance once
   * this long has passed since the promotion started (`FakeCluster.promotionStartedAtMs`);
   * `null` = it never finishes, the replica stays in `stuckPromotionStatus`.
   */
  promotionDurationMs: number | null;
  /** How long a DNS change takes to reach INSYNC. */
  dnsSyncMs: number;
  /** Error thrown by `setWriter`; `applyBeforeFailing` = the UPSERT went through but INSYNC was not confirmed. */
  setWriterError: {
    error: Error;
    applyBeforeFailing: boolean;
    onlyForTarget?: string;
    /** Runs after the failed change, e.g. to let the replica fail at the same moment. */
    then?: () => void;
  } | null;
  promoteError: Error | null;
  fenceError: Error | null;
  /** A fence that answers but does not hold (e.g. the revoke was throttled): `fenced: false` with this detail. */
  fenceRefusal: string | null;
  catchUpError: Error | null;
  unfenceError: Error | null;
  enableBackupsError: Error | null;
  /** Extra time every control and DNS call takes (an impaired region answering slowly). */
  callLatencyMs: number;
  putError: Error | null;
  notifyError: Error | null;
  /** Errors of the alert ledger's read and write. */
  alertReadError: Error | null;
  alertWriteError: Error | null;
  /** Status the replica shows while a promotion that never finishes runs. */
  stuckPromotionStatus: InstanceView["status"];
}

/** The whole fake world, with the ports as views onto it. */
export class FakeCluster {
  readonly calls: string[] = [];
  readonly clock: FakeClock;
  primary: InstanceView;
  replica: InstanceView;
  dnsView: { writerTarget: string | null; readerTarget: string | null };
  readonly notifications: Notification[] = [];
  readonly reports = new Map<string, FailoverReport>();
  /** Reading `LagHistory` returns, and the arguments it was asked with. */
  historyReading: LagReading | null = null;
  /** The rest of the evidence `LagHistory` returns (the primary's last answer, the first failure seen). */
  historyMoments: { primaryLastAnsweredAtMs: number | null; failureFirstSeenAtMs: number | null } = {
    primaryLastAnsweredAtMs: null,
    failureFirstSeenAtMs: null,
  };
  /** Scripted primary probe outcomes, consumed in order (then `ok`), and each probe's latency. */
  probeScript: { outcome: ProbeOutcome; latencyMs?: number; detail?: string }[] = [];
  replicaLag: LagReading | null = null;
  /**
   * When `PromoteReadReplica` started the promotion (set by `promoteReplica`; a test sets it for a
   * promotion an earlier run started). `null`: no promotion runs, a tag alone does not promote.
   */
  promotionStartedAtMs: number | null = null;
  private promotionFinished = false;
  /** Client ingress rules of the primary's client group; the fence revokes them, its undo restores them. */
  primaryIngress: string[] = ["10.20.0.0/16"];
  readonly behaviour: FakeBehaviour = {
    promotionDurationMs: 120_000,
    dnsSyncMs: 20_000,
    setWriterError: null,
    promoteError: null,
    fenceError: null,
    fenceRefusal: null,
    catchUpError: null,
    unfenceError: null,
    enableBackupsError: null,
    callLatencyMs: 0,
    putError: null,
    notifyError: null,
    alertReadError: null,
    alertWriteError: null,
    stuckPromotionStatus: "modifying",
  };

  constructor(
    init: {
      primary?: Partial<InstanceView>;
      replica?: Partial<InstanceView>;
      dns?: Partial<DnsView>;
      clock?: FakeClock;
    } = {},
  ) {
    this.clock = init.clock ?? new FakeClock();
    this.primary = primaryView(init.primary);
    this.replica = replicaView(init.replica);
    this.dnsView = { writerTarget: PRIMARY_ENDPOINT, readerTarget: REPLICA_ENDPOINT, ...init.dns };
  }

  /**
   * Simulates the function dying mid-run: after the first call whose text starts with this has
   * had its effect, it throws and so does every later call, leaving the state as it is.
   */
  crashAfter: string | null = null;
  private crashed = false;

  /** True once a crash point was reached (until `restart`). */
  get hasCrashed(): boolean {
    return this.crashed;
  }

  /** Let a crashed cluster be used again, as the next invocation would. */
  restart(): void {
    this.crashed = false;
    this.crashAfter = null;
  }

  private record(call: string): void {
    if (this.crashed) throw new Error(`crashed before ${call}`);
    this.calls.push(call);
    if (call.startsWith("control.") || call.startsWith("dns.")) {
      this.clock.advance(this.behaviour.callLatencyMs);
    }
  }

  private effectDone(): void {
    const last = this.calls[this.calls.length - 1];
    if (this.crashAfter !== null && last.startsWith(this.crashAfter)) {
      this.crashed = true;
      throw new Error(`crashed after ${last}`);
    }
  }

  /** Names of the calls made, without arguments. */
  get callNames(): string[] {
    return this.calls.map((c) => c.replace(/\(.*$/, ""));
  }

  /** Store a report as if an earlier run had written it. */
  addReport(kind: FailoverReport["kind"], id: string): void {
    this.reports.set(`${kind}/${id}`, { id, kind } as FailoverReport);
  }

  readonly probe: DatabaseProbe = {
    probePrimary: async (timeoutMs: number): Promise<ProbeResult> => {
      this.record(`probe.probePrimary(${timeoutMs})`);
      const next = this.probeScript.shift() ?? { outcome: "ok" as const };
      const atMs = this.clock.nowMs();
      const latencyMs = next.latencyMs ?? (next.outcome === "timeout" ? timeoutMs : 5);
      this.clock.advance(latencyMs);
      return {
        target: "primary",
        atMs,
        outcome: next.outcome,
        latencyMs,
        ...(next.detail ? { detail: next.detail } : {}),
      };
    },
    readReplicaLag: async (timeoutMs: number): Promise<LagReading> => {
      this.record(`probe.readReplicaLag(${timeoutMs})`);
      const atMs = this.clock.nowMs();
      this.clock.advance(4);
      return (
        this.replicaLag ?? {
          atMs,
          lagSeconds: 1,
          probe: { target: "replica", atMs, outcome: "ok", latencyMs: 4 },
        }
      );
    },
    replicationPositions: async (timeoutMs: number): Promise<ReplicationPositions> => {
      this.record(`probe.replicationPositions(${timeoutMs})`);
      return {
        atMs: this.clock.nowMs(),
        primaryLsn: "0/3000060",
        primaryStartedAtMs: T0 - 86_400_000,
        replicaReplayLsn: "0/3000060",
      };
    },
  };

  readonly control: DatabaseControl = {
    describe: async (role: DbRole): Promise<InstanceView> => {
      this.record(`control.describe(${role})`);
      if (role === "primary") return { ...this.primary };
      this.settlePromotion();
      return { ...this.replica };
    },
    fencePrimary: async (): Promise<FenceResult> => {
      this.record("control.fencePrimary()");
      if (this.behaviour.fenceError) throw this.behaviour.fenceError;
      if (this.behaviour.fenceRefusal !== null) return { fenced: false, detail: this.behaviour.fenceRefusal };
      if (!this.primary.apiReachable) {
        return { fenced: false, detail: "the EC2 API of ap-southeast-2 did not answer; ingress left as is" };
      }
      const revoked = this.primaryIngress;
      this.primaryIngress = [];
      this.primary = { ...this.primary, fenced: true };
      this.effectDone();
      return revoked.length === 0
        ? { fenced: true, detail: "sg-0primary had no client ingress left" }
        : {
            fenced: true,
            detail: `removed client ingress ${revoked.join(", ")} from sg-0primary`,
            revokedIngress: revoked.map((cidrIpv4) => ({
              protocol: "tcp",
              fromPort: 5432,
              toPort: 5432,
              cidrIpv4,
            })),
            restartAfterMs: this.clock.nowMs(),
          };
    },
    unfencePrimary: async (fence: FenceResult): Promise<UnfenceResult> => {
      this.record(`control.unfencePrimary(${fence.revokedIngress?.length ?? 0})`);
      if (this.behaviour.unfenceError) throw this.behaviour.unfenceError;
      const rules = (fence.revokedIngress ?? []).map((rule) => rule.cidrIpv4 ?? "?");
      this.primaryIngress = [...new Set([...this.primaryIngress, ...rules])];
      this.primary = { ...this.primary, fenced: false };
      this.effectDone();
      return { restored: true, detail: `re-authorized ${rules.join(", ") || "no rule"} on sg-0primary` };
    },
    enableBackups: async (): Promise<string> => {
      this.record("control.enableBackups()");
      if (this.behaviour.enableBackupsError) throw this.behaviour.enableBackupsError;
      if (this.replica.backupRetentionDays === 0) {
        this.replica = { ...this.replica, backupRetentionDays: 7 };
        this.effectDone();
        return "backup retention set to 7 days";
      }
      return "automated backups already on";
    },
    promoteReplica: async (): Promise<void> => {
      this.record("control.promoteReplica()");
      if (this.behaviour.promoteError) throw this.behaviour.promoteError;
      // Idempotent, as the adapters are: a promotion that runs or has finished is left alone.
      if (this.promotionStartedAtMs === null) {
        this.promotionStartedAtMs = this.clock.nowMs();
        this.replica = {
          ...this.replica,
          isReplica: false,
          status: "modifying",
          rawStatus: "modifying",
          promotionRequestedAtMs: this.clock.nowMs(),
          backupRetentionDays: 0,
        };
      }
      this.effectDone();
    },
    waitUntilCaughtUp: async (timeoutMs: number, _fence: FenceResult): Promise<void> => {
      this.record(`control.waitUntilCaughtUp(${timeoutMs})`);
      if (this.behaviour.catchUpError) {
        await this.clock.pass(timeoutMs);
        throw this.behaviour.catchUpError;
      }
      await this.clock.pass(2_000);
    },
  };

  /**
   * The replica as RDS shows it now: a running promotion finishes `promotionDurationMs` after it
   * started (standalone, `available`); one that never finishes shows `stuckPromotionStatus`.
   */
  private settlePromotion(): void {
    const startedAtMs = this.promotionStartedAtMs;
    if (startedAtMs === null || this.promotionFinished || this.replica.status === "failed") return;
    const duration = this.behaviour.promotionDurationMs;
    if (duration === null) {
      const status = this.behaviour.stuckPromotionStatus;
      this.replica = { ...this.replica, status, rawStatus: status };
    } else if (this.clock.nowMs() >= startedAtMs + duration) {
      this.promotionFinished = true;
      this.replica = { ...this.replica, status: "available", rawStatus: "available", isReplica: false };
    }
  }

  readonly dns: Dns = {
    read: async (): Promise<DnsView> => {
      this.record("dns.read()");
      return { ...this.dnsView };
    },
    setWriter: async (target: string, timeoutMs: number): Promise<void> => {
      this.record(`dns.setWriter(${target}, ${timeoutMs})`);
      const failure = this.behaviour.setWriterError;
      if (failure && (failure.onlyForTarget === undefined || failure.onlyForTarget === target)) {
        if (failure.applyBeforeFailing) this.dnsView = { ...this.dnsView, writerTarget: target };
        await this.clock.pass(timeoutMs);
        failure.then?.();
        throw failure.error;
      }
      this.dnsView = { ...this.dnsView, writerTarget: target };
      await this.clock.pass(this.behaviour.dnsSyncMs);
      this.effectDone();
    },
    setReader: async (target: string, timeoutMs: number): Promise<void> => {
      this.record(`dns.setReader(${target}, ${timeoutMs})`);
      await this.clock.pass(this.behaviour.dnsSyncMs);
      this.dnsView = { ...this.dnsView, readerTarget: target };
    },
  };

  readonly notifier: Notifier = {
    notify: async (notification: Notification): Promise<void> => {
      this.record(`notifier.notify(${notification.event})`);
      if (this.behaviour.notifyError) throw this.behaviour.notifyError;
      this.notifications.push(notification);
      this.effectDone();
    },
  };

  readonly reportStore: ReportStore = {
    put: async (report: FailoverReport): Promise<string> => {
      this.record(`reports.put(${report.kind}/${report.id})`);
      if (this.behaviour.putError) throw this.behaviour.putError;
      this.reports.set(`${report.kind}/${report.id}`, report);
      this.effectDone();
      return `s3://tap-backups-dr-dev/reports/${report.kind}/${report.id}.json`;
    },
    exists: async (kind: FailoverReport["kind"], id: string): Promise<boolean> => {
      this.record(`reports.exists(${kind}/${id})`);
      return this.reports.has(`${kind}/${id}`);
    },
  };

  readonly lagHistory: LagHistory = {
    lagEvidence: async (nowMs: number, lookbackSeconds: number): Promise<LagEvidence> => {
      this.record(`lagHistory.lagEvidence(${nowMs}, ${lookbackSeconds})`);
      return { lastHealthyLag: this.historyReading, ...this.historyMoments };
    },
  };

  /** What the primary-health signals return; not observed unless a test sets them. */
  rdsMetrics: RdsMetricsObservation = { kind: "not-observed", reason: "fake cluster" };
  apiHistory: ApiReachabilityHistory = { kind: "not-observed", reason: "fake cluster" };
  /** Arguments the primary-health signals were asked with, in order (kept out of `calls`). */
  readonly healthQueries: string[] = [];

  readonly primaryHealth: PrimaryHealthSignals = {
    rdsMetrics: async (nowMs: number, lookbackMinutes: number): Promise<RdsMetricsObservation> => {
      this.healthQueries.push(`rdsMetrics(${nowMs}, ${lookbackMinutes})`);
      return this.rdsMetrics;
    },
    apiReachabilityHistory: async (
      nowMs: number,
      lookbackMinutes: number,
    ): Promise<ApiReachabilityHistory> => {
      this.healthQueries.push(`apiReachabilityHistory(${nowMs}, ${lookbackMinutes})`);
      return this.apiHistory;
    },
  };

  /** The alert ledger's memory, shared by every invocation against this cluster. */
  readonly alertLedger = new MemoryAlertLedger();

  readonly alerts: AlertLedger = {
    read: async (key: string): Promise<AlertLedgerEntry | null> => {
      this.record(`alerts.read(${key})`);
      if (this.behaviour.alertReadError) throw this.behaviour.alertReadError;
      return this.alertLedger.read(key);
    },
    write: async (record: AlertRecord, expectedVersion: string | null): Promise<void> => {
      this.record(`alerts.write(${record.key})`);
      if (this.behaviour.alertWriteError) throw this.behaviour.alertWriteError;
      await this.alertLedger.write(record, expectedVersion);
    },
  };

  /** What `recovery.backups()` answers. */
  drBackups: BackupsView = DR_BACKUPS;
  /** When `restoreLatest` started a restore; `null`: none runs. */
  restoreStartedAtMs: number | null = null;
  /** How long a restore takes before the restored instance is available. */
  restoreDurationMs = 30 * 60_000;
  restoreError: Error | null = null;
  /** Arguments of the recovery reads, in order (kept out of `calls`, like the health signals). */
  readonly recoveryQueries: string[] = [];

  /** The restored instance as RDS would describe it now. */
  restoredNow(): InstanceView {
    if (this.restoreStartedAtMs === null) return restoredView();
    const ready = this.clock.nowMs() >= this.restoreStartedAtMs + this.restoreDurationMs;
    return restoredView({
      status: ready ? "available" : "modifying",
      rawStatus: ready ? "available" : "creating",
      endpoint: RESTORED_ENDPOINT,
      createdAtMs: this.restoreStartedAtMs,
      backupRetentionDays: 7,
    });
  }

  readonly recovery: RegionalRecovery = {
    // The default placement: the replica in the primary's region.
    replicaInPrimaryRegion: true,
    backups: async (): Promise<BackupsView> => {
      this.recoveryQueries.push("backups()");
      return this.drBackups;
    },
    describeRestored: async (): Promise<InstanceView> => {
      this.recoveryQueries.push("describeRestored()");
      return this.restoredNow();
    },
    restoreLatest: async (backups): Promise<void> => {
      this.record(`recovery.restoreLatest(${backups.arn})`);
      if (this.restoreError) throw this.restoreError;
      if (this.restoreStartedAtMs === null) this.restoreStartedAtMs = this.clock.nowMs();
    },
  };

  /** All ports together, as the orchestrator takes them. */
  get ports(): Ports {
    return {
      probe: this.probe,
      control: this.control,
      recovery: this.recovery,
      dns: this.dns,
      notifier: this.notifier,
      reports: this.reportStore,
      lagHistory: this.lagHistory,
      primaryHealth: this.primaryHealth,
      alerts: this.alerts,
      clock: this.clock,
    };
  }
}

/** Errors the way the AWS adapters raise them, for failure scenarios. */
export const errors = {
  dnsTimeout: () => new DnsChangeError("writer change C123 did not reach INSYNC within 60000 ms"),
  promoteRefused: () =>
    new ControlPlaneError("PromoteReadReplica refused: InvalidDBInstanceState", {
      cause: Object.assign(new Error("Instance is not in a valid state"), { name: "InvalidDBInstanceState" }),
    }),
};
