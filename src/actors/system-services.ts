import type { Clock } from '../util/clock.js';
import type { Cell } from './cell.js';
import type {
  ActorRef,
  BehaviorFactory,
  KernelLogger,
  ReplyTo,
  SpawnOptions,
  SystemEvent,
} from './types.js';

/** What cells need from their system. Internal: the public surface is `ActorSystem`. */
export interface SystemServices {
  readonly clock: Clock;
  readonly log: KernelLogger;
  emit(event: SystemEvent): void;
  /** Records a message nobody will handle (counted, logged, inspected); fails its ask if any. */
  deadLetter(
    actorId: string,
    message: unknown,
    reason: 'stopped' | 'overflow' | 'rejected-on-stop' | 'not-cloneable',
  ): void;
  resolveAsk(to: ReplyTo<unknown>, value: unknown): void;
  rejectAsk(to: ReplyTo<unknown>, error: unknown): void;
  unregister(cell: Cell): void;
  refFor<M>(cell: Cell): ActorRef<M>;
  spawnChild<M>(
    parent: Cell,
    name: string,
    factory: BehaviorFactory<M>,
    options?: SpawnOptions,
  ): ActorRef<M>;
}
