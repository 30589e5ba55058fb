/**
 * Per-entity extension points for plugins, the xmpp.js way (`middleware.use`, `iqCallee.get`),
 * with order as data instead of registration order:
 *
 * - stanza middleware: every incoming `<message/>`, `<presence/>` and `<iq type='get'|'set'/>`
 *   passes through it inside the entity's turn, before the built-in handling (the receive
 *   workflow for messages, IQ handlers for requests). A middleware that does not call `next`
 *   consumes the stanza;
 * - IQ handlers by type, namespace and element name (RFC 6120 §8.2.3): the handler returns the
 *   payload of the `result`; requests nobody handles are answered `service-unavailable`
 *   (RFC 6120 §8.4), a throwing handler `internal-server-error`;
 * - on-online hooks: run once the stream is up, before the entity reports `online`.
 *
 * Higher `priority` runs first (for IQ handlers: answers); ties keep registration order (a
 * sequence number owned by this registry). Every registration returns its unregister function.
 */
import xml, { type Element } from '@xmpp/xml';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** Where an extension sits among its peers; higher runs first, default 0. */
export interface ExtensionOrder {
  readonly priority?: number;
}

/**
 * Sees an incoming stanza; calls `next()` to pass it on (to lower priorities, then built-ins),
 * or `next(replacement)` to pass on another stanza instead (an unwrapped forwarded message,
 * XEP-0297, for instance).
 */
export type StanzaMiddleware = (
  stanza: Element,
  next: (replacement?: Element) => Promise<void>,
) => void | Promise<void>;

/** Which requests an IQ handler answers: the IQ type and its payload's name and namespace. */
export interface IqRoute {
  readonly type: 'get' | 'set';
  readonly xmlns: string;
  readonly name: string;
}

/**
 * Answers one IQ request: returns the `result` payload (or nothing, for an empty result).
 * Throwing answers `internal-server-error`.
 */
export type IqHandler = (request: {
  readonly stanza: Element;
  readonly payload: Element;
}) => Element | undefined | Promise<Element | undefined>;

/** The live stream an on-online hook may use before the entity reports `online`. */
export interface OnlineSession {
  /** Own JID (full JID for clients, the domain for components). */
  readonly jid: string | undefined;
  send(element: Element): Promise<void>;
  iq(element: Element, timeoutMs?: number): Promise<Element>;
}

/** Runs once per successful connection; a rejection fails the attempt (it is retried). */
export type OnlineHook = (session: OnlineSession) => void | Promise<void>;

interface Ordered<T> {
  readonly value: T;
  readonly priority: number;
  readonly sequence: number;
}

/** Where a failure inside an extension is reported (a pino logger fits). */
export interface ExtensionLog {
  warn(fields: object, message: string): void;
}

/**
 * The extension points of one entity. The entity actor runs them; plugins reach them through
 * their host (see `PluginHost`).
 *
 * @example
 * const extensions = new EntityExtensions({ log });
 * const off = extensions.handleIq({ type: 'get', xmlns: 'jabber:iq:version', name: 'query' },
 *   () => xml('query', { xmlns: 'jabber:iq:version' }, xml('name', {}, 'Aviary')));
 */
export class EntityExtensions {
  readonly #middleware: Ordered<StanzaMiddleware>[] = [];
  readonly #iqHandlers = new Map<string, Ordered<IqHandler>[]>();
  readonly #onlineHooks: Ordered<OnlineHook>[] = [];
  readonly #log: ExtensionLog;
  #sequence = 0;

  constructor(deps: { readonly log: ExtensionLog }) {
    this.#log = deps.log;
  }

  /** Adds a stanza middleware; returns the function that removes it. */
  useStanza(middleware: StanzaMiddleware, order: ExtensionOrder = {}): () => void {
    return this.#insert(this.#middleware, middleware, order);
  }

