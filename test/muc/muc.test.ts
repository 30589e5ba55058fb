/**
 * Multi-User Chat (XEP-0045) against a real Prosody with `muc` and `muc_mam`: two profiles and a
 * raw client talk in a room; each groupchat message is in each profile's history once, with
 * the occupant's nickname, across a leave/rejoin and a runtime restart (the room repeats its
 * history on every join); subject changes are stored once; bookmarks (XEP-0402) marked autojoin
 * are joined on connect; self-ping (XEP-0410) notices an exit the profile never heard of and
 * rejoins; a server restart ends in every room joined again.
 */
import type { Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOperation } from '../../src/api/operations.js';
import type { HistoryEntry } from '../../src/entities/history-record.js';
import type { Plugin, PluginHost } from '../../src/plugins/plugin.js';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import { tempDataDir } from '../helpers/cli.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait-for.js';
import { kick, makePersistent, type RawOccupant, rawOccupant } from './muc-setup.js';

const users = [
  { username: 'alice', password: 'muc-secret-a' },
  { username: 'bob', password: 'muc-secret-b' },
  { username: 'carol', password: 'muc-secret-c' },
  { username: 'dave', password: 'muc-secret-d' },
];

const hosts = new Map<string, PluginHost>();
/** Profiles whose presence from rooms is swallowed (a presence lost on the way). */
const deaf = new Set<string>();

/** Test-side plugin: reaches each profile's host, and can lose room presence before MUC sees it. */
const probe: Plugin = {
  name: 'test-muc-probe',
  modes: ['client'],
  setup({ host }) {
    hosts.set(host.name, host);
    return host.useStanza(
      async (stanza: Element, next) => {
        const fromRoom = String(stanza.attrs.from ?? '').includes('@conference.');
        if (stanza.name === 'presence' && fromRoom && deaf.has(host.name)) return;
        await next();
      },
      { priority: 100 },
    );
  },
};

let prosody: ProsodyFixture;
let runtime: Aviary;
let carol: RawOccupant;
let room: string;
const dataDir = tempDataDir('aviary-muc-');

const host = (name: string) => {
  const found = hosts.get(name);
  if (found === undefined) throw new Error(`no host for ${name}`);
  return found;
};

/** The one text of a language map (Prosody stamps `xml:lang='en'` on what it relays). */
const textOf = (texts: Readonly<Record<string, string>>) => Object.values(texts)[0] ?? '';
const bodiesOf = (rows: readonly HistoryEntry[]) =>
  rows.map((r) => textOf(r.message)).filter((b) => b !== '');

async function roomHistory(profile: string): Promise<HistoryEntry[]> {
  return runtime.history(profile, { with: room, order: 'asc', limit: 1000 });
}

/**
 * Waits until `profile`'s history of the room holds `bodies`, each once and nothing else. Order
 * is not compared: history sorts by send time, and the room's delay stamps on repeated history
 * have whole seconds only (XEP-0082), so a delayed message may sort before a live one of the
 * same second.
 */
async function expectRoomBodies(profile: string, bodies: readonly string[]): Promise<void> {
  let last: string[] = [];
  await waitFor(
    async () => {
      last = bodiesOf(await roomHistory(profile));
      return last.length >= bodies.length;
    },
    { what: `${profile}'s room history to hold ${bodies.length} bodies`, detail: () => `${last}` },
  );
  expect(bodiesOf(await roomHistory(profile)).sort()).toEqual([...bodies].sort());
}

async function startRuntime(): Promise<Aviary> {
  hosts.clear();
  return startTestRuntime(prosody, { plugins: [probe], dataDir });
}

async function roomState(profile: string) {
  return (await runtime.muc.list(profile)).find((r) => r.room === room);
}

beforeAll(async () => {
  prosody = await startProsody({ users, muc: true });
  room = `lounge@${prosody.mucDomain}`;
  runtime = await startRuntime();
  for (const user of ['alice', 'bob'])
    await runtime.addProfile(prosodyAccount(prosody, user, `muc-secret-${user[0]}`));
  await Promise.all(['alice', 'bob'].map((u) => runtime.waitForState(u, 'online')));
  carol = await rawOccupant(prosody, 'carol', 'muc-secret-c');
});

afterAll(async () => {
  await carol?.stop().catch(() => undefined);
  await runtime?.stop();
  await prosody?.stop();
});

