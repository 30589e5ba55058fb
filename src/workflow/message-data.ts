/**
 * The message model shared by every workflow stage: plain, `readonly`, structured-clone-able
 * data, the TypeScript counterpart of Libervia's `mess_data`. Actors pass it between threads
 * as-is; the stanza itself travels as XML text in {@link MessageData.xml}.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6121#section-5 (message semantics)
 */

/** Message types on the wire (RFC 6121 §5.2.2) plus Libervia's local-only `info`. */
export type MessageType = 'chat' | 'normal' | 'groupchat' | 'headline' | 'error' | 'info';

/** Every {@link MessageType}, for validation. */
export const MESSAGE_TYPES: readonly MessageType[] = [
  'chat',
  'normal',
  'groupchat',
  'headline',
  'error',
  'info',
];

/** The types that may appear in a stanza's `type` attribute (`info` never leaves Aviary). */
export const WIRE_MESSAGE_TYPES: readonly MessageType[] = [
  'chat',
  'normal',
  'groupchat',
  'headline',
  'error',
];

/** Whether `value` is a {@link MessageType}. */
export function isMessageType(value: unknown): value is MessageType {
  return typeof value === 'string' && (MESSAGE_TYPES as readonly string[]).includes(value);
}

/** A JSON value, so `extra` stays structured-clone-able and storable as JSON. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { readonly [key: string]: JsonValue };

/** Text per language: the key is the `xml:lang` value, `''` when there is none. */
export type LangMap = Readonly<Record<string, string>>;

/** A XEP-0359 stanza id, unique within the entity named by `by`. */
export interface StanzaId {
  readonly id: string;
  readonly by: string;
}

/**
 * One message, sent or received.
 *
 * @example
 * const m: MessageData = {
 *   uid: '6f1c…', from: 'juliet@capulet.lit/balcony', to: 'romeo@montague.lit',
 *   type: 'chat', message: { '': 'Art thou not Romeo?' }, subject: {},
 *   timestamp: 1_700_000_000_000, extra: {},
 * };
 */
export interface MessageData {
  /** Aviary's own unique id for this message (history key; sent as `id` and origin-id). */
  readonly uid: string;
  /** The stanza's `id` attribute, when it has one. */
  readonly id?: string;
  /** Full JID of the sender. */
  readonly from: string;
  /** Full (or bare) JID of the recipient. */
  readonly to: string;
  readonly type: MessageType;
  /** Bodies by language. */
  readonly message: LangMap;
  /** Subjects by language. */
  readonly subject: LangMap;
  readonly thread?: string;
  /** The parent thread (RFC 6121 §5.2.5); only meaningful with `thread`. */
  readonly threadParent?: string;
  /** When the message was sent, in ms since the epoch (from XEP-0203 delay when present). */
  readonly timestamp: number;
  /** When Aviary received a delayed message (ms since the epoch). */
  readonly receivedTimestamp?: number;
  /** The entity that delayed the message (XEP-0203 `from`). */
  readonly delaySender?: string;
  /** XEP-0359 stanza id assigned by a trusted entity (own account or room). */
  readonly stanzaId?: StanzaId;
  /** XEP-0359 origin id set by the sender. */
  readonly originId?: string;
  /** Everything else: `attachments`, info flags, plugin data. Must stay JSON. */
  readonly extra: JsonObject;
  /** The built stanza as XML text (send path, after the build stage). */
  readonly xml?: string;
}

/**
 * A copy of `message` with `patch` applied; `undefined` values in the patch remove fields.
 *
 * @example
 * withChanges(m, { thread: undefined }); // m without a thread
 */
export function withChanges(message: MessageData, patch: Partial<MessageData>): MessageData {
  const next: Record<string, unknown> = { ...message };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete next[key];
    else next[key] = value;
  }
  return next as unknown as MessageData;
}

/** A copy of `message` with one `extra` key set (or removed when `value` is undefined). */
export function withExtra(
  message: MessageData,
  key: string,
  value: JsonValue | undefined,
): MessageData {
  const extra: Record<string, JsonValue> = { ...message.extra };
  if (value === undefined) delete extra[key];
  else extra[key] = value;
  return { ...message, extra };
}
