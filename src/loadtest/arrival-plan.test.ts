import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../actors/clock.js';
import { createArrivalPacer } from './arrival-pacer.js';
import {
  formatPlan,
  loopPlan,
  parseDuration,
  parsePlan,
  planDurationMs,
  positionIn,
} from './arrival-plan.js';
import { scenarioFor } from './scenario.js';

describe('arrival plans', () => {
  it('reads durations with units; a bare number is seconds', () => {
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2')).toBe(2000);
    expect(() => parseDuration('5 minutes')).toThrow(/bad duration "5 minutes"/);
    expect(() => parseDuration('0s')).toThrow(/must be > 0/);
  });

  it('parses phases with rate, inter-arrival and session targets, comma-separated or repeated', () => {
    const plan = parsePlan(['60s:rate=10,2m:rate=50:sessions=5000', '10s:interarrival=200ms']);
    expect(plan).toEqual([
      { durationMs: 60_000, rate: 10 },
      { durationMs: 120_000, rate: 50, sessions: 5000 },
      { durationMs: 10_000, rate: 5 },
    ]);
    expect(planDurationMs(plan)).toBe(190_000);
    expect(formatPlan(plan)).toBe('60s:rate=10,120s:rate=50:sessions=5000,10s:rate=5');
    expect(loopPlan(plan.slice(0, 1), 3)).toHaveLength(3);
  });

  it('says what is wrong with a bad phase', () => {
    expect(() => parsePlan(['60s'])).toThrow(/needs rate=R/);
    expect(() => parsePlan(['60s:rate=0'])).toThrow(/needs rate=R/);
    expect(() => parsePlan(['60s:rate=5:users=3'])).toThrow(/unknown field "users"/);
    expect(() => parsePlan(['60s:rate=5:sessions=-1'])).toThrow(/sessions must be an integer/);
    expect(() => loopPlan([], 0)).toThrow(/loop/);
  });

  it('finds the phase in force and the session target set by the latest phase', () => {
    const plan = parsePlan(['10s:rate=1:sessions=5,10s:rate=2,10s:rate=3:sessions=9']);
    expect(positionIn(plan, 0, 100)).toMatchObject({ index: 0, startMs: 0, sessions: 5 });
    expect(positionIn(plan, 15_000, 100)).toMatchObject({ index: 1, startMs: 10_000, sessions: 5 });
    expect(positionIn(plan, 25_000, 100)).toMatchObject({ index: 2, sessions: 9 });
    expect(positionIn(plan, 99_000, 100)).toMatchObject({ index: 2 });
    expect(positionIn(parsePlan(['1s:rate=1']), 0, 100).sessions).toBe(100);
  });
});

describe('arrival pacer', () => {
  it('paces starts at the rate and follows a rate change', async () => {
    const clock = new SimulatedClock(0);
    const pacer = createArrivalPacer({ rate: 10, burst: 1, clock });
    const granted: number[] = [];
    const waits = Array.from({ length: 30 }, () =>
      pacer.acquire().then(() => granted.push(clock.now())),
    );
    const advance = (ms: number) => clock.advance(ms);
    await advance(1000);
    expect(granted.length).toBe(11); // the burst token at 0, then one every 100 ms
    pacer.setRate(50);
    expect(pacer.rate).toBe(50);
    await advance(200);
    expect(granted.length).toBe(21); // 10 more in 200 ms at 50/s
    await advance(1000);
    await Promise.all(waits);
    expect(() => pacer.setRate(0)).toThrow(/rate must be > 0/);
  });

  it('rejects a waiter whose signal aborts', async () => {
    const clock = new SimulatedClock(0);
    const pacer = createArrivalPacer({ rate: 1, burst: 1, clock });
    await pacer.acquire();
    const controller = new AbortController();
    const waiting = pacer.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toThrow(/aborted/);
  });
});

describe('scenario mix', () => {
  it('gives each scenario exactly its share of the accounts, in a fixed cycle', () => {
    const a = { name: 'a', run: async () => {} };
    const b = { name: 'b', run: async () => {} };
    const mix = [
      { scenario: a, weight: 3 },
      { scenario: b, weight: 1 },
    ];
    const picks = Array.from({ length: 400 }, (_, i) => scenarioFor(mix, i).name);
    expect(picks.filter((n) => n === 'a')).toHaveLength(300);
    expect(picks.slice(0, 8)).toEqual(['a', 'a', 'a', 'b', 'a', 'a', 'a', 'b']);
  });
});
