/**
 * An XEP-0114 external component connection: stream in `jabber:component:accept`, handshake
 * = hex SHA-1 of the stream id concatenated with the shared secret. A refused secret (Prosody
 * answers `<not-authorized/>` as a stream error) throws `xmpp.component-auth-failed`.
 *
 * https://xmpp.org/extensions/xep-0114.html
 */
import { createHash } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import { AviaryError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { createElementQueue } from './element-queue.js';
import { createIqTracker } from './iq-tracker.js';
import { createStanzaSurface, type StanzaSurface, withSurface } from './stanza-surface.js';
import { XmlStream } from './xml-stream.js';
import { silentLog, type XmppLog } from './xmpp-log.js';

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
  const { clock, jid } = options;
  const log = options.log ?? silentLog;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const statusHandlers = new Set<(status: ComponentStatus, error?: AviaryError) => void>();
  let status: ComponentStatus = 'offline';
  let stream: XmlStream | undefined;
  let negotiating = false;
  let queue = createElementQueue(clock);
  let streamId: string | undefined;

  const setStatus = (next: ComponentStatus, error?: AviaryError) => {
    if (next === status && error === undefined) return;
    status = next;
    for (const handler of statusHandlers) handler(next, error);
  };
  const write = (element: Element) => {
    if (stream === undefined || status !== 'online') {
      return Promise.reject(new AviaryError('xmpp.not-connected', `cannot send while ${status}`));
    }
    // Stanzas built for clients carry jabber:client; on a component stream the server expects
    // jabber:component:accept (XEP-0114 §3) and bounces anything else as service-unavailable.
    if (element.attrs.xmlns === 'jabber:client') element.attrs.xmlns = 'jabber:component:accept';
    return stream.send(element);
  };
  const iqs = createIqTracker({
    clock,
    send: write,
    defaultTimeoutMs: options.iqTimeoutMs ?? 30_000,
  });
  const { api, dispatch } = createStanzaSurface({ send: write, iqs, stream: () => stream, log });

  const authError = (cause: AviaryError) =>
    new AviaryError(
      'xmpp.component-auth-failed',
      `the server refused the secret for component ${jid}`,
      {
        cause,
        details: { ...cause.details },
      },
    );

  const onClose = (error: AviaryError | undefined) => {
    stream = undefined;
    const failure =
      error !== undefined && negotiating && error.details?.condition === 'not-authorized'
        ? authError(error)
        : (error ?? new AviaryError('xmpp.not-connected', 'connection closed'));
    queue.fail(failure);
    iqs.failAll(failure);
    setStatus('offline', error === undefined ? undefined : failure);
  };

  const onElement = (element: Element) => {
    if (
      element.name === 'iq' &&
      (element.attrs.type === 'result' || element.attrs.type === 'error')
    ) {
      if (iqs.handleReply(element)) return;
    }
    if (negotiating) queue.push(element);
    else dispatch(element);
  };

  return withSurface<Omit<ComponentConnection, keyof StanzaSurface>>(api, {
    get status() {
      return status;
    },
    async connect() {
      if (status !== 'offline') throw new AviaryError('xmpp.busy', `connect() while ${status}`);
      setStatus('connecting');
      queue = createElementQueue(clock);
      negotiating = true;
      streamId = undefined;
      let s: XmlStream | undefined;
      try {
        s = await XmlStream.connect(
          {
            host: options.server.host,
            port: options.server.port,
            ns: 'jabber:component:accept',
            clock,
            connectTimeoutMs: timeoutMs,
            maxStanzaBytes: options.maxStanzaBytes ?? 1 << 20,
            log,
          },
          {
            onHeader: (header) => {
              streamId = header.attrs.id;
              queue.push(header);
            },
            onElement,
            onClose,
          },
        );
        stream = s;
        await s.open(jid);
        await queue.next(timeoutMs, 'stream header');
        if (streamId === undefined)
          throw new AviaryError('xmpp.unexpected', 'stream header without id');
        await s.send(xml('handshake', {}, componentHandshake(streamId, options.secret)));
        const reply = await queue.next(timeoutMs, 'handshake reply');
        if (reply.name !== 'handshake')
          throw new AviaryError('xmpp.unexpected', `expected <handshake/>, got <${reply.name}>`);
        negotiating = false;
      } catch (error) {
        if (s !== undefined && !s.closed) s.destroy();
        negotiating = false;
        if (status !== 'offline') setStatus('offline');
        throw error;
      }
      setStatus('online');
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
