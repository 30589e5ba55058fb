/**
 * One profile's contacts: its roster (cached with its version between logins), the presence of
 * its contacts on the current stream, and the subscription requests waiting for an answer.
 *
 * Invariants:
 * - `handlePush` and `handlePresence` run inside the entity's turn: they never wait for the
 *   entity (answers are sent without awaiting them) and they change state in stanza order;
 * - the roster cache is written after every change, one write at a time, in change order;
 * - a request is `pending` only under the `ask` policy, until answered or withdrawn.
 */
import xml, { type Element } from '@xmpp/xml';
import { iqError } from '../entities/entity-extensions.js';
import { AviaryError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { bareJid } from '../workflow/jid.js';
import { readPresence, subscriptionAnswer, subscriptionRequest } from '../xmpp/presence.js';
import {
  parseRosterPush,
  parseRosterResult,
  type RosterItem,
  rosterGetIq,
  rosterRemoveIq,
  rosterSetIq,
} from '../xmpp/roster.js';
import { type ContactPresence, PresenceBook, type PresenceUpdate } from './presence-book.js';
import { RosterBook, type RosterChange, type RosterSnapshot } from './roster-book.js';
import {
  decide,
  type SubscriptionDecision,
  type SubscriptionPolicy,
} from './subscription-policy.js';

/** A subscription request as `subscriptionRequest` carries it (minus the profile). */
export interface SubscriptionRequestInfo {
  /** The requester's bare JID. */
  readonly jid: string;
  readonly status?: string;
  readonly decision: SubscriptionDecision;
  /** When it arrived (ms since the epoch). */
  readonly at: number;
}

/** A roster item with its contact's presence. */
export type RosterEntry = RosterItem & { readonly presence: ContactPresence['resources'] };

export interface ProfileContactsDeps {
  /** The profile's own JID (full once bound). */
  readonly ownJid: () => string;
  /** Whether the profile's stream is up and announced (answers wait for it otherwise). */
  readonly online: () => boolean;
  /** IQ and send through the profile's connection (never awaited inside its turn). */
  readonly iq: (element: Element, timeoutMs?: number) => Promise<Element>;
  readonly send: (element: Element) => Promise<void>;
  readonly cache: {
    load(): Promise<RosterSnapshot | undefined>;
    save(snapshot: RosterSnapshot): Promise<void>;
  };
  readonly policy: () => SubscriptionPolicy;
  readonly signals: {
    rosterChanged(change: RosterChange): void;
    presenceChanged(update: PresenceUpdate): void;
    subscriptionRequest(request: SubscriptionRequestInfo): void;
  };
  readonly clock: Clock;
  readonly log: { warn(fields: object, message: string): void };
  /** How long `add`/`remove` wait for the server's roster push (default 10 s). */
  readonly pushWaitMs?: number;
}

export class ProfileContacts {
  readonly #deps: ProfileContactsDeps;
  // The state below is made when first needed and dropped when the stream goes down: most
  // idle profiles hold none of it (thousands of profiles per process).
  #presence: PresenceBook | undefined;
  #pending: Map<string, SubscriptionRequestInfo> | undefined;
  #pushWaiters: Map<string, (() => void)[]> | undefined;
  /** Answers to stanzas handled before the stream was announced online (sent once it is). */
  #unsent: Element[] | undefined;
  #roster: Promise<RosterBook> | undefined;
  #saving: Promise<void> | undefined;

  constructor(deps: ProfileContactsDeps) {
    this.#deps = deps;
  }

  /** The roster, read from the cache once. */
  #book(): Promise<RosterBook> {
    this.#roster ??= this.#deps.cache.load().then(
      (snapshot) => RosterBook.fromSnapshot(snapshot),
      (error: unknown) => {
        this.#deps.log.warn({ err: error }, 'roster cache unreadable; starting empty');
        return new RosterBook();
      },
    );
    return this.#roster;
  }

  /**
   * Fetches the roster once the stream is up, sending the cached version so an up-to-date
   * roster costs an empty answer (RFC 6121 §2.6). A version is only cached when the server gave
   * one, so a server without versioning never receives `ver`.
   */
  async refresh(iq: (element: Element) => Promise<Element>): Promise<void> {
    const book = await this.#book();
    const result = parseRosterResult(await iq(rosterGetIq(book.ver)));
    this.#changed(book, book.applyResult(result));
  }

  /** A roster push (RFC 6121 §2.1.6), answered; a push not from the account is refused. */
  async handlePush(stanza: Element): Promise<void> {
    const parsed = parseRosterPush(stanza, this.#deps.ownJid());
    if (!parsed.ok) {
      this.#deps.log.warn(
        { from: stanza.attrs.from, reason: parsed.reason },
        'roster push refused',
      );
      this.#reply(iqError(stanza, 'cancel', 'service-unavailable'));
      return;
    }
    const book = await this.#book();
    this.#changed(book, book.applyPush(parsed.push));
    this.#reply(replyTo(stanza));
    const key = safeBare(parsed.push.item.jid);
    for (const wake of (key && this.#pushWaiters?.get(key)) || []) wake();
    if (key) this.#pushWaiters?.delete(key);
  }

  /** An incoming presence: availability is tracked, subscription requests follow the policy. */
  handlePresence(stanza: Element): void {
    const presence = readPresence(stanza);
    if (presence.kind === 'availability') {
      this.#presence ??= new PresenceBook();
      const update = this.#presence.update(presence);
      if (update) this.#deps.signals.presenceChanged(update);
      return;
    }
    if (presence.kind !== 'subscription') return;
    const jid = safeBare(presence.from);
    if (jid === undefined) return;
    if (presence.type === 'unsubscribe') this.#pending?.delete(jid);
    if (presence.type !== 'subscribe') return;
    const decision = decide(this.#deps.policy());
    const request: SubscriptionRequestInfo = {
      jid,
      decision,
      at: this.#deps.clock.now(),
      ...(presence.status === undefined ? {} : { status: presence.status }),
    };
    if (decision === 'pending') {
      this.#pending ??= new Map();
      this.#pending.set(jid, request);
    } else this.#reply(subscriptionAnswer(jid, decision === 'accepted'));
    this.#deps.signals.subscriptionRequest(request);
  }

  /** The roster with each contact's available resources. */
  async list(): Promise<RosterEntry[]> {
    const book = await this.#book();
    return book.list().map((item) => ({
      ...item,
      presence: this.#presence?.of(item.jid)?.resources ?? [],
    }));
  }

  /** Adds or updates a contact; with `subscribe`, also asks to see its presence. */
  async add(item: {
    readonly jid: string;
    readonly name?: string | undefined;
    readonly groups?: readonly string[] | undefined;
    readonly subscribe?: boolean | undefined;
  }): Promise<RosterItem | undefined> {
    const jid = requireBare(item.jid);
    const pushed = this.#waitForPush(jid);
    await this.#deps.iq(rosterSetIq({ ...item, jid }));
    if (item.subscribe === true) await this.#deps.send(subscriptionRequest(jid));
    await pushed;
    return (await this.#book()).get(jid);
  }

  /** Removes a contact (and the subscriptions both ways). */
  async remove(jid: string): Promise<{ readonly removed: boolean }> {
    const bare = requireBare(jid);
    const known = (await this.#book()).get(bare) !== undefined;
    const pushed = this.#waitForPush(bare);
    await this.#deps.iq(rosterRemoveIq(bare));
    await pushed;
    return { removed: known && (await this.#book()).get(bare) === undefined };
  }

  /** Requests waiting for an answer (policy `ask`). */
  pending(): SubscriptionRequestInfo[] {
    return [...(this.#pending?.values() ?? [])];
  }

  /** Approves or refuses a pending request. */
  async answer(jid: string, accept: boolean): Promise<SubscriptionRequestInfo> {
    const bare = requireBare(jid);
    const request = this.#pending?.get(bare);
    if (request === undefined)
      throw new AviaryError('contacts.no-request', `no pending subscription request from ${bare}`);
    await this.#deps.send(subscriptionAnswer(bare, accept));
    this.#pending?.delete(bare);
    return { ...request, decision: accept ? 'accepted' : 'rejected' };
  }

  presences(): ContactPresence[] {
    return this.#presence?.list() ?? [];
  }

  /** The stream is announced online: answers made while it came up go out now. */
  streamUp(): void {
    const unsent = this.#unsent ?? [];
    this.#unsent = undefined;
    for (const element of unsent) this.#reply(element);
  }

  /**
   * The stream went down: presence seen on it no longer holds, answers to it are moot, and the
   * server redelivers pending requests at the next login (RFC 6121 §3.1.3).
   */
  streamDown(): void {
    this.#presence = undefined;
    this.#pending = undefined;
    this.#unsent = undefined;
  }

  #changed(book: RosterBook, change: RosterChange | undefined): void {
    if (change === undefined) return;
    const snapshot = book.snapshot();
    this.#saving = (this.#saving ?? Promise.resolve())
      .then(() => this.#deps.cache.save(snapshot))
      .catch((error: unknown) => this.#deps.log.warn({ err: error }, 'roster cache not saved'));
    this.#deps.signals.rosterChanged(change);
  }

  #reply(element: Element): void {
    // Stanzas arrive from resource binding on, before the entity announces itself online (and
    // takes sends): what is answered meanwhile waits for `streamUp`.
    if (!this.#deps.online()) {
      this.#unsent ??= [];
      this.#unsent.push(element);
      return;
    }
    this.#deps
      .send(element)
      .catch((error: unknown) => this.#deps.log.warn({ err: error }, 'answer not sent'));
  }

  /** Resolves when a push for `jid` is applied, or after the wait (the push may never come). */
  #waitForPush(jid: string): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.#pushWaiters?.get(jid) ?? [];
      const wake = () => {
        cancel();
        resolve();
      };
      const cancel = this.#deps.clock.setTimeout(() => {
        const left = (this.#pushWaiters?.get(jid) ?? []).filter((w) => w !== wake);
        if (left.length > 0) this.#pushWaiters?.set(jid, left);
        else this.#pushWaiters?.delete(jid);
        resolve();
      }, this.#deps.pushWaitMs ?? 10_000);
      waiters.push(wake);
      this.#pushWaiters ??= new Map();
      this.#pushWaiters.set(jid, waiters);
    });
  }
}

function replyTo(iq: Element): Element {
  return xml('iq', { type: 'result', id: iq.attrs.id, to: iq.attrs.from || undefined });
}

function safeBare(jid: string): string | undefined {
  try {
    return bareJid(jid);
  } catch {
    return undefined;
  }
}

function requireBare(jid: string): string {
  const bare = safeBare(jid);
  if (bare === undefined) throw new AviaryError('contacts.invalid-jid', `not a JID: ${jid}`);
  return bare;
}
