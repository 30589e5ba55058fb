/**
 * Message Archive Management catch-up (XEP-0313) and delivery receipts (XEP-0184) against a
 * real Prosody with `mod_mam` and without `mod_offline`: what is sent to a disconnected profile
 * exists only in its archive, so it reaches history only through the catch-up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../src/entities/history-record.js';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait-for.js';

const alice = { username: 'mamalice', password: 'mam-alice-secret' };
const bob = { username: 'mambob', password: 'mam-bob-secret' };
const OFFLINE = 20;

let prosody: ProsodyFixture;
let runtime: Aviary;
let aliceJid: string;
let bobJid: string;

const bodyOf = (h: HistoryEntry) => Object.values(h.message).join('');
const historyOf = (profile: string) => runtime.history(profile, { order: 'asc' });
const countOf = (rows: HistoryEntry[], body: string) =>
  rows.filter((h) => bodyOf(h) === body).length;

async function reconnect(profile: string): Promise<void> {
  await runtime.disconnect(profile);
  runtime.connect(profile);
  await runtime.waitForState(profile, 'online');
}

beforeAll(async () => {
  prosody = await startProsody({
    users: [alice, bob],
    modules: ['mam'],
    withoutModules: ['offline'],
  });
  runtime = await startTestRuntime(prosody);
  aliceJid = `${alice.username}@${prosody.domain}`;
  bobJid = `${bob.username}@${prosody.domain}`;
  await runtime.addProfile(prosodyAccount(prosody, bob.username, bob.password));
  await runtime.addProfile({
    ...prosodyAccount(prosody, alice.username, alice.password),
    autoconnect: false,
  });
  // Small pages, so the catch-up below pages (Prosody would cap at 50 anyway).
  await runtime.storage.request({
    type: 'param.set',
    profile: alice.username,
    category: 'mam',
    name: 'page_size',
    value: '7',
  });
  runtime.connect(alice.username);
  await Promise.all([
    runtime.waitForState(alice.username, 'online'),
    runtime.waitForState(bob.username, 'online'),
  ]);
  // The first catch-up (empty archive) is over once a forced one, queued behind it, is.
  await runtime.archives.sync(alice.username);
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await prosody?.stop();
});

describe('MAM catch-up', () => {
  it('stores a message that arrived live and is in the archive once (the live row)', async () => {
    await runtime.sendMessage(bob.username, {
      to: aliceJid,
      type: 'chat',
      message: { '': 'live-1' },
    });
    await waitFor(async () => countOf(await historyOf(alice.username), 'live-1') === 1, {
      what: 'live-1 in alice history',
    });
    const synced = await runtime.archives.sync(alice.username);
    // The archive gave it back (it was fetched again) and history kept one row.
    expect(synced.fetched).toBeGreaterThanOrEqual(1);
    const rows = (await historyOf(alice.username)).filter((h) => bodyOf(h) === 'live-1');
    expect(rows).toHaveLength(1);
    const [row] = rows as [HistoryEntry];
    expect(row.stanzaId).not.toBeNull();
    expect((row.extra as Record<string, unknown>).archive).toBeUndefined();
  }, 60_000);

  it('brings what was sent while disconnected, once, in order, with its original time', async () => {
    await runtime.disconnect(alice.username);
    const sentAt: number[] = [];
    for (let i = 0; i < OFFLINE; i++) {
      const sent = await runtime.sendMessage(bob.username, {
        to: aliceJid,
        type: 'chat',
        message: { '': `offline #${i}` },
      });
      expect(sent.outcome).toBe('sent');
      sentAt.push(Date.now());
    }
    const reconnectedAt = Date.now();
    runtime.connect(alice.username);
    await runtime.waitForState(alice.username, 'online');
    const expected = Array.from({ length: OFFLINE }, (_, i) => `offline #${i}`);
    await waitFor(
      async () => {
        const bodies = new Set((await historyOf(alice.username)).map(bodyOf));
        return expected.every((b) => bodies.has(b));
      },
      { what: 'every offline message in alice history', timeoutMs: 30_000 },
    );
    // Nothing new since: a forced catch-up goes forward from the checkpoint and finds nothing.
    expect(await runtime.archives.sync(alice.username)).toMatchObject({
      mode: 'forward',
      fetched: 0,
    });

    const rows = (await historyOf(alice.username)).filter((h) => expected.includes(bodyOf(h)));
    expect(rows.map(bodyOf)).toEqual(expected); // once each, ordered by original time
    for (const [i, row] of rows.entries()) {
      expect(row.from.startsWith(bobJid)).toBe(true);
      expect((row.extra as { archive?: { id?: string } }).archive?.id).toBe(row.stanzaId);
      // The archive's time, not the time of the catch-up.
      expect(row.timestamp).toBeLessThanOrEqual((sentAt[i] ?? 0) + 1000);
      expect(row.timestamp).toBeLessThan(reconnectedAt + 1);
    }
  }, 90_000);

  it('adds no duplicate across two more reconnections', async () => {
    const before = await historyOf(alice.username);
    await reconnect(alice.username);
    await runtime.archives.sync(alice.username);
    await reconnect(alice.username);
    await runtime.archives.sync(alice.username);
    const after = await historyOf(alice.username);
    expect(after.map((h) => h.uid)).toEqual(before.map((h) => h.uid));
    const bodies = after.map(bodyOf);
    expect(new Set(bodies).size).toBe(bodies.length);
  }, 90_000);

  it('keeps the sender side once too: its own sent messages come back from its archive', async () => {
    await reconnect(bob.username);
    await runtime.archives.sync(bob.username);
    const bodies = (await historyOf(bob.username))
      .filter((h) => h.from.startsWith(bobJid))
      .map(bodyOf);
    expect(bodies.filter((b) => b.startsWith('offline #'))).toHaveLength(OFFLINE);
    expect(new Set(bodies).size).toBe(bodies.length);
  }, 60_000);

  it('answers a direct archive query, page by page, without storing anything', async () => {
    const before = (await historyOf(alice.username)).length;
    const all = await runtime.archives.query(alice.username, { with: bobJid, limit: 100 });
    expect(all.complete).toBe(true);
    // Body-less entries are the receipts alice answered while online (archived too).
    const bodies = all.messages.map((m) => Object.values(m.message).join('')).filter((b) => b);
    expect(bodies).toEqual([
      'live-1',
      ...Array.from({ length: OFFLINE }, (_, i) => `offline #${i}`),
    ]);
    const firstThree = await runtime.archives.query(alice.username, { with: bobJid, limit: 3 });
    expect(firstThree.complete).toBe(false);
    expect(firstThree.messages.map((m) => m.archiveId)).toEqual(
      all.messages.slice(0, 3).map((m) => m.archiveId),
    );
    expect((await historyOf(alice.username)).length).toBe(before);
  }, 60_000);
});

describe('delivery receipts', () => {
  it('records delivered on the sent row once the recipient answers', async () => {
    const sent = await runtime.sendMessage(alice.username, {
      to: bobJid,
      type: 'chat',
      message: { '': 'receipt please' },
    });
    expect(sent.outcome).toBe('sent');
    if (sent.outcome !== 'sent') return;
    await waitFor(
      async () =>
        (await historyOf(alice.username)).find((h) => h.uid === sent.message.uid)?.delivered !=
        null,
      { what: 'delivered on the sent row', timeoutMs: 20_000 },
    );
    const row = (await historyOf(alice.username)).find((h) => h.uid === sent.message.uid);
    expect(row?.delivered).toBeGreaterThanOrEqual(row?.timestamp ?? Number.POSITIVE_INFINITY);
    // The receipt itself is not a message: bob's history holds the message, alice's no receipt.
    expect(countOf(await historyOf(bob.username), 'receipt please')).toBe(1);
    expect((await historyOf(alice.username)).filter((h) => bodyOf(h) === '')).toHaveLength(0);
  }, 60_000);
});
