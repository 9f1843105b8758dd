import type { LagHistory } from "../lambda/core/ports";
import type { LagReading } from "../lambda/core/types";

/**
 * The drill's `LagHistory`: the lag readings the monitor took while the primary was
 * healthy, kept in memory. On AWS the same question is answered from the CloudWatch
 * metric the monitor emits; here the runner feeds every run's healthy reading in.
 */
export class MemoryLagHistory implements LagHistory {
  private readonly readings: LagReading[] = [];

  /**
   * Records a reading. Readings without a lag value (the replica could not be read) are
   * ignored: they say nothing about data at risk.
   */
  record(reading: LagReading): void {
    if (reading.lagSeconds === null) return;
    this.readings.push(reading);
  }

  /** Every recorded reading, oldest first. */
  all(): readonly LagReading[] {
    return [...this.readings].sort((a, b) => a.atMs - b.atMs);
  }

  async lastHealthyLag(beforeMs: number, lookbackSeconds: number): Promise<LagReading | null> {
    const oldestMs = beforeMs - lookbackSeconds * 1000;
    let newest: LagReading | null = null;
    for (const reading of this.readings) {
      if (reading.atMs >= beforeMs || reading.atMs < oldestMs) continue;
      if (newest === null || reading.atMs > newest.atMs) newest = reading;
    }
    return newest;
  }
}
