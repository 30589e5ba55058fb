/**
 * MAM catch-up beside offline storage (Prosody's `mod_offline` on, as by default): messages
 * sent to a disconnected profile come twice at reconnection — flushed from offline storage and
 * fetched from the archive — and history keeps each once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { HistoryEntry } from '../../src/entities/history-record.js';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait-for.js';

const alice = { username: 'offalice', password: 'off-alice-secret' };
const bob = { username: 'offbob', password: 'off-bob-secret' };
const COUNT = 8;

let prosody: ProsodyFixture;
let runtime: Aviary;

const bodyOf = (h: HistoryEntry) => Object.values(h.message).join('');

beforeAll(async () => {
  prosody = await startProsody({ users: [alice, bob], modules: ['mam'] });
  runtime = await startTestRuntime(prosody);
  await runtime.addProfile(prosodyAccount(prosody, bob.username, bob.password));
  await runtime.addProfile(prosodyAccount(prosody, alice.username, alice.password));
  await runtime.waitForState(alice.username, 'online');
  await runtime.waitForState(bob.username, 'online');
  await runtime.archives.sync(alice.username);
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await prosody?.stop();
});

it('stores once what arrives both from offline storage and from the archive', async () => {
  await runtime.disconnect(alice.username);
  const aliceJid = `${alice.username}@${prosody.domain}`;
  for (let i = 0; i < COUNT; i++)
    await runtime.sendMessage(bob.username, {
      to: aliceJid,
      type: 'chat',
      message: { '': `both #${i}` },
    });
  runtime.connect(alice.username);
  await runtime.waitForState(alice.username, 'online');
  const expected = Array.from({ length: COUNT }, (_, i) => `both #${i}`);
  await waitFor(
    async () => {
      const bodies = new Set((await runtime.history(alice.username)).map(bodyOf));
      return expected.every((b) => bodies.has(b));
    },
    { what: 'every message in alice history', timeoutMs: 30_000 },
  );
  // Once the reconnection's catch-up is over, forget the checkpoint: the archive hands every
  // message over once more (window mode), and history still keeps each once.
  await runtime.archives.sync(alice.username);
  await runtime.storage.request({
    type: 'param.delete',
    profile: alice.username,
    category: 'mam',
    name: 'last_id',
  });
  const synced = await runtime.archives.sync(alice.username);
  expect(synced.mode).toBe('window');
  expect(synced.fetched).toBeGreaterThanOrEqual(COUNT);
  const rows = (await runtime.history(alice.username, { order: 'asc' })).filter((h) =>
    expected.includes(bodyOf(h)),
  );
  expect(rows.map(bodyOf)).toEqual(expected);
}, 90_000);
