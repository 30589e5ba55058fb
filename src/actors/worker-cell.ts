import { Worker } from 'node:worker_threads';
import { AviaryError, deserializeError } from '../errors.js';
import { workerEntry } from '../util/worker-entry.js';
import { ActorFailedError, MailboxFullError } from './actor-errors.js';
import { type Cell, replyAddressOf } from './cell.js';
import { RestartBudget, scheduleRestart } from './supervision.js';
import type { SystemServices } from './system-services.js';
import type { ChildEvent, SpawnOptions, StopOptions } from './types.js';
import type { FromWorker, ToWorker, WorkerBootData } from './worker-protocol.js';

/** Where a worker actor's behaviour lives: a module URL and the export that makes it. */
export interface WorkerActorSpec {
  /** File URL (or path) of a compiled module whose export `(args) => Behavior` makes the actor. */
  readonly module: URL | string;
  readonly export: string;
  /** Structured-clone-able arguments for the factory. */
  readonly args?: unknown;
  /** Coalesce tells made in one tick into one postMessage (default true). */
  readonly batching?: boolean;
  readonly resourceLimits?: { maxOldGenerationSizeMb?: number };
}

type State = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';

/**
 * The main-thread side of an actor in a worker thread. It keeps the mailbox bound across threads
 * (messages sent but not yet taken by the worker count against the capacity), fails every ask in
 * flight when the worker dies, and applies the supervision strategy (restart = a new Worker).
 */
export class WorkerCell implements Cell {
  readonly id: string;
  readonly name: string;
  readonly parent: Cell | undefined;
  readonly children = new Set<Cell>();
  readonly #sys: SystemServices;
  readonly #spec: WorkerActorSpec;
  readonly #capacity: number;
  readonly #maxBatch: number;
  readonly #budget: RestartBudget;
  #worker: Worker | undefined;
  #state: State = 'starting';
  /** Sent to the worker and not yet acknowledged as taken from its mailbox. */
  #unacked = 0;
  /** Waiting for the worker to be ready (at start and during restart), bounded by capacity. */
  #waiting: unknown[] = [];
  #outbox: unknown[] = [];
  #flushScheduled = false;
  /** Ask ids in flight in the worker, to fail them if it dies. */
  readonly #inFlightAsks = new Set<number>();
  #stopPromise: Promise<void> | undefined;
  #onStopped: (() => void) | undefined;

  constructor(args: {
    id: string;
    name: string;
    parent: Cell | undefined;
    spec: WorkerActorSpec;
    options: SpawnOptions | undefined;
    services: SystemServices;
  }) {
    if (args.options?.mailbox?.overflow === 'drop-oldest') {
      throw new AviaryError(
        'actor.invalid-options',
        'worker actors support only the reject overflow policy',
      );
    }
    this.id = args.id;
    this.name = args.name;
    this.parent = args.parent;
    this.#sys = args.services;
    this.#spec = args.spec;
    this.#capacity = args.options?.mailbox?.capacity ?? 1000;
    this.#maxBatch = args.options?.maxBatch ?? 1024;
    this.#budget = new RestartBudget(args.options?.supervision);
  }

  get alive(): boolean {
    return this.#state !== 'stopped';
  }

  get accepting(): boolean {
    return this.#state !== 'stopping' && this.#state !== 'stopped';
  }

  get mailboxSize(): number {
    return this.#unacked + this.#waiting.length + this.#outbox.length;
  }

