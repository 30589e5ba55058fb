/**
 * Floods and backpressure: a raw peer floods one profile with messages. The profile's mailbox
 * never passes its bound; instead of refusing stanzas the entity stops reading its socket (TCP
 * backpressure) until the mailbox drains, so every stanza the server handed over is stored and
 * none is refused (no inspect drop event, `aviary_mailbox_overflow_total` unchanged). The heap
 * stays bounded, and an unaffected pair of profiles keeps exchanging messages meanwhile (each
 * round trip must complete; its latency is reported, never asserted).
 */
import xml from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import type { ClientConnection } from '../../src/xmpp/client-connection.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { quantile, rawPeer, sampleHeap } from '../helpers/reliability.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait-for.js';

const CAPACITY = 50;
const FLOOD = Number(process.env.AVIARY_FLOOD_MESSAGES ?? 8_000);
const users = ['victim', 'alice', 'bob', 'flooder'].map((u) => ({
  username: u,
  password: `${u}-pw`,
}));
let prosody: ProsodyFixture;
let runtime: Aviary;
let flooder: ClientConnection;

beforeAll(async () => {
  prosody = await startProsody({ users });
  runtime = await startTestRuntime(prosody, {
    config: { xmpp: { profileMailboxCapacity: CAPACITY } },
  });
  for (const u of users.slice(0, 3))
    await runtime.addProfile(prosodyAccount(prosody, u.username, u.password));
  await Promise.all(users.slice(0, 3).map((u) => runtime.waitForState(u.username, 'online')));
  flooder = await rawPeer(prosody, 'flooder', 'flooder-pw');
});
afterAll(async () => {
  await flooder?.disconnect().catch(() => undefined);
  await runtime?.stop();
  await prosody?.stop();
});

/** Round trips alice → bob (sent until bob's `messageNew`), one at a time, until `stop()` holds. */
async function pingPong(stop: () => boolean, minimum: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; !stop() || times.length < minimum; i++) {
    const text = `rt ${i} ${Math.random()}`;
    const started = performance.now();
    const arrived = new Promise<void>((resolve) => {
      const on = (m: { profile: string; message?: unknown }) => {
        if (m.profile === 'bob' && JSON.stringify(m.message).includes(text)) {
          runtime.events.off('messageNew', on);
          resolve();
        }
      };
      runtime.events.on('messageNew', on);
    });
    await runtime.sendMessage('alice', { to: `bob@${prosody.domain}`, message: { '': text } });
    await arrived;
    times.push(performance.now() - started);
  }
  return times;
}

async function overflowMetric(): Promise<number> {
  const text = await runtime.metrics.registry.metrics();
  let total = 0;
  for (const line of text.split('\n'))
    if (line.startsWith('aviary_mailbox_overflow_total{') && line.includes('reason="overflow"'))
      total += Number(line.split(' ').pop());
  return total;
}

describe('floods and backpressure', () => {
  it(`a ${FLOOD}-message flood stays within the mailbox bound and spares other profiles`, async () => {
    const victimId = runtime.system.mailboxDepths().find((a) => a.id.includes('victim'))?.id;
    expect(victimId, 'victim actor id').toBeDefined();
    let dropped = 0;
    const unsubscribe = runtime.system.inspect((event) => {
      if (
        event.type === 'message-dropped' &&
        event.reason === 'overflow' &&
        event.actorId === victimId
      )
        dropped++;
    });
    const overflowBefore = await overflowMetric();

    const baseline = await pingPong(() => true, 30);
    let maxDepth = 0;
    const depthTimer = setInterval(() => {
      const depth = runtime.system.mailboxDepths().find((a) => a.id === victimId)?.depth ?? 0;
      maxDepth = Math.max(maxDepth, depth);
    }, 5);
    const heap = sampleHeap(100);
    let flooding = true;
    const flood = (async () => {
      const to = `victim@${prosody.domain}`;
      for (let i = 0; i < FLOOD; i += 500) {
        const batch: Promise<void>[] = [];
        for (let j = i; j < Math.min(FLOOD, i + 500); j++)
          batch.push(
            flooder.send(
              xml('message', { to, type: 'chat', id: `f${j}` }, xml('body', {}, `flood ${j}`)),
            ),
          );
        await Promise.all(batch);
      }
      await flooder.drain();
    })().finally(() => {
      flooding = false;
    });
    const during = await pingPong(() => !flooding, 20);
    await flood;
    // The server delivers the rest after our last write; wait until every stanza is accounted for.
    const storedCount = async () =>
      (await runtime.history('victim', { with: `flooder@${prosody.domain}` })).length;
    await waitFor(async () => (await storedCount()) >= FLOOD, {
      timeoutMs: 90_000,
      what: `all ${FLOOD} flood messages in victim's history`,
    });
    const stored = await storedCount();
    clearInterval(depthTimer);
    const samples = heap.stop();
    unsubscribe();

    const overflow = (await overflowMetric()) - overflowBefore;
    const heapGrowthMb = (Math.max(...samples) - (samples[0] as number)) / 2 ** 20;
    const p99Base = quantile(baseline, 0.99);
    const p99During = quantile(during, 0.99);
    console.log(
      `flood: ${FLOOD} sent, ${stored} stored, ${dropped} refused (metric +${overflow}), max depth ${maxDepth}/${CAPACITY}, heap +${heapGrowthMb.toFixed(1)} MB peak, alice→bob p50/p99 ${quantile(baseline, 0.5).toFixed(1)}/${p99Base.toFixed(1)} ms before, ${quantile(during, 0.5).toFixed(1)}/${p99During.toFixed(1)} ms during (${during.length} round trips)`,
    );
    expect(maxDepth).toBeLessThanOrEqual(CAPACITY);
    expect(dropped, 'stanzas refused by a full mailbox (backpressure must hold them)').toBe(0);
    expect(overflow, 'aviary_mailbox_overflow_total grew').toBe(0);
    expect(stored, 'every flood message stored exactly once').toBe(FLOOD);
    expect(heapGrowthMb).toBeLessThan(200);
    expect(runtime.entity('victim').state).toBe('online');
    expect(during.length, 'alice → bob round trips completed during the flood').toBeGreaterThan(0);
  });
});
