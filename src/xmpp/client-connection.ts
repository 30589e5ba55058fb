/**
 * One XMPP client connection (RFC 6120/6121), composed step by step so Aviary controls each:
 * TCP → STARTTLS (certificates verified by default) → SASL (SCRAM-SHA-256 > SCRAM-SHA-1 >
 * PLAIN) → resource binding → initial presence → roster get → online. Answers XEP-0199 pings
 * and can ping the server periodically. Stream management (XEP-0198) is deliberately off.
 */
import xml, { type Element } from '@xmpp/xml';
import { AviaryError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import {
  bindResource,
  type NegotiationContext,
  negotiateSasl,
  negotiateTls,
  readFeatures,
} from './client-negotiation.js';
import { createElementQueue } from './element-queue.js';
import { createIqTracker } from './iq-tracker.js';
import { isLoopbackHost } from './loopback.js';
import { parseRoster, type RosterItem } from './roster.js';
import type { MechanismName } from './sasl-mechanisms.js';

export type { RosterItem } from './roster.js';

import type { SaltedPasswordCache } from './scram.js';
import { createStanzaSurface, type StanzaSurface, withSurface } from './stanza-surface.js';
import { XmlStream } from './xml-stream.js';
import { silentLog, type XmppLog } from './xmpp-log.js';

const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';

export type TlsMode = 'required' | 'optional' | 'off';

/** Connection life cycle, reported through `onStatus`. */
export type ConnectionStatus =
  | 'offline'
  | 'connecting'
  | 'securing'
  | 'authenticating'
  | 'binding'
  | 'online'
  | 'closing';

export interface ClientConnectionOptions {
  /** Bare JID (`user@domain`) or full JID whose resource is requested. */
  readonly jid: string;
  readonly password: string;
  /** Where to connect; defaults to the JID's domain on port 5222 (no SRV lookup). */
  readonly server?: { readonly host: string; readonly port: number };
  /** Source address of the TCP connection (default: chosen by the OS). */
  readonly localAddress?: string;
  /** `off` (plain text) is only accepted for loopback hosts. */
  readonly tls: TlsMode;
  readonly tlsOptions?: {
    readonly ca?: string | Buffer | Array<string | Buffer>;
    readonly rejectUnauthorized?: boolean;
  };
  readonly resource?: string;
  readonly saltedPasswordCache: SaltedPasswordCache;
  readonly clock: Clock;
  /** Largest incoming stanza accepted, in bytes (default 1 MiB); larger closes the stream. */
  readonly maxStanzaBytes?: number;
  readonly log?: XmppLog;
  /** Restrict SASL mechanisms (preference order stays SCRAM-SHA-256 > SCRAM-SHA-1 > PLAIN). */
  readonly mechanisms?: readonly MechanismName[];
  /** Allow SASL PLAIN without TLS (loopback tests only). Default false. */
  readonly allowPlainTextAuth?: boolean;
  /** Deadline of each negotiation step and of the TCP connect (default 10 s). */
  readonly timeoutMs?: number;
  /** Default IQ request timeout (default 30 s). */
  readonly iqTimeoutMs?: number;
  /** Ping the server every so often (XEP-0199); a missing pong drops the connection. */
  readonly pingIntervalMs?: number;
}

/**
 * @example
 * const conn = createClientConnection({ jid: 'alice@example.org', password, tls: 'required',
 *   saltedPasswordCache: cache, clock: systemClock });
 * conn.onStanza((stanza) => console.log(stanza.toString()));
 * await conn.connect();
 * await conn.send(xml('message', { to: 'bob@example.org', type: 'chat' }, xml('body', {}, 'hi')));
 */
export interface ClientConnection extends StanzaSurface {
  readonly status: ConnectionStatus;
  /** Full JID bound by the server, once bound. */
  readonly jid: string | undefined;
  readonly roster: readonly RosterItem[];
  /** SASL mechanism used by the last successful login. */
  readonly mechanism: MechanismName | undefined;
  /** Runs the whole negotiation; throws `xmpp.connection-failed`, `xmpp.tls-failed`, `xmpp.auth-failed`, … */
  connect(): Promise<void>;
  onStatus(handler: (status: ConnectionStatus, error?: AviaryError) => void): () => void;
  /** Clean stop: `</stream:stream>`, wait for the server's close, then close the socket. */
  disconnect(): Promise<void>;
}

export function createClientConnection(options: ClientConnectionOptions): ClientConnection {
  const at = options.jid.indexOf('@');
  const slash = options.jid.indexOf('/', at);
  if (at <= 0) throw new AviaryError('xmpp.bad-jid', `not a user JID: ${options.jid}`);
  const username = options.jid.slice(0, at);
  const domain = options.jid.slice(at + 1, slash < 0 ? undefined : slash);
  const resource = options.resource ?? (slash < 0 ? undefined : options.jid.slice(slash + 1));
  const host = options.server?.host ?? domain;
  const port = options.server?.port ?? 5222;
  if (options.tls === 'off' && !isLoopbackHost(host))
    throw new AviaryError(
      'xmpp.insecure-transport',
      `tls: 'off' is only allowed for loopback hosts, not ${host}`,
      {
        details: { host },
      },
    );
  const { clock } = options;
  const log = options.log ?? silentLog;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const statusHandlers = new Set<(status: ConnectionStatus, error?: AviaryError) => void>();
  let status: ConnectionStatus = 'offline';
  let stream: XmlStream | undefined;
  let boundJid: string | undefined;
  let roster: readonly RosterItem[] = [];
  let mechanism: MechanismName | undefined;
  let negotiating = false;
  let queue = createElementQueue(clock);
  let cancelPing: (() => void) | undefined;

  const setStatus = (next: ConnectionStatus, error?: AviaryError) => {
    if (next === status && error === undefined) return;
    status = next;
    for (const handler of statusHandlers) handler(next, error);
  };
  const write = (element: Element) =>
    stream === undefined
      ? Promise.reject(new AviaryError('xmpp.not-connected', 'not connected'))
      : stream.send(element);
  const bare = `${username}@${domain}`.toLowerCase();
  const iqs = createIqTracker({
    clock,
    send: write,
    defaultTimeoutMs: options.iqTimeoutMs ?? 30_000,
    isLocalSender: (from) =>
      from === undefined ||
      from.toLowerCase() === domain.toLowerCase() ||
      from.toLowerCase().split('/')[0] === bare,
  });
  const surface = createStanzaSurface({
    send: (element) => {
      if (status !== 'online' && status !== 'binding')
        return Promise.reject(new AviaryError('xmpp.not-connected', `cannot send while ${status}`));
      return write(element);
    },
    iqs,
    stream: () => stream,
    log,
  });

  const onElement = (element: Element) => {
    if (
      element.name === 'iq' &&
      (element.attrs.type === 'result' || element.attrs.type === 'error')
    ) {
      if (iqs.handleReply(element)) return;
    }
    if (negotiating) queue.push(element);
    else surface.dispatch(element);
  };

  const onClose = (error: AviaryError | undefined) => {
    cancelPing?.();
    cancelPing = undefined;
    stream = undefined;
    const failure = error ?? new AviaryError('xmpp.not-connected', 'connection closed');
    queue.fail(failure);
    iqs.failAll(failure);
    if (error !== undefined)
      log.warn({ code: error.code, details: error.details }, 'connection closed');
    setStatus('offline', error);
  };

  const schedulePing = (interval: number) => {
    cancelPing = clock.setTimeout(() => {
      const current = stream;
      if (current === undefined) return;
      iqs
        .request(
          xml('iq', { type: 'get', to: domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
          interval,
        )
        .then(
          () => schedulePing(interval),
          (error: unknown) => {
            // An error reply still proves the server is alive; only silence drops the link.
            if (error instanceof AviaryError && error.code === 'xmpp.stanza-error')
              schedulePing(interval);
            else
              current.destroy(
                new AviaryError('xmpp.connection-failed', 'ping timeout', { cause: error }),
              );
          },
        );
    }, interval);
  };

  const negotiate = async (s: XmlStream) => {
    const ctx: NegotiationContext = { stream: s, queue, domain, timeoutMs };
    await s.open(domain);
    let features = await readFeatures(ctx);
    const offersTls = features.getChild('starttls', NS_TLS) !== undefined;
    if (options.tls !== 'off' && offersTls) {
      setStatus('securing');
      features = await negotiateTls(ctx, options.tlsOptions ?? {});
    } else if (options.tls === 'required') {
      throw new AviaryError(
        'xmpp.tls-failed',
        `${domain} does not offer STARTTLS and tls is 'required'`,
      );
    }
    setStatus('authenticating');
    const sasl = await negotiateSasl(ctx, features, {
      username,
      password: options.password,
      allowPlain: s.encrypted || options.allowPlainTextAuth === true,
      cache: options.saltedPasswordCache,
      ...(options.mechanisms === undefined ? {} : { mechanisms: options.mechanisms }),
    });
    mechanism = sasl.mechanism;
    setStatus('binding');
    boundJid = await bindResource(sasl.features, resource, (iq) => iqs.request(iq, timeoutMs));
    negotiating = false;
    await s.send(xml('presence'));
    const result = await iqs.request(
      xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })),
      timeoutMs,
    );
    roster = parseRoster(result);
  };

  const { api } = surface;
  return withSurface<Omit<ClientConnection, keyof StanzaSurface>>(api, {
    get status() {
      return status;
    },
    get jid() {
      return boundJid;
    },
    get roster() {
      return roster;
    },
    get mechanism() {
      return mechanism;
    },
    async connect() {
      if (status !== 'offline') throw new AviaryError('xmpp.busy', `connect() while ${status}`);
      setStatus('connecting');
      queue = createElementQueue(clock);
      negotiating = true;
      let s: XmlStream | undefined;
      try {
        s = await XmlStream.connect(
          {
            host,
            port,
            ...(options.localAddress ? { localAddress: options.localAddress } : {}),
            ns: 'jabber:client',
            clock,
            connectTimeoutMs: timeoutMs,
            maxStanzaBytes: options.maxStanzaBytes ?? 1 << 20,
            log,
          },
          { onHeader: () => {}, onElement, onClose },
        );
        stream = s;
        await negotiate(s);
      } catch (error) {
        negotiating = false;
        if (s !== undefined && !s.closed) s.destroy();
        if (status !== 'offline') setStatus('offline');
        throw error;
      }
      setStatus('online');
      if (options.pingIntervalMs !== undefined) schedulePing(options.pingIntervalMs);
    },
    onStatus(handler) {
      statusHandlers.add(handler);
      return () => statusHandlers.delete(handler);
    },
    async disconnect() {
      const s = stream;
      if (s === undefined) return;
      setStatus('closing');
      await s.close();
    },
  });
}
