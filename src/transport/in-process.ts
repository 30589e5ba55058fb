/**
 * An in-process stand-in for an XMPP server: {@link ConnectionFactories} whose client
 * (RFC 6120 c2s) and component (XEP-0114) connections deliver stanzas to each other through a
 * tiny router keyed by bare JID (clients) or domain (components). `connect()` resolves at once,
 * every IQ is answered `result`, and nothing leaves the process. It exists to measure and test
 * the runtime alone (actors, workflow, storage) without a server or sockets in the way.
 *
 * Like a server, the router stamps `from` on client stanzas (RFC 6120 §8.1.2.1) and, by
 * default, hands each receiver a fresh tree parsed from the serialised stanza, as a socket
 * would. Stanzas to an address nobody holds are counted as undelivered (no offline storage).
 */
import type { ConnectionFactories } from '../entities/entity-manager.js';
import { AviaryError } from '../errors.js';
import { type Element, parseStanza, xml } from '../util/stanza-xml.js';

/** How a stanza crosses the router. */
export type StanzaCopy = 'xml' | 'clone';

export interface InProcessTransportOptions {
  /**
   * `xml` (default): serialise and parse again, so receivers pay what they pay on a socket;
   * `clone`: copy the element tree.
   */
  readonly copy?: StanzaCopy;
  /** Decides logins; every password and secret is accepted when absent. */
  readonly authenticate?: (jid: string, secret: string) => boolean;
  /** Resource bound to clients whose JID has none (default `aviary`). */
  readonly resource?: string;
}

/** Counters of one transport (plain data). */
export interface InProcessStats {
  readonly delivered: number;
  /** Stanzas with a `to` nobody connected holds. */
  readonly undelivered: number;
  readonly iqs: number;
  readonly logins: number;
}

/** A connection made by the transport (the EntityConnection contract). */
type Connection = ReturnType<ConnectionFactories['client']>;

/**
 * The transport: pass `factories` to `createRuntime({ connections: () => t.factories })`.
 *
 * @example
 * const transport = createInProcessTransport();
 * const aviary = createRuntime({ connections: () => transport.factories });
 * await aviary.start();
 * await aviary.addProfile({ name: 'a', jid: 'a@local.test', password: 'x' });
 */
export interface InProcessTransport {
  readonly factories: ConnectionFactories;
  stats(): InProcessStats;
  /** Addresses (bare JIDs and component domains) currently connected, sorted. */
  connected(): string[];
  /** Drops the connection holding `address` as a server would (status `offline` with an error). */
  kick(address: string): boolean;
}

interface Endpoint {
  readonly fullJid: string;
  /** The default namespace of the receiving stream (RFC 6120 §4.8.3, XEP-0114). */
  readonly ns: string;
  readonly deliver: (stanza: Element) => void;
  readonly drop: (error: AviaryError) => void;
}

/** Bare JID of `jid` (`local@domain` or `domain`), lower-cased like a server's routing key. */
function bareOf(jid: string): string {
  const slash = jid.indexOf('/');
  return (slash < 0 ? jid : jid.slice(0, slash)).toLowerCase();
}

function domainOf(bare: string): string {
  return bare.slice(bare.indexOf('@') + 1);
}

