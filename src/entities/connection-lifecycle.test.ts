import { describe, expect, it } from 'vitest';
import {
  INITIAL_LIFECYCLE,
  LIFECYCLE_TABLE,
  type LifecycleEvent,
  type LifecycleState,
  transition,
} from './connection-lifecycle.js';

/** Runs events from `start`; returns each step as [phase, effects, announce] for comparison. */
function run(events: readonly LifecycleEvent[], start: LifecycleState = INITIAL_LIFECYCLE) {
  let state = start;
  const steps: [string, string[], boolean][] = [];
  for (const event of events) {
    const step = transition(state, event);
    state = step.state;
    steps.push([
      state.phase,
      step.effects.map((e) =>
        e.type === 'open'
          ? `open#${e.attempt}`
          : e.type === 'retry-later'
            ? `retry-later#${e.attempt}@${e.failures}`
            : e.type,
      ),
      step.announce,
    ]);
  }
  return { state, steps };
}

describe('connection life cycle (transition table)', () => {
  it('connects, fails twice with growing backoff, then goes online and resets the failures', () => {
    const { state, steps } = run([
      { type: 'connect' },
      { type: 'attempt-failed', attempt: 1, failure: 'transient', reason: 'refused' },
      { type: 'retry-due', attempt: 1 },
      { type: 'attempt-failed', attempt: 2, failure: 'transient', reason: 'timeout' },
      { type: 'retry-due', attempt: 2 },
      { type: 'attempt-succeeded', attempt: 3 },
    ]);
    expect(steps).toEqual([
      ['connecting', ['open#1'], true],
      ['reconnecting', ['discard', 'retry-later#1@0'], true],
      ['reconnecting', ['open#2'], false],
      ['reconnecting', ['discard', 'retry-later#2@1'], true],
      ['reconnecting', ['open#3'], false],
      ['online', [], true],
    ]);
    expect(state).toEqual({ phase: 'online', attempt: 3, failures: 0 });
  });

  it('an authentication failure is final until the user connects again', () => {
    const { state, steps } = run([
      { type: 'connect' },
      { type: 'attempt-failed', attempt: 1, failure: 'auth', reason: 'not-authorized' },
      { type: 'retry-due', attempt: 1 },
    ]);
    expect(steps.slice(1)).toEqual([
      ['auth-failed', ['discard'], true],
      ['auth-failed', [], false],
    ]);
    expect(state.reason).toBe('not-authorized');
    expect(run([{ type: 'connect' }], state).steps).toEqual([['connecting', ['open#2'], true]]);
  });

  it('ignores stale reports of an attempt that a disconnect or a new attempt replaced', () => {
    const { state, steps } = run([
      { type: 'connect' },
      { type: 'disconnect' },
      { type: 'attempt-succeeded', attempt: 1 },
      { type: 'dropped', attempt: 1, reason: 'gone' },
      { type: 'retry-due', attempt: 1 },
    ]);
    expect(steps).toEqual([
      ['connecting', ['open#1'], true],
      ['offline', ['close'], true],
      ['offline', [], false],
      ['offline', [], false],
      ['offline', [], false],
    ]);
    expect(state).toEqual({ phase: 'offline', attempt: 2, failures: 0 });
  });

  it('a drop while online reconnects with backoff; a drop before online waits for the attempt report', () => {
    const online = run([{ type: 'connect' }, { type: 'attempt-succeeded', attempt: 1 }]).state;
    expect(run([{ type: 'dropped', attempt: 1, reason: 'stream reset' }], online).steps).toEqual([
      ['reconnecting', ['forget', 'retry-later#1@0'], true],
    ]);
    const connecting = run([{ type: 'connect' }]).state;
    expect(run([{ type: 'dropped', attempt: 1, reason: 'x' }], connecting).steps).toEqual([
      ['connecting', [], false],
    ]);
  });

  it('a stream conflict (another session took the resource) goes offline and never retries', () => {
    const online = run([{ type: 'connect' }, { type: 'attempt-succeeded', attempt: 1 }]).state;
    const { state, steps } = run(
      [
        { type: 'superseded', attempt: 1, reason: 'conflict' },
        { type: 'retry-due', attempt: 1 },
      ],
      online,
    );
    expect(steps).toEqual([
      ['offline', ['forget'], true],
      ['offline', [], false],
    ]);
    expect(state.reason).toBe('conflict');
    expect(run([{ type: 'connect' }], state).steps).toEqual([['connecting', ['open#2'], true]]);
  });

  it('connect is ignored while connecting, reconnecting or online; an aborted attempt keeps the phase', () => {
    for (const phase of ['connecting', 'reconnecting', 'online'] as const) {
      const state = { phase, attempt: 4, failures: 1 };
      expect(transition(state, { type: 'connect' })).toEqual({
        state,
        effects: [],
        announce: false,
      });
    }
    const aborted = transition(
      { phase: 'connecting', attempt: 1, failures: 0 },
      { type: 'attempt-failed', attempt: 1, failure: 'aborted', reason: 'aborted' },
    );
    expect(aborted.state.phase).toBe('connecting');
    expect(aborted.effects).toEqual([{ type: 'discard' }]);
    expect(aborted.announce).toBe(false);
  });

  it('stop and disconnect close from every phase', () => {
    for (const phase of [
      'offline',
      'connecting',
      'online',
      'reconnecting',
      'auth-failed',
    ] as const) {
      const stop = transition({ phase, attempt: 2, failures: 3 }, { type: 'stop' });
      expect(stop.state).toEqual({ phase: 'stopped', attempt: 3, failures: 0 });
      expect(stop.effects).toEqual([{ type: 'close' }]);
      const off = transition({ phase, attempt: 2, failures: 3 }, { type: 'disconnect' });
      expect(off.state.phase).toBe('offline');
      expect(off.effects).toEqual([{ type: 'close' }]);
    }
  });

  it('every row of the table is reachable from some phase it lists', () => {
    for (const row of LIFECYCLE_TABLE) {
      const state = { phase: row.from[0] ?? 'offline', attempt: 1, failures: 0 };
      const event = {
        type: row.on,
        attempt: 1,
        failure: row.failure ?? 'transient',
        reason: 'r',
      } as LifecycleEvent;
      const step = transition(state, event);
      expect(step.effects.map((e) => e.type)).toEqual(row.effects);
    }
  });
});
