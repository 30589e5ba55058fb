/**
 * The vocabulary of load metrics: transaction names, session states, the timeline point, live
 * counters, the delta a worker streams, and the {@link LoadMetrics} interface.
 */
import type { EncodedHistogram, LatencyHistogram, LatencySummary } from './latency-histogram.js';

/**
 * Built-in transaction names. Login steps come from the connection's status transitions:
 * `connect` = TCP connect + stream open + first features; `tls` = STARTTLS + handshake +
 * stream restart; `auth` = SASL + stream restart; `bind` = resource binding + initial
 * presence + roster; `login` = all of them. `message` = send → delivery at the receiving
 * session; `iq` / `pubsub` = request → reply. Scenarios add their own names.
 */
export type TransactionKind =
  | 'connect'
  | 'tls'
  | 'auth'
  | 'bind'
  | 'login'
  | 'message'
  | 'iq'
  | 'pubsub'
  | 'register'
  | 'unregister';

/** The login steps: parts of a login, not operations of their own. */
export const LOGIN_STEPS: ReadonlySet<string> = new Set([
  'connect',
  'tls',
  'auth',
  'bind',
  'login',
]);

/** Where a session is: waiting for a login token, one of the connection steps, or online. */
export type SessionState =
  | 'waiting'
  | 'connecting'
  | 'securing'
  | 'authenticating'
  | 'binding'
  | 'online'
  | 'closing';

export const SESSION_STATES: readonly SessionState[] = [
  'waiting',
  'connecting',
  'securing',
  'authenticating',
  'binding',
  'online',
  'closing',
];

/** Latency percentiles of one transaction within one bucket (ms). */
export interface BucketLatency {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/** One bucket of the timeline; `t` is seconds since the start of the load phase. */
export interface TimelinePoint {
  readonly t: number;
  readonly sent: number;
  readonly received: number;
  readonly loginsStarted: number;
  readonly loginsOk: number;
  readonly loginsFailed: number;
  readonly errors: number;
  /** Sessions online at the end of the bucket. */
  readonly online: number;
  /** Per transaction name, for the transactions that completed in this bucket. */
  readonly latency: Readonly<Record<string, BucketLatency>>;
}

/** Live counters, cheap to read (progress bars). */
export interface LoadCounters {
  readonly sessions: Readonly<Record<SessionState, number>>;
  readonly sent: number;
  readonly received: number;
  readonly loginsStarted: number;
  readonly loginsOk: number;
  readonly loginsFailed: number;
  readonly errors: number;
  /** Most sessions online at any moment. */
  readonly peakOnline: number;
}

/** What a worker ships to the controller every bucket: changes since its previous delta. */
export interface MetricsDelta {
  readonly sessions: Readonly<Record<SessionState, number>>;
  readonly sent: number;
  readonly received: number;
  readonly loginsOk: number;
  readonly loginsFailed: number;
  /** Login start times, ms since the worker's load start. */
  readonly loginStarts: readonly number[];
  readonly errors: Readonly<Record<string, number>>;
  readonly errorSamples: Readonly<Record<string, string>>;
  readonly histograms: Readonly<Record<string, EncodedHistogram>>;
}

export interface LoadMetrics {
  latency(kind: string, ms: number): void;
  messageSent(): void;
  messageReceived(latencyMs: number): void;
  loginStarted(): void;
  loginFinished(ok: boolean): void;
  /** Counts one error under `kind` (an AviaryError code or a stanza error condition). */
  error(kind: string, message?: string): void;
  /** A session moved from `from` to `to` (undefined = not counted: new or gone). */
  sessionState(from: SessionState | undefined, to: SessionState | undefined): void;
  counters(): LoadCounters;
  latencies(): Readonly<Record<string, LatencySummary>>;
  /** The cumulative histogram of one transaction, if any value was recorded. */
  histogram(kind: string): LatencyHistogram | undefined;
  errorsByKind(): Readonly<Record<string, number>>;
  /** The first message seen for each error kind. */
  errorSamples(): Readonly<Record<string, string>>;
  /** Login start times, ms since these metrics were created (the load start). */
  loginStartTimes(): readonly number[];
  /** Messages delivered and logins completed in the last complete bucket, per second. */
  recentRates(): { readonly messagesPerSecond: number; readonly loginsPerSecond: number };
  timeline(): TimelinePoint[];
  /** The changes since the previous call (for a worker to stream). */
  drain(): MetricsDelta;
  /** Adds a worker's delta; `source` names the worker (its sessions replace its previous ones). */
  absorb(source: string, delta: MetricsDelta): void;
}
