/**
 * The backend-neutral storage API: readonly plain-data requests tagged by `type` and their
 * result types. No SQL text and no sql.js object crosses it, so a PostgreSQL backend can
 * serve the same messages. Timestamps are seconds since the epoch (floats), as in Libervia.
 */
import type { StorageFence } from '../cluster/fence.js';
import { deserializeError, type SerializedError } from '../errors.js';
import type { MessageType } from '../workflow/message-data.js';

/** A JSON value (private values, `extra`, parsed pubsub data). */
export type Json =
  | null
  | boolean
  | number
  | string
  | readonly Json[]
  | { readonly [k: string]: Json };

export type TlsPolicy = 'required' | 'optional' | 'disabled';
/** The message model's type union (one definition, with the message model). */
export type { MessageType };
export type SyncState = 'IN_PROGRESS' | 'COMPLETED' | 'ERROR' | 'NO_SYNC';

export interface ProfileInfo {
  readonly name: string;
  readonly jid: string;
  readonly passwordCiphertext: string | null;
  readonly serverHost: string | null;
  readonly serverPort: number | null;
  readonly tlsPolicy: TlsPolicy;
  readonly autoconnect: boolean;
  readonly created: number;
}
export interface ComponentInfo {
  readonly profile: string;
  readonly entryPoint: string;
  readonly secretCiphertext: string | null;
  readonly sendHistory: boolean;
  readonly receiveHistory: boolean;
}
/** One history row with its bodies, subjects and thread. */
export interface HistoryMessage {
  readonly uid: string;
  readonly stanzaId: string | null;
  readonly originId: string | null;
  /** Full JID (bare + resource when known). */
  readonly from: string;
  readonly to: string;
  readonly type: MessageType;
  readonly timestamp: number;
  readonly receivedTimestamp: number | null;
  /** Body per `xml:lang` ('' = no language). */
  readonly messages: Readonly<Record<string, string>>;
  readonly subjects: Readonly<Record<string, string>>;
  readonly thread: { readonly id: string; readonly parentId: string | null } | null;
  readonly extra: Json;
  /** When the recipient confirmed delivery (XEP-0184), seconds; null until then. */
  readonly delivered: number | null;
}
export interface PubsubNodeInfo {
  readonly profile: string;
  readonly service: string;
  readonly name: string;
  readonly subscribed: boolean;
  readonly analyser: string | null;
  readonly type: string | null;
  readonly subtype: string | null;
  readonly syncState: SyncState | null;
  readonly syncStateUpdated: number | null;
  readonly extra: Json;
}
export interface PubsubItem {
  readonly name: string;
  /** Raw XML of the item. */
  readonly data: string;
  readonly parsed: Json;
  readonly created: number;
  readonly updated: number;
}
/** RSM (XEP-0059) page metadata. */
export interface RsmResult {
  readonly first?: string;
  readonly last?: string;
  readonly index?: number;
  readonly count: number;
}
export interface ItemsPage {
  readonly items: readonly PubsubItem[];
  readonly rsm: RsmResult;
  /** True when the page reaches the end of the node in the requested order. */
  readonly complete: boolean;
}
/** One search result; `data` (the raw XML) only when the search asked `withPayload`. */
export interface ItemSearchHit extends Omit<PubsubItem, 'data'> {
  readonly data?: string;
  readonly profile: string;
  readonly service: string;
  readonly node: string;
  /** bm25 score (lower is better) when a full-text query was given. */
  readonly rank: number | null;
}

/** Filters shared by purge and search; `null` in types/subtypes matches a NULL column. */
export interface NodeFilters {
  readonly profiles?: readonly string[];
  readonly services?: readonly string[];
  readonly nodes?: readonly string[];
  readonly types?: readonly (string | null)[];
  readonly subtypes?: readonly (string | null)[];
}

/** A path into parsed item JSON: keys matching `/^[A-Za-z_][A-Za-z0-9_]*$/` and indexes. */
export type ParsedPath = readonly (string | number)[];

/**
 * Parsed-data filter operators. Comparisons follow SQLite's (numbers before text); `lt`/`<`
 * is strictly less (Libervia's `<` is "less or equal"), `le`/`ge` exist. `between` takes
 * `[low, high]` inclusive; `in`/`not_in` a list; `overlap`/`disjoint` a list (or one value)
 * matched against each element of a stored list (`i*`: ASCII case-insensitive); `like` is
 * case-sensitive with `%` and `_`, `ilike` ASCII case-insensitive. Every negative operator
 * (`!=`, `not_in`, `disjoint`, `idisjoint`, `not_like`, `not_ilike`) is the exact complement
 * of its positive one, so items without the path match it.
 */
