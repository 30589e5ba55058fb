/**
 * The flags of `aviary bench load` and their reading into a {@link RunSpec}: plain data that a
 * single process turns into harness options and a controller sends to its workers.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
// Only the light arrival-plan parser loads with the CLI; the rest of the harness loads when a
// run is described (specFromFlags), so other commands start fast.
import { loopPlan, parseDuration, parsePlan } from '../../loadtest/arrival-plan.js';
import type { AccountSource, ScenarioParams } from '../../loadtest/index.js';
import type { RunSpec } from '../../loadtest/run-spec.js';
import type { MechanismName } from '../../xmpp/sasl-mechanisms.js';
import { CliError } from '../output.js';

export interface BenchLoadFlags {
  host: string;
  port: string;
  domain: string;
  allowRemote?: boolean;
  tls: 'off' | 'optional' | 'required';
  caFile?: string;
  mechanism: string[];
  users: string;
  userPattern: string;
  passwordPattern: string;
  first: string;
  accountsCsv?: string;
  register?: boolean;
  cleanup?: boolean;
  sessions?: string;
  loginRate: string;
  loginBurst?: string;
  rampUp: string;
  rampDown: string;
  duration: string;
  settle: string;
  phase: string[];
  phaseLoop: string;
  scenario: string[];
  param: string[];
  sourceAddress: string[];
  threshold: string[];
  report: string;
  seed?: string;
  progress: boolean;
  metricsPort?: string;
  metricsHost: string;
  controller?: boolean;
  workers: string;
  listen: string;
  token?: string;
}

export const collect = (value: string, previous: string[]) => [...previous, value];

export function number(value: string, flag: string, min = 0): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new CliError(`--${flag} needs a number >= ${min}`);
  return n;
}

function duration(value: string, flag: string, allowZero = true): number {
  if (allowZero && Number(value) === 0) return 0;
  try {
    return parseDuration(value);
  } catch (error) {
    throw new CliError(`--${flag}: ${(error as Error).message}`);
  }
}

/** Parses `key=value` pairs; numbers and true/false are converted. */
export function parseParams(pairs: readonly string[]): ScenarioParams {
  const params: Record<string, string | number | boolean> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--param ${pair}: expected key=value`);
    const raw = pair.slice(eq + 1);
    params[pair.slice(0, eq)] =
      raw === 'true'
        ? true
        : raw === 'false'
          ? false
          : raw !== '' && Number.isFinite(Number(raw))
            ? Number(raw)
            : raw;
  }
  return params;
}

/** `path/to/scenario.js[:WEIGHT]` → module URL and integer weight (default 1). */
export function parseScenarioFlag(
  value: string,
  scenarioUrl: (path: string) => string,
): { url: string; weight: number } {
  const match = /^(.*?)(?::(\d+))?$/.exec(value) as RegExpExecArray;
  const weight = match[2] === undefined ? 1 : Number(match[2]);
  if (!(weight >= 1)) throw new CliError(`--scenario ${value}: the weight must be >= 1`);
  return { url: scenarioUrl(resolve(match[1] as string)), weight };
}

/** The run described by the command-line flags (plain data, sent to workers as is). */
export async function specFromFlags(flags: BenchLoadFlags): Promise<RunSpec> {
  const [{ parseThreshold }, { DEFAULT_SCENARIO_URL, scenarioUrl }] = await Promise.all([
    import('../../loadtest/thresholds.js'),
    import('../../loadtest/run-spec.js'),
  ]);
  const accounts: AccountSource =
    flags.accountsCsv !== undefined
      ? { kind: 'csv', file: resolve(flags.accountsCsv) }
      : {
          kind: 'pattern',
          username: flags.userPattern,
          password: flags.passwordPattern,
          count: number(flags.users, 'users', 1),
          first: number(flags.first, 'first'),
        };
  const users = accounts.kind === 'pattern' ? accounts.count : Number.NaN;
  let phases: RunSpec['phases'] = [];
  try {
    phases = loopPlan(parsePlan(flags.phase), number(flags.phaseLoop, 'phase-loop', 1));
    for (const t of flags.threshold) parseThreshold(t);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  return {
    target: { host: flags.host, port: number(flags.port, 'port', 1), domain: flags.domain },
    allowRemote: flags.allowRemote === true,
    tls: flags.tls,
    ...(flags.caFile === undefined ? {} : { ca: readFileSync(flags.caFile, 'utf8') }),
    ...(flags.mechanism.length === 0 ? {} : { mechanisms: flags.mechanism as MechanismName[] }),
    accounts,
    ...(flags.register === undefined ? {} : { register: flags.register }),
    cleanup: flags.cleanup === true,
    sessions:
      flags.sessions !== undefined
        ? number(flags.sessions, 'sessions')
        : Number.isNaN(users)
          ? 0
          : users,
    phases,
    loginRate: number(flags.loginRate, 'login-rate'),
    durationMs: duration(flags.duration, 'duration', false),
    ...(flags.loginBurst === undefined
      ? {}
      : { loginBurst: number(flags.loginBurst, 'login-burst', 1) }),
    rampUpMs: duration(flags.rampUp, 'ramp-up'),
    rampDownMs: duration(flags.rampDown, 'ramp-down'),
    settleMs: duration(flags.settle, 'settle'),
    scenarios:
      flags.scenario.length === 0
        ? [{ url: DEFAULT_SCENARIO_URL, weight: 1 }]
        : flags.scenario.map((value) => parseScenarioFlag(value, scenarioUrl)),
    params: parseParams(flags.param),
    sourceAddresses: flags.sourceAddress,
    thresholds: flags.threshold,
    ...(flags.seed === undefined ? {} : { seed: number(flags.seed, 'seed') }),
  };
}

/** Host and port of `--listen HOST:PORT` (IPv6 in brackets). */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(value);
  if (match === null) throw new CliError(`--listen ${value}: expected HOST:PORT`);
  return { host: match[1] as string, port: Number(match[2]) };
}
