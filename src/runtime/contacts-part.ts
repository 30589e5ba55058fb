/**
 * Rosters, contacts' presence, subscription policies and message carbons of the profiles. The
 * state of each profile lives in its {@link ProfileContacts}, created when the `roster` plugin
 * starts on the profile; this part keeps them by name, stores the per-profile settings and the
 * roster cache (profile parameters), turns their signals into runtime events, counts forged
 * carbons, and serves the library calls behind the roster operations.
 */
import { Counter } from 'prom-client';
import type {
  PresenceChangedEvent,
  RosterChangedEvent,
  SubscriptionRequestEvent,
} from '../contacts/contacts-events.js';
import type { ContactPresence } from '../contacts/presence-book.js';
import {
  ProfileContacts,
  type RosterEntry,
  type SubscriptionRequestInfo,
} from '../contacts/profile-contacts.js';
import type { RosterSnapshot } from '../contacts/roster-book.js';
import {
  parseSubscriptionPolicy,
  type SubscriptionPolicy,
} from '../contacts/subscription-policy.js';
import { lazyChild } from '../entities/lazy-logger.js';
import { AviaryError } from '../errors.js';
import type { CarbonsPort } from '../plugins/builtin/carbons.js';
import type { ContactsPort } from '../plugins/builtin/roster.js';
import type { RosterItem } from '../xmpp/roster.js';
import type { RuntimePart, RuntimeServices } from './runtime.js';
import type { StoragePart } from './storage-part.js';

/** A profile's contact settings (profile parameters, category `contacts`). */
export interface ContactSettings {
  readonly subscriptionPolicy: SubscriptionPolicy;
  /** Enable message carbons at login (XEP-0280); on by default. */
  readonly carbons: boolean;
}

const SETTINGS_CATEGORY = 'contacts';
const ROSTER_CATEGORY = 'roster';

/** The library calls of the roster operations (`aviary.contacts`). */
export interface ContactsApi {
  roster(profile: string): Promise<RosterEntry[]>;
  addContact(
    profile: string,
    item: { jid: string; name?: string; groups?: string[]; subscribe?: boolean },
  ): Promise<RosterItem | undefined>;
  removeContact(profile: string, jid: string): Promise<{ readonly removed: boolean }>;
  presence(profile: string): ContactPresence[];
  subscriptionRequests(profile: string): SubscriptionRequestInfo[];
  answerSubscription(
    profile: string,
    jid: string,
    accept: boolean,
  ): Promise<SubscriptionRequestInfo>;
  settings(profile: string): Promise<ContactSettings>;
  updateSettings(profile: string, change: Partial<ContactSettings>): Promise<ContactSettings>;
}

export class ContactsPart implements RuntimePart {
  readonly name = 'contacts';
  readonly #storage: StoragePart;
  readonly #profiles = new Map<string, ProfileContacts>();
  readonly #settings = new Map<string, ContactSettings>();
  #runtime: RuntimeServices | undefined;
  #forged: Counter | undefined;
  #offState: (() => void) | undefined;

  constructor(options: { storage: StoragePart }) {
    this.#storage = options.storage;
  }

