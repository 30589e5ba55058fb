/**
 * An offline backlog larger than a profile's mailbox: Prosody flushes every stored message at
 * login and forgets them, so each one must end in history. Before backpressure, the stanzas past
 * the mailbox (1,000) were dropped and the process could die of an unhandled MailboxFullError.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait-for.js';

const BACKLOG = 2000;
const MAILBOX = 1000;
const sender = { username: 'bulksnd', password: 'bulk-sender-secret' };
const receiver = { username: 'bulkrcv', password: 'bulk-receiver-secret' };

let prosody: ProsodyFixture;
let runtime: Aviary;

beforeAll(async () => {
  prosody = await startProsody({ users: [sender, receiver] });
  runtime = await startTestRuntime(prosody, {
    config: { xmpp: { profileMailboxCapacity: MAILBOX } },
  });
}, 60_000);
afterAll(async () => {
  await runtime?.stop();
  await prosody?.stop();
});

describe('offline backlog larger than the mailbox', () => {
  it(`stores all ${BACKLOG} messages flushed at login (mailbox ${MAILBOX})`, async () => {
    await runtime.addProfile(prosodyAccount(prosody, sender.username, sender.password));
    await runtime.waitForState(sender.username, 'online');
    const to = `${receiver.username}@${prosody.domain}`;
    for (let start = 0; start < BACKLOG; start += 100) {
      const batch = Array.from({ length: Math.min(100, BACKLOG - start) }, (_, i) =>
        runtime.sendMessage(
          sender.username,
          { to, type: 'chat', message: { '': `backlog #${start + i}` } },
          { sendOnly: true },
        ),
      );
      const results = await Promise.all(batch);
      expect(results.every((r) => r.outcome === 'sent')).toBe(true);
    }

    let signalled = 0;
    runtime.events.on('messageNew', (m) => {
      if (m.profile === receiver.username && m.direction === 'in') signalled++;
    });
    await runtime.addProfile(prosodyAccount(prosody, receiver.username, receiver.password));
    await waitFor(() => signalled >= BACKLOG, 120_000).catch(() => undefined); // asserted below

    const history = await runtime.history(receiver.username, { limit: BACKLOG * 2 });
    const bodies = new Set(history.map((h) => Object.values(h.message).join('')));
    const missing = Array.from({ length: BACKLOG }, (_, n) => `backlog #${n}`).filter(
      (b) => !bodies.has(b),
    );
    expect({ stored: history.length, missing: missing.slice(0, 5) }).toEqual({
      stored: BACKLOG,
      missing: [],
    });
    expect(signalled).toBe(BACKLOG);
    expect(runtime.entity(receiver.username).state).toBe('online');
  }, 180_000);
});
