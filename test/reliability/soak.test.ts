/**
 * Soak: mixed load (sends between profiles, history queries, reconnects) for
 * AVIARY_SOAK_SECONDS (default 30) with the heap sampled; reports heap growth per hour, computed
 * from the slope of the post-warm-up samples (aim: under 5 % per hour).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { collectGarbage, sleep } from '../helpers/reliability.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';

const SECONDS = Number(process.env.AVIARY_SOAK_SECONDS ?? 30);
const users = Array.from({ length: 8 }, (_, i) => ({ username: `s${i}`, password: `s${i}-pw` }));
let prosody: ProsodyFixture;
let runtime: Aviary;

beforeAll(async () => {
  prosody = await startProsody({ users });
  runtime = await startTestRuntime(prosody);
  for (const u of users) await runtime.addProfile(prosodyAccount(prosody, u.username, u.password));
  await Promise.all(users.map((u) => runtime.waitForState(u.username, 'online')));
});
afterAll(async () => {
  await runtime?.stop();
  await prosody?.stop();
});

/** Least-squares slope of y over x. */
function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

describe('soak', () => {
  it(`mixed load for ${SECONDS} s keeps the heap flat`, async () => {
    const end = Date.now() + SECONDS * 1000;
    const warmUpEnd = Date.now() + Math.min(10_000, SECONDS * 300);
    const samples: [number, number][] = [];
    let sent = 0;
    let errors = 0;
    let queries = 0;
    let reconnects = 0;
    const sampler = setInterval(() => {
      if (Date.now() < warmUpEnd) return;
      collectGarbage();
      samples.push([Date.now() / 1000, process.memoryUsage().heapUsed]);
    }, 500);
    const senders = users.slice(0, 6).map(async (u, i) => {
      while (Date.now() < end) {
        try {
          const r = await runtime.sendMessage(u.username, {
            to: `s${(i + 1) % 8}@${prosody.domain}`,
            message: { '': `soak ${sent}` },
          });
          if (r.outcome === 'sent') sent++;
        } catch {
          errors++;
          await sleep(50);
        }
      }
    });
    const readers = (async () => {
      while (Date.now() < end) {
        await runtime.history('s1', { limit: 50 });
        queries++;
        await sleep(50);
      }
    })();
    const flapper = (async () => {
      while (Date.now() < end) {
        await sleep(3000);
        await runtime.disconnect('s7');
        runtime.connect('s7');
        await runtime.waitForState('s7', 'online', 20_000);
        reconnects++;
      }
    })();
    await Promise.all([...senders, readers, flapper]);
    clearInterval(sampler);
    const first = samples[0]?.[1] ?? 0;
    const perHourPct = ((slope(samples) * 3600) / first) * 100;
    console.log(
      `soak: ${SECONDS} s, ${sent} messages, ${queries} history queries, ${reconnects} reconnects, ${errors} send errors; heap ${(first / 2 ** 20).toFixed(1)} → ${((samples.at(-1)?.[1] ?? 0) / 2 ** 20).toFixed(1)} MB over ${samples.length} samples, growth ${perHourPct.toFixed(1)} %/hour (slope; GC ${typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'forced' : 'not exposed'})`,
    );
    expect(samples.length).toBeGreaterThan(5);
    expect(sent).toBeGreaterThan(SECONDS * 5);
    expect(runtime.entities().every((e) => e.state === 'online' || e.name === 's7')).toBe(true);
    expect((await runtime.history('s1')).length).toBeGreaterThan(0);
    // Without forced GC, a 30 s run measures garbage not yet collected: short runs bound the
    // absolute growth; runs of 10 minutes or more hold the 5 %/hour aim.
    const growthMb = ((samples.at(-1)?.[1] ?? 0) - first) / 2 ** 20;
    if (SECONDS >= 600) expect(perHourPct).toBeLessThan(5);
    else expect(growthMb).toBeLessThan(64);
  });
});
