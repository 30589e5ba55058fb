import { describe, expect, it } from 'vitest';
import { compareReports } from './compare-reports.js';
import { renderHtmlReport } from './html-report.js';
import { createLoadMetrics } from './load-metrics.js';
import type { LoadTestOptions } from './load-options.js';
import { buildLoadReport, type LoadReport, phaseReports } from './load-report.js';
import { errorRate, parseThreshold } from './thresholds.js';

function report(
  options: Partial<LoadTestOptions> = {},
  feed: (m: ReturnType<typeof createLoadMetrics>) => void = () => {},
): LoadReport {
  let t = 0;
  const metrics = createLoadMetrics({ now: () => t, bucketMs: 1000 });
  for (let i = 0; i < 10; i++) {
    metrics.loginStarted();
    metrics.loginFinished(true);
    metrics.latency('login', 100 + i * 10);
    metrics.messageSent();
    metrics.messageReceived(5);
    t += 100;
  }
  feed(metrics);
  const full: LoadTestOptions = {
    target: { host: '127.0.0.1', port: 5222, domain: 'x.test' },
    accounts: { kind: 'pattern', username: 'u{n}', password: 'p', count: 10 },
    sessions: 10,
    phases: [{ durationMs: 1000, rate: 10 }],
    scenario: { name: 'chat', run: async () => {} },
    ...options,
  };
  return buildLoadReport({
    options: full,
    plan: full.phases ?? [],
    metrics,
    counters: metrics.counters(),
    timeline: metrics.timeline(),
    loadMs: 1000,
  });
}

describe('thresholds', () => {
  it('parses limits with units and refuses unknown metrics with the accepted forms', () => {
    expect(parseThreshold('login.p99<500ms')).toMatchObject({
      metric: 'login.p99',
      op: '<',
      limit: 500,
    });
    expect(parseThreshold('message.p95 <= 1.5s').limit).toBe(1500);
    expect(parseThreshold('errors.rate<1%').limit).toBe(0.01);
    expect(parseThreshold('sessions.peak>=1000')).toMatchObject({ op: '>=', limit: 1000 });
    expect(() => parseThreshold('login.p99 under 5')).toThrow(/expected METRIC<VALUE/);
    expect(() => parseThreshold('cpu.load<5')).toThrow(/unknown metric "cpu.load"/);
  });

  it('passes a run within its limits and fails one outside, naming the threshold', () => {
    const ok = report({
      thresholds: [parseThreshold('login.p99<500ms'), parseThreshold('errors.rate<1%')],
    });
    expect(ok.verdict.passed).toBe(true);
    const bad = report(
      { thresholds: [parseThreshold('login.p99<150ms'), parseThreshold('errors.rate<1%')] },
      (m) => m.error('xmpp.timeout', 'slow'),
    );
    expect(bad.verdict.passed).toBe(false);
    expect(bad.verdict.failures).toEqual([
      expect.stringMatching(/^threshold login\.p99<150ms failed: measured 19\d/),
      expect.stringMatching(/^threshold errors\.rate<1% failed: measured 0\.047/),
    ]);
    // 1 error out of 1 error + 10 logins + 10 messages.
    expect(errorRate(bad)).toBeCloseTo(1 / 21, 6);
  });

  it('fails a threshold on a transaction that never ran, and a run where nobody logged in', () => {
    const r = report({ thresholds: [parseThreshold('checkout.p99<1s')] });
    expect(r.verdict.failures).toEqual([
      'threshold checkout.p99<1s failed: measured nothing (no data)',
    ]);
    const none = buildLoadReport({
      options: {
        target: { host: '127.0.0.1', port: 5222, domain: 'x.test' },
        accounts: { kind: 'pattern', username: 'u{n}', password: 'p', count: 1 },
        sessions: 1,
        phases: [{ durationMs: 1000, rate: 1 }],
        scenario: { name: 's', run: async () => {} },
      },
      plan: [{ durationMs: 1000, rate: 1 }],
      metrics: createLoadMetrics({ now: () => 0, bucketMs: 1000 }),
      counters: createLoadMetrics({ now: () => 0, bucketMs: 1000 }).counters(),
      timeline: [],
      loadMs: 1000,
    });
    expect(none.verdict).toMatchObject({ passed: false, failures: ['no session logged in'] });
  });
});

describe('phase reports', () => {
  it('measures each phase from the login start times inside it', () => {
    const starts = [0, 100, 200, 300, 1000, 1050, 1100, 1150, 1200];
    const phases = phaseReports(
      [
        { durationMs: 1000, rate: 10 },
        { durationMs: 1000, rate: 20, sessions: 50 },
      ],
      starts,
    );
    expect(phases.map((p) => [p.loginsStarted, p.measuredRatePerSecond, p.sessionTarget])).toEqual([
      [4, 10, null],
      [5, 20, 50],
    ]);
  });

  it('partitions every start: one recorded at or after the plan end counts in the last phase', () => {
    const plan = [
      { durationMs: 1000, rate: 10 },
      { durationMs: 1000, rate: 20 },
    ];
    const starts = [-1, 0, 500, 1000, 1999, 2000, 2003];
    const phases = phaseReports(plan, starts);
    expect(phases.map((p) => p.loginsStarted)).toEqual([3, 4]);
    expect(phases.reduce((sum, p) => sum + p.loginsStarted, 0)).toBe(starts.length);
  });
});

describe('report comparison and HTML', () => {
  it('lists what changed between two reports with the relative change', () => {
    const a = report();
    const b = report({}, (m) => {
      m.messageSent();
      m.error('xmpp.timeout', 'x');
    });
    const diff = compareReports(a, b);
    expect(diff.find((d) => d.metric === 'messages.sent')).toMatchObject({
      a: 10,
      b: 11,
      changePercent: 10,
    });
    expect(diff.find((d) => d.metric === 'errors[xmpp.timeout]')).toMatchObject({ a: 0, b: 1 });
    expect(diff.find((d) => d.metric === 'login.p50')).toMatchObject({ changePercent: 0 });
  });

  it('renders one self-contained HTML page with a chart per transaction and units on the axes', () => {
    const html = renderHtmlReport(report({}, (m) => m.latency('checkout', 3)));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/(src|href)=|<script|url\(/i);
    expect(html).toContain('Latency of login over time');
    expect(html).toContain('Latency of checkout over time');
    expect(html.match(/<svg /g)?.length).toBe(3 + 3); // throughput, sessions, errors + 3 transactions
    expect(html.match(/class="axis-x"[^>]*>time \(s\)</g)?.length).toBe(6);
    expect(html).toContain('>latency (ms)<');
    expect(html).toContain('Verdict: passed');
  });
});
