import type { ActorRef, AskOptions, ChildEvent, ReplyTo, StopOptions } from './types.js';

/**
 * What the system needs from a running actor, wherever it runs (this thread: `LocalCell`, a
 * worker thread: `WorkerCell`). Not exported from the package: users only see `ActorRef`.
 */
export interface Cell {
  readonly id: string;
  readonly name: string;
  readonly parent: Cell | undefined;
  readonly children: Set<Cell>;
  readonly alive: boolean;
  /** False once stopping: `enqueue` dead-letters from then on. */
  readonly accepting: boolean;
  readonly mailboxSize: number;
  /** Enqueues a user message (throws MailboxFullError when a `reject` mailbox is full). */
  enqueue(message: unknown): void;
  /** Delivers a supervision notice from a child; never dropped. */
  notifyChild(event: ChildEvent): void;
  stop(options?: StopOptions): Promise<void>;
}

/** Finds the reply address in a message, if it carries one (`{ replyTo: { askId } }`). */
export function replyAddressOf(message: unknown): ReplyTo<unknown> | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const replyTo = (message as { replyTo?: unknown }).replyTo;
  if (typeof replyTo !== 'object' || replyTo === null) return undefined;
  return typeof (replyTo as { askId?: unknown }).askId === 'number'
    ? (replyTo as ReplyTo<unknown>)
    : undefined;
}

/** The public handle over a cell; keeps the cell private (#cell), as the style guide asks. */
export class CellRef<M> implements ActorRef<M> {
  readonly #cell: Cell;
  readonly #ask: <R>(cell: Cell, build: (r: ReplyTo<R>) => M, options?: AskOptions) => Promise<R>;

  constructor(
    cell: Cell,
    ask: <R>(cell: Cell, build: (r: ReplyTo<R>) => M, options?: AskOptions) => Promise<R>,
  ) {
    this.#cell = cell;
    this.#ask = ask;
  }

  get id(): string {
    return this.#cell.id;
  }
  get name(): string {
    return this.#cell.name;
  }
  get mailboxSize(): number {
    return this.#cell.mailboxSize;
  }
  get alive(): boolean {
    return this.#cell.alive;
  }
  get accepting(): boolean {
    return this.#cell.accepting;
  }
  tell(message: M): void {
    this.#cell.enqueue(message);
  }
  ask<R>(build: (replyTo: ReplyTo<R>) => M, options?: AskOptions): Promise<R> {
    return this.#ask(this.#cell, build, options);
  }
  stop(options?: StopOptions): Promise<void> {
    return this.#cell.stop(options);
  }
}
