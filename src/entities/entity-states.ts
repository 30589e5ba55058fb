import type { EntityState } from './entity-connection.js';

/** Every connection state an entity can be in (the list behind filters and schemas). */
export const ENTITY_STATES = [
  'offline',
  'connecting',
  'online',
  'reconnecting',
  'auth-failed',
  'stopped',
] as const satisfies readonly EntityState[];

// Fails to compile when EntityState gains a state this list lacks.
type Missing = Exclude<EntityState, (typeof ENTITY_STATES)[number]>;
const complete: Missing extends never ? true : false = true;
void complete;
