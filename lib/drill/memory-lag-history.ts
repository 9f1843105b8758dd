import { lagEvidenceFromSeries } from "../lambda/core/lag-evidence";
import type { LagHistory } from "../lambda/core/ports";
import type { LagEvidence, LagReading, ProbeResult } from "../lambda/core/types";

/**
 * The drill's `LagHistory`: what the monitor recorded, kept in memory at the exact times it was
 * taken. On AWS the same question is answered from the CloudWatch metrics the monitor emits; both
 * turn their records into evidence with the core's `lagEvidenceFromSeries`, so the rule is one.
 */
export class MemoryLagHistory implements LagHistory {
  private readonly readings: LagReading[] = [];
  private readonly probes: ProbeResult[] = [];

  /**
   * Records a lag reading taken while the primary answered. Readings without a lag value (the
   * replica could not be read) are ignored: they say nothing about data at risk.
   */
  record(reading: LagReading): void {
    if (reading.lagSeconds === null) return;
    this.readings.push(reading);
  }

  /** Records a probe of the primary (answered or not), as the monitor's `PrimaryReachable` does. */
  recordProbe(probe: ProbeResult): void {
    this.probes.push(probe);
  }

  /** Every recorded reading, oldest first. */
  all(): readonly LagReading[] {
    return [...this.readings].sort((a, b) => a.atMs - b.atMs);
  }

  /** Evidence from the records in `[nowMs - lookbackSeconds, nowMs)`, dated to the millisecond. */
  async lagEvidence(nowMs: number, lookbackSeconds: number): Promise<LagEvidence> {
    const oldestMs = nowMs - lookbackSeconds * 1000;
    const inWindow = (atMs: number): boolean => atMs >= oldestMs && atMs < nowMs;
    return lagEvidenceFromSeries(
      this.readings
        .filter((r) => inWindow(r.atMs))
        .map((r) => ({ atMs: r.atMs, value: r.lagSeconds ?? Number.NaN })),
      this.probes
        .filter((p) => inWindow(p.atMs))
        .map((p) => ({ atMs: p.atMs, value: p.outcome === "ok" ? 1 : 0 })),
      1,
      nowMs,
    );
  }
}
