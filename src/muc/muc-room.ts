/**
 * What a profile knows of one room it wants to be in: nick, join state, occupants, subject, and
 * the stanza-ids (XEP-0359) of the room's messages already handed to history.
 */
import { AviaryError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import type { LangMap } from '../workflow/message-data.js';
import type { RoomMemory, StoredRoom } from './muc-store.js';

/** Stanza-ids remembered per room; older ones are forgotten first (storage still dedupes). */
const MAX_REMEMBERED = 5000;

export type RoomState = 'joining' | 'joined' | 'out';

/** A room as `muc list` shows it. */
export interface RoomInfo {
  readonly room: string;
  readonly nick: string;
  readonly state: RoomState;
  /** Where the room comes from: an explicit join, or an autojoin bookmark (XEP-0402). */
  readonly source: 'api' | 'bookmark';
  readonly subject: LangMap;
  /** Other occupants' nicknames, as their presence announced them. */
  readonly occupants: readonly string[];
  /** Room messages received again (repeated history) and dropped: history already held them. */
  readonly repeats: number;
  /** Why the room is `out`. */
  readonly reason?: string;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class MucRoom {
  readonly room: string;
  nick: string;
  password: string | undefined;
  source: 'api' | 'bookmark';
  state: RoomState = 'out';
  reason: string | undefined = 'not joined yet';
  /** Send time of the newest room message seen (ms), for the next history request. */
  newest: number | undefined;
  seeded = false;
  /** When the latest join was sent (ms), to give up on an unanswered one. */
  joiningSince = 0;
  repeats = 0;
  #subject: LangMap;
  readonly #occupants = new Set<string>();
  readonly #seen = new Set<string>();
  #waiters: Waiter[] = [];

  constructor(init: {
    readonly room: string;
    readonly nick: string;
    readonly password?: string | undefined;
    readonly subject?: LangMap | undefined;
    readonly source: 'api' | 'bookmark';
  }) {
    this.room = init.room;
    this.nick = init.nick;
    this.password = init.password;
    this.source = init.source;
    this.#subject = init.subject ?? {};
  }

  info(): RoomInfo {
    return {
      room: this.room,
      nick: this.nick,
      state: this.state,
      source: this.source,
      subject: { ...this.#subject },
      occupants: [...this.#occupants].sort(),
      repeats: this.repeats,
      ...(this.state === 'out' && this.reason !== undefined ? { reason: this.reason } : {}),
    };
  }

  stored(): StoredRoom {
    return { room: this.room, nick: this.nick, subject: this.#subject };
  }

  /** Adopts what history holds of the room (once per run). */
  seed(memory: RoomMemory): void {
    for (const id of memory.stanzaIds) this.remember(id);
    if (memory.newest !== undefined) this.saw(memory.newest);
    // A subject kept with the room wins; otherwise the newest one history holds.
    if (Object.keys(this.#subject).length === 0 && memory.subject !== undefined)
      this.#subject = { ...memory.subject };
    this.seeded = true;
  }

  /** Records a stanza-id; false when it was already handed to history. */
  remember(id: string): boolean {
    if (this.#seen.has(id)) return false;
    this.#seen.add(id);
    if (this.#seen.size > MAX_REMEMBERED) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    return true;
  }

  saw(timestamp: number): void {
    if (this.newest === undefined || timestamp > this.newest) this.newest = timestamp;
  }

  /** A subject; false when it is the one already known. */
  newSubject(subject: LangMap): boolean {
    if (sameTexts(subject, this.#subject)) return false;
    this.#subject = { ...subject };
    return true;
  }

  /** Resolves when the room accepts us, rejects when it refuses or after `timeoutMs`. */
  awaitJoin(clock: Clock, timeoutMs = 30_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const cancel = clock.setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new AviaryError('muc.join-failed', `${this.room} did not answer the join in time`));
      }, timeoutMs);
      const waiter: Waiter = {
        resolve: () => {
          cancel();
          resolve();
        },
        reject: (error) => {
          cancel();
          reject(error);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  joining(now: number): void {
    this.state = 'joining';
    this.joiningSince = now;
    this.reason = undefined;
    this.#occupants.clear();
  }

  joinedAs(nick: string): void {
    this.state = 'joined';
    this.nick = nick;
    this.reason = undefined;
    this.settle();
  }

  occupant(nick: string, available: boolean): void {
    if (available) this.#occupants.add(nick);
    else this.#occupants.delete(nick);
  }

  refused(condition: string): void {
    this.out(`join refused: ${condition}`);
    this.settle(new AviaryError('muc.join-failed', `${this.room} refused the join: ${condition}`));
  }

  /** We are not in the room (kicked, destroyed, connection lost); self-ping will rejoin. */
  out(reason: string): void {
    this.state = 'out';
    this.reason = reason;
    this.#occupants.clear();
  }

  /** The connection went away: every room must be joined again on the next one. */
  lost(): void {
    this.out('connection lost');
  }

  /** Resolves (no error) or rejects every pending join. */
  settle(error?: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
  }
}

function sameTexts(a: LangMap, b: LangMap): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
