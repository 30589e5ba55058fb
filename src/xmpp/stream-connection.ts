/**
 * The life cycle shared by client (RFC 6120 c2s) and component (XEP-0114) connections: open the
 * XML stream, run the kind-specific negotiation with elements queued in order, then hand
 * stanzas to the surface; on close fail the waiting negotiation step and every pending IQ, and
 * report `offline` with the error. The two connection kinds supply only their negotiation,
 * their send rules and how a close during negotiation is named.
 *
 * Invariants:
 * - `connect()` is refused unless `offline`; a failed `connect()` leaves no stream behind and
 *   the status `offline`;
 * - IQ replies (`result`/`error`) go to the IQ tracker first, in every phase (RFC 6120 §8.2.3);
 * - while negotiating, other elements go to the negotiation queue, afterwards to the surface.
 */
import type { Element } from '@xmpp/xml';
import { AviaryError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { parseStanza } from '../util/stanza-xml.js';
import { createElementQueue, type ElementQueue } from './element-queue.js';
import { createIqTracker, type IqTracker } from './iq-tracker.js';
import { type OversizeStanza, oversizeReply } from './oversize-stanza.js';
import { createStanzaSurface, type SurfaceParts } from './stanza-surface.js';
import { XmlStream, type XmlStreamOptions } from './xml-stream.js';
import type { XmppLog } from './xmpp-log.js';

/** The statuses every connection kind goes through; kinds add their own negotiation steps. */
export type BaseStatus = 'offline' | 'connecting' | 'online' | 'closing';

/** What a negotiation step gets: the open stream, the queued elements and the IQ tracker. */
export interface NegotiationSession<S extends string> {
  readonly stream: XmlStream;
  readonly queue: ElementQueue;
  readonly iqs: IqTracker;
  setStatus(status: S): void;
  /** From now on, elements other than IQ replies go to the surface instead of the queue. */
  negotiated(): void;
}

export interface StreamConnectionOptions<S extends string> {
  readonly clock: Clock;
  readonly log: XmppLog;
  /** Where and how to open the stream (clock, log and limits come from the fields here). */
  readonly stream: Pick<XmlStreamOptions, 'host' | 'port' | 'localAddress' | 'ns' | 'directTls'>;
  /**
   * Places to try in order instead of `stream.host`/`port` (server discovery); the first that
   * accepts the connection is used, and when none does the last failure is thrown.
   */
  readonly targets?: () => Promise<
    readonly Pick<XmlStreamOptions, 'host' | 'port' | 'directTls'>[]
  >;
  readonly connectTimeoutMs: number;
  readonly maxStanzaBytes: number;
  readonly iqTimeoutMs: number;
  /** Which replies to requests sent without `to` are accepted (see the IQ tracker). */
  readonly isLocalSender?: (from: string | undefined) => boolean;
  /** Whether stanzas from the surface may be written in `status`. */
  readonly canSend: (status: S | BaseStatus) => boolean;
  /** Rewrites an outgoing element just before the wire (the component namespace). */
  readonly outgoing?: (element: Element) => Element;
  /**
   * Sees every incoming element first, in every phase (stream management counting and nonzas,
   * XEP-0198); returning true consumes it. Over-size stanzas skipped unread are reported through
   * `onSkipped` instead.
   */
  readonly inspectInbound?: (element: Element) => boolean;
  readonly onSkipped?: () => void;
  /** Sees every stanza written through the surface or the IQ tracker, in wire order. */
  readonly onWrite?: (element: Element) => void;
  /** Runs just before a clean `</stream:stream>` (a last stream management ack). */
  readonly beforeClose?: () => void;
  /** The peer's stream header (after each open or restart), with the negotiation queue. */
  readonly onHeader?: (header: Element, queue: ElementQueue) => void;
  /** Runs the kind-specific negotiation on the opened stream. */
  readonly negotiate: (session: NegotiationSession<S>) => Promise<void>;
  /** Names the failure of a close; `negotiating` tells a refusal from a later drop. */
  readonly closeFailure?: (error: AviaryError, negotiating: boolean) => AviaryError;
  /** Called once online (periodic pings) and once the stream is gone. */
  readonly onOnline?: (stream: XmlStream, iqs: IqTracker) => void;
  /** `error` is undefined for a clean close we asked for. */
  readonly onClosed?: (error: AviaryError | undefined) => void;
}

/** A connection's own members besides the stanza surface. */
export interface StreamConnectionControl<S extends string> {
  readonly status: S | BaseStatus;
  connect(): Promise<void>;
  onStatus(handler: (status: S | BaseStatus, error?: AviaryError) => void): () => void;
  /** Clean stop: `</stream:stream>`, wait for the peer's close, then close the socket. */
  disconnect(): Promise<void>;
}

/** The control's functions, none of which uses `this`, with the status as a function. */
export interface ControlParts<S extends string> extends Omit<StreamConnectionControl<S>, 'status'> {
  statusNow(): S | BaseStatus;
}

/** What {@link createStreamConnection} builds, for a `StreamConnectionObject`. */
export interface StreamConnectionParts<S extends string> {
  readonly control: ControlParts<S>;
  readonly surface: SurfaceParts;
}

/**
 * Builds the shared skeleton; the kind wraps it in a `StreamConnectionObject` subclass
 * (connection-object.ts).
 * The functions of `control` and `surface` use no `this`.
 *
 * @example
 * const parts = createStreamConnection({ ..., negotiate: async ({ stream }) => {} });
 * const connection = new StreamConnectionObject(parts);
 */
export function createStreamConnection<S extends string>(
  options: StreamConnectionOptions<S>,
): StreamConnectionParts<S> {
  const { clock, log } = options;
  type Status = S | BaseStatus;
  const statusHandlers = new Set<(status: Status, error?: AviaryError) => void>();
  let status: Status = 'offline';
  let stream: XmlStream | undefined;
  let negotiating = false;
  let queue = createElementQueue(clock);

  const setStatus = (next: Status, error?: AviaryError) => {
    if (next === status && error === undefined) return;
    status = next;
    for (const handler of statusHandlers) handler(next, error);
  };
  const write = (element: Element) => {
    if (stream === undefined)
      return Promise.reject(new AviaryError('xmpp.not-connected', `cannot send while ${status}`));
    const out = options.outgoing ? options.outgoing(element) : element;
    options.onWrite?.(out);
    return stream.send(out);
  };
  const iqs = createIqTracker({
    clock,
    send: write,
    defaultTimeoutMs: options.iqTimeoutMs,
    ...(options.isLocalSender ? { isLocalSender: options.isLocalSender } : {}),
  });
  const { api, dispatch } = createStanzaSurface({
    send: (element) =>
      options.canSend(status)
        ? write(element)
        : Promise.reject(new AviaryError('xmpp.not-connected', `cannot send while ${status}`)),
    iqs,
    stream: () => stream,
    log,
  });

  /** Pending while connect() has no stream yet or negotiates; settled once it ended. */
  let opening: Promise<void> | undefined;
  /** disconnect() was called while connect() had no stream yet. */
  let cancelled = false;

  const onElement = (element: Element) => {
    if (options.inspectInbound?.(element) === true) return;
    const type = element.attrs.type;
    if (element.name === 'iq' && (type === 'result' || type === 'error')) {
      if (iqs.handleReply(element)) return;
    }
    if (negotiating) queue.push(element);
    else dispatch(element);
  };

  // A skipped over-size reply fails its request at once (`xmpp.stanza-too-large`) instead of
  // leaving it to time out, so a caller can ask again for less (smaller pubsub pages). Other
  // skipped stanzas get what the stream does by default: an IQ get/set must be answered
  // (RFC 6120 §8.2.3), a message or presence is dropped.
  const onOversize = (stanza: OversizeStanza) => {
    options.onSkipped?.();
    const reply = stanza.name === 'iq' && (stanza.type === 'result' || stanza.type === 'error');
    const tooLarge = new AviaryError(
      'xmpp.stanza-too-large',
      `the reply to iq ${stanza.id ?? '?'} (${stanza.bytes} bytes) exceeds the ${options.maxStanzaBytes}-byte stanza limit`,
      { details: { id: stanza.id ?? '', bytes: stanza.bytes, limit: stanza.limit } },
    );
    if (reply && iqs.failReply(stanza, tooLarge)) return;
    log.warn({ ...stanza }, 'skipped an oversize stanza');
    const answer = oversizeReply(stanza, options.stream.ns);
    if (answer === undefined || stream === undefined) return;
    // The error reply is a stanza like any other: stream management counts it.
    options.onWrite?.(parseStanza(answer));
    stream.write(answer).catch(() => undefined);
  };

  const onClose = (error: AviaryError | undefined) => {
    options.onClosed?.(error);
    stream = undefined;
    if (error === undefined) {
      // A clean close we asked for: the error exists only if something waits to hear it.
      let closed: AviaryError | undefined;
      const failure = () => {
        closed ??= new AviaryError('xmpp.not-connected', 'connection closed');
        return closed;
      };
      queue.fail(failure);
      if (iqs.pending > 0) iqs.failAll(failure());
      setStatus('offline');
      return;
    }
    const failure = options.closeFailure?.(error, negotiating) ?? error;
    queue.fail(failure);
    iqs.failAll(failure);
    log.warn({ code: failure.code, details: failure.details }, 'connection closed');
    setStatus('offline', failure);
  };

  const control: ControlParts<S> = {
    statusNow: () => status,
    async connect() {
      if (status !== 'offline') throw new AviaryError('xmpp.busy', `connect() while ${status}`);
      setStatus('connecting');
      queue = createElementQueue(clock);
      negotiating = true;
      cancelled = false;
      let settle = () => {};
      opening = new Promise<void>((resolve) => {
        settle = resolve;
      });
      let s: XmlStream | undefined;
      // A disconnect() that came before the stream existed: close what was opened since.
      const unlessCancelled = () => {
        if (cancelled) throw new AviaryError('xmpp.disconnected', 'disconnected while connecting');
      };
      try {
        const handlers = {
          onHeader: (header: Element) => options.onHeader?.(header, queue),
          onElement,
          onOversize,
          onClose,
        };
        const common = {
          clock,
          connectTimeoutMs: options.connectTimeoutMs,
          maxStanzaBytes: options.maxStanzaBytes,
          log,
        };
        const targets = options.targets === undefined ? [options.stream] : await options.targets();
        unlessCancelled();
        // Built only when needed: an error's stack trace is a measurable part of a login's CPU.
        let lastError: unknown;
        for (const target of targets) {
          try {
            s = await XmlStream.connect({ ...options.stream, ...target, ...common }, handlers);
            break;
          } catch (error) {
            log.debug({ host: target.host, port: target.port, err: error }, 'server unreachable');
            lastError = error;
          }
        }
        unlessCancelled();
        if (s === undefined)
          throw lastError ?? new AviaryError('xmpp.connection-failed', 'no server to try');
        stream = s;
        await options.negotiate({
          stream: s,
          queue,
          iqs,
          setStatus: (next) => setStatus(next),
          negotiated: () => {
            negotiating = false;
          },
        });
        negotiating = false;
      } catch (error) {
        negotiating = false;
        if (s !== undefined && !s.closed) s.destroy();
        if (status !== 'offline') setStatus('offline');
        throw error;
      } finally {
        opening = undefined;
        settle();
      }
      setStatus('online');
      options.onOnline?.(s, iqs);
    },
    onStatus(handler) {
      statusHandlers.add(handler);
      return () => statusHandlers.delete(handler);
    },
    async disconnect() {
      const s = stream;
      if (s === undefined) {
        // connect() is still opening the stream (socket, TLS, stream header): it closes the
        // stream as soon as it has one and fails; once it settled, nothing is left open.
        if (opening === undefined) return;
        cancelled = true;
        await opening;
        return;
      }
      setStatus('closing');
      options.beforeClose?.();
      await s.close();
    },
  };
  return { control, surface: api };
}
