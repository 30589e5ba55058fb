/**
 * What a profile does with an incoming presence subscription request (RFC 6121 §3.1.3): approve
 * it, refuse it, or keep it pending and ask its user (a `subscriptionRequest` event and the
 * `subscription.answer` operation). The server redelivers pending requests at every login
 * (RFC 6121 §3.1.3), so a pending request needs no storage of its own.
 */
import { AviaryError } from '../errors.js';

export type SubscriptionPolicy = 'accept' | 'reject' | 'ask';

export const SUBSCRIPTION_POLICIES: readonly SubscriptionPolicy[] = ['accept', 'reject', 'ask'];

/** Asking is the default: nobody sees a profile's presence unless its user agreed. */
export const DEFAULT_SUBSCRIPTION_POLICY: SubscriptionPolicy = 'ask';

/** What became of one request. */
export type SubscriptionDecision = 'accepted' | 'rejected' | 'pending';

/** The decision `policy` takes at once for a new request. */
export function decide(policy: SubscriptionPolicy): SubscriptionDecision {
  if (policy === 'accept') return 'accepted';
  if (policy === 'reject') return 'rejected';
  return 'pending';
}

/**
 * Reads a stored policy value; a missing one is the default.
 *
 * @throws AviaryError `contacts.invalid-setting` for any other value.
 */
export function parseSubscriptionPolicy(value: string | null | undefined): SubscriptionPolicy {
  if (value === null || value === undefined) return DEFAULT_SUBSCRIPTION_POLICY;
  const policy = SUBSCRIPTION_POLICIES.find((p) => p === value);
  if (policy === undefined)
    throw new AviaryError(
      'contacts.invalid-setting',
      `subscription policy must be one of ${SUBSCRIPTION_POLICIES.join(', ')}, not ${JSON.stringify(value)}`,
    );
  return policy;
}
