import type { HistoryMessage, Json, StorageRequest } from '../storage/messages.js';
import type { MessageData } from '../workflow/message-data.js';

/** The storage request that adds one history row. */
export type HistoryAddRequest = Extract<StorageRequest, { type: 'history.add' }>;

/**
 * Maps workflow message data (timestamps in ms) to the storage's `history.add` request
 * (timestamps in seconds, as Libervia stores them). The stanza id is kept only when trusted
 * (XEP-0359 §5: assigned by our own account or a room we trust), for de-duplication.
 */
export function historyAddRequest(profile: string, message: MessageData): HistoryAddRequest {
  return {
    type: 'history.add',
    profile,
    uid: message.uid,
    ...(message.stanzaId ? { stanzaId: message.stanzaId.id } : {}),
    ...(message.originId ? { originId: message.originId } : {}),
    from: message.from,
    to: message.to,
    messageType: message.type,
    timestamp: message.timestamp / 1000,
    ...(message.receivedTimestamp !== undefined
      ? { receivedTimestamp: message.receivedTimestamp / 1000 }
      : {}),
    messages: message.message,
    subjects: message.subject,
    ...(message.thread !== undefined
      ? {
          thread: {
            id: message.thread,
            ...(message.threadParent !== undefined ? { parentId: message.threadParent } : {}),
          },
        }
      : {}),
    extra: message.extra as Json,
  };
}

/** The public shape of a history row (timestamps back in ms, like the workflow's). */
export interface HistoryEntry {
  readonly uid: string;
  readonly from: string;
  readonly to: string;
  readonly type: string;
  readonly timestamp: number;
  readonly receivedTimestamp: number | null;
  readonly message: Readonly<Record<string, string>>;
  readonly subject: Readonly<Record<string, string>>;
  readonly thread: { readonly id: string; readonly parentId: string | null } | null;
  readonly extra: Json;
  readonly stanzaId: string | null;
  readonly originId: string | null;
  /** When the recipient confirmed delivery (XEP-0184), ms; null until then (or never asked). */
  readonly delivered: number | null;
}

export function historyEntry(row: HistoryMessage): HistoryEntry {
  return {
    uid: row.uid,
    from: row.from,
    to: row.to,
    type: row.type,
    timestamp: Math.round(row.timestamp * 1000),
    receivedTimestamp:
      row.receivedTimestamp === null ? null : Math.round(row.receivedTimestamp * 1000),
    message: row.messages,
    subject: row.subjects,
    thread: row.thread,
    extra: row.extra,
    stanzaId: row.stanzaId,
    originId: row.originId,
    delivered: row.delivered === null ? null : Math.round(row.delivered * 1000),
  };
}
