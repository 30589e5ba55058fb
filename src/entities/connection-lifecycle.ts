/**
 * The connection life cycle of one entity as a transition table: plain data that tests drive
 * event by event, with no socket, timer or actor involved. The entity actor feeds it events
 * and carries out the effects it returns.
 *
 * Invariants:
 * - every connection attempt has a number; opening or closing makes every report of an
 *   earlier attempt stale, and stale reports change nothing;
 * - authentication failures are final (`auth-failed`, RFC 6120 §6.5 `not-authorized`);
 *   other failures and drops retry after a backoff indexed by the failures so far;
 * - a stream closed with `conflict` (RFC 6120 §4.9.3.3: another session took this resource,
 *   e.g. another cluster node that now owns the account) is final too: reconnecting would
 *   take the resource back and start a loop between the two sessions;
 * - `disconnect` and `stop` always close, whatever the phase.
 */

import type { EntityState } from './entity-connection.js';
import { ENTITY_STATES } from './entity-states.js';

/** Where the life cycle is. `attempt` tags reports; `failures` indexes the backoff. */
export interface LifecycleState {
  readonly phase: EntityState;
  readonly attempt: number;
  readonly failures: number;
  /** Why the entity is in this phase (the last failure), when it is known. */
  readonly reason?: string;
}

/** How a failed attempt is taken: final, cancelled by its own abort, or worth retrying. */
export type AttemptFailure = 'auth' | 'aborted' | 'transient';

export type LifecycleEvent =
  | { readonly type: 'connect' }
  | { readonly type: 'disconnect' }
  | { readonly type: 'stop' }
  | { readonly type: 'attempt-succeeded'; readonly attempt: number }
  | {
      readonly type: 'attempt-failed';
      readonly attempt: number;
      readonly failure: AttemptFailure;
      readonly reason: string;
    }
  | { readonly type: 'dropped'; readonly attempt: number; readonly reason: string }
  | { readonly type: 'superseded'; readonly attempt: number; readonly reason: string }
  | { readonly type: 'retry-due'; readonly attempt: number };

/**
 * What the actor does after a transition, in order:
 * - `close`: cancel the pending retry, abort the login, detach and close the connection (awaited);
 * - `discard`: detach the failed connection and close it in the background;
 * - `forget`: detach a connection that is already gone;
 * - `open`: create a connection and start logging in, tagged with `attempt`;
 * - `retry-later`: after `backoff(failures)` send `retry-due` tagged with `attempt`.
 */
export type LifecycleEffect =
  | { readonly type: 'close' }
  | { readonly type: 'discard' }
  | { readonly type: 'forget' }
  | { readonly type: 'open'; readonly attempt: number }
  | { readonly type: 'retry-later'; readonly attempt: number; readonly failures: number };

type EffectName = LifecycleEffect['type'];
type EventType = LifecycleEvent['type'];

/** One row of the table. `current` rows only take reports of the current attempt. */
export interface LifecycleTransition {
  readonly on: EventType;
  readonly from: readonly EntityState[];
  /** For `attempt-failed`: which kind of failure this row takes. */
  readonly failure?: AttemptFailure;
  readonly current?: boolean;
  /** The next phase; `same` keeps it. */
  readonly to: EntityState | 'same';
  /** Resets the failure count (a success, or a fresh start by the user). */
  readonly resetFailures?: boolean;
  readonly effects: readonly EffectName[];
}

const ANY: readonly EntityState[] = ENTITY_STATES;
const ATTEMPTING: readonly EntityState[] = ['connecting', 'reconnecting'];

/** The whole life cycle. The first row matching an event applies; no row: the event is ignored. */
export const LIFECYCLE_TABLE: readonly LifecycleTransition[] = [
  {
    on: 'connect',
    from: ['offline', 'auth-failed'],
    to: 'connecting',
    resetFailures: true,
    effects: ['open'],
  },
  { on: 'disconnect', from: ANY, to: 'offline', resetFailures: true, effects: ['close'] },
  { on: 'stop', from: ANY, to: 'stopped', resetFailures: true, effects: ['close'] },
  {
    on: 'attempt-succeeded',
    from: ATTEMPTING,
    current: true,
    to: 'online',
    resetFailures: true,
    effects: [],
  },
  {
    on: 'attempt-failed',
    failure: 'auth',
    from: ATTEMPTING,
    current: true,
    to: 'auth-failed',
    effects: ['discard'],
  },
  {
    on: 'attempt-failed',
    failure: 'aborted',
    from: ATTEMPTING,
    current: true,
    to: 'same',
    effects: ['discard'],
  },
  {
    on: 'attempt-failed',
    failure: 'transient',
    from: ATTEMPTING,
    current: true,
    to: 'reconnecting',
    effects: ['discard', 'retry-later'],
  },
  {
    on: 'dropped',
    from: ['online'],
    current: true,
    to: 'reconnecting',
    effects: ['forget', 'retry-later'],
  },
  { on: 'retry-due', from: ['reconnecting'], current: true, to: 'reconnecting', effects: ['open'] },
  { on: 'superseded', from: ['online'], current: true, to: 'offline', effects: ['forget'] },
];

export const INITIAL_LIFECYCLE: LifecycleState = { phase: 'offline', attempt: 0, failures: 0 };

/** The outcome of one event: the next state, the effects, and whether to announce the state. */
export interface LifecycleStep {
  readonly state: LifecycleState;
  readonly effects: readonly LifecycleEffect[];
  /** True when the phase changed or a new reason came with it (a `connectionState` event). */
  readonly announce: boolean;
}

/**
 * Applies one event.
 *
 * @example
 * let s = INITIAL_LIFECYCLE;
 * ({ state: s } = transition(s, { type: 'connect' })); // connecting, effects [open #1]
 * transition(s, { type: 'attempt-failed', attempt: 1, failure: 'transient', reason: 'refused' });
 * // → reconnecting, effects [discard, retry-later #1 after backoff(0)]
 */
export function transition(state: LifecycleState, event: LifecycleEvent): LifecycleStep {
  const row = LIFECYCLE_TABLE.find((r) => matches(r, state, event));
  if (row === undefined) return { state, effects: [], announce: false };
  let { attempt, failures } = state;
  if (row.resetFailures) failures = 0;
  const effects: LifecycleEffect[] = [];
  for (const name of row.effects) {
    switch (name) {
      case 'open':
        attempt++;
        effects.push({ type: 'open', attempt });
        break;
      case 'close':
        attempt++; // whatever the closed attempt still reports is stale
        effects.push({ type: 'close' });
        break;
      case 'retry-later':
        effects.push({ type: 'retry-later', attempt, failures });
        failures++;
        break;
      default:
        effects.push({ type: name });
    }
  }
  const reason = 'reason' in event ? event.reason : undefined;
  const phase = row.to === 'same' ? state.phase : row.to;
  const next: LifecycleState = {
    phase,
    attempt,
    failures,
    ...(reason !== undefined && row.to !== 'same' ? { reason } : {}),
  };
  return { state: next, effects, announce: phase !== state.phase || next.reason !== undefined };
}

function matches(row: LifecycleTransition, state: LifecycleState, event: LifecycleEvent): boolean {
  if (row.on !== event.type || !row.from.includes(state.phase)) return false;
  if (row.current && 'attempt' in event && event.attempt !== state.attempt) return false;
  if (row.failure !== undefined && (!('failure' in event) || event.failure !== row.failure))
    return false;
  return true;
}