  start(): void {
    const moduleUrl = this.#spec.module instanceof URL ? this.#spec.module.href : this.#spec.module;
    const boot: WorkerBootData = {
      actorId: this.id,
      module: moduleUrl,
      export: this.#spec.export,
      args: this.#spec.args,
      mailbox: { capacity: this.#capacity, overflow: 'reject' },
      maxBatch: this.#maxBatch,
    };
    const worker = new Worker(workerEntry(import.meta.url, './worker-host.js'), {
      workerData: boot,
      resourceLimits: this.#spec.resourceLimits,
    });
    this.#worker = worker;
    worker.on('message', (message: FromWorker) => this.#onMessage(worker, message));
    worker.on('error', (error) => this.#onCrash(worker, error));
    worker.on('exit', (code) => {
      if (this.#worker === worker && this.#state !== 'stopped') {
        this.#onCrash(
          worker,
          new AviaryError('actor.worker-exit', `worker of ${this.id} exited with code ${code}`),
        );
      }
      if (this.#worker === worker && this.#state === 'stopping') this.#finishStop();
    });
  }

  enqueue(message: unknown): void {
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      this.#sys.deadLetter(this.id, message, 'stopped');
      return;
    }
    if (this.mailboxSize >= this.#capacity) {
      this.#sys.emit({ type: 'message-dropped', actorId: this.id, reason: 'overflow', message });
      throw new MailboxFullError(this.id, this.#capacity);
    }
    if (this.#state !== 'running') {
      this.#waiting.push(message);
      return;
    }
    this.#send(message);
  }

  notifyChild(_event: ChildEvent): void {
    // Worker actors have no children on the main thread.
  }

  stop(options: StopOptions = {}): Promise<void> {
    if (this.#stopPromise) return this.#stopPromise;
    const mode = options.mode ?? 'drain';
    this.#stopPromise = new Promise<void>((resolve) => {
      this.#onStopped = resolve;
      const wasRunning = this.#state === 'running';
      this.#state = 'stopping';
      for (const message of this.#waiting.splice(0))
        this.#sys.deadLetter(this.id, message, 'rejected-on-stop');
      if (wasRunning && this.#worker) {
        this.#flush();
        this.#post({ t: 'stop', mode });
      } else {
        void this.#worker?.terminate();
        this.#finishStop();
      }
    });
    return this.#stopPromise;
  }

  /** The one way to the `stopped` state: asks in flight fail, the system and parent are told. */
  #finishStop(reason: 'stopped' | 'failed' = 'stopped'): void {
    if (this.#state === 'stopped') return;
    this.#failInFlight(new AviaryError('actor.stopped', `${this.id} stopped before replying`));
    this.#state = 'stopped';
    this.#sys.unregister(this);
    this.#sys.emit({ type: 'stopped', actorId: this.id, reason });
    this.parent?.notifyChild({ type: 'child-stopped', childId: this.id, reason });
    this.#onStopped?.();
  }

  #send(message: unknown): void {
    const replyTo = replyAddressOf(message);
    if (replyTo) this.#inFlightAsks.add(replyTo.askId);
    this.#unacked++;
    if (this.#spec.batching === false) {
      this.#postMessages([message]);
      return;
    }
    this.#outbox.push(message);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#outbox.length === 0) return;
    const msgs = this.#outbox;
    this.#outbox = [];
    this.#postMessages(msgs);
  }

  /**
   * Posts messages to the worker. One that cannot be structured-cloned (a function, a class
   * instance with private state, a too-deep value) is refused alone — its ask rejected with
   * `actor.not-cloneable`, a tell sent to dead letters — and the rest of its batch still goes;
   * the failure never escapes as an uncaught exception (this runs in a microtask).
   */
  #postMessages(msgs: unknown[]): void {
    try {
      this.#post({ t: 'msgs', msgs });
      return;
    } catch (error) {
      if (msgs.length === 1) {
        this.#refuse(msgs[0], error);
        return;
      }
    }
    for (const message of msgs) {
      try {
        this.#post({ t: 'msgs', msgs: [message] });
      } catch (error) {
        this.#refuse(message, error);
      }
    }
  }

  #refuse(message: unknown, cause: unknown): void {
    this.#unacked = Math.max(0, this.#unacked - 1);
    const error = new AviaryError(
      'actor.not-cloneable',
      `${this.id}: a message cannot be handed to the worker thread (${(cause as Error)?.message ?? String(cause)})`,
      { cause },
    );
    const replyTo = replyAddressOf(message);
    if (replyTo !== undefined && this.#inFlightAsks.delete(replyTo.askId)) {
      this.#sys.rejectAsk(replyTo, error);
    } else {
      this.#sys.deadLetter(this.id, message, 'not-cloneable');
    }
  }

  #post(message: ToWorker): void {
    this.#worker?.postMessage(message);
  }

  #onMessage(worker: Worker, message: FromWorker): void {
    if (worker !== this.#worker) return;
    switch (message.t) {
      case 'ready': {
        if (this.#state === 'starting') this.#state = 'running';
        for (const waiting of this.#waiting.splice(0)) this.#send(waiting);
        break;
      }
      case 'ack':
        this.#unacked = Math.max(0, this.#unacked - message.n);
        break;
      case 'replies':
        for (const item of message.items) {
          this.#inFlightAsks.delete(item.askId);
          if (item.ok) this.#sys.resolveAsk({ askId: item.askId }, item.value);
          else
            this.#sys.rejectAsk(
              { askId: item.askId },
              deserializeError(
                item.error ?? { name: 'Error', code: 'internal', message: 'unknown error' },
              ),
            );
        }
        break;
      case 'log':
        this.#sys.log[message.level]({ ...message.fields, actor: this.id }, message.msg);
        break;
      case 'failed':
        this.#onCrash(worker, deserializeError(message.error));
        break;
      case 'stopped':
        void worker.terminate();
        this.#finishStop();
        break;
    }
  }

  #failInFlight(error: unknown): void {
    for (const askId of this.#inFlightAsks) this.#sys.rejectAsk({ askId }, error);
    this.#inFlightAsks.clear();
    this.#unacked = 0;
    this.#outbox = [];
  }

  /** The worker died or its behaviour failed: fail what was in flight and supervise. */
  #onCrash(worker: Worker, error: unknown): void {
    if (worker !== this.#worker || this.#state === 'stopped' || this.#state === 'restarting')
      return;
    void worker.terminate();
    this.#failInFlight(new ActorFailedError(this.id, error));
    this.#sys.emit({ type: 'failed', actorId: this.id, error });
    this.#sys.log.error({ actor: this.id, err: error }, 'worker actor failed');
    if (this.#state === 'stopping') {
      this.#finishStop();
      return;
    }
    const decision = this.#budget.decide(this.#sys.clock.now());
    const willRestart = decision.action === 'restart';
    this.parent?.notifyChild({ type: 'child-failed', childId: this.id, error, willRestart });
    if (decision.action !== 'restart') {
      this.#worker = undefined;
      for (const message of this.#waiting.splice(0))
        this.#sys.deadLetter(this.id, message, 'rejected-on-stop');
      this.#finishStop('failed');
      return;
    }
    this.#state = 'restarting';
    scheduleRestart({
      decision,
      clock: this.#sys.clock,
      actorId: this.id,
      emit: (event) => this.#sys.emit(event),
      stillRestarting: () => this.#state === 'restarting',
      renew: () => {
        this.#state = 'starting';
      },
      start: () => this.start(),
    });
  }
}
