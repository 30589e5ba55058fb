export type { Clock } from './actors/clock.js';
export { SimulatedClock, systemClock } from './actors/clock.js';
export { AviaryError, isAviaryError } from './errors.js';
