/**
 * One XMPP client connection (RFC 6120/6121), composed step by step so Aviary controls each:
 * TCP → STARTTLS (certificates verified by default) → SASL (SCRAM-SHA-256 > SCRAM-SHA-1 >
 * PLAIN) → resource binding → initial presence → roster get → online. Answers XEP-0199 pings
 * and can ping the server periodically.
 *
 * Stream management (XEP-0198, on unless `streamManagement: false`): after SASL a connection
 * whose session holds a resumption id sends `<resume/>`; resumed, it resends the stanzas the
 * server did not ack and goes online without binding again (no initial presence: the server kept
 * it). Otherwise it binds, enables stream management with resumption when offered, then resends
 * the messages left unacked by the old session (receivers dedupe them by origin-id, XEP-0359).
 * A server without stream management gets a plain RFC 6120 session.
 */
import xml from '@xmpp/xml';
import { AviaryError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import {
  bindResource,
  type NegotiationContext,
  negotiateSasl,
  negotiateTls,
  readFeatures,
} from './client-negotiation.js';
import type { IqTracker } from './iq-tracker.js';
import { isLoopbackHost } from './loopback.js';
import { parseRoster, type RosterItem } from './roster.js';
import type { MechanismName } from './sasl-mechanisms.js';

export type { RosterItem } from './roster.js';

import { StreamConnectionObject } from './connection-object.js';
import type { SaltedPasswordCache } from './scram.js';
import { discoverServers, type SrvResolver } from './server-discovery.js';
import type { StanzaSurface } from './stanza-surface.js';
import { createStreamConnection, type NegotiationSession } from './stream-connection.js';
import {
  createStreamManagementLink,
  NS_SM,
  type StreamManagementLink,
  StreamManagementSession,
} from './stream-management.js';
import type { TlsSessionCache } from './tls-session-cache.js';
import type { XmlStream } from './xml-stream.js';
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
  | 'resuming'
  | 'online'
  | 'closing';

export interface ClientConnectionOptions {
  /** Bare JID (`user@domain`) or full JID whose resource is requested. */
  readonly jid: string;
  readonly password: string;
  /**
   * Where to connect. Without it: with `discovery`, the DNS SRV records of the domain
   * (`_xmpps-client._tcp` direct TLS, `_xmpp-client._tcp` STARTTLS, see server-discovery.ts),
   * else the JID's domain on port 5222.
   */
  readonly server?: { readonly host: string; readonly port: number };
  /** Server discovery by DNS SRV when `server` is not given (not used with `tls: 'off'`). */
  readonly discovery?: { readonly resolver: SrvResolver; readonly random?: () => number };
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
  /**
   * TLS session resumption shared by the connections to one server (default: none, every
   * handshake is full). Certificates are verified either way.
   */
  readonly tlsSessionCache?: TlsSessionCache;
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
  /**
   * Stream management (XEP-0198): the session kept across this account's connections (give
   * every new connection of the account the same one), or `false` for none. Default: a session
   * of this connection object alone (it resumes when `connect()` is called on it again).
   */
  readonly streamManagement?: StreamManagementSession | false;
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
  /** Whether the last login's TLS session was resumed from a cached ticket (false without TLS). */
  readonly tlsResumed: boolean;
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
  const tlsOptions = {
    ...options.tlsOptions,
    ...(options.tlsSessionCache === undefined ? {} : { sessionCache: options.tlsSessionCache }),
  };
  const log = options.log ?? silentLog;
  const timeoutMs = options.timeoutMs ?? 10_000;
  // What the connection object's getters read; a plain object, set as the login goes on.
  const login: LoginState = {
    boundJid: undefined,
    roster: [],
    mechanism: undefined,
    tlsResumed: false,
  };
  let cancelPing: (() => void) | undefined;
  const bare = `${username}@${domain}`.toLowerCase();
  const smSession =
    options.streamManagement === false
      ? undefined
      : (options.streamManagement ?? new StreamManagementSession());
  let sm: StreamManagementLink | undefined;

  const schedulePing = (stream: XmlStream, iqs: IqTracker, interval: number) => {
    cancelPing = clock.setTimeout(() => {
      iqs
        .request(
          xml('iq', { type: 'get', to: domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
          interval,
        )
        .then(
          () => schedulePing(stream, iqs, interval),
          (error: unknown) => {
            // An error reply still proves the server is alive; only silence drops the link.
            if (error instanceof AviaryError && error.code === 'xmpp.stanza-error')
              schedulePing(stream, iqs, interval);
            else
              stream.destroy(
                new AviaryError('xmpp.connection-failed', 'ping timeout', { cause: error }),
              );
          },
        );
    }, interval);
  };

  const negotiate = async ({
    stream: s,
    queue,
    iqs,
    setStatus,
    negotiated,
  }: NegotiationSession<ConnectionStatus>) => {
    const ctx: NegotiationContext = { stream: s, queue, domain, timeoutMs };
    await s.open(domain);
    let features = await readFeatures(ctx);
    const offersTls = features.getChild('starttls', NS_TLS) !== undefined;
    if (s.encrypted) {
      // Direct TLS (XEP-0368): the stream is encrypted from its first byte.
    } else if (options.tls !== 'off' && offersTls) {
      setStatus('securing');
      features = await negotiateTls(ctx, tlsOptions);
    } else if (options.tls === 'required') {
      throw new AviaryError(
        'xmpp.tls-failed',
        `${domain} does not offer STARTTLS and tls is 'required'`,
      );
    }
    login.tlsResumed = s.tlsResumed;
    setStatus('authenticating');
    const sasl = await negotiateSasl(ctx, features, {
      username,
      password: options.password,
      allowPlain: s.encrypted || options.allowPlainTextAuth === true,
      cache: options.saltedPasswordCache,
      ...(options.mechanisms === undefined ? {} : { mechanisms: options.mechanisms }),
    });
    login.mechanism = sasl.mechanism;
    const link = sm;
    const smOffered = link !== undefined && sasl.features.getChild('sm', NS_SM) !== undefined;
    if (link !== undefined && smSession?.resumeId !== undefined && smOffered) {
      setStatus('resuming');
      // `negotiated()` runs inside the `<resumed/>` handler: the stanzas the server resends
      // right behind it go to the surface, not to the negotiation queue.
      if (await link.resume(timeoutMs, negotiated)) {
        login.boundJid = smSession.boundJid;
        resendUnacked(s, link);
        log.debug({ jid: login.boundJid }, 'stream resumed');
        return;
      }
    }
    setStatus('binding');
    link?.startFresh();
    const boundJid = await bindResource(sasl.features, resource, (iq) =>
      iqs.request(iq, timeoutMs),
    );
    login.boundJid = boundJid;
    negotiated();
    if (link !== undefined && smSession !== undefined && smOffered) {
      if (await link.enable(timeoutMs)) smSession.boundJid = boundJid;
    }
    if (link !== undefined) resendUnacked(s, link);
    // Written on the stream directly, so counted here: the server counts every stanza after
    // `<enable/>` (XEP-0198 §4), and one missed stanza would make a later `<resumed h/>`
    // drop an unsent one from our queue.
    const presence = xml('presence');
    link?.outgoing(presence);
    // Presence and roster request in the same tick: the stream writes them in one system call.
    const presenceWritten = s.send(presence);
    const rosterReply = iqs.request(
      xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })),
      timeoutMs,
    );
    // A failed presence write is what the caller hears; the roster request then fails too.
    rosterReply.catch(() => undefined);
    await presenceWritten;
    login.roster = parseRoster(await rosterReply);
  };

  /** Writes the stanzas stream management kept for resending, counted as new ones, in order. */
  const resendUnacked = (s: XmlStream, link: StreamManagementLink) => {
    const items = link.takeResend();
    for (const element of items) {
      link.outgoing(element);
      s.send(element).catch(() => undefined);
    }
    if (items.length > 0) log.debug({ count: items.length }, 'resent unacknowledged stanzas');
  };

  const discovery =
    options.server === undefined && options.tls !== 'off' ? options.discovery : undefined;
  const parts = createStreamConnection<ConnectionStatus>({
    clock,
    log,
    ...(discovery === undefined
      ? {}
      : {
          targets: async () =>
            (await discoverServers(domain, discovery)).map((target) => ({
              host: target.host,
              port: target.port,
              // The certificate must name the domain, whatever host the SRV record points at.
              ...(target.directTls ? { directTls: { servername: domain, ...tlsOptions } } : {}),
            })),
        }),
    stream: {
      host,
      port,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      ns: 'jabber:client',
    },
    connectTimeoutMs: timeoutMs,
    maxStanzaBytes: options.maxStanzaBytes ?? 1 << 20,
    iqTimeoutMs: options.iqTimeoutMs ?? 30_000,
    isLocalSender: (from) =>
      from === undefined ||
      from.toLowerCase() === domain.toLowerCase() ||
      from.toLowerCase().split('/')[0] === bare,
    // Stanzas may go out from resource binding on (initial presence, roster request).
    canSend: (status) => status === 'online' || status === 'binding',
    negotiate: (session) => {
      sm =
        smSession === undefined
          ? undefined
          : createStreamManagementLink({
              session: smSession,
              clock,
              log,
              write: (element) => {
                session.stream.send(element).catch(() => undefined);
              },
              fail: (error) => {
                log.warn({ code: error.code, details: error.details }, error.message);
                session.stream.fail('undefined-condition', error.message);
              },
            });
      return negotiate(session);
    },
    inspectInbound: (element) => sm?.inspect(element) ?? false,
    onSkipped: () => sm?.skipped(),
    onWrite: (element) => sm?.outgoing(element),
    beforeClose: () => sm?.finalAck(),
    onOnline: (stream, iqs) => {
      if (options.pingIntervalMs !== undefined) schedulePing(stream, iqs, options.pingIntervalMs);
    },
    onClosed: (error) => {
      sm?.closed(error);
      sm = undefined;
      cancelPing?.();
      cancelPing = undefined;
    },
  });
  return new ClientConnectionObject(parts, login);
}

interface LoginState {
  boundJid: string | undefined;
  roster: readonly RosterItem[];
  mechanism: MechanismName | undefined;
  tlsResumed: boolean;
}

class ClientConnectionObject
  extends StreamConnectionObject<ConnectionStatus>
  implements ClientConnection
{
  readonly #login: LoginState;

  constructor(
    parts: ConstructorParameters<typeof StreamConnectionObject<ConnectionStatus>>[0],
    login: LoginState,
  ) {
    super(parts);
    this.#login = login;
  }

  get jid(): string | undefined {
    return this.#login.boundJid;
  }

  get roster(): readonly RosterItem[] {
    return this.#login.roster;
  }

  get mechanism(): MechanismName | undefined {
    return this.#login.mechanism;
  }

  get tlsResumed(): boolean {
    return this.#login.tlsResumed;
  }
}
