/**
 * `--wait` for `profile add|connect`: follows an entity's state on the running runtime until it
 * is online (success) or in a state it will not leave by itself: `auth-failed` (the server
 * refused the credentials, RFC 6120 §6.5) or `stopped` (for instance refused by policy). Past
 * the timeout the command fails with the last state seen and its reason.
 */
import type { EntityStatus } from '../entities/entity-actor.js';
import type { RuntimeClient } from './api-client.js';
import { CliError, usageError } from './output.js';

/** States a waiting command ends on without being told twice. */
const FAILED_STATES: ReadonlySet<string> = new Set(['auth-failed', 'stopped']);
const POLL_MS = 200;

/** Parses `--timeout` (seconds, as `30` or `30s`); milliseconds. */
export function waitTimeoutMs(value: string): number {
  const match = /^(\d+(?:\.\d+)?)s?$/.exec(value.trim());
  const seconds = match ? Number(match[1]) : Number.NaN;
  if (!(seconds > 0 && seconds <= 86_400))
    throw usageError(`--timeout must be a number of seconds (1..86400), got ${value}`);
  return seconds * 1000;
}

const described = (status: EntityStatus) =>
  `${status.state}${status.reason ? ` (${status.reason})` : ''}`;

/**
 * Resolves with the online status; throws a CliError (exit 1) with the reason otherwise.
 * `fresh` says the entity was just created: a failure state it shows is its own. After a
 * `connect` of an existing entity, the first failure state seen may be the one from before the
 * request was handled, so a failure counts only once the entity has been seen moving.
 */
export async function waitForConnection(
  client: RuntimeClient,
  name: string,
  options: { readonly timeoutMs: number; readonly fresh: boolean },
): Promise<EntityStatus> {
  const { timeoutMs } = options;
  const deadline = Date.now() + timeoutMs;
  let moved = options.fresh;
  for (;;) {
    const status = (await client.call('profile.get', { name })) as EntityStatus;
    if (status.state === 'online') return status;
    if (!FAILED_STATES.has(status.state)) moved = true;
    else if (moved) throw new CliError(`${name} did not come online: ${described(status)}`);
    if (Date.now() >= deadline) {
      throw new CliError(
        `${name} not online after ${timeoutMs / 1000}s: last state ${described(status)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
