/**
 * The HTML report of a load test: one self-contained file (inline SVG charts and CSS, no
 * script and no external URL) with the verdict, the plan per phase, latency percentiles over
 * time per transaction, throughput, sessions online and errors, and the summary tables.
 */
import { escapeXml as esc, PALETTE, renderLineChart } from './line-chart.js';
import type { LoadReport } from './load-report.js';

function table(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return '<p>none</p>';
  const keys = Object.keys(rows[0] as object);
  const cell = (v: unknown) =>
    `<td>${esc(v === null || v === undefined ? '–' : typeof v === 'number' && Number.isNaN(v) ? '–' : String(v))}</td>`;
  return [
    '<table>',
    `<tr>${keys.map((k) => `<th>${esc(k)}</th>`).join('')}</tr>`,
    ...rows.map((r) => `<tr>${keys.map((k) => cell(r[k])).join('')}</tr>`),
    '</table>',
  ].join('\n');
}

/** @example writeFileSync('run.html', renderHtmlReport(report)); */
export function renderHtmlReport(report: LoadReport): string {
  const points = report.timeline;
  const step = (points[1]?.t ?? 1) - (points[0]?.t ?? 0) || 1;
  const perSecond = (pick: (p: (typeof points)[number]) => number) =>
    points.map((p) => [p.t, pick(p) / step] as const);
  const charts: string[] = [
    renderLineChart({
      title: 'Throughput',
      yUnit: 'per second',
      series: [
        {
          label: 'messages sent /s',
          color: PALETTE[0] as string,
          points: perSecond((p) => p.sent),
        },
        {
          label: 'messages delivered /s',
          color: PALETTE[1] as string,
          points: perSecond((p) => p.received),
        },
        {
          label: 'logins started /s',
          color: PALETTE[2] as string,
          points: perSecond((p) => p.loginsStarted),
        },
        {
          label: 'logins ok /s',
          color: PALETTE[4] as string,
          points: perSecond((p) => p.loginsOk),
        },
      ],
    }),
    renderLineChart({
      title: 'Sessions online',
      yUnit: 'sessions',
      series: [
        {
          label: 'online',
          color: PALETTE[0] as string,
          points: points.map((p) => [p.t, p.online]),
        },
      ],
    }),
    renderLineChart({
      title: 'Errors',
      yUnit: 'errors/s',
      series: [
        { label: 'errors /s', color: PALETTE[3] as string, points: perSecond((p) => p.errors) },
        {
          label: 'login failures /s',
          color: PALETTE[1] as string,
          points: perSecond((p) => p.loginsFailed),
        },
      ],
    }),
  ];
  const transactions = Object.keys(report.latencyMs).sort();
  for (const name of transactions) {
    const line = (q: 'p50' | 'p95' | 'p99') =>
      points.map((p) => [p.t, p.latency[name]?.[q] ?? null] as const);
    charts.push(
      renderLineChart({
        title: `Latency of ${name} over time`,
        yUnit: 'latency (ms)',
        series: [
          { label: 'p50', color: PALETTE[0] as string, points: line('p50') },
          { label: 'p95', color: PALETTE[1] as string, points: line('p95') },
          { label: 'p99', color: PALETTE[3] as string, points: line('p99') },
        ],
      }),
    );
  }
  const verdict = report.verdict;
  const title = `Aviary load test — ${report.scenario}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
th { background: #f4f4f4; }
.pass { color: #0a7a0a; } .fail { color: #b00020; }
svg.chart { display: block; margin: 1em 0; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p>Target ${esc(`${report.target.host}:${report.target.port}`)} (${esc(report.target.domain)}), ${report.loadSeconds} s of load, ${report.sessions.peakOnline} sessions at peak, ${report.logins.ok} logins ok / ${report.logins.failed} failed, ${report.messages.sent} messages sent / ${report.messages.received} delivered.</p>
<h2 class="${verdict.passed ? 'pass' : 'fail'}" id="verdict">Verdict: ${verdict.passed ? 'passed' : 'FAILED'}</h2>
${verdict.failures.length === 0 ? '' : `<ul>${verdict.failures.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>`}
${table(verdict.thresholds.map((t) => ({ threshold: t.threshold, measured: t.actual, result: t.passed ? 'pass' : 'FAIL' })))}
<h2>Arrival phases</h2>
${table(report.phases.map((p) => ({ phase: p.index + 1, 'start (s)': p.startSeconds, 'duration (s)': p.durationSeconds, 'planned logins/s': p.plannedRate, 'measured logins/s': p.measuredRatePerSecond, 'session target': p.sessionTarget, 'logins started': p.loginsStarted })))}
<h2>Charts</h2>
${charts.join('\n')}
<h2>Latency per transaction (ms)</h2>
${table(transactions.map((name) => ({ transaction: name, ...report.latencyMs[name] })))}
<h2>Errors</h2>
${table(Object.entries(report.errors).map(([kind, count]) => ({ kind, count, 'first message': report.errorSamples[kind] ?? '' })))}
${report.generators === undefined ? '' : `<h2>Generators</h2>\n${table(report.generators.map((g) => ({ id: g.id, slice: `${g.slice.index + 1}/${g.slice.count}`, accounts: g.accounts, status: g.status, detail: g.detail ?? '' })))}`}
</body>
</html>
`;
}
