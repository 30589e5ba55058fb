/**
 * The live numbers of a run in the Prometheus text exposition format (version 0.0.4): sessions
 * by state, logins and messages (counters, so `rate()` gives logins/s and messages/s, plus
 * gauges of the last second), errors by kind, and a summary of latency per transaction
 * (quantiles from the HDR histograms, in seconds as Prometheus expects).
 */
import type { LoadMetrics } from './load-metrics.js';
import type { LoadProgress } from './load-runner.js';

const escapeLabel = (v: string) =>
  v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const num = (v: number) => (Number.isFinite(v) ? String(v) : 'NaN');

/** @example response.end(renderPrometheus(handle.progress(), handle.metrics())); */
export function renderPrometheus(progress: LoadProgress, metrics: LoadMetrics): string {
  const c = progress.counters;
  const recent = metrics.recentRates();
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, lines: readonly string[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
  };
  metric(
    'aviary_load_sessions',
    'gauge',
    'Load sessions by state.',
    Object.entries(c.sessions).map(([state, n]) => `aviary_load_sessions{state="${state}"} ${n}`),
  );
  metric('aviary_load_sessions_desired', 'gauge', 'Sessions wanted now (plan, ramps).', [
    `aviary_load_sessions_desired ${progress.desired}`,
  ]);
  metric('aviary_load_phase', 'gauge', 'Arrival phase in force (0-based).', [
    `aviary_load_phase ${progress.planPhase}`,
  ]);
  metric('aviary_load_logins_total', 'counter', 'Logins finished, by result.', [
    `aviary_load_logins_total{result="ok"} ${c.loginsOk}`,
    `aviary_load_logins_total{result="failed"} ${c.loginsFailed}`,
  ]);
  metric('aviary_load_logins_per_second', 'gauge', 'Logins completed in the last second.', [
    `aviary_load_logins_per_second ${num(recent.loginsPerSecond)}`,
  ]);
  metric('aviary_load_messages_total', 'counter', 'Load chat messages.', [
    `aviary_load_messages_total{direction="sent"} ${c.sent}`,
    `aviary_load_messages_total{direction="received"} ${c.received}`,
  ]);
  metric('aviary_load_messages_per_second', 'gauge', 'Messages delivered in the last second.', [
    `aviary_load_messages_per_second ${num(recent.messagesPerSecond)}`,
  ]);
  metric(
    'aviary_load_errors_total',
    'counter',
    'Errors by kind.',
    Object.entries(metrics.errorsByKind()).map(
      ([kind, n]) => `aviary_load_errors_total{kind="${escapeLabel(kind)}"} ${n}`,
    ),
  );
  const lines: string[] = [];
  for (const [name, s] of Object.entries(metrics.latencies())) {
    const label = `transaction="${escapeLabel(name)}"`;
    for (const [q, v] of [
      ['0.5', s.p50],
      ['0.95', s.p95],
      ['0.99', s.p99],
      ['0.999', s.p999],
    ] as const)
      lines.push(`aviary_load_latency_seconds{${label},quantile="${q}"} ${num(v / 1000)}`);
    lines.push(
      `aviary_load_latency_seconds_sum{${label}} ${num((s.mean * s.count) / 1000)}`,
      `aviary_load_latency_seconds_count{${label}} ${s.count}`,
    );
  }
  metric('aviary_load_latency_seconds', 'summary', 'Latency per transaction.', lines);
  return `${out.join('\n')}\n`;
}
