/**
 * Arrival plans: a run is a sequence of phases, each with a duration, a login (arrival) rate
 * and optionally a new session target, like Tsung's `<arrivalphase>` and amoc's ramp steps.
 * Written on the command line as `60s:rate=10,120s:rate=50:sessions=5000` (durations take
 * `ms`, `s`, `m`, `h`; a bare number is seconds; `interarrival=100ms` is `rate=10`).
 */
import { AviaryError } from '../errors.js';

export interface ArrivalPhase {
  readonly durationMs: number;
  /** Logins started per second during the phase. */
  readonly rate: number;
  /** Concurrent session target from this phase on (default: the previous one). */
  readonly sessions?: number;
}

/** Where a run stands in its plan. */
export interface PlanPosition {
  readonly index: number;
  readonly phase: ArrivalPhase;
  /** Offset of the phase's start from the start of the plan (ms). */
  readonly startMs: number;
  /** Session target in force (the latest phase that set one, or `fallbackSessions`). */
  readonly sessions: number;
}

function bad(message: string): never {
  throw new AviaryError('loadtest.bad-options', message);
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `250ms`, `60s`, `5m`, `1.5h` or a bare number of seconds → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (match === null) bad(`bad duration "${text}": expected e.g. 500ms, 60s, 5m, 1h`);
  const ms = Number(match[1]) * (UNITS[match[2] ?? 's'] as number);
  if (!(ms > 0)) bad(`duration "${text}" must be > 0`);
  return ms;
}

/** One phase: `DURATION:rate=R[:sessions=N]` or `DURATION:interarrival=D[:sessions=N]`. */
export function parsePhase(text: string): ArrivalPhase {
  const [duration, ...fields] = text.split(':');
  if (duration === undefined || duration.trim() === '') bad(`phase "${text}" has no duration`);
  let rate: number | undefined;
  let sessions: number | undefined;
  for (const field of fields) {
    const [key, value = ''] = field.split('=');
    if (key === 'rate') rate = Number(value);
    else if (key === 'interarrival') rate = 1000 / parseDuration(value);
    else if (key === 'sessions') sessions = Number(value);
    else bad(`phase "${text}": unknown field "${key}" (rate, interarrival, sessions)`);
  }
  if (rate === undefined || !(rate > 0) || !Number.isFinite(rate))
    bad(`phase "${text}" needs rate=R (logins/s > 0) or interarrival=D`);
  if (sessions !== undefined && !(Number.isInteger(sessions) && sessions >= 0))
    bad(`phase "${text}": sessions must be an integer >= 0`);
  return {
    durationMs: parseDuration(duration),
    rate,
    ...(sessions === undefined ? {} : { sessions }),
  };
}

/**
 * Parses comma-separated phases (the flag may also be repeated: pass every value).
 * @example parsePlan(['60s:rate=10,2m:rate=50:sessions=5000'])
 */
export function parsePlan(values: readonly string[]): ArrivalPhase[] {
  return values.flatMap((v) => v.split(',')).map((p) => parsePhase(p.trim()));
}

/** The plan repeated `loop` times (1 = as written). */
export function loopPlan(phases: readonly ArrivalPhase[], loop: number): ArrivalPhase[] {
  if (!(Number.isInteger(loop) && loop >= 1)) bad('loop must be an integer >= 1');
  return Array.from({ length: loop }, () => phases).flat();
}

export function planDurationMs(phases: readonly ArrivalPhase[]): number {
  return phases.reduce((sum, p) => sum + p.durationMs, 0);
}

/** The phase in force `elapsedMs` after the start (the last one past the end). */
export function positionIn(
  phases: readonly ArrivalPhase[],
  elapsedMs: number,
  fallbackSessions: number,
): PlanPosition {
  if (phases.length === 0) bad('an arrival plan needs at least one phase');
  let startMs = 0;
  let sessions = fallbackSessions;
  for (let index = 0; index < phases.length; index++) {
    const phase = phases[index] as ArrivalPhase;
    if (phase.sessions !== undefined) sessions = phase.sessions;
    if (elapsedMs < startMs + phase.durationMs || index === phases.length - 1)
      return { index, phase, startMs, sessions };
    startMs += phase.durationMs;
  }
  throw new Error('unreachable');
}

/** Human form of a plan, the inverse of {@link parsePlan}. */
export function formatPlan(phases: readonly ArrivalPhase[]): string {
  return phases
    .map(
      (p) =>
        `${p.durationMs / 1000}s:rate=${Number(p.rate.toFixed(3))}${p.sessions === undefined ? '' : `:sessions=${p.sessions}`}`,
    )
    .join(',');
}
