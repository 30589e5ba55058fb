/**
 * What the entity layer needs from outside and what it announces, declared here (the consumer)
 * so the layers above plug in without the entities knowing them.
 */
import type { StorageRequest, StorageResponse } from '../storage/messages.js';
import type { EntityState } from './entity-connection.js';
import type { MessageNewEvent } from './workflow-host.js';

export type { MessageNewEvent } from './workflow-host.js';

/** The storage surface entities use (profiles, components, parameters, history); `StorageClient` fits. */
export interface EntityStorage {
  request<R extends StorageRequest>(request: R): Promise<StorageResponse<R>>;
}

/** A profile or component changed connection state. */
export interface ConnectionStateEvent {
  readonly kind: 'profile' | 'component';
  readonly name: string;
  readonly state: EntityState;
  readonly reason?: string;
}

/** Where entities announce what happens to them; the runtime forwards these as events. */
export interface EntitySignals {
  connectionState(event: ConnectionStateEvent): void;
  /** A message was stored (durably) or, when not stored, handled: see `workflow-host.ts`. */
  messageNew(event: MessageNewEvent): void;
  /** An entity met a new kind of failure (the same code and message again is not repeated). */
  runtimeError?(event: { source: string; code: string; message: string }): void;
  /** A message reached the history durably (for the stored-messages counter). */
  messageStored?(kind: 'client' | 'component'): void;
}

/** The runtime settings entities use. */
export interface EntitySettings {
  readonly reconnectBaseMs: number;
  readonly reconnectMaxMs: number;
  /** Mailbox capacity of each entity actor. */
  readonly mailboxCapacity: number;
}

/**
 * Cluster mode: where entities run. Only the node holding a shard's lease runs its entities,
 * and their writes carry that lease (see src/cluster/fence.ts).
 */
export interface EntityPlacement {
  /** True when `name`'s shard is held by this node now. */
  owns(name: string): boolean;
  /** Tells the owning node that `name` was added here (it starts it). */
  announce(name: string): void;
  /** The storage `name`'s entity writes through: every write fenced by its shard lease. */
  fenced(name: string, storage: EntityStorage): EntityStorage;
}
