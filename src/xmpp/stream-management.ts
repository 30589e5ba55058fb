/**
 * Stream management (XEP-0198, namespace `urn:xmpp:sm:3`) for client connections.
 *
 * {@link StreamManagementSession} is what outlives one TCP connection: the queue of unacked
 * outgoing stanzas, our count of handled incoming stanzas, the resumption id and the bound JID.
 * The owner (one per profile) hands the same session to every new connection, which first tries
 * `<resume/>` and, when that fails, binds again and resends the unacked messages.
 *
 * {@link createStreamManagementLink} is the per-connection part. It sees every incoming element
 * before anything else, so counting is exact under bursts, across negotiation phases and right
 * after `<enabled/>` or `<resumed/>`:
 * - our `h` counts every stanza received after `<enabled/>` (or continues after `<resumed/>`),
 *   including IQ replies and skipped over-size stanzas (the server counted them too, §4);
 * - the outgoing count covers every stanza written after `<enable/>` (§4);
 * - `<r/>` is answered at once with `<a h/>`; we ask for acks every `ackEvery` stanzas and
 *   `ackDelayMs` after a quieter send, so the queue stays short;
 * - `<resumed/>` hands the stream to the surface synchronously (stanzas the server resends in the
 *   same TCP segment are delivered, never lost in the negotiation queue).
 */
