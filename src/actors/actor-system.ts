import { type Clock, systemClock } from '../util/clock.js';
import { ActorStoppedError, AskAbortedError, AskTimeoutError } from './actor-errors.js';
import { type Cell, CellRef, replyAddressOf } from './cell.js';
import { DeadlineBuckets } from './deadlines.js';
import { LocalCell } from './local-cell.js';
import type { SystemServices } from './system-services.js';
import type {
  ActorRef,
  AskOptions,
  BehaviorFactory,
  KernelLogger,
  ReplyTo,
  SpawnOptions,
  SystemEvent,
} from './types.js';
import { type WorkerActorSpec, WorkerCell } from './worker-cell.js';

interface PendingAsk {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

const silentLogger: KernelLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface ActorSystemOptions {
  readonly clock?: Clock;
  readonly log?: KernelLogger;
  /** Prefix for actor ids, so ids from several systems in one process never collide. */
  readonly name?: string;
  /**
   * Receives replies to asks this system did not start (the worker host uses it to send replies
   * back to the main thread). Without it such replies are late and ignored.
   */
  readonly onForeignReply?: (askId: number, ok: boolean, valueOrError: unknown) => void;
}

/**
 * The root of a tree of actors: it owns ids, the registry, pending asks, dead letters and the
 * `inspect()` event stream. One per runtime; never a module-level singleton.
 *
 * @example
 * const system = new ActorSystem();
 * const counter = system.spawn('counter', () => {
 *   let n = 0;
 *   return { receive(msg: { type: 'add' } | { type: 'get'; replyTo: ReplyTo<number> }, ctx) {
 *     if (msg.type === 'add') n++; else ctx.reply(msg.replyTo, n);
 *   } };
 * });
 * counter.tell({ type: 'add' });
 * await counter.ask<number>((replyTo) => ({ type: 'get', replyTo })); // 1
 */
export class ActorSystem {
  readonly clock: Clock;
  readonly log: KernelLogger;
  readonly name: string;
  readonly #cells = new Map<string, Cell>();
  readonly #roots: Cell[] = [];
  readonly #pending = new Map<number, PendingAsk>();
  readonly #listeners = new Set<(event: SystemEvent) => void>();
  readonly #services: SystemServices;
  readonly #onForeignReply: ActorSystemOptions['onForeignReply'];
  readonly #deadlines: DeadlineBuckets;
  #nextId = 1;
  #nextAskId = 1;
  #deadLetters = 0;
  #shuttingDown = false;

  constructor(options: ActorSystemOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger;
    this.name = options.name ?? 'aviary';
    this.#onForeignReply = options.onForeignReply;
    this.#deadlines = new DeadlineBuckets(this.clock);
    this.#services = {
      clock: this.clock,
      log: this.log,
      emit: (event) => this.#emit(event),
      deadLetter: (actorId, message, reason) => this.#deadLetter(actorId, message, reason),
      resolveAsk: (to, value) =>
        this.#settle(to, (p) => p.resolve(value)) || this.#onForeignReply?.(to.askId, true, value),
      rejectAsk: (to, error) =>
        this.#settle(to, (p) => p.reject(error)) || this.#onForeignReply?.(to.askId, false, error),
      unregister: (cell) => this.#unregister(cell),
      refFor: (cell) => this.#refFor(cell),
      spawnChild: (parent, name, factory, options) =>
        this.#spawnLocal(parent, name, factory, options),
    };
  }

  /** Messages that reached no handler since start. */
  get deadLetterCount(): number {
    return this.#deadLetters;
  }

  /** Asks waiting for a reply right now. */
  get pendingAsks(): number {
    return this.#pending.size;
  }

  /** Spawns a top-level actor on this thread. */
  spawn<M>(name: string, factory: BehaviorFactory<M>, options?: SpawnOptions): ActorRef<M> {
    return this.#spawnLocal(undefined, name, factory, options);
  }

  /**
   * Spawns a top-level actor inside its own `worker_threads` Worker. The module named by `spec`
   * exports a behaviour factory; messages cross as structured clones and errors come back typed.
   */
  spawnWorker<M>(name: string, spec: WorkerActorSpec, options?: SpawnOptions): ActorRef<M> {
    this.#assertOpen();
    const cell = new WorkerCell({
      id: this.#newId(name),
      name,
      parent: undefined,
      spec,
      options,
      services: this.#services,
    });
    this.#register(cell, undefined);
    cell.start();
    return this.#refFor<M>(cell);
  }

  /** Finds a live actor by id. */
  lookup<M>(id: string): ActorRef<M> | undefined {
    const cell = this.#cells.get(id);
    return cell ? this.#refFor<M>(cell) : undefined;
  }

