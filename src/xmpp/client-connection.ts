/**
 * One XMPP client connection (RFC 6120/6121), composed step by step so Aviary controls each:
 * TCP → STARTTLS (certificates verified by default) → SASL (SCRAM-SHA-256 > SCRAM-SHA-1 >
 * PLAIN) → resource binding → initial presence → roster get → online. Answers XEP-0199 pings
 * and can ping the server periodically. Stream management (XEP-0198) is deliberately off.
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

import type { SaltedPasswordCache } from './scram.js';
import type { StanzaSurface } from './stanza-surface.js';
import {
  composeConnection,
  createStreamConnection,
  type NegotiationSession,
} from './stream-connection.js';
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
  let boundJid: string | undefined;
  let roster: readonly RosterItem[] = [];
  let mechanism: MechanismName | undefined;
  let cancelPing: (() => void) | undefined;
  const bare = `${username}@${domain}`.toLowerCase();

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
    negotiated();
    await s.send(xml('presence'));
    const result = await iqs.request(
      xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })),
      timeoutMs,
    );
    roster = parseRoster(result);
  };

  const parts = createStreamConnection<ConnectionStatus>({
    clock,
    log,
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
    negotiate,
    onOnline: (stream, iqs) => {
      if (options.pingIntervalMs !== undefined) schedulePing(stream, iqs, options.pingIntervalMs);
    },
    onClosed: () => {
      cancelPing?.();
      cancelPing = undefined;
    },
  });
  return composeConnection(parts, {
    get jid() {
      return boundJid;
    },
    get roster() {
      return roster;
    },
    get mechanism() {
      return mechanism;
    },
  });
}
