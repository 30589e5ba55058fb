import { describe, expect, it } from 'vitest';
import { createLoadMetrics } from './load-metrics.js';
import { renderPrometheus } from './prometheus-text.js';

function fakeTime() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('load metrics', () => {
  it('keeps per-bucket latency per transaction and counts in a timeline', () => {
    const time = fakeTime();
    const m = createLoadMetrics({ now: time.now, bucketMs: 1000 });
    m.loginStarted();
    m.loginFinished(true);
    m.latency('login', 12);
    m.messageSent();
    m.messageReceived(4);
    time.advance(1000);
    m.latency('checkout', 80);
    m.latency('checkout', 120);
    m.error('checkout:xmpp.timeout', 'no reply');
    m.error('checkout:xmpp.timeout', 'again');
    const [first, second] = m.timeline();
    expect(first).toMatchObject({ t: 0, loginsStarted: 1, loginsOk: 1, sent: 1, received: 1 });
    expect(first?.latency.message?.count).toBe(1);
    expect(first?.latency.checkout).toBeUndefined();
    expect(second?.latency.checkout?.count).toBe(2);
    expect(second?.errors).toBe(2);
    expect(m.latencies().checkout?.count).toBe(2);
    expect(m.errorSamples()).toEqual({ 'checkout:xmpp.timeout': 'no reply' });
    expect(m.loginStartTimes()).toEqual([0]);
  });

  it('calls onFirstError once per kind', () => {
    const seen: string[] = [];
    const m = createLoadMetrics({
      now: fakeTime().now,
      bucketMs: 1000,
      onFirstError: (kind, message) => seen.push(`${kind}=${message}`),
    });
    m.error('a', 'one');
    m.error('a', 'two');
    m.error('b', 'three');
    expect(seen).toEqual(['a=one', 'b=three']);
  });

  it('merges the deltas of several workers into the same totals as one process', () => {
    const time = fakeTime();
    const single = createLoadMetrics({ now: time.now, bucketMs: 1000 });
    const controller = createLoadMetrics({ now: time.now, bucketMs: 1000 });
    const workers = [0, 1, 2].map(() =>
      createLoadMetrics({ now: time.now, bucketMs: 1000, streaming: true }),
    );
    for (let i = 0; i < 90; i++) {
      const w = workers[i % 3] as (typeof workers)[number];
      for (const m of [single, w]) {
        m.loginStarted();
        m.loginFinished(i % 10 !== 0);
        m.sessionState(undefined, 'online');
        m.latency('login', 5 + i);
        m.messageSent();
        m.messageReceived(1 + i / 10);
        if (i % 7 === 0) m.error('xmpp.timeout', `t${i}`);
      }
      if (i % 30 === 29) {
        time.advance(1000);
        workers.forEach((w2, k) => {
          controller.absorb(`w${k}`, JSON.parse(JSON.stringify(w2.drain())));
        });
      }
    }
    const a = single.counters();
    const b = controller.counters();
    expect(b).toEqual(a);
    expect(controller.latencies()).toEqual(single.latencies());
    expect(controller.errorsByKind()).toEqual(single.errorsByKind());
    expect(controller.loginStartTimes()).toHaveLength(90);
    // A drained worker has nothing new; its sessions stay counted until it says otherwise.
    controller.absorb('w0', workers[0]?.drain() as never);
    expect(controller.counters().sent).toBe(90);
    expect(controller.counters().sessions.online).toBe(90);
  });

  it('renders the Prometheus text format with sessions, rates, errors and latency quantiles', () => {
    const time = fakeTime();
    const m = createLoadMetrics({ now: time.now, bucketMs: 1000 });
    m.sessionState(undefined, 'online');
    m.loginStarted();
    m.loginFinished(true);
    m.latency('login', 250);
    m.error('xmpp.auth-failed:"x"', 'bad');
    time.advance(1000);
    const text = renderPrometheus(
      {
        phase: 'load',
        elapsedMs: 1000,
        durationMs: 5000,
        planPhase: 0,
        rate: 10,
        desired: 5,
        provisioned: 0,
        accounts: 5,
        counters: m.counters(),
      },
      m,
    );
    expect(text).toContain('aviary_load_sessions{state="online"} 1');
    expect(text).toContain('aviary_load_logins_total{result="ok"} 1');
    expect(text).toContain('aviary_load_logins_per_second 1');
    expect(text).toContain('aviary_load_errors_total{kind="xmpp.auth-failed:\\"x\\""} 1');
    expect(text).toMatch(
      /aviary_load_latency_seconds\{transaction="login",quantile="0\.99"\} 0\.25/,
    );
    expect(text).toContain('aviary_load_latency_seconds_count{transaction="login"} 1');
    for (const line of text.trim().split('\n'))
      expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{.*\})? [\d.eNa+-]+)$/);
  });
});
