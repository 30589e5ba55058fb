/**
 * What the MUC plugin keeps between runs, over the storage actor's existing requests (no table
 * of its own):
 * - rooms joined through the API, as per-profile private values (namespace `muc.rooms`, key the
 *   room's bare JID, value `{ nick, subject }`). Room passwords are never stored: a room joined
 *   with a password is rejoined while the runtime runs, and after a restart only when a
 *   bookmark carries its password;
 * - the room's recent stanza-ids and newest timestamp, read back from history (the stored
 *   groupchat rows keep the room's XEP-0359 stanza-id), so a rejoin after a restart asks the
 *   room only for newer history and drops what it repeats anyway;
 * - the self-ping interval, a profile parameter (`muc` / `self_ping_interval`, in seconds).
 */
import type { Json, StorageRequest, StorageResponse } from '../storage/messages.js';

export const MUC_ROOMS_NAMESPACE = 'muc.rooms';
export const MUC_PARAM_CATEGORY = 'muc';
export const SELF_PING_PARAM = 'self_ping_interval';

/** A room the profile keeps joined. */
export interface StoredRoom {
  readonly room: string;
  readonly nick: string;
  /** The last subject seen, by language (XEP-0045 §8.1). */
  readonly subject?: Readonly<Record<string, string>> | undefined;
}

/** What the plugin remembers of a room's messages, from history. */
export interface RoomMemory {
  readonly stanzaIds: readonly string[];
  /** Send time of the newest stored message from the room (ms since the epoch). */
  readonly newest?: number | undefined;
  /** The newest stored subject among those messages. */
  readonly subject?: Readonly<Record<string, string>> | undefined;
}

export interface MucStore {
  rooms(profile: string): Promise<StoredRoom[]>;
  saveRoom(profile: string, room: StoredRoom): Promise<void>;
  removeRoom(profile: string, room: string): Promise<void>;
  /** The room's newest `limit` stored messages, as stanza-ids and newest timestamp. */
  memory(profile: string, room: string, limit: number): Promise<RoomMemory>;
  /** The profile's self-ping interval in ms, when set. */
  selfPingIntervalMs(profile: string): Promise<number | undefined>;
}

/** The storage surface the store needs; the runtime's storage client fits. */
export interface MucStorage {
  request<R extends StorageRequest>(request: R): Promise<StorageResponse<R>>;
}

/**
 * @example
 * const store = storageMucStore(() => aviary.storage);
 * await store.saveRoom('alice', { room: 'lounge@conference.example.org', nick: 'alice' });
 */
export function storageMucStore(storage: () => MucStorage): MucStore {
  return {
    async rooms(profile) {
      const values = await storage().request({
        type: 'private.get',
        profile,
        namespace: MUC_ROOMS_NAMESPACE,
      });
      const rooms: StoredRoom[] = [];
      for (const [room, value] of Object.entries(values)) {
        const stored = value as { nick?: unknown; subject?: unknown } | null;
        if (typeof stored?.nick !== 'string') continue;
        const subject =
          stored.subject !== null && typeof stored.subject === 'object'
            ? (stored.subject as Record<string, string>)
            : undefined;
        rooms.push({ room, nick: stored.nick, subject });
      }
      return rooms;
    },
    async saveRoom(profile, room) {
      const value: Record<string, Json> = { nick: room.nick };
      if (room.subject !== undefined) value.subject = { ...room.subject };
      await storage().request({
        type: 'private.set',
        profile,
        namespace: MUC_ROOMS_NAMESPACE,
        key: room.room,
        value,
      });
    },
    async removeRoom(profile, room) {
      await storage().request({
        type: 'private.delete',
        profile,
        namespace: MUC_ROOMS_NAMESPACE,
        key: room,
      });
    },
    async memory(profile, room, limit) {
      const rows = await storage().request({
        type: 'history.query',
        profile,
        with: room,
        types: ['groupchat'],
        limit,
        order: 'desc',
      });
      const stanzaIds = rows.flatMap((row) => (row.stanzaId === null ? [] : [row.stanzaId]));
      const newest = rows[0] === undefined ? undefined : Math.round(rows[0].timestamp * 1000);
      const subject = rows.find((row) => Object.keys(row.subjects).length > 0)?.subjects;
      return { stanzaIds, newest, subject };
    },
    async selfPingIntervalMs(profile) {
      const value = await storage().request({
        type: 'param.get',
        profile,
        category: MUC_PARAM_CATEGORY,
        name: SELF_PING_PARAM,
      });
      const seconds = value === null ? Number.NaN : Number(value);
      return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
    },
  };
}
