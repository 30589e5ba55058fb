/**
 * The report of a load test (JSON-ready): what was asked (plan, scenario mix), what was
 * reached, latencies per transaction (HDR percentiles, ms), messages sent and delivered, logins
 * and the login rate achieved per phase, errors by kind, the timeline, and the verdict
 * (thresholds, early abort, lost generators).
 */
import { writeFileSync } from 'node:fs';
import type { ArrivalPhase } from './arrival-plan.js';
import { renderHtmlReport } from './html-report.js';
import type { LatencySummary } from './latency-histogram.js';
import type { LoadCounters, LoadMetrics, TimelinePoint } from './load-metrics.js';
import { type LoadTestOptions, scenarioMix } from './load-options.js';
import type { ProvisionSummary } from './provisioning.js';
import { renderLoadChart } from './svg-chart.js';
import { evaluateThresholds, type Threshold, type ThresholdResult } from './thresholds.js';

/** One arrival phase as planned and as measured. */
export interface PhaseReport {
  readonly index: number;
  readonly startSeconds: number;
  readonly durationSeconds: number;
  readonly plannedRate: number;
  readonly sessionTarget: number | null;
  readonly loginsStarted: number;
  /** Logins started per second within the phase (evenly paced estimate); null below 2. */
  readonly measuredRatePerSecond: number | null;
}

/** Pass or fail, and why. */
export interface Verdict {
  readonly passed: boolean;
  /** One line per reason the run failed (threshold, abort, lost generator). */
  readonly failures: readonly string[];
  readonly thresholds: readonly ThresholdResult[];
}

/** One generator process of a distributed run. */
export interface GeneratorReport {
  readonly id: string;
  readonly slice: { readonly index: number; readonly count: number };
  readonly accounts: number;
  readonly status: 'finished' | 'lost';
  readonly detail?: string;
}

export interface LoadReport {
  readonly scenario: string;
  readonly scenarios: readonly { readonly name: string; readonly weight: number }[];
  readonly plan: readonly ArrivalPhase[];
  readonly phases: readonly PhaseReport[];
  /** Why the run stopped early (nothing could log in or register), if it did. */
  readonly aborted?: string;
  readonly verdict: Verdict;
  readonly generators?: readonly GeneratorReport[];
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
export function defaultBurst(options: { loginRate: number; loginBurst?: number }): number {
  return options.loginBurst ?? Math.max(2, Math.ceil(options.loginRate / 50));
}

/**
 * Each phase's logins started and achieved rate, from the start times (ms since load start).
 * The phases partition the whole run: the first also takes starts recorded before 0, the last
 * every start at or after the plan's end (a login released in the plan's last instant and
 * recorded just after it), so the phases always add up to the logins started.
 */
export function phaseReports(
  plan: readonly ArrivalPhase[],
  loginStarts: readonly number[],
): PhaseReport[] {
  const sorted = [...loginStarts].sort((a, b) => a - b);
  let startMs = 0;
  return plan.map((phase, index) => {
    const endMs = startMs + phase.durationMs;
    const from = index === 0 ? Number.NEGATIVE_INFINITY : startMs;
    const to = index === plan.length - 1 ? Number.POSITIVE_INFINITY : endMs;
    const inPhase = sorted.filter((t) => t >= from && t < to);
    const rate = measuredRate(inPhase);
    const report: PhaseReport = {
      index,
      startSeconds: startMs / 1000,
      durationSeconds: phase.durationMs / 1000,
      plannedRate: phase.rate,
      sessionTarget: phase.sessions ?? null,
      loginsStarted: inPhase.length,
      measuredRatePerSecond: rate === null ? null : Math.round(rate * 100) / 100,
    };
    startMs = endMs;
    return report;
  });
}

/** The verdict of a report: thresholds plus the failures found by the harness itself. */
export function verdictOf(
  report: Omit<LoadReport, 'verdict'>,
  thresholds: readonly Threshold[],
  failures: readonly string[],
): Verdict {
  const results = evaluateThresholds(report as LoadReport, thresholds);
  const all = [...failures];
  if (report.aborted !== undefined) all.push(`aborted: ${report.aborted}`);
  else if (report.config.sessions > 0 && report.logins.ok === 0) all.push('no session logged in');
  for (const r of results)
    if (!r.passed)
      all.push(
        `threshold ${r.threshold} failed: measured ${r.actual === null ? 'nothing (no data)' : r.actual}`,
      );
  return { passed: all.length === 0, failures: all, thresholds: results };
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
  plan: readonly ArrivalPhase[];
  metrics: LoadMetrics;
  counters: LoadCounters;
  timeline: readonly TimelinePoint[];
  loadMs: number;
  provision?: ProvisionSummary;
  cleanup?: ProvisionSummary;
  aborted?: string;
  generators?: readonly GeneratorReport[];
  /** Failures found outside the report (a lost generator). */
  failures?: readonly string[];
}): LoadReport {
  const { options, counters, metrics, timeline, plan } = input;
  const mix = scenarioMix(options);
  const first = plan[0] as ArrivalPhase;
  const burst = defaultBurst({
    loginRate: Math.max(...plan.map((p) => p.rate)),
    ...(options.loginBurst === undefined ? {} : { loginBurst: options.loginBurst }),
  });
  // The initial wave: the first `sessions` starts (retries after failures come much later), minus
  // the first `burst` ones, which start at once by design.
  const starts = [...metrics.loginStartTimes()].sort((a, b) => a - b);
  const rate = measuredRate(starts.slice(burst - 1, Math.max(2, options.sessions)));
  const report: Omit<LoadReport, 'verdict'> = {
    scenario: mix.map((s) => s.scenario.name).join('+'),
    scenarios: mix.map((s) => ({ name: s.scenario.name, weight: s.weight })),
    plan,
    phases: phaseReports(plan, starts),
    ...(input.aborted === undefined ? {} : { aborted: input.aborted }),
    ...(input.generators === undefined ? {} : { generators: input.generators }),
    target: { ...options.target },
    config: {
      sessions: options.sessions,
      loginRate: first.rate,
      loginBurst: burst,
      rampUpMs: options.rampUpMs ?? 0,
      rampDownMs: options.rampDownMs ?? 0,
      durationMs: plan.reduce((sum, p) => sum + p.durationMs, 0),
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
  return { ...report, verdict: verdictOf(report, options.thresholds ?? [], input.failures ?? []) };
}

/** Writes `<base>.json`, `<base>.svg` and the self-contained `<base>.html`; returns the paths. */
export function writeLoadReport(
  report: LoadReport,
  base: string,
): { json: string; svg: string; html: string } {
  const json = `${base}.json`;
  const svg = `${base}.svg`;
  const html = `${base}.html`;
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(svg, renderLoadChart(report.timeline, `Aviary load test — ${report.scenario}`));
  writeFileSync(html, renderHtmlReport(report));
  return { json, svg, html };
}
