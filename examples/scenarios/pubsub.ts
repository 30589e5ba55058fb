/**
 * Example load-test scenario: each user publishes to its own PEP node (XEP-0163 on XEP-0060)
 * and reads the last item back, every `every` seconds (default 10). The two steps are named
 * transactions (`pep.publish`, `pep.fetch`), each with its own histogram and chart.
 *
 *   aviary bench load --domain example.test --scenario dist/examples/scenarios/chat.js:3 \
 *     --scenario dist/examples/scenarios/pubsub.js:1   # a 3:1 mix
 */
import xml from '@xmpp/xml';
import type { Scenario } from '../../src/loadtest/index.js';

const NODE = 'urn:aviary:loadtest:notes';

/** The scenario the harness loads from this module. */
export const scenario: Scenario = {
  name: 'pubsub',
  async run(session) {
    const every = Number(session.params.every ?? 10) * 1000;
    let n = 0;
    if (!(await session.think(session.random() * every))) return;
    while (await session.think(every * (0.5 + session.random()))) {
      n += 1;
      try {
        await session.transaction('pep.publish', () =>
          session.pubsub.publish(session.jid, NODE, [
            { payload: xml('note', { xmlns: NODE }, `note ${n}`) },
          ]),
        );
        await session.transaction('pep.fetch', () =>
          session.pubsub.getItems(session.jid, NODE, { maxItems: 1 }),
        );
      } catch {
        // Counted as pep.publish:<kind> / pep.fetch:<kind> by the harness.
      }
    }
  },
};
