/**
 * Backpressure for what the server hands an entity. A stanza the server sent is, to the
 * server, delivered (an offline backlog is flushed and forgotten at login), so none may be
 * dropped by a full mailbox. Instead:
 * - stanzas enter the entity's mailbox while it holds fewer than `highWater` messages, which
 *   leaves room for control messages (disconnect, sends, state asks);
 * - past that they wait in order in a backlog, and the connection stops reading its socket
 *   (TCP backpressure: the server, then the sender, slow down). Only what was already read
 *   can still arrive, so the backlog stays bounded by one read;
 * - as the actor drains its mailbox, `pump()` moves the backlog in, and reading resumes once the
 *   backlog is empty and the mailbox is down to `lowWater`.
 * What is refused all the same (the actor is gone) is counted and logged at most once per
 * `logEveryMs`, without a stack trace.
 */
import type { Element } from '@xmpp/xml';
import type { Clock } from '../util/clock.js';

/** The part of a connection that flow control drives. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

export interface InboundFlowDeps {
  /** Messages in the mailbox at which new stanzas wait in the backlog. */
  readonly highWater: number;
  /** Messages in the mailbox at (or under) which reading resumes. */
  readonly lowWater: number;
  readonly mailboxSize: () => number;
  /**
   * False once the actor is stopping: its mailbox then refuses, so stanzas wait in the backlog
   * for the actor's last turn, and reading goes on (the server's closing tag must be read).
   */
  readonly accepting?: () => boolean;
  /** Hands one stanza to the actor's mailbox; throws when it refuses. */
  readonly deliver: (element: Element) => void;
  readonly clock: Clock;
  readonly log: { warn(fields: object, message: string): void };
  readonly logEveryMs?: number;
}

/**
 * @example
 * const flow = new InboundFlow({ highWater: 900, lowWater: 450, mailboxSize: () => self.mailboxSize,
 *   deliver: (element) => self.tell({ type: 'stanza', element }), clock, log });
 * connection.onStanza((s) => flow.offer(s)); // and after each handled message: flow.pump()
 */
export class InboundFlow {
  readonly #deps: InboundFlowDeps;
  readonly #backlog: Element[] = [];
  #source: Pausable | undefined;
  #paused = false;
  #refused = 0;
  #refusedSinceReport = 0;
  #lastReport = Number.NEGATIVE_INFINITY;

  constructor(deps: InboundFlowDeps) {
    this.#deps = deps;
  }

  /** Stanzas waiting outside the mailbox. */
  get backlog(): number {
    return this.#backlog.length;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Stanzas refused since the start (the actor was gone). */
  get refused(): number {
    return this.#refused;
  }

  /** Follows a new connection (the backlog of an earlier one is kept and comes first). */
  attach(source: Pausable): void {
    this.#source = source;
    this.#paused = false;
  }

  /** A stanza read from the connection. Order is kept whatever the path. */
  offer(element: Element): void {
    if (this.#deps.accepting?.() === false) {
      this.#backlog.push(element);
      return;
    }
    if (this.#backlog.length > 0 && this.#deps.mailboxSize() === 0) this.pump();
    if (this.#backlog.length === 0 && this.#deps.mailboxSize() < this.#deps.highWater) {
      this.#deliver(element);
      return;
    }
    this.#backlog.push(element);
    if (!this.#paused) {
      this.#paused = true;
      this.#source?.pause();
    }
  }

  /** Moves waiting stanzas in as room frees; resumes reading once drained. Call after each message. */
  pump(): void {
    if (this.#deps.accepting?.() === false) return;
    while (this.#backlog.length > 0 && this.#deps.mailboxSize() < this.#deps.highWater) {
      this.#deliver(this.#backlog.shift() as Element);
    }
    if (
      this.#paused &&
      this.#backlog.length === 0 &&
      this.#deps.mailboxSize() <= this.#deps.lowWater
    ) {
      this.#paused = false;
      this.#source?.resume();
    }
  }

  /** Takes every waiting stanza out (for handling before the entity stops). */
  takeBacklog(): Element[] {
    // They are handled right away by the caller: reading resumes (a closing stream must be read
    // up to the server's closing tag).
    if (this.#paused) {
      this.#paused = false;
      this.#source?.resume();
    }
    return this.#backlog.splice(0);
  }

  #deliver(element: Element): void {
    try {
      this.#deps.deliver(element);
    } catch {
      this.#refused++;
      this.#refusedSinceReport++;
      const now = this.#deps.clock.now();
      if (now - this.#lastReport >= (this.#deps.logEveryMs ?? 10_000)) {
        this.#deps.log.warn(
          { refused: this.#refusedSinceReport, refusedTotal: this.#refused },
          'incoming stanzas refused: the entity is not taking messages',
        );
        this.#lastReport = now;
        this.#refusedSinceReport = 0;
      }
    }
  }
}