export type ParsedOperator =
  | '=='
  | 'eq'
  | '!='
  | 'ne'
  | '>'
  | 'gt'
  | '>='
  | 'ge'
  | '<'
  | 'lt'
  | '<='
  | 'le'
  | 'between'
  | 'in'
  | 'not_in'
  | 'overlap'
  | 'ioverlap'
  | 'disjoint'
  | 'idisjoint'
  | 'like'
  | 'ilike'
  | 'not_like'
  | 'not_ilike';

/** `{ path: ['tags'], op: 'overlap', value: ['xmpp'] }`: values are always bound. */
export interface ParsedFilter {
  readonly path: ParsedPath;
  readonly op: ParsedOperator;
  readonly value: Json;
}

/** One search order key: a fixed key or a parsed-data path; `order` defaults by key. */
export type SearchOrder =
  | { readonly by: 'creation' | 'modification' | 'item' | 'rank'; readonly order?: 'asc' | 'desc' }
  | { readonly path: ParsedPath; readonly order?: 'asc' | 'desc' };

/**
 * `fence`: in cluster mode, the shard lease the write is made under; the PostgreSQL engine
 * refuses the write (`cluster.fenced`) inside its transaction when that lease no longer holds.
 */
type Req<T extends string, B> = { readonly type: T; readonly fence?: StorageFence } & Readonly<B>;
type Scope = { readonly profile?: string };

export type StorageRequest =
  | Req<
      'profile.create',
      {
        name: string;
        jid: string;
        passwordCiphertext?: string;
        serverHost?: string;
        serverPort?: number;
        tlsPolicy?: TlsPolicy;
        autoconnect?: boolean;
      }
    >
  | Req<'profile.delete', { name: string }>
  | Req<
      'profile.update',
      {
        name: string;
        passwordCiphertext?: string;
        /** `null` clears it (connect to the JID's domain again). */
        serverHost?: string | null;
        /** `null` clears it (the default port again). */
        serverPort?: number | null;
        tlsPolicy?: TlsPolicy;
      }
    >
  | Req<'profile.get', { name: string }>
  | Req<'profile.list', { autoconnectOnly?: boolean }>
  | Req<
      'component.create',
      {
        profile: string;
        entryPoint: string;
        secretCiphertext?: string;
        sendHistory?: boolean;
        receiveHistory?: boolean;
      }
    >
  | Req<'component.delete', { profile: string }>
  | Req<'component.get', { profile: string }>
  | Req<'component.list', Record<never, never>>
  | Req<'param.get', Scope & { category: string; name: string }>
  | Req<'param.set', Scope & { category: string; name: string; value: string | null }>
  | Req<'param.delete', Scope & { category: string; name: string }>
  | Req<'private.get', Scope & { namespace: string; keys?: readonly string[] }>
  | Req<'private.set', Scope & { namespace: string; key: string; value: Json }>
  | Req<'private.delete', Scope & { namespace: string; key?: string }>
  | Req<
      'history.add',
      {
        profile: string;
        uid: string;
        stanzaId?: string;
        originId?: string;
        from: string;
        to: string;
        messageType: MessageType;
        timestamp: number;
        receivedTimestamp?: number;
        messages?: Readonly<Record<string, string>>;
        subjects?: Readonly<Record<string, string>>;
        thread?: { id: string; parentId?: string };
        extra?: Json;
      }
    >
  | Req<
      'history.query',
      {
        profile: string;
        with?: string;
        between?: readonly [string, string];
        before?: number;
        after?: number;
        types?: readonly MessageType[];
        search?: string;
        limit?: number;
        order?: 'asc' | 'desc';
      }
    >
  | Req<
      'history.delivered',
      {
        profile: string;
        /** The id the receipt names (the sent stanza's `id`: Aviary's uid and origin-id). */
        id: string;
        /** Bare JID of who confirmed: only the message's recipient may (XEP-0184 §8). */
        recipient: string;
        /** Seconds since the epoch. */
        timestamp: number;
      }
    >
  | Req<'pubsub.node.get', { profile: string; service: string; node: string }>
  | Req<
      'pubsub.node.set',
      {
        profile: string;
        service: string;
        node: string;
        subscribed?: boolean;
        analyser?: string | null;
        nodeType?: string | null;
        subtype?: string | null;
        syncState?: SyncState | null;
        extra?: Json;
      }
    >
  | Req<
      'pubsub.node.sync-state',
      { profile: string; service: string; nodes: readonly string[]; state: SyncState | null }
    >
  | Req<
      'pubsub.nodes.delete',
      { profiles?: readonly string[]; services?: readonly string[]; nodes?: readonly string[] }
    >
  | Req<
      'pubsub.items.upsert',
      {
        profile: string;
        service: string;
        node: string;
        items: readonly {
          name: string;
          data: string;
          parsed?: Json;
          /**
           * `parsed` already as JSON text (the parser pool's `json` output), stored as is after
           * a validity check; it wins over `parsed` and spares a structured clone of the value.
           */
          parsedJson?: string;
          created?: number;
          updated?: number;
        }[];
      }
    >
  | Req<
      'pubsub.items.delete',
      { profile: string; service: string; node: string; names: readonly string[] }
    >
  | Req<
      'pubsub.items.get',
      {
        profile: string;
        service: string;
        node: string;
        names?: readonly string[];
        maxItems?: number;
        rsm?: { max?: number; before?: string; after?: string; index?: number };
        orderBy?: 'creation' | 'modification';
      }
    >
  | Req<'pubsub.purge', NodeFilters & { createdBefore?: number; updatedBefore?: number }>
  | Req<'pubsub.reset', { profiles?: readonly string[] }>
  | Req<
      'pubsub.items.search',
      NodeFilters & {
        /** Full-text query (FTS4 MATCH syntax). */
        query?: string;
        names?: readonly string[];
        parsed?: readonly ParsedFilter[];
        limit?: number;
        index?: number;
        /** One key (with `order`) or a list of keys, most significant first. */
        orderBy?: 'creation' | 'modification' | 'item' | 'rank' | readonly SearchOrder[];
        order?: 'asc' | 'desc';
        /** Include the raw item XML (`data`) in hits (default false). */
        withPayload?: boolean;
      }
    >
  | Req<
      'pubsub.paths.ensure',
      { indexedPaths?: readonly ParsedPath[]; listPaths?: readonly ParsedPath[] }
    >;