describe('Multi-User Chat', () => {
  it('two profiles and a raw client talk in a room; history holds each message once with the nickname', async () => {
    const joined = await runtime.muc.join('alice', { room, nick: 'Alice' });
    expect(joined).toMatchObject({ room, nick: 'Alice', state: 'joined' });
    // Alice created the room (instant room); keep it when empty, for the rejoins below.
    await makePersistent(host('alice'), room);
    await runtime.muc.join('bob', { room, nick: 'Bob', maxStanzas: 0 });
    await carol.join(room, 'Carol');
    await waitFor(async () => (await roomState('alice'))?.occupants.length === 2, 'alice sees 2');
    expect((await roomState('alice'))?.occupants).toEqual(['Bob', 'Carol']);

    await runtime.sendMessage('alice', { to: room, type: 'groupchat', message: { '': 'a1' } });
    await expectRoomBodies('bob', ['a1']);
    await runtime.sendMessage('bob', { to: room, type: 'groupchat', message: { '': 'b1' } });
    await expectRoomBodies('alice', ['a1', 'b1']);
    await carol.say(room, 'c1');
    for (const profile of ['alice', 'bob']) await expectRoomBodies(profile, ['a1', 'b1', 'c1']);

    const rows = await roomHistory('bob');
    expect(rows.map((r) => [r.type, r.from, (r.extra as { nick?: string }).nick])).toEqual([
      ['groupchat', `${room}/Alice`, 'Alice'],
      ['groupchat', `${room}/Bob`, 'Bob'],
      ['groupchat', `${room}/Carol`, 'Carol'],
    ]);
    // The room's stanza-id (XEP-0359) is kept: it is what a rejoin is deduplicated by.
    expect(rows.every((r) => typeof r.stanzaId === 'string' && r.stanzaId !== '')).toBe(true);
    await waitFor(() => carol.bodies(room).length === 3, 'carol got three messages');
  });

  it('stores a subject change once, even though every join repeats it', async () => {
    // Only moderators may change the subject by default: alice created the room.
    await runtime.sendMessage('alice', {
      to: room,
      type: 'groupchat',
      subject: { '': 'Tea at five' },
    });
    await waitFor(
      async () => textOf((await roomState('bob'))?.subject ?? {}) === 'Tea at five',
      'subject',
    );
    const subjects = async (profile: string) =>
      (await roomHistory(profile)).filter((r) => textOf(r.subject) === 'Tea at five').length;
    await waitFor(async () => (await subjects('alice')) === 1, 'alice stored the subject');
    expect(await subjects('bob')).toBe(1);
  });

  it('a leave and a rejoin: what was said meanwhile arrives once, the repeated history not again', async () => {
    await runtime.muc.leave('bob', room);
    expect(await runtime.muc.list('bob')).toEqual([]);
    await waitFor(async () => (await roomState('alice'))?.occupants.length === 1, 'bob left');
    await carol.say(room, 'c2-while-bob-away');
    await expectRoomBodies('alice', ['a1', 'b1', 'c1', 'c2-while-bob-away']);

    // Asking for the last 50 messages: the room repeats what bob already holds.
    await runtime.muc.join('bob', { room, nick: 'Bob', maxStanzas: 50 });
    await expectRoomBodies('bob', ['a1', 'b1', 'c1', 'c2-while-bob-away']);
    expect((await roomState('bob'))?.repeats).toBe(3);
    await carol.say(room, 'c3');
    for (const profile of ['alice', 'bob'])
      await expectRoomBodies(profile, ['a1', 'b1', 'c1', 'c2-while-bob-away', 'c3']);
    const subjects = (await roomHistory('bob')).filter((r) => textOf(r.subject) === 'Tea at five');
    expect(subjects).toHaveLength(1);
  });

  it('a runtime restart rejoins the rooms and stores nothing twice', async () => {
    await runtime.stop();
    await carol.say(room, 'c4-while-down');
    runtime = await startRuntime();
    await Promise.all(['alice', 'bob'].map((u) => runtime.waitForState(u, 'online')));
    await waitFor(async () => (await roomState('bob'))?.state === 'joined', 'bob rejoined');
    const expected = ['a1', 'b1', 'c1', 'c2-while-bob-away', 'c3', 'c4-while-down'];
    for (const profile of ['alice', 'bob']) await expectRoomBodies(profile, expected);
    // The rejoin asked from a minute before the newest stored message: the room repeated some.
    expect((await roomState('bob'))?.repeats).toBeGreaterThan(0);
    await carol.say(room, 'c5');
    for (const profile of ['alice', 'bob']) await expectRoomBodies(profile, [...expected, 'c5']);
  });

  it('self-ping notices an exit the profile never heard of and rejoins', async () => {
    // Bob loses the presence telling him he was kicked: he believes he is still in.
    deaf.add('bob');
    await kick(host('alice'), room, 'Bob');
    await waitFor(async () => (await roomState('alice'))?.occupants.includes('Bob') === false, {
      what: 'alice sees Bob gone',
    });
    expect((await roomState('bob'))?.state).toBe('joined');
    deaf.delete('bob');

    await runtime.muc.selfPing('bob');
    await waitFor(async () => (await roomState('bob'))?.state === 'joined', 'bob back in');
    await waitFor(async () => (await roomState('alice'))?.occupants.includes('Bob') === true, {
      what: 'alice sees Bob again',
    });
    await carol.say(room, 'c6-after-self-ping');
    await waitFor(
      async () => bodiesOf(await roomHistory('bob')).at(-1) === 'c6-after-self-ping',
      'bob hears the room again',
    );
    const bodies = bodiesOf(await roomHistory('bob'));
    expect(new Set(bodies).size).toBe(bodies.length);
  });

  it('joins the autojoin rooms of the account bookmarks (XEP-0402) on connect', async () => {
    const dave = await rawOccupant(prosody, 'dave', 'muc-secret-d');
    try {
      await dave.publishBookmark(room, { nick: 'Dave', autojoin: true });
      await dave.publishBookmark(`quiet@${prosody.mucDomain}`, { nick: 'Dave', autojoin: false });
    } finally {
      await dave.stop();
    }
    await runtime.addProfile(prosodyAccount(prosody, 'dave', 'muc-secret-d'));
    await waitFor(async () => (await roomState('dave'))?.state === 'joined', 'dave autojoined');
    const rooms = await runtime.muc.list('dave');
    expect(rooms.map((r) => [r.room, r.nick, r.source])).toEqual([[room, 'Dave', 'bookmark']]);
    await carol.say(room, 'c7-for-dave');
    await waitFor(
      async () => bodiesOf(await runtime.history('dave', { with: room })).includes('c7-for-dave'),
      'dave hears the room',
    );
  });

  it('a server restart: the profiles reconnect and are in the room again', async () => {
    await carol.stop();
    await prosody.kill();
    await prosody.restart();
    await Promise.all(['alice', 'bob'].map((u) => runtime.waitForState(u, 'online', 60_000)));
    for (const profile of ['alice', 'bob'])
      await waitFor(async () => (await roomState(profile))?.state === 'joined', {
        what: `${profile} back in the room`,
        timeoutMs: 30_000,
      });
    carol = await rawOccupant(prosody, 'carol', 'muc-secret-c');
    await carol.join(room, 'Carol');
    await carol.say(room, 'c8-after-server-restart');
    for (const profile of ['alice', 'bob'])
      await waitFor(
        async () => bodiesOf(await roomHistory(profile)).at(-1) === 'c8-after-server-restart',
        `${profile} hears the room after the server restart`,
      );
    const bodies = bodiesOf(await roomHistory('alice'));
    expect(new Set(bodies).size).toBe(bodies.length);
  });

  it('the control operations (the API and CLI path): list, groupchat send, history with the room', async () => {
    const rooms = await runOperation(runtime, 'muc.list', { profile: 'alice' });
    expect(rooms.map((r) => [r.room, r.state])).toEqual([[room, 'joined']]);
    const sent = await runOperation(runtime, 'message.send', {
      profile: 'alice',
      to: room,
      type: 'groupchat',
      message: { '': 'through-the-operation' },
    });
    expect(sent.outcome).toBe('sent');
    await waitFor(
      async () =>
        bodiesOf(await runOperation(runtime, 'history.query', { profile: 'bob', with: room }))
          .length > 0 &&
        bodiesOf(
          await runOperation(runtime, 'history.query', { profile: 'bob', with: room }),
        )[0] === 'through-the-operation',
      'the message in bob history through history.query',
    );
    await expect(
      runOperation(runtime, 'muc.join', { profile: 'alice', room, nick: '' }),
    ).rejects.toMatchObject({ code: 'api.invalid-request' });
    await expect(runOperation(runtime, 'muc.list', { profile: 'nobody' })).rejects.toMatchObject({
      code: 'profile.not-found',
    });
  });

  it('refuses a room JID that is not a bare room address, and leaving a room not joined', async () => {
    await expect(
      runtime.muc.join('alice', { room: 'no-local-part', nick: 'x' }),
    ).rejects.toMatchObject({ code: 'muc.invalid-request' });
    await expect(runtime.muc.leave('alice', `other@${prosody.mucDomain}`)).rejects.toMatchObject({
      code: 'muc.not-joined',
    });
  });
});
