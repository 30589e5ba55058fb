/**
 * Pass/fail thresholds evaluated on a finished report, k6-style: `login.p99<500ms`,
 * `errors.rate<1%`, `sessions.peak>=1000`. A threshold whose metric has no data fails (a
 * latency limit on a transaction that never ran proves nothing).
 *
 * Metrics: `<transaction>.<p50|p95|p99|p999|max|mean|count>` (latency in ms; units `ms`, `s`),
 * `errors.rate` (errors ÷ (errors + successful operations); units `%` or a fraction),
 * `errors.count`, `logins.ok`, `logins.failed`, `logins.rate` (logins started per second),
 * `messages.lost`, `messages.lost-rate` (`%`), `messages.per-second`, `sessions.peak`.
 */
import { AviaryError } from '../errors.js';
import { LOGIN_STEPS } from './load-metrics.js';
import type { LoadReport } from './load-report.js';

export type Comparison = '<' | '<=' | '>' | '>=';

export interface Threshold {
  /** As written, e.g. `login.p99<500ms`. */
  readonly text: string;
  readonly metric: string;
  readonly op: Comparison;
  /** In the metric's base unit (ms for latencies, a fraction for rates). */
  readonly limit: number;
}

export interface ThresholdResult {
  readonly threshold: string;
  /** The measured value in the metric's base unit; null when there was no data. */
  readonly actual: number | null;
  readonly passed: boolean;
}

const STATS = new Set(['p50', 'p95', 'p99', 'p999', 'max', 'mean', 'count']);

/** Parses `metric OP value[unit]`; throws `loadtest.bad-threshold` with the accepted forms. */
export function parseThreshold(text: string): Threshold {
  const match = /^\s*([A-Za-z0-9_:.-]+)\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*(ms|s|%)?\s*$/.exec(text);
  if (match === null)
    throw new AviaryError(
      'loadtest.bad-threshold',
      `bad threshold "${text}": expected METRIC<VALUE, e.g. login.p99<500ms or errors.rate<1%`,
    );
  const [, metric = '', op = '<', raw = '0', unit] = match;
  const value = Number(raw);
  const limit = unit === 's' ? value * 1000 : unit === '%' ? value / 100 : value;
  const known =
    ['errors.rate', 'errors.count', 'logins.ok', 'logins.failed', 'logins.rate'].includes(metric) ||
    ['messages.lost', 'messages.lost-rate', 'messages.per-second', 'sessions.peak'].includes(
      metric,
    ) ||
    STATS.has(metric.slice(metric.lastIndexOf('.') + 1));
  if (!known)
    throw new AviaryError(
      'loadtest.bad-threshold',
      `unknown metric "${metric}" in "${text}": use TRANSACTION.p50|p95|p99|p999|max|mean|count, errors.rate, errors.count, logins.ok, logins.failed, logins.rate, messages.lost, messages.lost-rate, messages.per-second or sessions.peak`,
    );
  return { text: text.trim(), metric, op: op as Comparison, limit };
}

/** Errors ÷ (errors + successful operations: logins, messages sent, scenario transactions). */
export function errorRate(report: LoadReport): number {
  const errors = Object.values(report.errors).reduce((a, b) => a + b, 0);
  const transactions = Object.entries(report.latencyMs)
    .filter(([kind]) => !LOGIN_STEPS.has(kind) && kind !== 'message')
    .reduce((sum, [, s]) => sum + s.count, 0);
  const operations = errors + report.logins.ok + report.messages.sent + transactions;
  return operations === 0 ? 0 : errors / operations;
}

function measure(report: LoadReport, metric: string): number | null {
  switch (metric) {
    case 'errors.rate':
      return errorRate(report);
    case 'errors.count':
      return Object.values(report.errors).reduce((a, b) => a + b, 0);
    case 'logins.ok':
      return report.logins.ok;
    case 'logins.failed':
      return report.logins.failed;
    case 'logins.rate':
      return report.logins.measuredRatePerSecond;
    case 'messages.lost':
      return report.messages.lost;
    case 'messages.lost-rate':
      return report.messages.sent === 0 ? null : report.messages.lost / report.messages.sent;
    case 'messages.per-second':
      return report.messages.perSecond;
    case 'sessions.peak':
      return report.sessions.peakOnline;
  }
  const dot = metric.lastIndexOf('.');
  const summary = report.latencyMs[metric.slice(0, dot)];
  if (summary === undefined || summary.count === 0) return null;
  const value = summary[metric.slice(dot + 1) as keyof typeof summary];
  return typeof value === 'number' && !Number.isNaN(value) ? value : null;
}

const holds = (actual: number, op: Comparison, limit: number) =>
  op === '<'
    ? actual < limit
    : op === '<='
      ? actual <= limit
      : op === '>'
        ? actual > limit
        : actual >= limit;

/** Evaluates every threshold on the report. */
export function evaluateThresholds(
  report: LoadReport,
  thresholds: readonly Threshold[],
): ThresholdResult[] {
  return thresholds.map((t) => {
    const actual = measure(report, t.metric);
    return {
      threshold: t.text,
      actual: actual === null ? null : Math.round(actual * 1e6) / 1e6,
      passed: actual !== null && holds(actual, t.op, t.limit),
    };
  });
}
