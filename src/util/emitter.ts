import type { Emitter, EventType } from 'mitt';
import mittModule from 'mitt';

/**
 * mitt ships CommonJS with an ES-module-style declaration file: under NodeNext TypeScript types
 * the default import as the module object, while Node hands over the function itself.
 */
const mitt = mittModule as unknown as <E extends Record<EventType, unknown>>() => Emitter<E>;

/** A typed event emitter (mitt) for runtime signals. */
export function createEmitter<Events extends Record<EventType, unknown>>(): Emitter<Events> {
  return mitt<Events>();
}

export type { Emitter };
