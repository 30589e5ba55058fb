/**
 * Options of a load test and their checks: a loopback-only target unless `allowRemote`,
 * positive rates and sizes, source addresses inside 127.0.0.0/8.
 */
import { isIPv4 } from 'node:net';
import { AviaryError } from '../errors.js';
import { isLoopbackHost } from '../xmpp/loopback.js';
import type { MechanismName } from '../xmpp/sasl-mechanisms.js';
import type { AccountSource } from './accounts.js';
import { type ArrivalPhase, planDurationMs } from './arrival-plan.js';
import type { Scenario, ScenarioParams, WeightedScenario } from './scenario.js';
import type { Threshold } from './thresholds.js';

/** The XMPP server under test. */
export interface LoadTarget {
  readonly host: string;
  readonly port: number;
  /** The XMPP domain of the accounts (`user{n}@domain`). */
  readonly domain: string;
}

export interface LoadTestOptions {
  readonly target: LoadTarget;
  /** Without it only `localhost`, 127.0.0.0/8 and ::1 are accepted. */
  readonly allowRemote?: boolean;
  /** `off` = plain text (loopback only); `optional` = STARTTLS when offered. Default `optional`. */
  readonly tls?: 'off' | 'optional' | 'required';
  /** CA certificate(s) (PEM) trusted for STARTTLS. */
  readonly ca?: string;
  readonly mechanisms?: readonly MechanismName[];
  readonly accounts: AccountSource;
  /** Register the accounts first (XEP-0077). Default: true for a pattern source, false for CSV. */
  readonly register?: boolean;
  /** Remove the accounts at the end (XEP-0077 `<remove/>`). Default false. */
  readonly cleanup?: boolean;
  /** Concurrent registrations / removals (default 20). */
  readonly provisionConcurrency?: number;
  /** Target number of concurrent sessions (changeable while running; a phase may set it). */
  readonly sessions: number;
  /**
   * The arrival plan. Without it: the scenario's own `phases`, else one phase of `durationMs`
   * at `loginRate`.
   */
  readonly phases?: readonly ArrivalPhase[];
  /** Logins per second of the single phase (when there is no plan). */
  readonly loginRate?: number;
  /** Login burst (default: 20 ms worth of logins at the highest rate, at least 2). */
  readonly loginBurst?: number;
  /** The target is reached linearly over this time (still capped by the login rate). */
  readonly rampUpMs?: number;
  /** Sessions are closed linearly over the last `rampDownMs` of the run. */
  readonly rampDownMs?: number;
  /** Whole load phase of the single phase, ramps included (when there is no plan). */
  readonly durationMs?: number;
  /** After scenarios stop: how long to wait for messages in flight (default 3000). */
  readonly settleMs?: number;
  /** The scenario every session runs, or… */
  readonly scenario?: Scenario;
  /** …a weighted mix: account n runs the scenario its place in the weight cycle picks. */
  readonly scenarios?: readonly WeightedScenario[];
  readonly params?: ScenarioParams;
  /**
   * Run only a slice of the accounts and of the rate (one generator of several): account pairs
   * (2k, 2k+1) with k ≡ index (mod count), `1/count` of every rate and a share of the target.
   */
  readonly slice?: { readonly index: number; readonly count: number };
  /** Pass/fail limits evaluated on the report (its verdict). */
  readonly thresholds?: readonly Threshold[];
  /** Stop the run when this many logins (or registrations) failed before any succeeded (default 10). */
  readonly abortAfterFailures?: number;
  /** Timeline bucket (default 1000 ms). */
  readonly bucketMs?: number;
  /** Deadline of each negotiation step (default 30 s). */
  readonly timeoutMs?: number;
  /** Source addresses in 127.0.0.0/8 to spread connections over (ephemeral port limit). */
  readonly sourceAddresses?: readonly string[];
  /** Seed of the scenario random source (default: from the clock). */
  readonly seed?: number;
}

function bad(message: string, details?: Record<string, unknown>): never {
  throw new AviaryError('loadtest.bad-options', message, details ? { details } : {});
}

/** Throws `loadtest.remote-target` unless the host is loopback or `allowRemote` is set. */
export function assertTargetAllowed(host: string, allowRemote: boolean): void {
  if (!isLoopbackHost(host) && !allowRemote)
    throw new AviaryError(
      'loadtest.remote-target',
      `refusing to load-test ${host}: only localhost, 127.0.0.0/8 and ::1 are allowed without --allow-remote`,
      { details: { host } },
    );
}

/** The scenarios of a run with their weights (a single scenario has weight 1). */
export function scenarioMix(options: LoadTestOptions): readonly WeightedScenario[] {
  if (options.scenarios !== undefined && options.scenarios.length > 0) return options.scenarios;
  if (options.scenario !== undefined) return [{ scenario: options.scenario, weight: 1 }];
  return bad('a scenario (or a weighted list of scenarios) is needed');
}

/** The arrival plan of a run, whole-run rates (before any slice). */
export function resolvePlan(options: LoadTestOptions): readonly ArrivalPhase[] {
  if (options.phases !== undefined && options.phases.length > 0) return options.phases;
  const declared = scenarioMix(options).find((s) => s.scenario.phases !== undefined)?.scenario;
  if (declared?.phases !== undefined && declared.phases.length > 0) return declared.phases;
  if (options.durationMs === undefined || options.loginRate === undefined)
    return bad('give an arrival plan (phases) or both durationMs and loginRate');
  return [{ durationMs: options.durationMs, rate: options.loginRate }];
}

/** Checks options; throws `loadtest.bad-options` or `loadtest.remote-target`. */
export function validateLoadOptions(options: LoadTestOptions): void {
  const { target } = options;
  assertTargetAllowed(target.host, options.allowRemote === true);
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535)
    bad(`bad port ${target.port}`);
  if (!target.domain) bad('a domain is needed');
  if (!Number.isInteger(options.sessions) || options.sessions < 0)
    bad('sessions must be an integer >= 0');
  if (options.loginRate !== undefined && !(options.loginRate > 0)) bad('loginRate must be > 0');
  if (options.durationMs !== undefined && !(options.durationMs > 0)) bad('durationMs must be > 0');
  const plan = resolvePlan(options);
  for (const phase of plan)
    if (!(phase.rate > 0) || !(phase.durationMs > 0))
      bad('every phase needs a rate > 0 and a duration > 0');
  for (const { weight, scenario } of scenarioMix(options))
    if (!(Number.isInteger(weight) && weight >= 1))
      bad(`scenario ${scenario.name}: weight must be an integer >= 1`);
  if (options.loginBurst !== undefined && !(options.loginBurst >= 1))
    bad('loginBurst must be >= 1');
  const duration = planDurationMs(plan);
  const up = options.rampUpMs ?? 0;
  const down = options.rampDownMs ?? 0;
  if (up < 0 || down < 0 || up + down > duration)
    bad('ramp-up + ramp-down must fit in the duration', { up, down, duration });
  const slice = options.slice;
  if (
    slice !== undefined &&
    !(
      Number.isInteger(slice.count) &&
      Number.isInteger(slice.index) &&
      slice.index >= 0 &&
      slice.index < slice.count
    )
  )
    bad('slice needs 0 <= index < count');
  for (const address of options.sourceAddresses ?? [])
    if (!isIPv4(address) || !address.startsWith('127.'))
      bad(`source address ${address} is not in 127.0.0.0/8`);
  if (options.tls === 'off' && !isLoopbackHost(target.host))
    bad('tls off is only allowed against loopback');
}
