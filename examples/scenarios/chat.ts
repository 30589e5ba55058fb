/**
 * Example load-test scenario: each user chats with a random (or its paired) online peer at a
 * steady rate, with think time drawn around the mean, sends a presence update now and then,
 * pings the server (IQ round trip) and, optionally, publishes to and fetches from its own PEP
 * node (XEP-0060/XEP-0163).
 *
 *   aviary bench load --scenario dist/examples/scenarios/chat.js --param rate=0.5 --param peer=paired
 *
 * Parameters (`--param key=value`): `rate` messages/s per user (default 0.2), `peer`
 * `random|paired` (default random), `presenceEvery` seconds (default 30, 0 = never),
 * `pingEvery` seconds (default 10, 0 = never), `pubsub` true to publish+fetch once per
 * `pingEvery`, `count` messages per user then only presence and pings (default 0 = no limit).
 */
import xml from '@xmpp/xml';
import type { Scenario, ScenarioSession } from '../../src/loadtest/index.js';

function num(session: ScenarioSession, key: string, fallback: number): number {
  const value = Number(session.params[key] ?? fallback);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** The scenario the harness loads from this module. */
export const scenario: Scenario = {
  name: 'chat',
  async run(session) {
    const rate = num(session, 'rate', 0.2);
    const presenceEvery = num(session, 'presenceEvery', 30) * 1000;
    const pingEvery = num(session, 'pingEvery', 10) * 1000;
    const paired = session.params.peer === 'paired';
    const pubsub = session.params.pubsub === true || session.params.pubsub === 'true';
    const count = num(session, 'count', 0);
    const meanThink = rate > 0 ? 1000 / rate : 1000;
    let sinceStart = 0;
    let nextPresence = presenceEvery;
    let nextPing = pingEvery;
    let n = 0;
    // Start at a random phase so users do not send in lockstep.
    if (!(await session.think(session.random() * meanThink))) return;
    for (;;) {
      const wait = meanThink * (0.5 + session.random());
      if (!(await session.think(wait))) return;
      sinceStart += wait;
      if (rate > 0 && (count === 0 || n < count)) {
        const to = paired ? session.pairedPeer() : session.randomPeer();
        if (to !== undefined) await session.sendChat(to, `hello ${++n} from ${session.jid}`);
      }
      if (presenceEvery > 0 && sinceStart >= nextPresence) {
        nextPresence += presenceEvery;
        await session.sendPresence({
          show: session.random() < 0.5 ? 'away' : 'chat',
          status: `load ${n}`,
        });
      }
      if (pingEvery > 0 && sinceStart >= nextPing) {
        nextPing += pingEvery;
        await session.ping();
        if (pubsub) {
          await session.pubsub
            .publish(session.jid, 'urn:aviary:loadtest:notes', [
              { payload: xml('note', { xmlns: 'urn:aviary:loadtest:notes' }, `note ${n}`) },
            ])
            .then(() =>
              session.pubsub.getItems(session.jid, 'urn:aviary:loadtest:notes', { maxItems: 1 }),
            )
            .catch(() => undefined);
        }
      }
    }
  },
};