/** Result type per request type. */
export interface StorageResults {
  'profile.create': ProfileInfo;
  'profile.delete': { deleted: boolean };
  'profile.update': ProfileInfo;
  'profile.get': ProfileInfo | null;
  'profile.list': ProfileInfo[];
  'component.create': ComponentInfo;
  'component.delete': { deleted: boolean };
  'component.get': ComponentInfo | null;
  'component.list': ComponentInfo[];
  'param.get': string | null;
  'param.set': null;
  'param.delete': { deleted: boolean };
  'private.get': Record<string, Json>;
  'private.set': null;
  'private.delete': { deleted: number };
  'history.add': { uid: string; added: boolean };
  'history.query': HistoryMessage[];
  'history.delivered': { updated: number };
  'pubsub.node.get': PubsubNodeInfo | null;
  'pubsub.node.set': PubsubNodeInfo;
  'pubsub.node.sync-state': { updated: number };
  'pubsub.nodes.delete': { deleted: number };
  'pubsub.items.upsert': { upserted: number };
  'pubsub.items.delete': { deleted: number };
  'pubsub.items.get': ItemsPage;
  'pubsub.purge': { deleted: number };
  'pubsub.reset': { deleted: number };
  'pubsub.items.search': ItemSearchHit[];
  'pubsub.paths.ensure': EnsuredPaths;
}

/** What `pubsub.paths.ensure` set up (existing ones included): index names and list paths. */
export interface EnsuredPaths {
  readonly indexes: readonly string[];
  readonly listPaths: readonly string[];
}

/** The typed result of request `R`: `StorageResponse<{ type: 'profile.get', ... }>` is `ProfileInfo | null`. */
export type StorageResponse<R extends StorageRequest> = StorageResults[R['type']];
export type StorageRequestType = StorageRequest['type'];

/** One reply per request: a value or a serialised typed error. */
export type StorageOutcome<T = unknown> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: SerializedError };

/** Request types that only read; every other type writes and is journaled. */
export const READ_TYPES: ReadonlySet<StorageRequestType> = new Set<StorageRequestType>([
  'profile.get',
  'profile.list',
  'component.get',
  'component.list',
  'param.get',
  'private.get',
  'history.query',
  'pubsub.node.get',
  'pubsub.items.get',
  'pubsub.items.search',
]);

/** True for requests that change the database. */
export function isWrite(request: StorageRequest): boolean {
  return !READ_TYPES.has(request.type);
}

/**
 * The typed value of an outcome, or throws its error rebuilt as an `AviaryError` (same code).
 *
 * @example
 * const request = { type: 'profile.get', name: 'alice' } as const;
 * const [outcome] = await engine.applyBatch([request]);
 * const profile = unwrapOutcome(request, outcome); // ProfileInfo | null
 */
export function unwrapOutcome<R extends StorageRequest>(
  _request: R,
  outcome: StorageOutcome | undefined,
): StorageResponse<R> {
  if (outcome === undefined)
    throw deserializeError({ name: 'Error', code: 'storage.no-outcome', message: 'no outcome' });
  if (!outcome.ok) throw deserializeError(outcome.error);
  return outcome.value as StorageResponse<R>;
}
