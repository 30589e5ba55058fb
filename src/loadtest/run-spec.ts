/**
 * A load run described in plain data (JSON-safe): what the command line asked for, with the
 * scenarios named by module path. The controller sends it to its workers, which load the same
 * scenario modules and run their slice; a single process turns it into options the same way.
 */
import { pathToFileURL } from 'node:url';
import { AviaryError } from '../errors.js';
import type { MechanismName } from '../xmpp/sasl-mechanisms.js';
import type { AccountSource } from './accounts.js';
import type { ArrivalPhase } from './arrival-plan.js';
import type { LoadTarget, LoadTestOptions } from './load-options.js';
import { type Scenario, type ScenarioParams, scenarioFromModule } from './scenario.js';
import { parseThreshold } from './thresholds.js';

export interface RunSpec {
  readonly target: LoadTarget;
  readonly allowRemote: boolean;
  readonly tls: 'off' | 'optional' | 'required';
  readonly ca?: string;
  readonly mechanisms?: readonly MechanismName[];
  readonly accounts: AccountSource;
  readonly register?: boolean;
  readonly cleanup: boolean;
  readonly sessions: number;
  /** Empty = the scenario's own plan, else one phase of `durationMs` at `loginRate`. */
  readonly phases: readonly ArrivalPhase[];
  readonly loginRate: number;
  readonly durationMs: number;
  readonly loginBurst?: number;
  readonly rampUpMs: number;
  readonly rampDownMs: number;
  readonly settleMs: number;
  /** Scenario modules as file URLs, with their weights. */
  readonly scenarios: readonly { readonly url: string; readonly weight: number }[];
  readonly params: ScenarioParams;
  readonly sourceAddresses: readonly string[];
  readonly thresholds: readonly string[];
  readonly seed?: number;
  readonly bucketMs?: number;
}

/** The scenario shipped with Aviary (`examples/scenarios/chat`), as a module URL. */
export const DEFAULT_SCENARIO_URL = new URL('../../examples/scenarios/chat.js', import.meta.url)
  .href;

/** A module path (or URL) given on the command line → file URL. */
export function scenarioUrl(path: string): string {
  return /^file:/.test(path) ? path : pathToFileURL(path).href;
}

/** Imports a scenario module by file URL. */
export async function importScenario(url: string): Promise<Scenario> {
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new AviaryError(
      'loadtest.bad-scenario',
      `cannot load scenario ${new URL(url).pathname}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return scenarioFromModule(module, new URL(url).pathname);
}

/** The harness options of a spec (scenarios imported), for the whole run or one slice. */
export async function optionsFromSpec(
  spec: RunSpec,
  slice?: { index: number; count: number },
): Promise<LoadTestOptions> {
  const scenarios = await Promise.all(
    spec.scenarios.map(async (s) => ({ scenario: await importScenario(s.url), weight: s.weight })),
  );
  return {
    target: spec.target,
    allowRemote: spec.allowRemote,
    tls: spec.tls,
    ...(spec.ca === undefined ? {} : { ca: spec.ca }),
    ...(spec.mechanisms === undefined ? {} : { mechanisms: spec.mechanisms }),
    accounts: spec.accounts,
    ...(spec.register === undefined ? {} : { register: spec.register }),
    cleanup: spec.cleanup,
    sessions: spec.sessions,
    ...(spec.phases.length > 0 ? { phases: spec.phases } : {}),
    loginRate: spec.loginRate,
    durationMs: spec.durationMs,
    ...(spec.loginBurst === undefined ? {} : { loginBurst: spec.loginBurst }),
    rampUpMs: spec.rampUpMs,
    rampDownMs: spec.rampDownMs,
    settleMs: spec.settleMs,
    scenarios,
    params: spec.params,
    ...(spec.sourceAddresses.length === 0 ? {} : { sourceAddresses: spec.sourceAddresses }),
    thresholds: spec.thresholds.map(parseThreshold),
    ...(spec.seed === undefined ? {} : { seed: spec.seed }),
    ...(spec.bucketMs === undefined ? {} : { bucketMs: spec.bucketMs }),
    ...(slice === undefined ? {} : { slice }),
  };
}
