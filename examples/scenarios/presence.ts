/**
 * Example load-test scenario: presence churn (RFC 6121 §4). Each user changes its presence
 * every `every` seconds (default 10) and pings the server (XEP-0199) under its own transaction
 * name, so the report has a `presence.ping` histogram. Declares its own arrival plan, used when
 * the command line gives no `--phase`: 30 s at 5 logins/s, then 60 s at 20 logins/s.
 *
 *   aviary bench load --domain example.test --scenario dist/examples/scenarios/presence.js
 */
import type { Scenario } from '../../src/loadtest/index.js';

const SHOWS = ['away', 'chat', 'dnd', 'xa'] as const;

/** The scenario the harness loads from this module. */
export const scenario: Scenario = {
  name: 'presence',
  phases: [
    { durationMs: 30_000, rate: 5 },
    { durationMs: 60_000, rate: 20 },
  ],
  async run(session) {
    const every = Number(session.params.every ?? 10) * 1000;
    let n = 0;
    if (!(await session.think(session.random() * every))) return;
    while (await session.think(every * (0.5 + session.random()))) {
      n += 1;
      await session.sendPresence({
        show: SHOWS[Math.floor(session.random() * SHOWS.length)] as (typeof SHOWS)[number],
        status: `presence ${n}`,
      });
      await session.transaction('presence.ping', () => session.ping()).catch(() => undefined);
    }
  },
};
