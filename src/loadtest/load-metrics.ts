/**
 * What a load test measures while it runs: per-transaction HDR latency histograms, messages
 * sent and delivered, logins, errors by kind, sessions by state, and a per-bucket timeline
 * (throughput, sessions, errors and latency percentiles per transaction over time). Memory is
 * constant in the run length except for the timeline (one small point per bucket) and the
 * login start times. A worker process {@link LoadMetrics.drain}s deltas; the controller
 * {@link LoadMetrics.absorb}s them, so one view covers every generator.
 */
import { createLatencyHistogram, type LatencyHistogram } from './latency-histogram.js';
import {
  type BucketLatency,
  type LoadMetrics,
  type MetricsDelta,
  SESSION_STATES,
  type SessionState,
} from './load-metrics-types.js';

export {
  type BucketLatency,
  LOGIN_STEPS,
  type LoadCounters,
  type LoadMetrics,
  type MetricsDelta,
  SESSION_STATES,
  type SessionState,
  type TimelinePoint,
  type TransactionKind,
} from './load-metrics-types.js';

interface Bucket {
  sent: number;
  received: number;
  loginsStarted: number;
  loginsOk: number;
  loginsFailed: number;
  errors: number;
  online: number;
  latency: Record<string, BucketLatency>;
}

const zeroStates = () =>
  Object.fromEntries(SESSION_STATES.map((s) => [s, 0])) as Record<SessionState, number>;

/**
 * @example
 * const metrics = createLoadMetrics({ now: () => performance.now(), bucketMs: 1000 });
 * metrics.messageSent(); metrics.messageReceived(2.5);
 */
