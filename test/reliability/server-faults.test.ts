/**
 * Server faults: Prosody is SIGKILLed and restarted while many profiles are
 * online and sending. Every profile comes back online, logins stay within the runtime-wide login
 * rate (token bucket), and reconnections are spread by jittered backoff instead of a storm.
 * The number is 1,000 profiles; this 2-core machine (shared) runs PROFILES (default 100).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { sleep } from '../helpers/reliability.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait-for.js';

const PROFILES = Number(process.env.AVIARY_FAULT_PROFILES ?? 100);
const LOGIN_RATE = 150;
const LOGIN_BURST = 30;
const users = Array.from({ length: PROFILES }, (_, i) => ({
  username: `u${i}`,
  password: `pw-${i}`,
}));
let prosody: ProsodyFixture;
let runtime: Aviary;

beforeAll(async () => {
  prosody = await startProsody({ users });
  runtime = await startTestRuntime(prosody, {
    config: {
      xmpp: {
        loginRate: LOGIN_RATE,
        loginBurst: LOGIN_BURST,
        reconnectBaseMs: 500,
        reconnectMaxMs: 4000,
      },
    },
  });
}, 120_000);
afterAll(async () => {
  await runtime?.stop();
  await prosody?.stop();
});

/** Most `times` (ms) that fall in any window of `windowMs`. */
function peakInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

describe('server faults', () => {
  it(`${PROFILES} profiles reconnect after Prosody is killed and restarted, within the login rate`, async () => {
    const online = () => runtime.entities().filter((e) => e.state === 'online').length;
    const onlineAt: number[] = [];
    const reconnectingAt: number[] = [];
    runtime.events.on('connectionState', (e) => {
      if (e.state === 'online') onlineAt.push(performance.now());
      if (e.state === 'reconnecting') reconnectingAt.push(performance.now());
    });
    const t0 = performance.now();
    for (const u of users)
      await runtime.addProfile(prosodyAccount(prosody, u.username, u.password));
    await waitFor(() => online() === PROFILES, 90_000).catch((e) => {
      throw new Error(`first login: ${online()}/${PROFILES} online: ${e}`);
    });
    const firstLoginMs = performance.now() - t0;
    const firstPeak = peakInWindow(onlineAt, 1000);

    // Load: a few profiles keep sending while the server dies.
    let sending = true;
    let sent = 0;
    let failed = 0;
    const load = Promise.all(
      users.slice(0, 10).map(async (u, i) => {
        while (sending) {
          try {
            const r = await runtime.sendMessage(u.username, {
              to: `u${(i + 1) % PROFILES}@${prosody.domain}`,
              message: { '': `load ${sent}` },
            });
            if (r.outcome === 'sent') sent++;
          } catch {
            failed++;
            await sleep(50);
          }
        }
      }),
    );
    await sleep(500);
    onlineAt.length = 0;
    reconnectingAt.length = 0;
    await prosody.kill();
    const killedAt = performance.now();
    await waitFor(() => online() === 0, 30_000);
    await sleep(1000); // some backoff periods elapse against a dead server
    await prosody.restart();
    const restartedAt = performance.now();
    // Idle profiles (not sending during the outage) first: the login-rate figures are theirs.
    const idle = new Set(users.slice(10).map((u) => u.username));
    const idleOnline = () =>
      runtime.entities().filter((e) => idle.has(e.name) && e.state === 'online').length;
    await waitFor(() => idleOnline() === idle.size, 90_000).catch((e) => {
      throw new Error(`after restart: ${idleOnline()}/${idle.size} idle profiles online: ${e}`);
    });
    const back = performance.now();
    sending = false;
    await load;

    const peak = peakInWindow(onlineAt, 1000);
    const spreadMs = Math.max(...onlineAt) - Math.min(...onlineAt);
    console.log(
      `server-faults: ${PROFILES} profiles; first login ${firstLoginMs.toFixed(0)} ms (peak ${firstPeak}/s); after kill: all online ${((back - restartedAt) / 1000).toFixed(2)} s after restart (${((back - killedAt) / 1000).toFixed(2)} s after kill), peak ${peak} logins/s (rate ${LOGIN_RATE}/s, burst ${LOGIN_BURST}), logins spread over ${spreadMs.toFixed(0)} ms; ${sent} messages sent, ${failed} sends failed during the outage`,
    );
    expect(reconnectingAt.length).toBeGreaterThanOrEqual(PROFILES);
    expect(peak).toBeLessThanOrEqual(LOGIN_RATE + LOGIN_BURST);
    expect(firstPeak).toBeLessThanOrEqual(LOGIN_RATE + LOGIN_BURST);
    // Logins after the restart cannot all happen at once: at least PROFILES / (rate + burst) s.
    expect(spreadMs).toBeGreaterThanOrEqual(((PROFILES - LOGIN_BURST) / LOGIN_RATE) * 1000 * 0.8);
    expect(sent).toBeGreaterThan(0);
    const r = await runtime.sendMessage('u15', {
      to: `u16@${prosody.domain}`,
      message: { '': 'after' },
    });
    expect(r.outcome).toBe('sent');
    // Profiles that were sending when the server died must come back too (a failed send is an
    // error for that caller, never the end of the profile).
    await waitFor(() => online() === PROFILES, 15_000).catch(() => undefined);
    const notBack = runtime.entities().filter((e) => e.state !== 'online');
    expect(
      notBack.map((e) => `${e.name}:${e.state}`),
      'profiles not back online',
    ).toEqual([]);
  });
});