  /** Ids of every live actor. */
  actorIds(): string[] {
    return [...this.#cells.keys()];
  }

  /** Mailbox depth of every live actor, for metrics. */
  mailboxDepths(): { id: string; depth: number }[] {
    return [...this.#cells.values()].map((c) => ({ id: c.id, depth: c.mailboxSize }));
  }

  /** Subscribes to typed system events. Returns the unsubscribe function. */
  inspect(listener: (event: SystemEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Sends `build(replyTo)` to `ref` and waits for the reply (see {@link ActorRef.ask}). */
  ask<M, R>(ref: ActorRef<M>, build: (replyTo: ReplyTo<R>) => M, options?: AskOptions): Promise<R> {
    return ref.ask(build, options);
  }

  /** Stops every actor, children before parents, newest top-level actors first. */
  async shutdown(options: { mode?: 'drain' | 'reject' } = {}): Promise<void> {
    this.#shuttingDown = true;
    for (const root of [...this.#roots].reverse()) await root.stop(options);
  }

  #assertOpen(): void {
    if (this.#shuttingDown) throw new ActorStoppedError(`${this.name} (shutting down)`);
  }

  #newId(name: string): string {
    return `${name}#${this.#nextId++}`;
  }

  #spawnLocal<M>(
    parent: Cell | undefined,
    name: string,
    factory: BehaviorFactory<M>,
    options?: SpawnOptions,
  ): ActorRef<M> {
    this.#assertOpen();
    const cell = new LocalCell<M>({
      id: this.#newId(name),
      name,
      parent,
      factory,
      options,
      services: this.#services,
    });
    this.#register(cell, parent);
    void cell.start();
    return this.#refFor<M>(cell);
  }

  #register(cell: Cell, parent: Cell | undefined): void {
    this.#cells.set(cell.id, cell);
    if (parent) parent.children.add(cell);
    else this.#roots.push(cell);
    this.#emit({ type: 'spawned', actorId: cell.id, parentId: parent?.id });
  }

  #unregister(cell: Cell): void {
    this.#cells.delete(cell.id);
    cell.parent?.children.delete(cell);
    const at = this.#roots.indexOf(cell);
    if (at >= 0) this.#roots.splice(at, 1);
  }

  #refFor<M>(cell: Cell): ActorRef<M> {
    return new CellRef<M>(cell, (target, build, options) => this.#ask(target, build, options));
  }

  #ask<M, R>(cell: Cell, build: (replyTo: ReplyTo<R>) => M, options: AskOptions = {}): Promise<R> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new AskAbortedError(cell.id, signal.reason));
    const askId = this.#nextAskId++;
    return new Promise<R>((resolve, reject) => {
      const cancelTimer = this.#deadlines.add(timeoutMs, () => {
        if (this.#pending.delete(askId)) done(new AskTimeoutError(cell.id, timeoutMs));
      });
      const onAbort = () => {
        if (this.#pending.delete(askId)) done(new AskAbortedError(cell.id, signal?.reason));
      };
      const done = (error: unknown, value?: unknown) => {
        cancelTimer();
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined) resolve(value as R);
        else reject(error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(askId, {
        resolve: (value) => done(undefined, value),
        reject: (error) => done(error ?? new Error('ask rejected')),
      });
      try {
        cell.enqueue(build({ askId }));
      } catch (error) {
        if (this.#pending.delete(askId)) done(error);
      }
    });
  }

  /** Settles a pending ask; false when nobody here waits for it (late, or asked elsewhere). */
  #settle(to: ReplyTo<unknown>, settle: (pending: PendingAsk) => void): boolean {
    const pending = this.#pending.get(to.askId);
    if (pending === undefined) return false;
    this.#pending.delete(to.askId);
    settle(pending);
    return true;
  }

  #deadLetter(
    actorId: string,
    message: unknown,
    reason: 'stopped' | 'overflow' | 'rejected-on-stop' | 'not-cloneable',
  ): void {
    this.#deadLetters++;
    const replyTo = replyAddressOf(message);
    if (replyTo) this.#services.rejectAsk(replyTo, new ActorStoppedError(actorId));
    const kind =
      typeof message === 'object' && message !== null
        ? (message as { type?: unknown }).type
        : undefined;
    this.log.warn({ actor: actorId, reason, messageType: kind }, 'dead letter');
    if (reason !== 'stopped') this.#emit({ type: 'message-dropped', actorId, reason, message });
    this.#emit({ type: 'dead-letter', actorId, message });
  }

  #emit(event: SystemEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log.error({ err: error }, 'inspect listener threw');
      }
    }
  }
}