  async start(runtime: RuntimeServices): Promise<void> {
    this.#runtime = runtime;
    this.#forged ??= new Counter({
      name: 'aviary_carbons_forged_total',
      help: "Carbon copies dropped because their wrapper was not from the account's bare JID",
      registers: [runtime.metrics.registry],
    });
    const onState = (event: { kind: string; name: string; state: string }) => {
      const contacts = event.kind === 'profile' ? this.#profiles.get(event.name) : undefined;
      if (event.state === 'online') contacts?.streamUp();
      else contacts?.streamDown();
    };
    runtime.events.on('connectionState', onState);
    this.#offState = () => runtime.events.off('connectionState', onState);
  }

  async stop(): Promise<void> {
    this.#offState?.();
  }

  readonly contactsPort: ContactsPort = {
    attach: async (profile, link) => {
      const runtime = this.#started();
      // Made on first use: most idle profiles never log (see lazy-logger.ts).
      const log = lazyChild(runtime.log, { profile, component: 'contacts' });
      // A setting that cannot be read must not keep the profile from starting: defaults apply.
      await this.settings(profile).catch((error: unknown) =>
        log.warn({ err: error }, 'contact settings unreadable; using the defaults'),
      );
      const contacts = new ProfileContacts({
        ...link,
        cache: {
          load: async () => {
            const text = await this.#param(profile, ROSTER_CATEGORY, 'cache');
            return text === null ? undefined : (JSON.parse(text) as RosterSnapshot);
          },
          save: (snapshot) =>
            this.#setParam(profile, ROSTER_CATEGORY, 'cache', JSON.stringify(snapshot)),
        },
        policy: () => this.#settings.get(profile)?.subscriptionPolicy ?? 'ask',
        signals: {
          rosterChanged: (change) =>
            runtime.events.emit('rosterChanged', { profile, change } satisfies RosterChangedEvent),
          presenceChanged: (update) =>
            runtime.events.emit('presenceChanged', {
              profile,
              ...update,
            } satisfies PresenceChangedEvent),
          subscriptionRequest: (request) =>
            runtime.events.emit('subscriptionRequest', {
              profile,
              ...request,
            } satisfies SubscriptionRequestEvent),
        },
        clock: runtime.clock,
        log,
      });
      this.#profiles.set(profile, contacts);
      return {
        contacts,
        detach: () => {
          if (this.#profiles.get(profile) === contacts) this.#profiles.delete(profile);
          this.#settings.delete(profile);
        },
      };
    },
  };

  readonly carbonsPort: CarbonsPort = {
    enabled: async (profile) => (await this.settings(profile)).carbons,
    forged: (profile, report) => {
      this.#forged?.inc();
      this.#runtime?.log.warn(
        { profile, from: report.from, direction: report.direction },
        "forged carbon dropped: its wrapper is not from the account's bare JID",
      );
    },
  };

  readonly api: ContactsApi = {
    roster: (profile) => this.#contacts(profile).list(),
    addContact: (profile, item) => this.#contacts(profile).add(item),
    removeContact: (profile, jid) => this.#contacts(profile).remove(jid),
    presence: (profile) => this.#contacts(profile).presences(),
    subscriptionRequests: (profile) => this.#contacts(profile).pending(),
    answerSubscription: (profile, jid, accept) => this.#contacts(profile).answer(jid, accept),
    settings: (profile) => this.settings(profile),
    updateSettings: async (profile, change) => {
      this.#contacts(profile);
      if (change.subscriptionPolicy !== undefined) {
        parseSubscriptionPolicy(change.subscriptionPolicy);
        await this.#setParam(
          profile,
          SETTINGS_CATEGORY,
          'subscription_policy',
          change.subscriptionPolicy,
        );
      }
      if (change.carbons !== undefined)
        await this.#setParam(profile, SETTINGS_CATEGORY, 'carbons', String(change.carbons));
      this.#settings.delete(profile);
      return this.settings(profile);
    },
  };

  /** A profile's settings, read once and kept until changed. */
  async settings(profile: string): Promise<ContactSettings> {
    const known = this.#settings.get(profile);
    if (known !== undefined) return known;
    const [policy, carbons] = await Promise.all([
      this.#param(profile, SETTINGS_CATEGORY, 'subscription_policy'),
      this.#param(profile, SETTINGS_CATEGORY, 'carbons'),
    ]);
    const settings: ContactSettings = {
      subscriptionPolicy: parseSubscriptionPolicy(policy),
      carbons: carbons !== 'false',
    };
    this.#settings.set(profile, settings);
    return settings;
  }

  #contacts(profile: string): ProfileContacts {
    const contacts = this.#profiles.get(profile);
    if (contacts === undefined)
      throw new AviaryError(
        'contacts.not-client',
        `${profile} has no roster: it is not a running profile (components have none)`,
      );
    return contacts;
  }

  #started(): RuntimeServices {
    if (this.#runtime === undefined) throw new Error('contacts are not started');
    return this.#runtime;
  }

  #param(profile: string, category: string, name: string): Promise<string | null> {
    return this.#storage.client.request({ type: 'param.get', profile, category, name });
  }

  async #setParam(profile: string, category: string, name: string, value: string): Promise<void> {
    await this.#storage.client.request({ type: 'param.set', profile, category, name, value });
  }
}
