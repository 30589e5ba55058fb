/**
 * What a load test measures while it runs: per-transaction latency histograms, messages sent
 * and delivered, logins, errors by kind, sessions by state, and a per-bucket timeline
 * (throughput and message latency over time). Plain counters; the runner feeds it.
 */
import {
  createLatencyHistogram,
  type LatencyHistogram,
  type LatencySummary,
  sortedPercentile,
} from './latency-histogram.js';

/**
 * Timed transactions. Login steps come from the connection's status transitions:
 * `connect` = TCP connect + stream open + first features; `tls` = STARTTLS + handshake +
 * stream restart; `auth` = SASL + stream restart; `bind` = resource binding + initial
 * presence + roster; `login` = all of them. `message` = send → delivery at the receiving
 * session (same process, same timer); `iq` / `pubsub` = request → reply.
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

/** Where a session is: waiting for a login token, one of the connection steps, or online. */
export type SessionState =
  | 'waiting'
  | 'connecting'
  | 'securing'
  | 'authenticating'
  | 'binding'
  | 'online'
  | 'closing';

const STATES: readonly SessionState[] = [
  'waiting',
  'connecting',
  'securing',
  'authenticating',
  'binding',
  'online',
  'closing',
];

/** One bucket of the timeline; `t` is seconds since the start of the load phase. */
export interface TimelinePoint {
  readonly t: number;
  readonly sent: number;
  readonly received: number;
  readonly loginsOk: number;
  readonly loginsFailed: number;
  readonly errors: number;
  /** Sessions online at the end of the bucket. */
  readonly online: number;
  readonly messageP50: number | null;
  readonly messageP95: number | null;
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

export interface LoadMetrics {
  latency(kind: TransactionKind, ms: number): void;
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
  errorsByKind(): Readonly<Record<string, number>>;
  /** The first message seen for each error kind. */
  errorSamples(): Readonly<Record<string, string>>;
  /** Login start times (ms, monotonic), to measure the achieved login rate. */
  loginStartTimes(): readonly number[];
  timeline(): TimelinePoint[];
}

interface Bucket {
  sent: number;
  received: number;
  loginsOk: number;
  loginsFailed: number;
  errors: number;
  online: number;
  latencies: number[];
}

/**
 * @example
 * const metrics = createLoadMetrics({ now: () => performance.now(), bucketMs: 1000 });
 * metrics.messageSent(); metrics.messageReceived(2.5);
 */
export function createLoadMetrics(deps: { now: () => number; bucketMs: number }): LoadMetrics {
  const { now, bucketMs } = deps;
  const startedAt = now();
  const histograms = new Map<string, LatencyHistogram>();
  const errors = new Map<string, number>();
  const samples = new Map<string, string>();
  const states = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<SessionState, number>;
  const buckets: Bucket[] = [];
  const loginStarts: number[] = [];
  let sent = 0;
  let received = 0;
  let loginsOk = 0;
  let loginsFailed = 0;
  let errorCount = 0;
  let peakOnline = 0;

  const bucket = (): Bucket => {
    const index = Math.max(0, Math.floor((now() - startedAt) / bucketMs));
    while (buckets.length <= index)
      buckets.push({
        sent: 0,
        received: 0,
        loginsOk: 0,
        loginsFailed: 0,
        errors: 0,
        online: states.online,
        latencies: [],
      });
    return buckets[index] as Bucket;
  };
  const histogram = (kind: string) => {
    let h = histograms.get(kind);
    if (h === undefined) {
      h = createLatencyHistogram();
      histograms.set(kind, h);
    }
    return h;
  };

  return {
    latency(kind, ms) {
      histogram(kind).record(ms);
    },
    messageSent() {
      sent += 1;
      bucket().sent += 1;
    },
    messageReceived(latencyMs) {
      received += 1;
      histogram('message').record(latencyMs);
      const b = bucket();
      b.received += 1;
      b.latencies.push(latencyMs);
    },
    loginStarted() {
      loginStarts.push(now());
    },
    loginFinished(ok) {
      if (ok) {
        loginsOk += 1;
        bucket().loginsOk += 1;
      } else {
        loginsFailed += 1;
        bucket().loginsFailed += 1;
      }
    },
    error(kind, message) {
      if (message !== undefined && !samples.has(kind)) samples.set(kind, message);
      errorCount += 1;
      errors.set(kind, (errors.get(kind) ?? 0) + 1);
      bucket().errors += 1;
    },
    sessionState(from, to) {
      if (from !== undefined) states[from] -= 1;
      if (to !== undefined) states[to] += 1;
      if (states.online > peakOnline) peakOnline = states.online;
      bucket().online = states.online;
    },
    counters() {
      return {
        sessions: { ...states },
        sent,
        received,
        loginsStarted: loginStarts.length,
        loginsOk,
        loginsFailed,
        errors: errorCount,
        peakOnline,
      };
    },
    latencies() {
      return Object.fromEntries([...histograms].map(([k, h]) => [k, h.summary()]));
    },
    errorsByKind() {
      return Object.fromEntries(errors);
    },
    errorSamples() {
      return Object.fromEntries(samples);
    },
    loginStartTimes() {
      return loginStarts;
    },
    timeline() {
      bucket();
      return buckets.map((b, i) => {
        const sorted = Float64Array.from(b.latencies).sort();
        const p = (q: number) =>
          sorted.length === 0 ? null : Math.round(sortedPercentile(sorted, q) * 1000) / 1000;
        return {
          t: (i * bucketMs) / 1000,
          sent: b.sent,
          received: b.received,
          loginsOk: b.loginsOk,
          loginsFailed: b.loginsFailed,
          errors: b.errors,
          online: b.online,
          messageP50: p(50),
          messageP95: p(95),
        };
      });
    },
  };
}
