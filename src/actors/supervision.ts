import type { Clock } from '../util/clock.js';
import type { SupervisionStrategy, SystemEvent } from './types.js';

export const defaultStrategy: SupervisionStrategy = { kind: 'stop' };

/** The decision for one failure under a strategy. */
export type SupervisionDecision =
  | { readonly action: 'stop' }
  | { readonly action: 'resume' }
  | { readonly action: 'restart'; readonly attempt: number; readonly delayMs: number };

/**
 * Keeps the restart history of one actor and decides what each failure leads to.
 * Restart delays grow as `base * 2^(attempt-1)` capped at `max`; more than `maxRestarts`
 * failures within the sliding `withinMs` window stop the actor for good.
 */
export class RestartBudget {
  readonly #strategy: SupervisionStrategy;
  #restarts: number[] = [];

  constructor(strategy: SupervisionStrategy = defaultStrategy) {
    this.#strategy = strategy;
  }

  decide(now: number): SupervisionDecision {
    const s = this.#strategy;
    if (s.kind === 'stop') return { action: 'stop' };
    if (s.kind === 'resume') return { action: 'resume' };
    const maxRestarts = s.maxRestarts ?? 5;
    const withinMs = s.withinMs ?? 60_000;
    const base = s.backoffBaseMs ?? 100;
    const max = s.backoffMaxMs ?? 30_000;
    this.#restarts = this.#restarts.filter((t) => now - t < withinMs);
    if (this.#restarts.length >= maxRestarts) return { action: 'stop' };
    this.#restarts.push(now);
    const attempt = this.#restarts.length;
    return { action: 'restart', attempt, delayMs: Math.min(max, base * 2 ** (attempt - 1)) };
  }
}

/**
 * The restart both kinds of cell (local and worker) perform once the budget said `restart`:
 * after the decision's delay, unless the cell left `restarting` meanwhile (a stop came),
 * announce `restarted` and start again with a fresh behaviour.
 *
 * @example
 * scheduleRestart({ decision, clock, actorId: id, emit, stillRestarting: () => state === 'restarting',
 *   renew: () => { state = 'starting'; }, start: () => void start() });
 */
export function scheduleRestart(args: {
  readonly decision: Extract<SupervisionDecision, { action: 'restart' }>;
  readonly clock: Clock;
  readonly actorId: string;
  readonly emit: (event: SystemEvent) => void;
  readonly stillRestarting: () => boolean;
  /** Puts the cell back to `starting` (with a fresh behaviour); runs before `restarted`. */
  readonly renew: () => void;
  readonly start: () => void;
}): void {
  const { decision } = args;
  args.clock.setTimeout(() => {
    if (!args.stillRestarting()) return;
    args.renew();
    args.emit({
      type: 'restarted',
      actorId: args.actorId,
      attempt: decision.attempt,
      delayMs: decision.delayMs,
    });
    args.start();
  }, decision.delayMs);
}
