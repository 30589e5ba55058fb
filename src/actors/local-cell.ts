import { ActorFailedError, MailboxFullError } from './actor-errors.js';
import { type Cell, replyAddressOf } from './cell.js';
import { BoundedQueue } from './mailbox.js';
import { RestartBudget, scheduleRestart } from './supervision.js';
import type { SystemServices } from './system-services.js';
import type {
  ActorContext,
  Behavior,
  BehaviorFactory,
  ChildEvent,
  OverflowPolicy,
  ReplyTo,
  SpawnOptions,
  StopOptions,
} from './types.js';

type State = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';

/** Messages handled in one turn before yielding to the event loop, so I/O is never starved. */
const TURN_BUDGET = 1024;

/**
 * An actor on this thread. Invariants:
 * - at most one handler (or batch) runs at a time; messages are handled in arrival order;
 * - the user mailbox never holds more than `capacity` messages; child notices queue apart and
 *   are never dropped;
 * - every message that is not handled is reported (dead letters), and its ask, if any, fails.
 */
export class LocalCell<M> implements Cell {
  readonly id: string;
  readonly name: string;
  readonly parent: Cell | undefined;
  readonly children = new Set<Cell>();
  readonly #sys: SystemServices;
  readonly #factory: BehaviorFactory<M>;
  readonly #queue: BoundedQueue<M>;
  readonly #overflow: OverflowPolicy;
  readonly #notices: ChildEvent[] = [];
  readonly #budget: RestartBudget;
  readonly #maxBatch: number;
  readonly #ctx: ActorContext<M>;
  #behavior: Behavior<M>;
  #state: State = 'starting';
  #scheduled = false;
  #running = false;
  #stopWaiters: (() => void)[] = [];
  #stopPromise: Promise<void> | undefined;

