/**
 * Options of a load test and their checks: a loopback-only target unless `allowRemote`,
 * positive rates and sizes, source addresses inside 127.0.0.0/8.
 */
import { isIPv4 } from 'node:net';
import { AviaryError } from '../errors.js';
import { isLoopbackHost } from '../xmpp/loopback.js';
import type { MechanismName } from '../xmpp/sasl-mechanisms.js';
import type { AccountSource } from './accounts.js';
import type { Scenario, ScenarioParams } from './scenario.js';

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
  /** Target number of concurrent sessions (changeable while running). */
  readonly sessions: number;
  /** Logins per second (token bucket) and burst (default: 20 ms worth of logins, at least 2). */
  readonly loginRate: number;
  readonly loginBurst?: number;
  /** The target is reached linearly over this time (still capped by the login rate). */
  readonly rampUpMs?: number;
  /** Sessions are closed linearly over the last `rampDownMs` of the run. */
  readonly rampDownMs?: number;
  /** Whole load phase, ramps included; the harness stops by itself after it. */
  readonly durationMs: number;
  /** After scenarios stop: how long to wait for messages in flight (default 3000). */
  readonly settleMs?: number;
  readonly scenario: Scenario;
  readonly params?: ScenarioParams;
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

/** Checks options; throws `loadtest.bad-options` or `loadtest.remote-target`. */
export function validateLoadOptions(options: LoadTestOptions): void {
  const { target } = options;
  assertTargetAllowed(target.host, options.allowRemote === true);
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535)
    bad(`bad port ${target.port}`);
  if (!target.domain) bad('a domain is needed');
  if (!Number.isInteger(options.sessions) || options.sessions < 0)
    bad('sessions must be an integer >= 0');
  if (!(options.loginRate > 0)) bad('loginRate must be > 0');
  if (options.loginBurst !== undefined && !(options.loginBurst >= 1))
    bad('loginBurst must be >= 1');
  if (!(options.durationMs > 0)) bad('durationMs must be > 0');
  const up = options.rampUpMs ?? 0;
  const down = options.rampDownMs ?? 0;
  if (up < 0 || down < 0 || up + down > options.durationMs)
    bad('ramp-up + ramp-down must fit in the duration', { up, down, duration: options.durationMs });
  for (const address of options.sourceAddresses ?? [])
    if (!isIPv4(address) || !address.startsWith('127.'))
      bad(`source address ${address} is not in 127.0.0.0/8`);
  if (options.tls === 'off' && !isLoopbackHost(target.host))
    bad('tls off is only allowed against loopback');
}
