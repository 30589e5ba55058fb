/**
 * One profile's rooms (XEP-0045): joins and leaves, occupant presence, what the receive
 * workflow needs to know of a room's messages, and the self-ping round (XEP-0410).
 *
 * Invariants:
 * - a room in `#rooms` is one the profile wants to be in; its `state` says whether the room
 *   acknowledged us (`joined`), we asked (`joining`) or we are out (kicked, room gone, join
 *   refused, connection lost) and the next self-ping round asks again;
 * - each room message is handed to history once per profile: the room's stanza-id
 *   (XEP-0359, `by` = the room) is remembered, so history the room repeats on a rejoin is
 *   dropped before history (and storage's unique index on the stanza-id backs this up);
 * - presence and message handling run in the entity's turn (stanza middleware and workflow
 *   hooks); only joins wait, and they wait outside the turn.
 */
import type { Element } from '@xmpp/xml';
import { AviaryError, isAviaryError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { bareJid, parseJid } from '../workflow/jid.js';
import type { MessageData } from '../workflow/message-data.js';
import type { XmlElement } from '../workflow/xml.js';
import { MucRoom, type RoomInfo } from './muc-room.js';
import {
  bookmarksRequest,
  type HistoryRequest,
  instantRoomConfig,
  joinPresence,
  leavePresence,
  readBookmarks,
  readOccupantPresence,
  roomStanzaId,
  selfPing,
  stillJoined,
} from './muc-stanzas.js';
import type { MucStore } from './muc-store.js';

/** Stored messages read back per room to recognise what a rejoin repeats. */
const REMEMBERED_PER_ROOM = 200;
export const DEFAULT_SELF_PING_MS = 5 * 60_000;
export const DEFAULT_JOIN_TIMEOUT_MS = 30_000;
/**
 * How far before the newest stored message a rejoin asks history from: our clock and the
 * room's may disagree, and what the margin repeats is dropped by stanza-id.
 */
export const SINCE_MARGIN_MS = 60_000;

/** What a session needs from its profile and the runtime. */
export interface MucSessionDeps {
  readonly profile: string;
  /** Own JID (full once bound). */
  readonly jid: () => string;
  readonly online: () => boolean;
  readonly send: (element: Element) => Promise<void>;
  readonly iq: (element: Element, timeoutMs?: number) => Promise<Element>;
  readonly store: MucStore;
  readonly clock: Clock;
  readonly log: {
    warn(fields: object, message: string): void;
    info(fields: object, message: string): void;
  };
  readonly joinTimeoutMs?: number;
}

/** A join request (XEP-0045 §7.2). */
export interface JoinRequest {
  readonly room: string;
  readonly nick: string;
  readonly password?: string | undefined;
  /**
   * History to ask for on this join; without it, a room with stored messages is asked for what
   * came after the newest one, and a new room for the service's default.
   */
  readonly history?: HistoryRequest | undefined;
}

/** The send/iq pair of a connection: the plugin host's, or an on-online session's. */
type Link = Pick<MucSessionDeps, 'send' | 'iq'>;

export class MucSession {
  readonly #deps: MucSessionDeps;
  readonly #rooms = new Map<string, MucRoom>();
  #selfPingMs = DEFAULT_SELF_PING_MS;
  #cancelTimer: (() => void) | undefined;
  #closed = false;
  /** The connection of the latest `connected` (usable before the entity reports online). */
  #link: Link | undefined;

  constructor(deps: MucSessionDeps) {
    this.#deps = deps;
  }

  /** Loads the rooms kept from earlier runs and starts the self-ping round. */
  async start(): Promise<void> {
    const { store, profile } = this.#deps;
    const [rooms, interval] = await Promise.all([
      store.rooms(profile),
      store.selfPingIntervalMs(profile),
    ]);
    for (const stored of rooms)
      this.#rooms.set(stored.room, new MucRoom({ ...stored, source: 'api' }));
    this.#selfPingMs = interval ?? DEFAULT_SELF_PING_MS;
    this.#schedule();
  }

  stop(): void {
    this.#closed = true;
    this.#cancelTimer?.();
    for (const room of this.#rooms.values())
      room.settle(new AviaryError('muc.join-failed', `${this.#deps.profile} stopped`));
  }

  /** Joins (or re-joins with another nick) and resolves once the room accepted us. */
  async join(request: JoinRequest): Promise<RoomInfo> {
    const room = checkRoomJid(request.room);
    const nick = request.nick.trim();
    if (nick === '') throw new AviaryError('muc.invalid-request', 'the nickname is empty');
    if (!this.#deps.online())
      throw new AviaryError('entity.offline', `${this.#deps.profile} is not online`);
    let state = this.#rooms.get(room);
    if (state?.state === 'joined' && state.nick === nick) return state.info();
    if (state === undefined) {
      state = new MucRoom({ room, nick, password: request.password, source: 'api' });
      this.#rooms.set(room, state);
    } else {
      state.nick = nick;
      state.password = request.password ?? state.password;
      state.source = 'api';
    }
    const joined = state.awaitJoin(this.#deps.clock, this.#deps.joinTimeoutMs);
    await this.#sendJoin(state, this.#deps, request.history);
    try {
      await joined;
    } catch (error) {
      // An explicit join the room refused is forgotten (never retried by self-ping).
      if (this.#rooms.get(room) === state) this.#rooms.delete(room);
      throw error;
    }
    await this.#deps.store.saveRoom(this.#deps.profile, state.stored());
    return state.info();
  }

  /** Leaves a room and forgets it. */
  async leave(roomJid: string): Promise<void> {
    const room = checkRoomJid(roomJid);
    const state = this.#rooms.get(room);
    if (state === undefined)
      throw new AviaryError('muc.not-joined', `${this.#deps.profile} is not in ${room}`);
    this.#rooms.delete(room);
    state.settle(new AviaryError('muc.join-failed', `left ${room} before the room answered`));
    await this.#deps.store.removeRoom(this.#deps.profile, room);
    if (this.#deps.online()) await this.#deps.send(leavePresence(room, state.nick));
  }

  list(): RoomInfo[] {
    return [...this.#rooms.values()].map((room) => room.info());
  }

  isRoom(bare: string): boolean {
    return this.#rooms.has(bare);
  }

  /**
   * A new connection: every kept room is joined again, then the bookmarks (XEP-0402) add the
   * autojoin rooms not joined yet. Runs in the background; failures are logged.
   */
  async connected(link: Link): Promise<void> {
    this.#link = link;
    for (const room of this.#rooms.values()) room.lost();
    await Promise.all([...this.#rooms.values()].map((room) => this.#sendJoin(room, link)));
    let reply: Element;
    try {
      reply = await link.iq(bookmarksRequest(), DEFAULT_JOIN_TIMEOUT_MS);
    } catch (error) {
      // No bookmarks node yet answers item-not-found: nothing to join.
      if (!isAviaryError(error, 'xmpp.stanza-error'))
        this.#deps.log.warn({ err: error }, 'bookmarks not read');
      return;
    }
    const ownNick = bareJid(this.#deps.jid()).split('@')[0] ?? this.#deps.profile;
    for (const bookmark of readBookmarks(reply)) {
      if (!bookmark.autojoin || this.#rooms.has(bookmark.room)) continue;
      const state = new MucRoom({
        room: bookmark.room,
        nick: bookmark.nick ?? ownNick,
        password: bookmark.password,
        source: 'bookmark',
      });
      this.#rooms.set(bookmark.room, state);
      await this.#sendJoin(state, link);
    }
  }

  /** Presence from one of our rooms (stanza middleware); other presences are not ours. */
  presence(stanza: Element): void {
    const from = stanza.attrs.from;
    if (typeof from !== 'string') return;
    const state = this.#rooms.get(bareJid(from));
    if (state === undefined) return;
    const occupant = readOccupantPresence(stanza, state.nick);
    if (occupant.error !== undefined) {
      state.refused(occupant.error);
      this.#deps.log.warn({ room: state.room, condition: occupant.error }, 'room refused us');
      return;
    }
    if (!occupant.self) {
      state.occupant(occupant.nick, occupant.available);
      return;
    }
    if (occupant.available) {
      state.joinedAs(occupant.nick);
      // 201: we created the room and it waits for a configuration (XEP-0045 §10.1.2).
      if (occupant.codes.has('201'))
        (this.#link ?? this.#deps)
          .iq(instantRoomConfig(state.room))
          .catch((error: unknown) =>
            this.#deps.log.warn({ err: error, room: state.room }, 'room not configured'),
          );
      return;
    }
    // 303: our nick changed; the available presence with the new nick follows.
    if (occupant.codes.has('303')) return;
    state.out(occupant.destroyed ? 'room destroyed' : `removed (status ${[...occupant.codes]})`);
    this.#deps.log.info({ room: state.room, reason: state.reason }, 'out of the room');
  }

  /**
   * A parsed groupchat message (the `message_parse` hook): the room's stanza-id is adopted,
   * the occupant's nickname added, repeats and unchanged subjects dropped.
   */
  groupchat(
    message: MessageData,
    stanza: XmlElement | undefined,
  ): { drop: string } | { message: MessageData } {
    const state = this.#rooms.get(bareJid(message.from));
    if (state === undefined || stanza === undefined) return { message };
    let next = message;
    const id = roomStanzaId(stanza, state.room);
    if (id !== undefined) {
      if (!state.remember(id)) {
        state.repeats++;
        return { drop: `already stored (room stanza-id ${id})` };
      }
      next = { ...next, stanzaId: { id, by: state.room } };
    }
    const nick = message.from.slice(message.from.indexOf('/') + 1);
    if (message.from.includes('/') && nick !== '')
      next = { ...next, extra: { ...next.extra, nick } };
    state.saw(message.timestamp);
    if (isSubjectChange(message)) {
      if (!state.newSubject(message.subject)) return { drop: 'subject unchanged' };
      this.#deps.store
        .saveRoom(this.#deps.profile, state.stored())
        .catch((error: unknown) =>
          this.#deps.log.warn({ err: error, room: state.room }, 'subject not kept'),
        );
    }
    return { message: next };
  }

  async #sendJoin(state: MucRoom, link: Link, firstHistory?: HistoryRequest): Promise<void> {
    state.joining(this.#deps.clock.now());
    if (!state.seeded) {
      const memory = await this.#deps.store.memory(
        this.#deps.profile,
        state.room,
        REMEMBERED_PER_ROOM,
      );
      state.seed(memory);
    }
    // An explicit request wins; otherwise only what came after the newest message we hold.
    const history: HistoryRequest | undefined =
      firstHistory ??
      (state.newest !== undefined ? { since: state.newest - SINCE_MARGIN_MS } : undefined);
    await link
      .send(joinPresence({ room: state.room, nick: state.nick, password: state.password, history }))
      .catch((error: unknown) => state.settle(error));
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#cancelTimer = this.#deps.clock.setTimeout(() => {
      void this.selfPingRound().finally(() => this.#schedule());
    }, this.#selfPingMs);
  }

  /**
   * One self-ping round (XEP-0410): each joined room is pinged as our own occupant; a room that
   * no longer knows us, and each room we are out of, is joined again.
   */
  async selfPingRound(): Promise<void> {
    if (!this.#deps.online()) return;
    await Promise.all(
      [...this.#rooms.values()].map(async (state) => {
        if (state.state === 'joined') {
          const outcome = await this.#deps
            .iq(selfPing(state.room, state.nick), Math.min(this.#selfPingMs, 30_000))
            .then(
              (): { condition?: string } => ({}),
              (error: unknown) => ({ condition: conditionOf(error) }),
            );
          if (stillJoined(outcome)) return;
          state.out(`self-ping: ${outcome.condition}`);
          this.#deps.log.info({ room: state.room, reason: state.reason }, 'self-ping: rejoining');
        }
        // A join the room never answered (its presence lost) counts as out after one interval.
        if (
          state.state === 'joining' &&
          this.#deps.clock.now() - state.joiningSince >= this.#selfPingMs
        )
          state.out('join not answered');
        if (state.state === 'out' && this.#rooms.get(state.room) === state)
          await this.#sendJoin(state, this.#deps);
      }),
    );
  }
}

function conditionOf(error: unknown): string {
  if (isAviaryError(error, 'xmpp.stanza-error'))
    return String(error.details?.condition ?? 'undefined-condition');
  return isAviaryError(error) ? error.code : 'no answer';
}

/** A subject change (XEP-0045 §8.1): a groupchat message with a subject and no body. */
function isSubjectChange(message: MessageData): boolean {
  return Object.keys(message.subject).length > 0 && Object.keys(message.message).length === 0;
}

/** A room is a bare JID with a local part (`room@service`). */
function checkRoomJid(input: string): string {
  let jid: ReturnType<typeof parseJid>;
  try {
    jid = parseJid(String(input));
  } catch (cause) {
    throw new AviaryError('muc.invalid-request', `not a room JID: ${JSON.stringify(input)}`, {
      cause,
    });
  }
  if (jid.local === '' || jid.resource !== '')
    throw new AviaryError(
      'muc.invalid-request',
      `a room is a bare JID like room@conference.example.org, got ${JSON.stringify(input)}`,
    );
  return `${jid.local}@${jid.domain}`;
}
