export { type Clock, flushMicrotasks, SimulatedClock, systemClock } from '../util/clock.js';
export {
  ActorFailedError,
  ActorStoppedError,
  AskAbortedError,
  AskTimeoutError,
  MailboxFullError,
} from './actor-errors.js';
export { ActorSystem, type ActorSystemOptions } from './actor-system.js';
export type {
  ActorContext,
  ActorRef,
  AskOptions,
  Behavior,
  BehaviorFactory,
  ChildEvent,
  KernelLogger,
  MailboxOptions,
  OverflowPolicy,
  ReplyTo,
  SpawnOptions,
  StopOptions,
  SupervisionStrategy,
  SystemEvent,
} from './types.js';
export type { WorkerActorSpec } from './worker-cell.js';
