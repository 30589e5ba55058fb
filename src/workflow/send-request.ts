/**
 * A request to send a message, and how it becomes {@link MessageData}: a fresh uid, `from`
 * defaulting to the entity's own JID, the `auto` type resolved (Libervia guesses it before the
 * `sendMessage` hooks run, so hooks always see a concrete type) and a timestamp from the clock.
 */
import type { Clock } from '../util/clock.js';
import { type BuildDeps, type MessageDraft, resolveType } from './build-message.js';
import { MessageInvalidError } from './errors.js';
import { isValidJid, normalizeJid } from './jid.js';
import type { JsonObject, LangMap, MessageData, MessageType } from './message-data.js';

/** A request to send a message (what a frontend or plugin asks for). */
export interface SendRequest {
  readonly to: string;
  /** Defaults to the entity's own JID (a component may send from any JID of its domain). */
  readonly from?: string;
  readonly message?: LangMap;
  readonly subject?: LangMap;
  /** Default `auto`, resolved before the hooks run (see `resolveType`). */
  readonly type?: MessageType | 'auto';
  readonly thread?: string;
  readonly threadParent?: string;
  readonly extra?: JsonObject;
}

/** What turning a request into data needs. */
export interface RequestDeps extends BuildDeps {
  readonly ownJid: string;
  readonly newUid: () => string;
  readonly clock: Clock;
}

/**
 * Turns a request into message data: fresh uid, `from` defaulting to the own JID, `auto`
 * type resolved, timestamp from the clock.
 *
 * @throws MessageInvalidError on invalid JIDs.
 */
export function messageFromRequest(request: SendRequest, deps: RequestDeps): MessageData {
  const from = request.from ?? deps.ownJid;
  for (const [field, value] of [
    ['to', request.to],
    ['from', from],
  ] as const) {
    if (typeof value !== 'string' || !isValidJid(value)) {
      throw new MessageInvalidError(`invalid ${field} JID ${JSON.stringify(value)}`);
    }
  }
  const draft: MessageDraft = {
    uid: deps.newUid(),
    from: normalizeJid(from),
    to: normalizeJid(request.to),
    type: request.type ?? 'auto',
    message: request.message ?? {},
    subject: request.subject ?? {},
    timestamp: deps.clock.now(),
    extra: request.extra ?? {},
    ...(request.thread === undefined ? {} : { thread: request.thread }),
    ...(request.threadParent === undefined ? {} : { threadParent: request.threadParent }),
  };
  return { ...draft, type: resolveType(draft, deps) };
}