export function createInProcessTransport(
  options: InProcessTransportOptions = {},
): InProcessTransport {
  const copy = options.copy ?? 'xml';
  const resource = options.resource ?? 'aviary';
  const routes = new Map<string, Endpoint>();
  const counters = { delivered: 0, undelivered: 0, iqs: 0, logins: 0 };
  // Deliveries wait for one setImmediate per burst: senders never run receivers in their own
  // turn, and I/O (the storage worker's port) keeps its share of the loop.
  let pending: Array<() => void> = [];
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    const batch = pending;
    pending = [];
    for (const run of batch) run();
  };
  const later = (run: () => void) => {
    pending.push(run);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };

  // A stanza read from a stream is in the stream's default namespace: one written without its
  // own `xmlns` (a plugin's `xml('message', …)`) reaches the receiver as `jabber:client` (or
  // `jabber:component:accept`), as it would from a server, not namespace-less.
  const copyOf = (stanza: Element, ns: string): Element => {
    const copied = copy === 'xml' ? parseStanza(stanza.toString()) : copyTree(stanza);
    if (copied.attrs.xmlns === undefined) copied.attrs.xmlns = ns;
    return copied;
  };

  const route = (stanza: Element) => {
    const to = stanza.attrs.to;
    if (typeof to !== 'string' || to === '') return; // for the server itself (presence, ...)
    const bare = bareOf(to);
    const target = routes.get(bare) ?? routes.get(domainOf(bare));
    if (target === undefined) {
      counters.undelivered++;
      return;
    }
    const copied = copyOf(stanza, target.ns);
    later(() => {
      counters.delivered++;
      target.deliver(copied);
    });
  };

  const makeConnection = (args: {
    readonly address: string;
    readonly fullJid: string;
    readonly secret: string;
    readonly stampFrom: boolean;
    readonly ns: string;
  }): Connection => {
    const stanzaHandlers = new Set<(stanza: Element) => void>();
    const statusHandlers = new Set<(status: string, error?: AviaryError) => void>();
    let online = false;
    let iqSeq = 0;
    // While paused (backpressure), deliveries wait here in order, like bytes in a socket buffer.
    let paused = false;
    const held: Element[] = [];
    const hand = (stanza: Element) => {
      for (const handler of [...stanzaHandlers]) handler(stanza);
    };
    const setOffline = (error?: AviaryError) => {
      if (!online) return;
      online = false;
      if (routes.get(args.address)?.fullJid === args.fullJid) routes.delete(args.address);
      for (const handler of [...statusHandlers]) handler('offline', error);
    };
    const endpoint: Endpoint = {
      fullJid: args.fullJid,
      ns: args.ns,
      deliver: (stanza) => {
        if (!online) return;
        if (paused) held.push(stanza);
        else hand(stanza);
      },
      drop: (error) => setOffline(error),
    };
    const requireOnline = () => {
      if (!online) throw new AviaryError('xmpp.not-connected', `${args.fullJid} is not connected`);
    };
    return {
      get jid() {
        return online ? args.fullJid : undefined;
      },
      async connect() {
        if (online) return;
        if (options.authenticate && !options.authenticate(args.address, args.secret)) {
          throw new AviaryError('xmpp.auth-failed', `not-authorized: ${args.address}`);
        }
        // One session per address: a new login replaces the old one (conflict, RFC 6120 §7.7.2.2).
        routes
          .get(args.address)
          ?.drop(new AviaryError('xmpp.stream-error', 'conflict: replaced by new connection'));
        routes.set(args.address, endpoint);
        online = true;
        counters.logins++;
        for (const handler of [...statusHandlers]) handler('online');
      },
      async disconnect() {
        setOffline();
      },
      pause() {
        paused = true;
      },
      resume() {
        paused = false;
        while (!paused && online && held.length > 0) hand(held.shift() as Element);
      },
      async send(element) {
        requireOnline();
        if (args.stampFrom || element.attrs.from === undefined) element.attrs.from = args.fullJid;
        route(element);
      },
      async iq(element) {
        requireOnline();
        counters.iqs++;
        const id = typeof element.attrs.id === 'string' ? element.attrs.id : `iq-${++iqSeq}`;
        const from =
          typeof element.attrs.to === 'string' ? element.attrs.to : domainOf(args.address);
        return parseStanza(
          `<iq xmlns="jabber:client" type="result" id="${escapeAttr(id)}" from="${escapeAttr(from)}" to="${escapeAttr(args.fullJid)}"/>`,
        );
      },
      onStanza(handler) {
        stanzaHandlers.add(handler);
        return () => stanzaHandlers.delete(handler);
      },
      onStatus(handler) {
        statusHandlers.add(handler);
        return () => statusHandlers.delete(handler);
      },
    };
  };

  const factories: ConnectionFactories = {
    client({ profile, password }) {
      const bare = bareOf(profile.jid);
      const slash = profile.jid.indexOf('/');
      const fullJid = slash < 0 ? `${profile.jid}/${resource}` : profile.jid;
      return makeConnection({
        address: bare,
        fullJid,
        secret: password,
        stampFrom: true,
        ns: 'jabber:client',
      });
    },
    component({ profile, secret }) {
      const domain = bareOf(profile.jid);
      return makeConnection({
        address: domain,
        fullJid: domain,
        secret,
        stampFrom: false,
        ns: 'jabber:component:accept',
      });
    },
  };

  return {
    factories,
    stats: () => ({ ...counters }),
    connected: () => [...routes.keys()].sort(),
    kick(address) {
      const endpoint = routes.get(bareOf(address));
      if (endpoint === undefined) return false;
      endpoint.drop(new AviaryError('xmpp.connection-closed', 'connection closed by the server'));
      return true;
    },
  };
}

function escapeAttr(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/>/g, '&gt;');
}

/** A deep copy of an element tree (what `clone` did in ltx 2). */
function copyTree(element: Element): Element {
  return xml(
    element.name,
    { ...element.attrs },
    ...element.children.map((child) => (typeof child === 'string' ? child : copyTree(child))),
  );
}
