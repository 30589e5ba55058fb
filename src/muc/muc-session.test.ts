import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { AviaryError } from '../errors.js';
import { SimulatedClock } from '../util/clock.js';
import type { MessageData } from '../workflow/message-data.js';
import { parseXml } from '../workflow/xml.js';
import { MucSession } from './muc-session.js';
import type { MucStore, RoomMemory, StoredRoom } from './muc-store.js';

const ROOM = 'lounge@conference.example.org';
const ME = 'alice@example.org/desk';

/** An in-process store: rooms in a map, a canned memory per room. */
function fakeStore(memory: RoomMemory = { stanzaIds: [] }, rooms: StoredRoom[] = []) {
  const saved = new Map(rooms.map((r) => [r.room, r]));
  const store: MucStore = {
    rooms: async () => [...saved.values()],
    saveRoom: async (_profile, room) => void saved.set(room.room, room),
    removeRoom: async (_profile, room) => void saved.delete(room),
    memory: async () => memory,
    selfPingIntervalMs: async () => 60_000,
  };
  return { store, saved };
}

/** A session whose sends are recorded and whose IQs answer with `answerIq`. */
function session(options: {
  store: MucStore;
  answerIq?: (iq: Element) => Promise<Element>;
  clock?: SimulatedClock;
}) {
  const sent: Element[] = [];
  const clock = options.clock ?? new SimulatedClock(1_000_000);
  const muc = new MucSession({
    profile: 'alice',
    jid: () => ME,
    online: () => true,
    send: async (element) => void sent.push(element),
    iq: async (element) => {
      sent.push(element);
      return (options.answerIq ?? (async (iq) => xml('iq', { type: 'result', id: iq.attrs.id })))(
        element,
      );
    },
    store: options.store,
    clock,
    log: { warn() {}, info() {} },
  });
  return { muc, sent, clock };
}

const selfPresence = (nick: string, extra: Element[] = [], type?: string) =>
  xml(
    'presence',
    { from: `${ROOM}/${nick}`, to: ME, ...(type ? { type } : {}) },
    xml(
      'x',
      { xmlns: 'http://jabber.org/protocol/muc#user' },
      xml('status', { code: '110' }),
      ...extra,
    ),
  );

const roomMessage = (nick: string, body: string, stanzaId?: string) =>
  parseXml(
    `<message xmlns="jabber:client" from="${ROOM}/${nick}" to="${ME}" type="groupchat"><body>${body}</body>${
      stanzaId ? `<stanza-id xmlns="urn:xmpp:sid:0" by="${ROOM}" id="${stanzaId}"/>` : ''
    }<stanza-id xmlns="urn:xmpp:sid:0" by="forger@example.org" id="forged"/></message>`,
  );

const parsed = (nick: string, body: string, extra: Partial<MessageData> = {}): MessageData => ({
  uid: `u-${body}`,
  from: `${ROOM}/${nick}`,
  to: ME,
  type: 'groupchat',
  message: { '': body },
  subject: {},
  timestamp: 1_000_000,
  extra: {},
  ...extra,
});

async function joined(muc: MucSession, nick = 'Alice') {
  const joining = muc.join({ room: ROOM, nick });
  await new Promise((r) => setImmediate(r));
  muc.presence(selfPresence(nick));
  return joining;
}

