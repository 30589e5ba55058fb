import type { EntityState } from '../entities/entity-connection.js';

/**
 * Signals the runtime emits on its typed event emitter (mitt) and streams over SSE.
 * Payloads are plain data.
 */

export type RuntimeEvents = {
  connectionState: {
    readonly kind: 'profile' | 'component';
    readonly name: string;
    readonly state: EntityState;
    readonly reason?: string;
  };
  messageNew: Readonly<Record<string, unknown>> & {
    readonly profile: string;
    readonly uid: string;
  };
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
  runtimeError: { readonly source: string; readonly message: string };
};

export type RuntimeEventName = Extract<keyof RuntimeEvents, string>;
