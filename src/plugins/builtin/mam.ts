/**
 * Message Archive Management catch-up (XEP-0313) as a built-in client plugin:
 * - on-online: asks disco#info of the account's bare JID (XEP-0313 §6.1); when it lists
 *   `urn:xmpp:mam:2`, fetches in the background what the archive holds past the stored
 *   checkpoint (see `archive-pager.ts`), so connecting is never held up by a long catch-up;
 * - stanza middleware: archived `<result/>` messages of our queries are unwrapped (XEP-0297)
 *   and go on into the receive workflow, with their original time and the archive id as a
 *   trusted stanza-id, so history stores each message once whether it came live, from offline
 *   storage or from the archive (the unique (profile, sender, stanza-id) and origin-id indexes);
 * - `message_parse` hook: marks those messages `extra.archive = { id }`. Only elements this
 *   plugin built carry the mark, so a live message cannot claim to be archived.
 *
 * The catch-up runs beside live traffic: history is ordered by original timestamp, so archived
 * messages land in their place whenever they arrive.
 */
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import { discoInfoIq, hasFeature } from '../../entities/disco-caps.js';
import type { EntityStorage } from '../../entities/entity-ports.js';
import { AviaryError, isAviaryError } from '../../errors.js';
import { type ArchiveItem, archiveItem } from '../../mam/archive-item.js';
import { type CatchUpResult, catchUp } from '../../mam/archive-pager.js';
import { ArchiveQueries } from '../../mam/archive-queries.js';
import {
  readArchiveSettings,
  readCheckpoint,
  writeCheckpoint,
} from '../../mam/archive-settings.js';
import { archivedForWorkflow, NS_MAM } from '../../mam/mam-stanzas.js';
import { type Clock, systemClock } from '../../util/clock.js';
import { bareJid } from '../../workflow/jid.js';
import type { Plugin, PluginHost } from '../plugin.js';

export const MAM_PLUGIN = 'mam';

/** Filters of a direct archive query (`aviary mam`). Times in ms since the epoch. */
export interface ArchiveSearch {
  readonly with?: string;
  readonly start?: number;
  readonly end?: number;
  /** At most this many messages (default 50). */
  readonly limit?: number;
}

/** What the runtime offers over the plugin (library, API and CLI). */
export interface Archives {
  /** Runs a catch-up now (after the one in progress, if any). */
  sync(profile: string): Promise<CatchUpResult>;
  /** Reads the server archive directly; nothing is stored. Oldest first. */
  query(
    profile: string,
    search?: ArchiveSearch,
  ): Promise<{ readonly messages: ArchiveItem[]; readonly complete: boolean }>;
}

interface ProfileArchive {
  readonly host: PluginHost;
  readonly queries: ArchiveQueries;
  /** Whether the server advertised MAM on this connection (undefined: not known yet). */
  supported: boolean | undefined;
  /** The catch-up in progress (catch-ups of one profile run one after the other). */
  running: Promise<unknown>;
  /** Bumped on each connection, so a stale connection's background work stops. */
  connection: number;
}

export interface MamPluginDeps {
  /** The storage (read lazily: it starts after plugins are registered). */
  readonly storage: () => EntityStorage;
  readonly clock?: Clock;
}

type Iq = (element: Element) => Promise<Element>;

/**
 * @example
 * const mam = createMamPlugin({ storage: () => storagePart.client });
 * plugins.register(mam.plugin);
 * await mam.archives.sync('alice');
 */
