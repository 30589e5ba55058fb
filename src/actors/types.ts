import type { Clock } from '../util/clock.js';

/**
 * The address an `ask` reply goes to. Plain data (structured-clone-able), so it can travel in a
 * message to an actor in a worker thread. `T` is the reply type, carried only at compile time.
 */
export interface ReplyTo<T> {
  readonly askId: number;
  /** Compile-time marker of the reply type; never set. */
  readonly __reply?: T;
}

/** What a mailbox does when a message arrives and it is full. */
export type OverflowPolicy = 'reject' | 'drop-oldest';

export interface MailboxOptions {
  /** Most messages queued at once (default 1,000). */
  readonly capacity?: number;
  /** `reject` (default): `tell` throws MailboxFullError. `drop-oldest`: the oldest goes to dead letters. */
  readonly overflow?: OverflowPolicy;
}

/**
 * What happens when an actor's handler throws or rejects.
 * - `stop` (default): the actor stops; its parent is told.
 * - `resume`: the failure is logged and the next message is handled with the same state.
 * - `restart`: a fresh behaviour is made after an exponential backoff; queued messages wait.
 *   More than `maxRestarts` within `withinMs` stops the actor for good.
 */
export type SupervisionStrategy =
  | { readonly kind: 'stop' }
  | { readonly kind: 'resume' }
  | {
      readonly kind: 'restart';
      readonly maxRestarts?: number;
      readonly withinMs?: number;
      readonly backoffBaseMs?: number;
      readonly backoffMaxMs?: number;
    };

/** What a parent hears about its children (XState-style: an error becomes a value). */
export type ChildEvent =
  | {
      readonly type: 'child-failed';
      readonly childId: string;
      readonly error: unknown;
      readonly willRestart: boolean;
    }
  | {
      readonly type: 'child-stopped';
      readonly childId: string;
      readonly reason: 'stopped' | 'failed';
    };

/** The running actor's view of itself and the system. */
export interface ActorContext<M> {
  readonly self: ActorRef<M>;
  readonly clock: Clock;
  readonly log: KernelLogger;
  /** Spawns a child supervised by this actor. */
  spawn<C>(name: string, factory: BehaviorFactory<C>, options?: SpawnOptions): ActorRef<C>;
  /** Answers an ask. Replying twice, or to an ask that already timed out, is a no-op. */
  reply<T>(to: ReplyTo<T>, value: T): void;
  /** Fails an ask with an error (it reaches the caller as a rejected promise). */
  replyError(to: ReplyTo<unknown>, error: unknown): void;
}

/**
 * An actor's behaviour: plain functions over messages, separate from the running cell.
 * Handlers may be async; the cell still handles one message (or one batch) at a time, in order.
 */
export interface Behavior<M> {
  receive(message: M, ctx: ActorContext<M>): void | Promise<void>;
  /**
   * Optional: handle everything queued at once (e.g. group commit). When present, the cell hands
   * over all queued messages (up to `maxBatch`) instead of calling `receive` one by one.
   */
  receiveBatch?(messages: M[], ctx: ActorContext<M>): void | Promise<void>;
  started?(ctx: ActorContext<M>): void | Promise<void>;
  stopped?(ctx: ActorContext<M>): void | Promise<void>;
  childEvent?(event: ChildEvent, ctx: ActorContext<M>): void | Promise<void>;
}

/** Makes a fresh behaviour (called again on each restart, so closure state starts anew). */
export type BehaviorFactory<M> = () => Behavior<M>;

export interface SpawnOptions {
  readonly mailbox?: MailboxOptions;
  readonly supervision?: SupervisionStrategy;
  /** Most messages handed to `receiveBatch` at once (default 1,024). */
  readonly maxBatch?: number;
}

export interface AskOptions {
  /** Default 5,000 ms. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface StopOptions {
  /** `drain` (default): handle what is queued, then stop. `reject`: queued messages go to dead letters and their asks fail. */
  readonly mode?: 'drain' | 'reject';
}

/** The only way to reach an actor. It hides where the actor lives (this thread or a worker). */
export interface ActorRef<M> {
  readonly id: string;
  readonly name: string;
  /** Enqueues without waiting. Throws MailboxFullError on a full `reject` mailbox. */
  tell(message: M): void;
  /** Sends `build(replyTo)` and waits for the reply. */
  ask<R>(build: (replyTo: ReplyTo<R>) => M, options?: AskOptions): Promise<R>;
  /** Stops the actor (children first). Resolves when it has stopped. */
  stop(options?: StopOptions): Promise<void>;
  /** Queued messages right now. */
  readonly mailboxSize: number;
  readonly alive: boolean;
  /** False once the actor is stopping or stopped: `tell` then dead-letters the message. */
  readonly accepting: boolean;
}

/** The logging surface the kernel needs (pino's shape). */
export interface KernelLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Typed events from `ActorSystem.inspect()`. */
export type SystemEvent =
  | { readonly type: 'spawned'; readonly actorId: string; readonly parentId: string | undefined }
  | { readonly type: 'stopped'; readonly actorId: string; readonly reason: 'stopped' | 'failed' }
  | { readonly type: 'failed'; readonly actorId: string; readonly error: unknown }
  | {
      readonly type: 'restarted';
      readonly actorId: string;
      readonly attempt: number;
      readonly delayMs: number;
    }
  | {
      readonly type: 'message-dropped';
      readonly actorId: string;
      readonly reason: 'overflow' | 'stopped' | 'rejected-on-stop' | 'not-cloneable';
      readonly message: unknown;
    }
  | { readonly type: 'dead-letter'; readonly actorId: string; readonly message: unknown };
