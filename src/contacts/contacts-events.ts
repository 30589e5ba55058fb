/**
 * What the contacts side of a profile announces on the runtime's event stream (and over SSE):
 * roster changes, contacts' presence, and subscription requests with what the policy did.
 */
import type { PresenceUpdate } from './presence-book.js';
import type { SubscriptionRequestInfo } from './profile-contacts.js';
import type { RosterChange } from './roster-book.js';

/** The roster of `profile` changed: a whole new roster, one item set, or one removed. */
export interface RosterChangedEvent {
  readonly profile: string;
  readonly change: RosterChange;
}

/** A contact's resource became available, changed its presence, or left. */
export type PresenceChangedEvent = PresenceUpdate & { readonly profile: string };

/**
 * Someone asked to see `profile`'s presence; `decision` is what the policy did (`pending`
 * under `ask`: answer with the `subscription.answer` operation).
 */
export type SubscriptionRequestEvent = SubscriptionRequestInfo & { readonly profile: string };