import xml, { type Element } from '@xmpp/xml';
import { AviaryError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { InboundCounter, parseH, UnackedQueue } from './sm-counters.js';
import type { XmppLog } from './xmpp-log.js';

export const NS_SM = 'urn:xmpp:sm:3';

/** Stream management state of one account, kept across its connections. */
export class StreamManagementSession {
  readonly outbound = new UnackedQueue<Element>();
  readonly inbound = new InboundCounter();
  /** From `<enabled resume='true' id/>`; undefined when there is nothing to resume. */
  resumeId: string | undefined;
  /** Full JID bound in the session that `resumeId` names. */
  boundJid: string | undefined;

  /** A clean end (our `</stream:stream>` read by the server): nothing to resume or resend. */
  forget(): void {
    this.resumeId = undefined;
    this.boundJid = undefined;
    this.outbound.restart();
    this.inbound.reset();
  }
}

export interface StreamManagementLinkOptions {
  readonly session: StreamManagementSession;
  readonly clock: Clock;
  readonly log: XmppLog;
  /** Writes a nonza on the current stream (errors are the stream's business). */
  readonly write: (element: Element) => void;
  /** Ends the stream on a protocol error (an `h` outside what we sent). */
  readonly fail: (error: AviaryError) => void;
  /** Ask for an ack once this many stanzas went out unrequested (default 50). */
  readonly ackEvery?: number;
  /** …or this long after the first of fewer (default 1000 ms). */
  readonly ackDelayMs?: number;
}

export interface StreamManagementLink {
  /** Counting incoming stanzas (after `<enabled/>` or `<resumed/>`). */
  readonly active: boolean;
  /** Sees every incoming element first; true when it was a stream-management nonza (consumed). */
  inspect(element: Element): boolean;
  /** A stanza is being written (counted and queued once enabled). */
  outgoing(element: Element): void;
  /** An incoming stanza was skipped (over-size): still counted. */
  skipped(): void;
  /**
   * `<resume previd h/>` (§5). Resolves true once `<resumed/>` came: `onResumed` has then run
   * synchronously and `takeResend()` holds what to send again; false after `<failed/>`.
   */
  resume(timeoutMs: number, onResumed: () => void): Promise<boolean>;
  /** `<enable resume='true'/>` (§3). True once enabled, false after `<failed/>`. */
  enable(timeoutMs: number): Promise<boolean>;
  /** The stanzas to send again: after `<resumed/>` the unacked ones but IQ requests, after a new bind the messages. */
  takeResend(): Element[];
  /** Starts a new session after a bind: the unacked stanzas of the old one are kept for resending. */
  startFresh(): void;
  /** Our `<a h/>`, sent before a clean close so the server does not redeliver what we handled. */
  finalAck(): void;
  /** The stream closed; `error` undefined for a clean close we asked for. */
  closed(error: AviaryError | undefined): void;
}

type Reply = 'enabled' | 'resumed' | 'failed';

export function createStreamManagementLink(
  options: StreamManagementLinkOptions,
): StreamManagementLink {
  const { session, clock, log } = options;
  const ackEvery = options.ackEvery ?? 50;
  const ackDelayMs = options.ackDelayMs ?? 1000;
  let inboundActive = false;
  let outboundActive = false;
  let resend: Element[] = [];
  let sinceRequest = 0;
  let requestTimer: { cancel: () => void; soon: boolean } | undefined;
  let pending: { handle: (reply: Reply, element: Element) => void } | undefined;

  const request = () => {
    requestTimer?.cancel();
    requestTimer = undefined;
    sinceRequest = 0;
    if (outboundActive && session.outbound.length > 0) options.write(xml('r', { xmlns: NS_SM }));
  };
  const scheduleRequest = (soon: boolean) => {
    if (requestTimer !== undefined && (requestTimer.soon || !soon)) return;
    requestTimer?.cancel();
    requestTimer = { cancel: clock.setTimeout(request, soon ? 0 : ackDelayMs), soon };
  };

  const wait = (timeoutMs: number, what: string, handle: (reply: Reply, e: Element) => boolean) =>
    new Promise<boolean>((resolve, reject) => {
      // A settled wait leaves no close waiter behind: `closed()` builds its error only for a
      // wait still open.
      const cancel = clock.setTimeout(() => {
        pending = undefined;
        closeWaiter = undefined;
        reject(new AviaryError('xmpp.timeout', `no answer to ${what} after ${timeoutMs} ms`));
      }, timeoutMs);
      pending = {
        handle(reply, element) {
          pending = undefined;
          closeWaiter = undefined;
          cancel();
          try {
            resolve(handle(reply, element));
          } catch (error) {
            reject(error);
          }
        },
      };
      closeWaiter = (error) => {
        cancel();
        pending = undefined;
        reject(error);
      };
    });
  let closeWaiter: ((error: AviaryError) => void) | undefined;

  const link: Omit<StreamManagementLink, 'active'> = {
    inspect(element) {
      if (element.attrs.xmlns !== NS_SM) {
        if (inboundActive && isStanza(element)) session.inbound.increment();
        return false;
      }
      switch (element.name) {
        case 'r':
          if (inboundActive)
            options.write(xml('a', { xmlns: NS_SM, h: String(session.inbound.h) }));
          break;
        case 'a': {
          const h = parseH(element.attrs.h);
          if (!outboundActive) break;
          try {
            if (h === undefined)
              throw new AviaryError('xmpp.unexpected', `<a/> with a bad h: ${element.attrs.h}`);
            session.outbound.ack(h);
            if (session.outbound.length === 0) {
              requestTimer?.cancel();
              requestTimer = undefined;
            }
          } catch (error) {
            options.fail(error as AviaryError);
          }
          break;
        }
        case 'enabled':
        case 'resumed':
        case 'failed':
          if (pending === undefined)
            log.warn({ name: element.name }, 'unexpected stream management reply');
          else pending.handle(element.name, element);
          break;
        default:
          log.debug({ name: element.name }, 'ignored stream management element');
      }
      return true;
    },
    outgoing(element) {
      if (!outboundActive || !isStanza(element)) return;
      session.outbound.push(element);
      sinceRequest++;
      scheduleRequest(sinceRequest >= ackEvery);
    },
    skipped() {
      if (inboundActive) session.inbound.increment();
    },
    async resume(timeoutMs, onResumed) {
      const previd = session.resumeId;
      if (previd === undefined) return false;
      const reply = wait(timeoutMs, '<resume/>', (name, element) => {
        if (name !== 'resumed') {
          session.resumeId = undefined;
          // `<failed h/>` (XEP-0198 1.6) still tells what the old session handled.
          const h = parseH(element.attrs.h);
          if (h !== undefined) ackQuietly(h);
          log.debug({ condition: element.children[0]?.toString() }, 'stream resumption refused');
          return false;
        }
        const h = parseH(element.attrs.h);
        if (h === undefined)
          throw new AviaryError('xmpp.unexpected', `<resumed/> with a bad h: ${element.attrs.h}`);
        session.outbound.ack(h);
        // IQ requests are not sent again: the tracker failed them when the stream dropped and
        // their callers may already have retried. Everything else goes out again, in order.
        resend = session.outbound.takeForResend().filter((e) => !isIqRequest(e));
        inboundActive = true;
        outboundActive = true;
        onResumed();
        return true;
      });
      options.write(xml('resume', { xmlns: NS_SM, previd, h: String(session.inbound.h) }));
      return reply;
    },
    startFresh() {
      const unacked = session.outbound.restart();
      // After a new bind only messages are worth sending again: presence is sent afresh and an
      // IQ's caller already heard that its request failed. The receiver dedupes messages by
      // origin-id (XEP-0359).
      resend = unacked.filter((element) => element.name === 'message');
      // The new session may have another resource: the server stamps `from` itself (RFC 6120
      // §8.1.2.1), an old full JID there could be refused as invalid-from.
      for (const element of resend) delete element.attrs.from;
      session.resumeId = undefined;
      session.boundJid = undefined;
      session.inbound.reset();
    },
    async enable(timeoutMs) {
      const reply = wait(timeoutMs, '<enable/>', (name, element) => {
        if (name !== 'enabled') {
          outboundActive = false;
          session.outbound.restart();
          return false;
        }
        inboundActive = true;
        session.inbound.reset();
        const resumable = element.attrs.resume === 'true' || element.attrs.resume === '1';
        session.resumeId = resumable ? element.attrs.id : undefined;
        return true;
      });
      outboundActive = true;
      options.write(xml('enable', { xmlns: NS_SM, resume: 'true' }));
      return reply;
    },
    takeResend() {
      const items = resend;
      resend = [];
      return items;
    },
    finalAck() {
      if (inboundActive) options.write(xml('a', { xmlns: NS_SM, h: String(session.inbound.h) }));
    },
    closed(error) {
      requestTimer?.cancel();
      requestTimer = undefined;
      closeWaiter?.(error ?? new AviaryError('xmpp.not-connected', 'connection closed'));
      closeWaiter = undefined;
      inboundActive = false;
      outboundActive = false;
      // Stanzas taken for resending but not yet written stay unacked for the next connection.
      for (const element of resend) session.outbound.push(element);
      resend = [];
      if (error === undefined) session.forget();
    },
  };

  function ackQuietly(h: number) {
    try {
      session.outbound.ack(h);
    } catch (error) {
      log.warn({ err: error }, 'ignored a bad h in <failed/>');
    }
  }

  return new LinkObject(link, () => inboundActive);
}

/**
 * The link's functions behind a class getter for `active`: an object literal with an accessor
 * is slow to create (V8 builds it property by property), and every connection builds a link.
 */
class LinkObject implements StreamManagementLink {
  readonly inspect: StreamManagementLink['inspect'];
  readonly outgoing: StreamManagementLink['outgoing'];
  readonly skipped: StreamManagementLink['skipped'];
  readonly resume: StreamManagementLink['resume'];
  readonly enable: StreamManagementLink['enable'];
  readonly takeResend: StreamManagementLink['takeResend'];
  readonly startFresh: StreamManagementLink['startFresh'];
  readonly finalAck: StreamManagementLink['finalAck'];
  readonly closed: StreamManagementLink['closed'];
  readonly #active: () => boolean;

  constructor(functions: Omit<StreamManagementLink, 'active'>, active: () => boolean) {
    this.inspect = functions.inspect;
    this.outgoing = functions.outgoing;
    this.skipped = functions.skipped;
    this.resume = functions.resume;
    this.enable = functions.enable;
    this.takeResend = functions.takeResend;
    this.startFresh = functions.startFresh;
    this.finalAck = functions.finalAck;
    this.closed = functions.closed;
    this.#active = active;
  }

  get active(): boolean {
    return this.#active();
  }
}

function isIqRequest(element: Element): boolean {
  return element.name === 'iq' && (element.attrs.type === 'get' || element.attrs.type === 'set');
}

function isStanza(element: Element): boolean {
  return element.name === 'message' || element.name === 'presence' || element.name === 'iq';
}