export function createLoadMetrics(deps: {
  now: () => number;
  bucketMs: number;
  /** Called once per error kind, with its first message, as it happens. */
  onFirstError?: (kind: string, message: string) => void;
  /** Keep the since-last-drain histograms {@link LoadMetrics.drain} needs (workers only). */
  streaming?: boolean;
}): LoadMetrics {
  const { now, bucketMs } = deps;
  const startedAt = now();
  const cumulative = new Map<string, LatencyHistogram>();
  const interval = new Map<string, LatencyHistogram>();
  const pending = deps.streaming === true ? new Map<string, LatencyHistogram>() : undefined;
  const errors = new Map<string, number>();
  const samples = new Map<string, string>();
  const local = zeroStates();
  const remote = new Map<string, Record<SessionState, number>>();
  const states = zeroStates();
  const buckets: Bucket[] = [];
  const loginStarts: number[] = [];
  let drained = {
    sent: 0,
    received: 0,
    loginsOk: 0,
    loginsFailed: 0,
    loginStarts: 0,
    errors: new Map<string, number>(),
    samples: 0,
  };
  let sent = 0;
  let received = 0;
  let loginsOk = 0;
  let loginsFailed = 0;
  let errorCount = 0;
  let peakOnline = 0;

  const closeBucket = (b: Bucket) => {
    for (const [kind, h] of interval) {
      if (h.count === 0) continue;
      b.latency[kind] = {
        count: h.count,
        p50: h.percentile(50),
        p95: h.percentile(95),
        p99: h.percentile(99),
      };
      h.reset();
    }
  };
  const bucket = (): Bucket => {
    const index = Math.max(0, Math.floor((now() - startedAt) / bucketMs));
    while (buckets.length <= index) {
      const last = buckets[buckets.length - 1];
      if (last !== undefined) closeBucket(last);
      buckets.push({
        sent: 0,
        received: 0,
        loginsStarted: 0,
        loginsOk: 0,
        loginsFailed: 0,
        errors: 0,
        online: states.online,
        latency: {},
      });
    }
    return buckets[index] as Bucket;
  };
  const histogramIn = (map: Map<string, LatencyHistogram>, kind: string) => {
    let h = map.get(kind);
    if (h === undefined) {
      h = createLatencyHistogram(map === interval ? { digits: 2 } : {});
      map.set(kind, h);
    }
    return h;
  };
  const record = (kind: string, ms: number) => {
    bucket();
    histogramIn(cumulative, kind).record(ms);
    histogramIn(interval, kind).record(ms);
    if (pending !== undefined) histogramIn(pending, kind).record(ms);
  };
  const countError = (kind: string, count: number, message?: string) => {
    if (message !== undefined && !samples.has(kind)) {
      samples.set(kind, message);
      deps.onFirstError?.(kind, message);
    }
    errorCount += count;
    errors.set(kind, (errors.get(kind) ?? 0) + count);
    bucket().errors += count;
  };
  const recount = () => {
    for (const s of SESSION_STATES) {
      let n = local[s];
      for (const r of remote.values()) n += r[s];
      states[s] = n;
    }
    if (states.online > peakOnline) peakOnline = states.online;
    bucket().online = states.online;
  };

  return {
    latency: record,
    messageSent() {
      sent += 1;
      bucket().sent += 1;
    },
    messageReceived(latencyMs) {
      received += 1;
      bucket().received += 1;
      record('message', latencyMs);
    },
    loginStarted() {
      loginStarts.push(now() - startedAt);
      bucket().loginsStarted += 1;
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
      countError(kind, 1, message);
    },
    sessionState(from, to) {
      if (from !== undefined) local[from] -= 1;
      if (to !== undefined) local[to] += 1;
      recount();
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
      return Object.fromEntries([...cumulative].map(([k, h]) => [k, h.summary()]));
    },
    histogram: (kind) => cumulative.get(kind),
    errorsByKind() {
      return Object.fromEntries(errors);
    },
    errorSamples() {
      return Object.fromEntries(samples);
    },
    loginStartTimes() {
      return loginStarts;
    },
    recentRates() {
      bucket();
      const last = buckets[buckets.length - 2];
      const perSecond = (n: number) => (n * 1000) / bucketMs;
      return {
        messagesPerSecond: perSecond(last?.received ?? 0),
        loginsPerSecond: perSecond(last?.loginsOk ?? 0),
      };
    },
    timeline() {
      bucket();
      return buckets.map((b, i) => {
        // The open (last) bucket shows what it has so far.
        const latency =
          i < buckets.length - 1
            ? b.latency
            : Object.fromEntries(
                [...interval]
                  .filter(([, h]) => h.count > 0)
                  .map(([k, h]) => [
                    k,
                    {
                      count: h.count,
                      p50: h.percentile(50),
                      p95: h.percentile(95),
                      p99: h.percentile(99),
                    },
                  ]),
              );
        return {
          t: (i * bucketMs) / 1000,
          sent: b.sent,
          received: b.received,
          loginsStarted: b.loginsStarted,
          loginsOk: b.loginsOk,
          loginsFailed: b.loginsFailed,
          errors: b.errors,
          online: b.online,
          latency,
        };
      });
    },
    drain() {
      const delta: MetricsDelta = {
        sessions: { ...local },
        sent: sent - drained.sent,
        received: received - drained.received,
        loginsOk: loginsOk - drained.loginsOk,
        loginsFailed: loginsFailed - drained.loginsFailed,
        loginStarts: loginStarts.slice(drained.loginStarts),
        errors: Object.fromEntries(
          [...errors]
            .map(([k, n]) => [k, n - (drained.errors.get(k) ?? 0)] as const)
            .filter(([, n]) => n > 0),
        ),
        errorSamples: Object.fromEntries([...samples].slice(drained.samples)),
        histograms: Object.fromEntries(
          [...(pending ?? [])].filter(([, h]) => h.count > 0).map(([k, h]) => [k, h.encode()]),
        ),
      };
      for (const h of pending?.values() ?? []) h.reset();
      drained = {
        sent,
        received,
        loginsOk,
        loginsFailed,
        loginStarts: loginStarts.length,
        errors: new Map(errors),
        samples: samples.size,
      };
      return delta;
    },
    absorb(source, delta) {
      const b = bucket();
      sent += delta.sent;
      b.sent += delta.sent;
      received += delta.received;
      b.received += delta.received;
      loginsOk += delta.loginsOk;
      b.loginsOk += delta.loginsOk;
      loginsFailed += delta.loginsFailed;
      b.loginsFailed += delta.loginsFailed;
      loginStarts.push(...delta.loginStarts);
      b.loginsStarted += delta.loginStarts.length;
      for (const [kind, count] of Object.entries(delta.errors))
        countError(kind, count, delta.errorSamples[kind]);
      for (const [kind, encoded] of Object.entries(delta.histograms)) {
        histogramIn(cumulative, kind).merge(encoded);
        histogramIn(interval, kind).merge(encoded);
      }
      remote.set(source, { ...delta.sessions });
      recount();
    },
  };
}