describe('MucSession', () => {
  it('joins with nick, password and history request, and keeps the room once the room accepts', async () => {
    const { store, saved } = fakeStore();
    const { muc, sent } = session({ store });
    await muc.start();
    const joining = muc.join({
      room: 'Lounge@Conference.example.org',
      nick: 'Alice',
      password: 'pw',
      history: { maxStanzas: 5 },
    });
    await new Promise((r) => setImmediate(r));
    const presence = sent[0];
    expect(presence?.attrs.to).toBe(`${ROOM}/Alice`);
    const x = presence?.getChild('x', 'http://jabber.org/protocol/muc');
    expect(x?.getChildText('password')).toBe('pw');
    expect(x?.getChild('history')?.attrs.maxstanzas).toBe('5');
    muc.presence(selfPresence('Alice'));
    expect(await joining).toMatchObject({ room: ROOM, nick: 'Alice', state: 'joined' });
    // The password is never kept.
    expect(saved.get(ROOM)).toEqual({ room: ROOM, nick: 'Alice', subject: {} });
  });

  it('a refused join rejects with the condition and forgets the room', async () => {
    const { store, saved } = fakeStore();
    const { muc } = session({ store });
    const joining = muc.join({ room: ROOM, nick: 'Alice' });
    await new Promise((r) => setImmediate(r));
    muc.presence(
      xml(
        'presence',
        { from: `${ROOM}/Alice`, type: 'error' },
        xml(
          'error',
          { type: 'auth' },
          xml('not-authorized', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }),
        ),
      ),
    );
    await expect(joining).rejects.toMatchObject({
      code: 'muc.join-failed',
      message: expect.stringContaining('not-authorized'),
    });
    expect(muc.list()).toEqual([]);
    expect(saved.size).toBe(0);
  });

  it('a join the room never answers fails after the timeout (clock driven)', async () => {
    const { store } = fakeStore();
    const { muc, clock } = session({ store });
    const joining = muc.join({ room: ROOM, nick: 'Alice' });
    const settled = joining.catch((error: unknown) => error);
    await clock.advance(30_000);
    expect(await settled).toMatchObject({ code: 'muc.join-failed' });
  });

  it('refuses bad room JIDs and empty nicks with a clear error', async () => {
    const { muc } = session({ store: fakeStore().store });
    for (const room of ['conference.example.org', `${ROOM}/nick`, 'a b@c'])
      await expect(muc.join({ room, nick: 'x' })).rejects.toMatchObject({
        code: 'muc.invalid-request',
      });
    await expect(muc.join({ room: ROOM, nick: '  ' })).rejects.toMatchObject({
      code: 'muc.invalid-request',
    });
    await expect(muc.leave(ROOM)).rejects.toMatchObject({ code: 'muc.not-joined' });
  });

  it("adopts the room's stanza-id, adds the nickname, and drops what the room repeats", async () => {
    const { muc } = session({ store: fakeStore({ stanzaIds: ['old-1'] }).store });
    await joined(muc);
    const first = muc.groupchat(parsed('Bob', 'hi'), roomMessage('Bob', 'hi', 'sid-1'));
    expect(first).toEqual({
      message: parsed('Bob', 'hi', {
        stanzaId: { id: 'sid-1', by: ROOM },
        extra: { nick: 'Bob' },
      }),
    });
    expect(muc.groupchat(parsed('Bob', 'hi'), roomMessage('Bob', 'hi', 'sid-1'))).toEqual({
      drop: 'already stored (room stanza-id sid-1)',
    });
    // Known from history before the join.
    expect(muc.groupchat(parsed('Bob', 'old'), roomMessage('Bob', 'old', 'old-1'))).toHaveProperty(
      'drop',
    );
    expect(muc.list()[0]?.repeats).toBe(2);
    // A message without the room's id (the forged one does not count) passes, without stanzaId.
    const plain = muc.groupchat(parsed('Bob', 'x'), roomMessage('Bob', 'x'));
    expect(plain).toEqual({ message: parsed('Bob', 'x', { extra: { nick: 'Bob' } }) });
  });

  it('stores a subject change once and keeps it with the room', async () => {
    const { store, saved } = fakeStore();
    const { muc } = session({ store });
    await joined(muc);
    const subject = parsed('Bob', '', { message: {}, subject: { en: 'Tea' } });
    const stanza = roomMessage('Bob', '');
    expect(muc.groupchat(subject, stanza)).toHaveProperty('message');
    expect(muc.groupchat(subject, stanza)).toEqual({ drop: 'subject unchanged' });
    await new Promise((r) => setImmediate(r));
    expect(saved.get(ROOM)?.subject).toEqual({ en: 'Tea' });
    expect(muc.list()[0]?.subject).toEqual({ en: 'Tea' });
  });

  it('leaves messages of rooms it is not in alone', async () => {
    const { muc } = session({ store: fakeStore().store });
    const message = parsed('Bob', 'hi', { from: 'other@conference.example.org/Bob' });
    expect(muc.groupchat(message, roomMessage('Bob', 'hi', 'sid'))).toEqual({ message });
  });

  it('tracks occupants and notices a kick', async () => {
    const { muc } = session({ store: fakeStore().store });
    await joined(muc);
    muc.presence(xml('presence', { from: `${ROOM}/Bob` }));
    muc.presence(xml('presence', { from: `${ROOM}/Carol` }));
    muc.presence(xml('presence', { from: `${ROOM}/Bob`, type: 'unavailable' }));
    expect(muc.list()[0]?.occupants).toEqual(['Carol']);
    muc.presence(selfPresence('Alice', [xml('status', { code: '307' })], 'unavailable'));
    expect(muc.list()[0]).toMatchObject({ state: 'out', occupants: [] });
  });

  it('self-ping on the clock: a room that no longer knows us is joined again, since the newest message', async () => {
    const { store } = fakeStore({ stanzaIds: [], newest: 1_700_000_000_000 });
    let answer: 'result' | 'not-acceptable' = 'result';
    const { muc, sent, clock } = session({
      store,
      answerIq: async (iq) => {
        if (answer === 'result') return xml('iq', { type: 'result', id: iq.attrs.id });
        throw new AviaryError('xmpp.stanza-error', 'not acceptable', {
          details: { condition: 'not-acceptable' },
        });
      },
    });
    await muc.start();
    await joined(muc);
    sent.length = 0;
    await clock.advance(60_000);
    expect(sent.map((s) => s.name)).toEqual(['iq']);
    expect(sent[0]?.attrs.to).toBe(`${ROOM}/Alice`);
    expect(sent[0]?.getChild('ping', 'urn:xmpp:ping')).toBeDefined();
    expect(muc.list()[0]?.state).toBe('joined');

    answer = 'not-acceptable';
    sent.length = 0;
    await clock.advance(60_000);
    expect(sent.map((s) => s.name)).toEqual(['iq', 'presence']);
    const history = sent[1]?.getChild('x', 'http://jabber.org/protocol/muc')?.getChild('history');
    // From a minute before the newest stored message: clocks may disagree.
    expect(history?.attrs.since).toBe(new Date(1_700_000_000_000 - 60_000).toISOString());
    expect(muc.list()[0]?.state).toBe('joining');

    // The room never answers that join: the next round counts it out and asks again.
    answer = 'result';
    sent.length = 0;
    await clock.advance(60_000);
    expect(sent.map((s) => s.name)).toEqual(['presence']);
    muc.stop();
  });

  it('on a new connection rejoins kept rooms and joins autojoin bookmarks only', async () => {
    const { store } = fakeStore({ stanzaIds: [] }, [{ room: ROOM, nick: 'Al' }]);
    const bookmarks = parseXml(
      `<iq xmlns="jabber:client" type="result"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:bookmarks:1">
        <item id="auto@conference.example.org"><conference xmlns="urn:xmpp:bookmarks:1" autojoin="true"><nick>Ally</nick></conference></item>
        <item id="manual@conference.example.org"><conference xmlns="urn:xmpp:bookmarks:1" autojoin="false"/></item>
        <item id="not-a-room"><conference xmlns="urn:xmpp:bookmarks:1" autojoin="true"/></item>
      </items></pubsub></iq>`,
    );
    const { muc, sent } = session({ store, answerIq: async () => bookmarks });
    await muc.start();
    await muc.connected({
      send: async (e) => void sent.push(e),
      iq: async () => bookmarks,
    });
    expect(sent.map((s) => s.attrs.to)).toEqual([`${ROOM}/Al`, 'auto@conference.example.org/Ally']);
    expect(muc.list().map((r) => [r.room, r.source, r.state])).toEqual([
      [ROOM, 'api', 'joining'],
      ['auto@conference.example.org', 'bookmark', 'joining'],
    ]);
    muc.stop();
  });
});
