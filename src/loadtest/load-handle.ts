/**
 * What a running load test offers its caller: the report when done, live progress, the
 * metrics, and the knobs (target, rate, stop); and what the runner takes as dependencies.
 */
import type { Clock } from '../actors/clock.js';
import type { LoadCounters, LoadMetrics } from './load-metrics.js';
import type { LoadReport } from './load-report.js';
import type { readSystemLimits } from './system-limits.js';

export type LoadPhase = 'provisioning' | 'load' | 'settling' | 'cleanup' | 'done';

/** A live view for progress bars and the metrics endpoint. */
export interface LoadProgress {
  readonly phase: LoadPhase;
  readonly elapsedMs: number;
  readonly durationMs: number;
  /** Index of the arrival phase in force (0-based) and the login rate in force (logins/s). */
  readonly planPhase: number;
  readonly rate: number;
  /** Sessions wanted right now (the ramp applied to the target). */
  readonly desired: number;
  /** Accounts registered (or removed, during cleanup) so far, out of `accounts`. */
  readonly provisioned: number;
  readonly accounts: number;
  readonly counters: LoadCounters;
}

export interface LoadTestHandle {
  /** The report, once the run (cleanup included) is over. */
  readonly done: Promise<LoadReport>;
  /** Changes the target number of concurrent sessions (until a later phase sets its own). */
  setTarget(sessions: number): void;
  /** Changes the login rate (logins/s of this generator) until the next phase starts. */
  setRate(perSecond: number): void;
  /** Ends the load phase now (then settles, disconnects and cleans up). */
  stop(): void;
  progress(): LoadProgress;
  /** The metrics of the load phase (a fresh set once provisioning is over). */
  metrics(): LoadMetrics;
}

export interface LoadRunnerDeps {
  readonly clock?: Clock;
  /** Milliseconds for latencies: epoch-based with sub-ms precision by default, so a message
   * sent by one generator process and received by another on the same host is timed right. */
  readonly now?: () => number;
  /** Limits check (default: read from /proc); injectable for tests. */
  readonly limits?: typeof readSystemLimits;
  /** The first error of each kind, as it happens (provisioning, logins, scenarios). */
  readonly onError?: (kind: string, message: string) => void;
  /** Keep what {@link LoadMetrics.drain} needs (a worker streaming to a controller). */
  readonly streaming?: boolean;
  /** Awaited between provisioning and the load phase (workers wait for the controller's go). */
  readonly beforeLoad?: () => Promise<void>;
}
