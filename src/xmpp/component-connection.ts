/**
 * An XEP-0114 external component connection: stream in `jabber:component:accept`, handshake
 * = hex SHA-1 of the stream id concatenated with the shared secret. A refused secret (Prosody
 * answers `<not-authorized/>` as a stream error) throws `xmpp.component-auth-failed`.
 *
 * https://xmpp.org/extensions/xep-0114.html
 */
import { createHash } from 'node:crypto';
import xml from '@xmpp/xml';
import { AviaryError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { StreamConnectionObject } from './connection-object.js';
import type { StanzaSurface } from './stanza-surface.js';
import { createStreamConnection } from './stream-connection.js';
import { silentLog, type XmppLog } from './xmpp-log.js';

const NS_COMPONENT = 'jabber:component:accept';

export type ComponentStatus = 'offline' | 'connecting' | 'online' | 'closing';

export interface ComponentConnectionOptions {
  /** The component's domain, e.g. `pubsub.example.org`. */
  readonly jid: string;
  readonly secret: string;
  readonly server: { readonly host: string; readonly port: number };
  readonly clock: Clock;
  readonly log?: XmppLog;
  readonly maxStanzaBytes?: number;
  readonly timeoutMs?: number;
  readonly iqTimeoutMs?: number;
}

/**
 * @example
 * const component = createComponentConnection({ jid: 'bot.example.org', secret, server, clock });
 * component.onStanza((s) => handle(s));
 * await component.connect();
 */
export interface ComponentConnection extends StanzaSurface {
  readonly status: ComponentStatus;
  /** The component's domain. */
  readonly jid: string;
  connect(): Promise<void>;
  onStatus(handler: (status: ComponentStatus, error?: AviaryError) => void): () => void;
  disconnect(): Promise<void>;
}

/** XEP-0114 §3: hex SHA-1 of stream id + secret. */
export function componentHandshake(streamId: string, secret: string): string {
  return createHash('sha1')
    .update(streamId + secret, 'utf8')
    .digest('hex');
}

export function createComponentConnection(
  options: ComponentConnectionOptions,
): ComponentConnection {
  const { jid } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let streamId: string | undefined;

  const parts = createStreamConnection<ComponentStatus>({
    clock: options.clock,
    log: options.log ?? silentLog,
    stream: { host: options.server.host, port: options.server.port, ns: NS_COMPONENT },
    connectTimeoutMs: timeoutMs,
    maxStanzaBytes: options.maxStanzaBytes ?? 1 << 20,
    iqTimeoutMs: options.iqTimeoutMs ?? 30_000,
    canSend: (status) => status === 'online',
    // Stanzas built for clients carry jabber:client; on a component stream the server expects
    // jabber:component:accept (XEP-0114 §3) and bounces anything else as service-unavailable.
    outgoing: (element) => {
      if (element.attrs.xmlns === 'jabber:client') element.attrs.xmlns = NS_COMPONENT;
      return element;
    },
    onHeader: (header, queue) => {
      streamId = header.attrs.id;
      queue.push(header);
    },
    // Prosody refuses a wrong secret with a `not-authorized` stream error during the handshake.
    closeFailure: (error, negotiating) =>
      negotiating && error.details?.condition === 'not-authorized'
        ? new AviaryError(
            'xmpp.component-auth-failed',
            `the server refused the secret for component ${jid}`,
            { cause: error, details: { ...error.details } },
          )
        : error,
    async negotiate({ stream, queue }) {
      streamId = undefined;
      await stream.open(jid);
      await queue.next(timeoutMs, 'stream header');
      if (streamId === undefined)
        throw new AviaryError('xmpp.unexpected', 'stream header without id');
      await stream.send(xml('handshake', {}, componentHandshake(streamId, options.secret)));
      const reply = await queue.next(timeoutMs, 'handshake reply');
      if (reply.name !== 'handshake')
        throw new AviaryError('xmpp.unexpected', `expected <handshake/>, got <${reply.name}>`);
    },
  });
  return new ComponentConnectionObject(parts, jid);
}

class ComponentConnectionObject
  extends StreamConnectionObject<ComponentStatus>
  implements ComponentConnection
{
  readonly jid: string;

  constructor(
    parts: ConstructorParameters<typeof StreamConnectionObject<ComponentStatus>>[0],
    jid: string,
  ) {
    super(parts);
    this.jid = jid;
  }
}