  constructor(args: {
    id: string;
    name: string;
    parent: Cell | undefined;
    factory: BehaviorFactory<M>;
    options: SpawnOptions | undefined;
    services: SystemServices;
  }) {
    this.id = args.id;
    this.name = args.name;
    this.parent = args.parent;
    this.#sys = args.services;
    this.#factory = args.factory;
    this.#queue = new BoundedQueue<M>(args.options?.mailbox?.capacity ?? 1000);
    this.#overflow = args.options?.mailbox?.overflow ?? 'reject';
    this.#budget = new RestartBudget(args.options?.supervision);
    this.#maxBatch = args.options?.maxBatch ?? 1024;
    this.#behavior = this.#factory();
    const self = this.#sys.refFor<M>(this);
    const sys = this.#sys;
    this.#ctx = {
      self,
      clock: sys.clock,
      log: sys.log,
      spawn: (name, factory, options) => sys.spawnChild(this, name, factory, options),
      reply: <T>(to: ReplyTo<T>, value: T) => sys.resolveAsk(to, value),
      replyError: (to, error) => sys.rejectAsk(to, error),
    };
  }

  get alive(): boolean {
    return this.#state !== 'stopped';
  }

  get accepting(): boolean {
    return this.#state !== 'stopping' && this.#state !== 'stopped';
  }

  get mailboxSize(): number {
    return this.#queue.size;
  }

  /** Runs the `started` hook, then starts handling messages. */
  async start(): Promise<void> {
    try {
      await this.#behavior.started?.(this.#ctx);
      if (this.#state === 'starting') this.#state = 'running';
      this.#schedule();
    } catch (error) {
      this.#state = 'running';
      await this.#fail(error, undefined);
    }
  }

  enqueue(message: M): void {
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      this.#sys.deadLetter(this.id, message, 'stopped');
      return;
    }
    if (!this.#queue.push(message)) {
      if (this.#overflow === 'reject') {
        this.#sys.emit({ type: 'message-dropped', actorId: this.id, reason: 'overflow', message });
        throw new MailboxFullError(this.id, this.#queue.capacity);
      }
      const oldest = this.#queue.shift();
      this.#queue.push(message);
      this.#sys.deadLetter(this.id, oldest, 'overflow');
    }
    this.#schedule();
  }

  notifyChild(event: ChildEvent): void {
    if (this.#state === 'stopped') return;
    this.#notices.push(event);
    this.#schedule();
  }

  stop(options: StopOptions = {}): Promise<void> {
    if (this.#stopPromise) return this.#stopPromise;
    this.#stopPromise = this.#stop(options.mode ?? 'drain', 'stopped');
    return this.#stopPromise;
  }

  async #stop(mode: 'drain' | 'reject', reason: 'stopped' | 'failed'): Promise<void> {
    const wasRestarting = this.#state === 'restarting';
    this.#state = 'stopping';
    if (mode === 'reject' || wasRestarting || reason === 'failed') this.#rejectQueued();
    if (this.#running || this.#queue.size > 0) {
      await new Promise<void>((resolve) => {
        this.#stopWaiters.push(resolve);
        this.#schedule();
      });
    }
    // Children stop before their parent finishes stopping.
    await Promise.all([...this.children].map((child) => child.stop({ mode })));
    try {
      await this.#behavior.stopped?.(this.#ctx);
    } catch (error) {
      this.#sys.log.error({ actor: this.id, err: error }, 'stopped hook failed');
    }
    this.#state = 'stopped';
    this.#sys.unregister(this);
    this.#sys.emit({ type: 'stopped', actorId: this.id, reason });
    this.parent?.notifyChild({ type: 'child-stopped', childId: this.id, reason });
  }

  #rejectQueued(): void {
    for (const message of this.#queue.drain()) {
      this.#sys.deadLetter(this.id, message, 'rejected-on-stop');
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#running) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      void this.#run();
    });
  }

  async #run(): Promise<void> {
    if (this.#running || this.#state === 'starting' || this.#state === 'restarting') return;
    this.#running = true;
    let handled = 0;
    try {
      while (this.#state === 'running' || this.#state === 'stopping') {
        const notice = this.#notices.shift();
        if (notice !== undefined) {
          await this.#handleNotice(notice);
          continue;
        }
        if (this.#queue.size === 0) break;
        if (this.#behavior.receiveBatch !== undefined) {
          const batch = this.#queue.drain(this.#maxBatch);
          handled += batch.length;
          await this.#handleBatch(batch);
        } else {
          const message = this.#queue.shift() as M;
          handled++;
          // A turn that completes synchronously is not awaited: no promise per message.
          const pending = this.#handleOne(message);
          if (pending !== undefined) await pending;
        }
        if (handled >= TURN_BUDGET) {
          handled = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    } finally {
      this.#running = false;
    }
    if (this.#state === 'stopping' && this.#queue.size === 0) {
      for (const resolve of this.#stopWaiters.splice(0)) resolve();
    } else if (this.#queue.size > 0 || this.#notices.length > 0) {
      this.#schedule();
    }
  }

  /**
   * Runs one turn. Returns `undefined` when `receive` finished synchronously (returned no
   * promise and did not throw); otherwise a promise that settles once the turn, or the handling
   * of its failure, is over, and never rejects.
   */
  #handleOne(message: M): Promise<void> | undefined {
    let result: void | Promise<void>;
    try {
      result = this.#behavior.receive(message, this.#ctx);
    } catch (error) {
      return this.#fail(error, [message]);
    }
    if (result === undefined) return undefined;
    return Promise.resolve(result).then(undefined, (error: unknown) =>
      this.#fail(error, [message]),
    );
  }

  async #handleBatch(batch: M[]): Promise<void> {
    try {
      const result = this.#behavior.receiveBatch?.(batch, this.#ctx);
      if (result !== undefined) await result;
    } catch (error) {
      await this.#fail(error, batch);
    }
  }

  async #handleNotice(notice: ChildEvent): Promise<void> {
    try {
      await this.#behavior.childEvent?.(notice, this.#ctx);
    } catch (error) {
      await this.#fail(error, undefined);
    }
  }

  /** Applies the supervision strategy to a failure. The failed messages' asks fail with the error. */
  async #fail(error: unknown, messages: M[] | undefined): Promise<void> {
    for (const message of messages ?? []) {
      const replyTo = replyAddressOf(message);
      if (replyTo) this.#sys.rejectAsk(replyTo, new ActorFailedError(this.id, error));
    }
    this.#sys.emit({ type: 'failed', actorId: this.id, error });
    this.#sys.log.warn({ actor: this.id, err: error }, 'actor failed');
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    const decision = this.#budget.decide(this.#sys.clock.now());
    if (decision.action === 'resume') return;
    this.parent?.notifyChild({
      type: 'child-failed',
      childId: this.id,
      error,
      willRestart: decision.action === 'restart',
    });
    if (decision.action === 'stop') {
      this.#stopPromise = this.#stop('reject', 'failed');
      return;
    }
    this.#state = 'restarting';
    try {
      await this.#behavior.stopped?.(this.#ctx);
    } catch (hookError) {
      this.#sys.log.error({ actor: this.id, err: hookError }, 'stopped hook failed during restart');
    }
    scheduleRestart({
      decision,
      clock: this.#sys.clock,
      actorId: this.id,
      emit: (event) => this.#sys.emit(event),
      stillRestarting: () => this.#state === 'restarting',
      renew: () => {
        this.#behavior = this.#factory();
        this.#state = 'starting';
      },
      start: () => void this.start(),
    });
  }
}
