import type {
  PresenceChangedEvent,
  RosterChangedEvent,
  SubscriptionRequestEvent,
} from '../contacts/contacts-events.js';
import type { ConnectionStateEvent, MessageNewEvent } from '../entities/entity-ports.js';

/**
 * Signals the runtime emits on its typed event emitter (mitt) and streams over SSE.
 * Payloads are plain data, typed where they are produced (entities, cache, storage).
 */

export type RuntimeEvents = {
  connectionState: ConnectionStateEvent;
  messageNew: MessageNewEvent;
  storageUnhealthy: { readonly reason: string };
  storageHealthy: Record<string, never>;
  cacheSynced: {
    readonly profile: string;
    readonly service: string;
    readonly node: string;
    readonly items: number;
  };
  cacheSyncProgress: {
    readonly profile: string;
    readonly service: string;
    readonly node: string;
    readonly items: number;
    readonly total?: number | undefined;
  };
  cacheSyncFailed: {
    readonly profile: string;
    readonly service: string;
    readonly node: string;
    readonly reason: string;
  };
  /** A failure somewhere in the runtime; `code` is the catalogued error code when known. */
  runtimeError: { readonly source: string; readonly message: string; readonly code?: string };
  rosterChanged: RosterChangedEvent;
  presenceChanged: PresenceChangedEvent;
  subscriptionRequest: SubscriptionRequestEvent;
};

export type RuntimeEventName = Extract<keyof RuntimeEvents, string>;
