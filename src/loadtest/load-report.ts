/**
 * The report of a load test (JSON-ready): what was asked, what was reached, latencies per
 * transaction (p50/p95/p99/max, ms), messages sent and delivered, logins and the login rate
 * achieved, errors by kind, and the timeline.
 */
import { writeFileSync } from 'node:fs';
import type { LatencySummary } from './latency-histogram.js';
import type { LoadCounters, LoadMetrics, TimelinePoint } from './load-metrics.js';
import type { LoadTestOptions } from './load-options.js';
import type { ProvisionSummary } from './provisioning.js';
import { renderLoadChart } from './svg-chart.js';

export interface LoadReport {
  readonly scenario: string;
  readonly target: { readonly host: string; readonly port: number; readonly domain: string };
  readonly config: {
    readonly sessions: number;
    readonly loginRate: number;
    readonly loginBurst: number;
    readonly rampUpMs: number;
    readonly rampDownMs: number;
    readonly durationMs: number;
    readonly tls: string;
  };
  readonly loadSeconds: number;
  readonly sessions: { readonly peakOnline: number };
  readonly logins: {
    readonly started: number;
    readonly ok: number;
    readonly failed: number;
    /** Logins started per second in the initial wave (first `sessions` starts, after the burst). */
    readonly measuredRatePerSecond: number | null;
  };
  readonly messages: {
    readonly sent: number;
    readonly received: number;
    /** Sent but not delivered to a load session before the end (or bounced). */
    readonly lost: number;
    readonly perSecond: number;
  };
  readonly latencyMs: Readonly<Record<string, LatencySummary>>;
  readonly errors: Readonly<Record<string, number>>;
  /** One message per error kind, to tell what happened. */
  readonly errorSamples: Readonly<Record<string, string>>;
  readonly timeline: readonly TimelinePoint[];
  readonly provision?: ProvisionSummary;
  readonly cleanup?: ProvisionSummary;
}

/**
 * Login burst when none is given: 20 ms worth of tokens, at least 2. The token bucket caps its
 * tokens at the burst, so with a burst of 1 every late timer is lost for good (177/s measured
 * for 200/s on a loaded machine); a little headroom lets the bucket catch up.
 */
export function defaultBurst(options: Pick<LoadTestOptions, 'loginRate' | 'loginBurst'>): number {
  return options.loginBurst ?? Math.max(2, Math.ceil(options.loginRate / 50));
}

/** Achieved rate of evenly paced events from their start times (ms); null below 2 events. */
export function measuredRate(times: readonly number[]): number | null {
  if (times.length < 2) return null;
  const first = times[0] as number;
  const last = times[times.length - 1] as number;
  return last > first ? ((times.length - 1) * 1000) / (last - first) : null;
}

export function buildLoadReport(input: {
  options: LoadTestOptions;
  metrics: LoadMetrics;
  counters: LoadCounters;
  timeline: readonly TimelinePoint[];
  loadMs: number;
  provision?: ProvisionSummary;
  cleanup?: ProvisionSummary;
}): LoadReport {
  const { options, counters, metrics, timeline } = input;
  // The initial wave: the first `sessions` starts (retries after failures come much later), minus
  // the first `burst` ones, which start at once by design.
  const rate = measuredRate(
    metrics.loginStartTimes().slice(defaultBurst(options) - 1, Math.max(2, options.sessions)),
  );
  return {
    scenario: options.scenario.name,
    target: { ...options.target },
    config: {
      sessions: options.sessions,
      loginRate: options.loginRate,
      loginBurst: defaultBurst(options),
      rampUpMs: options.rampUpMs ?? 0,
      rampDownMs: options.rampDownMs ?? 0,
      durationMs: options.durationMs,
      tls: options.tls ?? 'optional',
    },
    loadSeconds: Math.round(input.loadMs) / 1000,
    sessions: { peakOnline: counters.peakOnline },
    logins: {
      started: counters.loginsStarted,
      ok: counters.loginsOk,
      failed: counters.loginsFailed,
      measuredRatePerSecond: rate === null ? null : Math.round(rate * 100) / 100,
    },
    messages: {
      sent: counters.sent,
      received: counters.received,
      lost: Math.max(0, counters.sent - counters.received),
      perSecond:
        input.loadMs > 0 ? Math.round((counters.received * 100_000) / input.loadMs) / 100 : 0,
    },
    latencyMs: metrics.latencies(),
    errors: metrics.errorsByKind(),
    errorSamples: metrics.errorSamples(),
    timeline,
    ...(input.provision === undefined ? {} : { provision: input.provision }),
    ...(input.cleanup === undefined ? {} : { cleanup: input.cleanup }),
  };
}

/** Writes `<base>.json` and `<base>.svg`; returns both paths. */
export function writeLoadReport(report: LoadReport, base: string): { json: string; svg: string } {
  const json = `${base}.json`;
  const svg = `${base}.svg`;
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(svg, renderLoadChart(report.timeline, `Aviary load test — ${report.scenario}`));
  return { json, svg };
}
