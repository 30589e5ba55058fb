/**
 * Outgoing IQ requests waiting for their `result`/`error` (RFC 6120 §8.2.3), with timeouts
 * from the injected clock. An `error` reply rejects with `xmpp.stanza-error` carrying the
 * condition, type and text (RFC 6120 §8.3).
 */

import xml, { type Element } from '@xmpp/xml';
import { AviaryError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { pooledRandomBytes } from './random-pool.js';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

export interface IqTracker {
  /** Sends `iq` (an id is added when missing) and resolves with the `result` stanza. */
  request(iq: Element, timeoutMs?: number): Promise<Element>;
  /** Routes an incoming `result`/`error`; returns false when no request waits for it. */
  handleReply(iq: Element): boolean;
  /**
   * Fails the request a reply was meant for when that reply could not be read (it was skipped
   * for its size, say): same id and sender checks as {@link handleReply}; false when none waits.
   */
  failReply(
    reply: { readonly id: string | undefined; readonly from: string | undefined },
    error: AviaryError,
  ): boolean;
  /** Rejects every pending request (connection lost). */
  failAll(error: AviaryError): void;
  readonly pending: number;
}

/** Builds the AviaryError for an `<iq type='error'>` (or any stanza error). */
export function stanzaErrorFromElement(stanza: Element): AviaryError<'xmpp.stanza-error'> {
  const error = stanza.getChild('error');
  const condition =
    error?.getChildElements().find((c) => c.getNS() === NS_STANZAS && c.name !== 'text')?.name ??
    'undefined-condition';
  const text = error?.getChildText('text', NS_STANZAS) ?? '';
  return new AviaryError(
    'xmpp.stanza-error',
    `${stanza.name} error: ${condition}${text ? ` (${text})` : ''}`,
    {
      details: { condition, type: error?.attrs.type ?? '', text },
    },
  );
}

/** Builds an `<iq type='error'>` reply to `iq` with a stanza error condition. */
export function iqErrorReply(iq: Element, type: string, condition: string): Element {
  return xml(
    'iq',
    { type: 'error', id: iq.attrs.id, to: iq.attrs.from },
    xml('error', { type }, xml(condition, { xmlns: NS_STANZAS })),
  );
}

export interface IqTrackerDeps {
  readonly clock: Clock;
  readonly send: (element: Element) => Promise<void>;
  readonly defaultTimeoutMs: number;
  /**
   * Accepts the `from` of a reply to a request sent without `to` (addressed to our own
   * account or server, RFC 6120 §10.3.3). Replies from anyone else are not matched, so a
   * peer cannot spoof an answer.
   */
  readonly isLocalSender?: (from: string | undefined) => boolean;
}

export function createIqTracker(deps: IqTrackerDeps): IqTracker {
  return new PendingIqs(deps);
}

interface Waiting {
  readonly to: string | undefined;
  readonly resolve: (e: Element) => void;
  readonly reject: (e: unknown) => void;
  readonly cancel: () => void;
}

const onlyUnaddressed = (from: string | undefined) => from === undefined;

/** A class, not an object literal of closures: one per connection, its methods shared. */
class PendingIqs implements IqTracker {
  readonly #deps: IqTrackerDeps;
  readonly #isLocal: (from: string | undefined) => boolean;
  readonly #prefix = pooledRandomBytes(4).toString('hex');
  #sequence = 0;
  readonly #waiting = new Map<string, Waiting>();

  constructor(deps: IqTrackerDeps) {
    this.#deps = deps;
    this.#isLocal = deps.isLocalSender ?? onlyUnaddressed;
  }

  /** Removes and returns the request waiting for a reply with this id from this sender. */
  #take(id: string | undefined, from: string | undefined): Waiting | undefined {
    const entry = id === undefined ? undefined : this.#waiting.get(id);
    if (entry === undefined || id === undefined) return undefined;
    const expected =
      entry.to === undefined ? this.#isLocal(from) : from?.toLowerCase() === entry.to.toLowerCase();
    if (!expected) return undefined;
    this.#waiting.delete(id);
    entry.cancel();
    return entry;
  }

  async request(iq: Element, timeoutMs = this.#deps.defaultTimeoutMs): Promise<Element> {
    iq.attrs.id ??= `${this.#prefix}-${(this.#sequence++).toString(36)}`;
    const id: string = iq.attrs.id;
    const waiting = this.#waiting;
    const reply = new Promise<Element>((resolve, reject) => {
      const cancel = this.#deps.clock.setTimeout(() => {
        waiting.delete(id);
        reject(new AviaryError('xmpp.timeout', `no reply to iq ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, { to: iq.attrs.to, resolve, reject, cancel });
    });
    // The error reply may arrive before `send` settles; the caller observes it through the
    // returned promise, so it must not count as an unhandled rejection meanwhile.
    reply.catch(() => undefined);
    try {
      await this.#deps.send(iq);
    } catch (error) {
      waiting.get(id)?.cancel();
      waiting.delete(id);
      throw error;
    }
    return reply;
  }

  handleReply(iq: Element): boolean {
    const entry = this.#take(iq.attrs.id, iq.attrs.from);
    if (entry === undefined) return false;
    if (iq.attrs.type === 'error') entry.reject(stanzaErrorFromElement(iq));
    else entry.resolve(iq);
    return true;
  }

  failReply(
    reply: { readonly id: string | undefined; readonly from: string | undefined },
    error: AviaryError,
  ): boolean {
    const entry = this.#take(reply.id, reply.from);
    entry?.reject(error);
    return entry !== undefined;
  }

  failAll(error: AviaryError): void {
    for (const entry of this.#waiting.values()) {
      entry.cancel();
      entry.reject(error);
    }
    this.#waiting.clear();
  }

  get pending(): number {
    return this.#waiting.size;
  }
}
