/**
 * The scenario interface: what one simulated user does once online. A scenario is a small
 * TypeScript module exporting `scenario` (or a default export) of type {@link Scenario}; the
 * harness calls `run(session)` once per session and aborts `session.signal` when the session
 * must stop (ramp-down, target lowered, end of the run). See `examples/scenarios/chat.ts`.
 */
import type { Element } from '@xmpp/xml';
import { AviaryError } from '../errors.js';
import type { PubsubClient } from '../pubsub/pubsub-client.js';
import type { ArrivalPhase } from './arrival-plan.js';

/** Free-form parameters given on the command line (`--param rate=2`). */
export type ScenarioParams = Readonly<Record<string, string | number | boolean>>;

/** A chat message received by a session from another load session. */
export interface ReceivedChat {
  readonly from: string;
  readonly text: string;
}

/** What a scenario can do with its session. Every operation is measured by the harness. */
export interface ScenarioSession {
  /** Account number (0-based, stable for the account). */
  readonly index: number;
  /** Bare JID of this session's account. */
  readonly jid: string;
  readonly params: ScenarioParams;
  /** Aborted when the session must stop; long waits must honour it. */
  readonly signal: AbortSignal;
  /** Seeded random numbers in [0, 1). */
  random(): number;
  /** Waits `ms` (think time); resolves `false` early if the session is stopping. */
  think(ms: number): Promise<boolean>;
  /** Bare JID of a random other online session, or undefined when alone. */
  randomPeer(): string | undefined;
  /** The fixed partner (account index XOR 1), or undefined when it is not online. */
  pairedPeer(): string | undefined;
  /** Sends a `type=chat` message; its delivery is counted and timed by the receiving session. */
  sendChat(to: string, text: string): Promise<void>;
  /** Sends a presence update (RFC 6121 §4). */
  sendPresence(options?: { show?: 'away' | 'chat' | 'dnd' | 'xa'; status?: string }): Promise<void>;
  /** An IQ round trip, timed as `iq`. */
  iq(element: Element, timeoutMs?: number): Promise<Element>;
  /** XEP-0199 ping to the server, timed as `iq`. */
  ping(): Promise<void>;
  /** XEP-0060 client whose requests are timed as `pubsub`. */
  readonly pubsub: PubsubClient;
  /** Called for each load chat message this session receives; returns the unregister function. */
  onChat(handler: (chat: ReceivedChat) => void): () => void;
  /**
   * Times `body` as the named transaction (its own histogram and timeline line in the report);
   * a rejection is counted as an error `NAME:<kind>` and rethrown.
   */
  transaction<T>(name: string, body: () => Promise<T>): Promise<T>;
}

/**
 * @example
 * export const scenario: Scenario = {
 *   name: 'pinger',
 *   async run(session) {
 *     while (await session.think(1000)) await session.ping();
 *   },
 * };
 */
export interface Scenario {
  readonly name: string;
  /** An arrival plan used when the command line gives none. */
  readonly phases?: readonly ArrivalPhase[];
  run(session: ScenarioSession): Promise<void>;
}

/** One scenario of a mix and its integer weight (share of the accounts). */
export interface WeightedScenario {
  readonly scenario: Scenario;
  readonly weight: number;
}

/**
 * The scenario account `index` runs: accounts cycle through the total weight, each scenario
 * owning `weight` consecutive places, so a mix 3:1 gives exactly 3 of every 4 accounts to the
 * first, whatever the number of sessions.
 */
export function scenarioFor(mix: readonly WeightedScenario[], index: number): Scenario {
  const total = mix.reduce((sum, s) => sum + s.weight, 0);
  let place = index % total;
  for (const entry of mix) {
    if (place < entry.weight) return entry.scenario;
    place -= entry.weight;
  }
  throw new AviaryError('loadtest.bad-scenario', 'empty scenario mix');
}

/** Reads the `scenario` (or default) export of a loaded scenario module. */
export function scenarioFromModule(module: Record<string, unknown>, where: string): Scenario {
  const candidate = (module.scenario ?? module.default) as Partial<Scenario> | undefined;
  if (candidate === undefined || typeof candidate.run !== 'function' || !candidate.name)
    throw new AviaryError(
      'loadtest.bad-scenario',
      `${where} exports no scenario ({ name, run(session) })`,
    );
  return candidate as Scenario;
}