  /** Adds the handler of one IQ route; returns the function that removes it. */
  handleIq(route: IqRoute, handler: IqHandler, order: ExtensionOrder = {}): () => void {
    const key = routeKey(route.type, route.xmlns, route.name);
    let list = this.#iqHandlers.get(key);
    if (list === undefined) {
      list = [];
      this.#iqHandlers.set(key, list);
    }
    return this.#insert(list, handler, order);
  }

  /** Adds an on-online hook; returns the function that removes it. */
  onOnline(hook: OnlineHook, order: ExtensionOrder = {}): () => void {
    return this.#insert(this.#onlineHooks, hook, order);
  }

  /**
   * Passes `stanza` through the middleware in order, then to `last` (the built-in handling)
   * unless a middleware consumed it. A throwing middleware is logged and the stanza it was
   * given goes on. A replacement passed to `next` is what the following steps see.
   */
  async runStanza(stanza: Element, last: (stanza: Element) => Promise<void>): Promise<void> {
    const chain = [...this.#middleware];
    const step = async (index: number, current: Element): Promise<void> => {
      const entry = chain[index];
      if (entry === undefined) return last(current);
      let called = false;
      const next = (replacement?: Element) => {
        if (called) return Promise.resolve();
        called = true;
        return step(index + 1, replacement ?? current);
      };
      try {
        await entry.value(current, next);
      } catch (error) {
        this.#log.warn({ err: error, stanza: current.name }, 'stanza middleware failed');
        if (!called) await next();
      }
    };
    await step(0, stanza);
  }

  /** The reply to an incoming IQ get/set: the best handler's result, or a stanza error. */
  async answerIq(stanza: Element): Promise<Element> {
    const type = stanza.attrs.type;
    const payload = stanza.getChildElements()[0];
    const handler =
      payload !== undefined && (type === 'get' || type === 'set')
        ? this.#iqHandlers.get(routeKey(type, payload.getNS() ?? '', payload.name))?.[0]?.value
        : undefined;
    if (handler === undefined || payload === undefined)
      return iqError(stanza, 'cancel', 'service-unavailable');
    try {
      const result = await handler({ stanza, payload });
      return xml(
        'iq',
        {
          type: 'result',
          id: stanza.attrs.id,
          ...(stanza.attrs.from ? { to: stanza.attrs.from } : {}),
        },
        result,
      );
    } catch (error) {
      this.#log.warn({ err: error, xmlns: payload.getNS() }, 'iq handler failed');
      return iqError(stanza, 'wait', 'internal-server-error');
    }
  }

  /** Runs every on-online hook in order; the first rejection stops and rejects. */
  async runOnline(session: OnlineSession): Promise<void> {
    for (const hook of [...this.#onlineHooks]) await hook.value(session);
  }

  #insert<T>(list: Ordered<T>[], value: T, order: ExtensionOrder): () => void {
    const entry: Ordered<T> = { value, priority: order.priority ?? 0, sequence: this.#sequence++ };
    // Sorted on insert: higher priority first; the newest entry has the highest sequence, so it
    // goes after every entry of its priority (ties keep registration order).
    const at = list.findIndex((e) => e.priority < entry.priority);
    if (at < 0) list.push(entry);
    else list.splice(at, 0, entry);
    return () => {
      const index = list.indexOf(entry);
      if (index >= 0) list.splice(index, 1);
    };
  }
}

function routeKey(type: string, xmlns: string, name: string): string {
  return `${type}\u0000${xmlns}\u0000${name}`;
}

/** `<iq type='error'>` answering `iq` with a defined condition (RFC 6120 §8.3). */
export function iqError(iq: Element, type: 'cancel' | 'wait', condition: string): Element {
  return xml(
    'iq',
    { type: 'error', id: iq.attrs.id, ...(iq.attrs.from ? { to: iq.attrs.from } : {}) },
    xml('error', { type }, xml(condition, { xmlns: NS_STANZAS })),
  );
}
