/**
 * What client and component connections share once the stream is up: sending with
 * backpressure, IQ requests, stanza handlers, and the XEP-0199 ping callee.
 */
import xml, { type Element } from '@xmpp/xml';
import type { IqTracker } from './iq-tracker.js';
import { iqErrorReply } from './iq-tracker.js';
import type { XmlStream } from './xml-stream.js';
import type { XmppLog } from './xmpp-log.js';

const NS_PING = 'urn:xmpp:ping';

/** A handler for incoming `<message/>`, `<presence/>` and `<iq type='get'|'set'/>`. */
export type StanzaHandler = (stanza: Element) => void;

/** The sending and receiving half of a connection. */
export interface StanzaSurface {
  /** Writes one stanza; resolves once the socket accepted it (watch `writableLength`). */
  send(element: Element): Promise<void>;
  /** Bytes waiting in the socket buffer; grows when the server reads slower than we write. */
  readonly writableLength: number;
  /** Resolves when the socket's buffer is flushed. */
  drain(): Promise<void>;
  /**
   * Stops reading from the server (TCP backpressure) until `resume()`. Stanzas already read
   * are still handed to the handlers.
   */
  pause(): void;
  resume(): void;
  /** IQ request (RFC 6120 §8.2.3): the `result` stanza, or `xmpp.stanza-error` / `xmpp.timeout`. */
  iq(element: Element, timeoutMs?: number): Promise<Element>;
  /**
   * Registers a stanza handler; returns the function that unregisters it. Handlers run in
   * the tick the stanza is parsed. An iq get/set is answered `service-unavailable` when no
   * handler is registered (XEP-0199 pings are always answered).
   */
  onStanza(handler: StanzaHandler): () => void;
}

/**
 * The surface's functions, none of which uses `this`, with the live byte count as a function:
 * the connection object (`StreamConnectionObject`) exposes it as a getter. (An object
 * literal with an accessor is slow to create: V8 builds it property by property.)
 */
export interface SurfaceParts extends Omit<StanzaSurface, 'writableLength'> {
  writableLengthNow(): number;
}

export function createStanzaSurface(deps: {
  send: (element: Element) => Promise<void>;
  iqs: IqTracker;
  stream: () => XmlStream | undefined;
  log: XmppLog;
}): { api: SurfaceParts; dispatch(element: Element): void } {
  const handlers = new Set<StanzaHandler>();
  const reply = (element: Element) => {
    deps.send(element).catch((error: unknown) => deps.log.debug({ error }, 'reply not sent'));
  };
  const dispatch = (element: Element) => {
    const { name } = element;
    if (name !== 'message' && name !== 'presence' && name !== 'iq') {
      deps.log.debug({ name }, 'ignoring nonza');
      return;
    }
    if (name === 'iq') {
      const type = element.attrs.type;
      if (type !== 'get' && type !== 'set') return;
      if (type === 'get' && element.getChild('ping', NS_PING) !== undefined) {
        reply(xml('iq', { type: 'result', id: element.attrs.id, to: element.attrs.from }));
        return;
      }
      if (handlers.size === 0) {
        reply(iqErrorReply(element, 'cancel', 'service-unavailable'));
        return;
      }
    }
    for (const handler of handlers) {
      try {
        handler(element);
      } catch (error) {
        deps.log.warn({ error }, 'stanza handler threw');
      }
    }
  };
  const api: SurfaceParts = {
    send: (element) => deps.send(element),
    writableLengthNow: () => deps.stream()?.writableLength ?? 0,
    drain: () => deps.stream()?.drain() ?? Promise.resolve(),
    pause: () => deps.stream()?.pause(),
    resume: () => deps.stream()?.resume(),
    iq: (element, timeoutMs) => deps.iqs.request(element, timeoutMs),
    onStanza(handler) {
      handlers.add(handler);
      return () => {
        handlers.delete(handler);
      };
    },
  };
  return { api, dispatch };
}
