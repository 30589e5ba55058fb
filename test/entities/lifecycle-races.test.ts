/**
 * Concurrent add/remove/connect/disconnect of one profile name, in many orders: afterwards the
 * profile either exists with exactly one actor and one session, or does not exist and has no
 * actor and no session; and stopping the runtime always ends. Runs on the in-process transport
 * (no server needed): what is checked is the entity layer's bookkeeping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { type Aviary, createRuntime } from '../../src/runtime/default-runtime.js';
import {
  createInProcessTransport,
  type InProcessTransport,
} from '../../src/transport/in-process.js';
import { tempDataDir } from '../helpers/cli.js';

const NAME = 'racer';
const JID = 'racer@x.test';
const ROUNDS = 150;
const OPS_PER_ROUND = 6;

/** A small seeded generator (mulberry32), so a failing round can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let transport: InProcessTransport;
let runtime: Aviary;

beforeAll(async () => {
  transport = createInProcessTransport();
  runtime = createRuntime({
    api: false,
    log: createLogger({ level: 'silent' }),
    connections: () => transport.factories,
    config: {
      dataDir: tempDataDir('aviary-races-'),
      xmpp: { reconnectBaseMs: 5, reconnectMaxMs: 20 },
    },
  });
  await runtime.start();
});
afterAll(async () => {
  if (runtime.state !== 'stopped') await runtime.stop();
});

const actorsOf = (name: string) =>
  runtime.system.mailboxDepths().filter((a) => a.id.startsWith(`profile:${name}`));

describe('entity life cycle serialised per name', () => {
  it(`${ROUNDS} rounds of ${OPS_PER_ROUND} concurrent operations leave no orphan actor or session`, async () => {
    const next = random(20);
    const kinds = ['add', 'remove', 'connect', 'disconnect'] as const;
    for (let round = 0; round < ROUNDS; round++) {
      const ops = Array.from({ length: OPS_PER_ROUND }, () => {
        const kind = kinds[Math.floor(next() * kinds.length)] as (typeof kinds)[number];
        switch (kind) {
          case 'add':
            return runtime.addProfile({ name: NAME, jid: JID, password: 'p' });
          case 'remove':
            return runtime.remove(NAME);
          case 'connect':
            return Promise.resolve().then(() => runtime.connect(NAME));
          default:
            return runtime.disconnect(NAME);
        }
      });
      const outcomes = await Promise.allSettled(ops);
      // Only the expected refusals: a duplicate add, or an operation on a missing profile.
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected')
          expect(['profile.not-found', 'storage.profile-exists']).toContain(
            (outcome.reason as { code?: string }).code,
          );
      }
      // Let connects and reconnect timers settle.
      await new Promise((r) => setTimeout(r, 30));
      const exists = runtime.entities().some((e) => e.name === NAME);
      const stored = (await runtime.storage.request({ type: 'profile.get', name: NAME })) !== null;
      const state = { round, exists, stored, actors: actorsOf(NAME).length };
      if (exists) {
        expect(state).toEqual({ round, exists: true, stored: true, actors: 1 });
      } else {
        expect(state).toEqual({ round, exists: false, stored: false, actors: 0 });
        expect(transport.connected()).not.toContain(JID);
      }
    }
  }, 120_000);

  it('stop ends while operations on the name are still running', async () => {
    const pending = [
      runtime.addProfile({ name: `${NAME}2`, jid: `${NAME}2@x.test`, password: 'p' }),
      runtime.disconnect(`${NAME}2`),
      runtime.remove(`${NAME}2`),
    ];
    const stopped = runtime.stop().then(() => 'stopped');
    const outcome = await Promise.race([
      stopped,
      new Promise((r) => setTimeout(() => r('stop did not end'), 20_000)),
    ]);
    expect(outcome).toBe('stopped');
    await Promise.allSettled(pending);
    expect(actorsOf(NAME)).toEqual([]);
    expect(transport.connected()).toEqual([]);
  }, 30_000);
});