export function createMamPlugin(deps: MamPluginDeps): { plugin: Plugin; archives: Archives } {
  const clock = deps.clock ?? systemClock;
  const profiles = new Map<string, ProfileArchive>();
  /** Elements this plugin unwrapped, with their archive id (read by the `message_parse` hook). */
  const unwrapped = new WeakMap<object, string>();

  const profileOf = (name: string): ProfileArchive => {
    const state = profiles.get(name);
    if (state === undefined)
      throw new AviaryError('profile.not-found', `no client profile named ${name}`);
    return state;
  };

  const ownBare = (host: PluginHost) => bareJid(host.jid());

  /** Whether the account's server archives (asked once per connection). */
  const supports = async (state: ProfileArchive, iq: Iq): Promise<boolean> => {
    if (state.supported === undefined) {
      const connection = state.connection;
      const supported = hasFeature(await iq(discoInfoIq(ownBare(state.host))), NS_MAM);
      if (connection === state.connection) state.supported = supported;
      return supported;
    }
    return state.supported;
  };

  const runCatchUp = async (state: ProfileArchive, iq: Iq): Promise<CatchUpResult> => {
    const storage = deps.storage();
    const profile = state.host.name;
    const settings = await readArchiveSettings(storage, profile);
    const checkpoint = await readCheckpoint(storage, profile);
    const archive = ownBare(state.host);
    const connection = state.connection;
    return catchUp({
      checkpoint,
      windowMs: settings.windowMs,
      windowMax: settings.windowMax,
      pageSize: settings.pageSize,
      now: clock.now(),
      // XEP-0313 §4.2 / XEP-0059 §2.6: an id the archive no longer has is `item-not-found`.
      isUnknownId: (error) =>
        isAviaryError(error, 'xmpp.stanza-error') &&
        (error.details as { condition?: string } | undefined)?.condition === 'item-not-found',
      saveCheckpoint: (id) => writeCheckpoint(storage, profile, id),
      fetchPage: (query) => {
        if (connection !== state.connection)
          throw new AviaryError('entity.offline', `${profile} reconnected during the catch-up`);
        return state.queries.page({
          query,
          archive,
          iq,
          onResult: async (archived, forward) => {
            const element = archivedForWorkflow(archived, archive);
            unwrapped.set(element, archived.archiveId);
            await forward(element);
          },
        });
      },
    });
  };

  const sync = (state: ProfileArchive, iq: Iq): Promise<CatchUpResult> => {
    const next = state.running
      .catch(() => undefined)
      .then(async () => {
        if (!(await supports(state, iq)))
          throw new AviaryError(
            'mam.unsupported',
            `the server of ${state.host.name} does not advertise ${NS_MAM}`,
          );
        return runCatchUp(state, iq);
      });
    state.running = next.catch(() => undefined);
    return next;
  };

  const archives: Archives = {
    sync(profile) {
      const state = profileOf(profile);
      return sync(state, (element) => state.host.iq(element));
    },
    async query(profile, search = {}) {
      const state = profileOf(profile);
      const iq: Iq = (element) => state.host.iq(element);
      if (!(await supports(state, iq)))
        throw new AviaryError(
          'mam.unsupported',
          `the server of ${profile} does not advertise ${NS_MAM}`,
        );
      const limit = search.limit ?? 50;
      const messages: ArchiveItem[] = [];
      let after: string | undefined;
      let complete = false;
      while (messages.length < limit) {
        const page = await state.queries.page({
          query: {
            max: Math.min(250, limit - messages.length),
            ...(search.with !== undefined ? { with: search.with } : {}),
            ...(search.start !== undefined ? { start: search.start } : {}),
            ...(search.end !== undefined ? { end: search.end } : {}),
            ...(after !== undefined ? { after } : {}),
          },
          archive: ownBare(state.host),
          iq,
          onResult: async (archived) => {
            messages.push(archiveItem(archived));
          },
        });
        complete = page.complete;
        if (page.complete || page.last === undefined || page.last === after) break;
        after = page.last;
      }
      return { messages, complete };
    },
  };

  const plugin: Plugin = {
    name: MAM_PLUGIN,
    modes: ['client'],
    description: 'Message Archive Management (XEP-0313): catch-up into history on each connection',
    setup({ host, hooks, log }) {
      const state: ProfileArchive = {
        host,
        queries: new ArchiveQueries({ clock, newId: () => randomUUID() }),
        supported: undefined,
        running: Promise.resolve(),
        connection: 0,
      };
      profiles.set(host.name, state);
      const offs = [
        host.useStanza(
          async (stanza, next) => {
            if (!(await state.queries.accept(stanza, next))) await next();
          },
          // Before other middleware: they see the archived message, not its wrapper.
          { priority: 100 },
        ),
        hooks.register('message_parse', {
          plugin: MAM_PLUGIN,
          // First: a later hook that ends the point (`skip-rest`) cannot drop the mark.
          priority: 1000,
          handler: (message, ctx) => {
            const archiveId = ctx.stanza === undefined ? undefined : unwrapped.get(ctx.stanza);
            if (archiveId === undefined) return { action: 'continue' };
            return {
              action: 'continue',
              message: { ...message, extra: { ...message.extra, archive: { id: archiveId } } },
            };
          },
        }),
        host.onOnline((session) => {
          state.connection++;
          state.supported = undefined;
          const connection = state.connection;
          const iq: Iq = (element) => session.iq(element);
          // In the background: the entity goes online at once, the catch-up runs beside it.
          void readArchiveSettings(deps.storage(), host.name)
            .then((settings) => {
              if (!settings.enabled || connection !== state.connection) return undefined;
              return sync(state, iq).then((result) =>
                log.info({ ...result }, 'archive catch-up done'),
              );
            })
            .catch((error: unknown) => {
              if (isAviaryError(error, 'mam.unsupported'))
                log.debug({}, 'server does not archive messages; no catch-up');
              else log.warn({ err: error }, 'archive catch-up failed; retried on next connection');
            });
        }),
      ];
      return () => {
        for (const off of offs) off();
        if (profiles.get(host.name) === state) profiles.delete(host.name);
      };
    },
  };
  return { plugin, archives };
}
