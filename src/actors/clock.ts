/** The clock lives below every layer (`src/util/clock.ts`); kept here for existing importers. */
export { type Clock, flushMicrotasks, SimulatedClock, systemClock } from '../util/clock.js';
