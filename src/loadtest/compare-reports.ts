/**
 * The differences between two load reports (A = before, B = after): sessions, logins, login
 * rate, messages, errors, and each transaction's latency percentiles, with the relative change.
 * Metrics present in only one report are listed with the other side empty.
 */
import type { LoadReport } from './load-report.js';

export interface ReportDifference {
  readonly metric: string;
  readonly unit: string;
  readonly a: number | null;
  readonly b: number | null;
  /** (b − a) ÷ a in percent; null when either side is missing or a is 0. */
  readonly changePercent: number | null;
}

const value = (v: number | null | undefined) =>
  v === null || v === undefined || Number.isNaN(v) ? null : v;

/** @example for (const d of compareReports(before, after)) console.log(d.metric, d.changePercent); */
export function compareReports(a: LoadReport, b: LoadReport): ReportDifference[] {
  const rows: ReportDifference[] = [];
  const add = (
    metric: string,
    unit: string,
    x: number | null | undefined,
    y: number | null | undefined,
  ) => {
    const va = value(x);
    const vb = value(y);
    rows.push({
      metric,
      unit,
      a: va,
      b: vb,
      changePercent:
        va === null || vb === null || va === 0 ? null : Math.round(((vb - va) / va) * 10_000) / 100,
    });
  };
  const errors = (r: LoadReport) => Object.values(r.errors).reduce((s, n) => s + n, 0);
  add('sessions.peak', 'sessions', a.sessions.peakOnline, b.sessions.peakOnline);
  add('logins.ok', 'logins', a.logins.ok, b.logins.ok);
  add('logins.failed', 'logins', a.logins.failed, b.logins.failed);
  add('logins.rate', 'logins/s', a.logins.measuredRatePerSecond, b.logins.measuredRatePerSecond);
  add('messages.sent', 'messages', a.messages.sent, b.messages.sent);
  add('messages.received', 'messages', a.messages.received, b.messages.received);
  add('messages.lost', 'messages', a.messages.lost, b.messages.lost);
  add('messages.per-second', 'messages/s', a.messages.perSecond, b.messages.perSecond);
  add('errors.count', 'errors', errors(a), errors(b));
  const transactions = [
    ...new Set([...Object.keys(a.latencyMs), ...Object.keys(b.latencyMs)]),
  ].sort();
  for (const name of transactions) {
    const x = a.latencyMs[name];
    const y = b.latencyMs[name];
    add(`${name}.count`, 'transactions', x?.count, y?.count);
    for (const stat of ['p50', 'p95', 'p99', 'max'] as const)
      add(`${name}.${stat}`, 'ms', x?.[stat], y?.[stat]);
  }
  const kinds = [...new Set([...Object.keys(a.errors), ...Object.keys(b.errors)])].sort();
  for (const kind of kinds)
    add(`errors[${kind}]`, 'errors', a.errors[kind] ?? 0, b.errors[kind] ?? 0);
  return rows;
}
